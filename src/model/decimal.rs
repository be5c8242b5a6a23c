//! Parsing and printing of non-negative or signed decimal strings as scaled integers.
//!
//! Every fixed-point type in [`crate::model`] stores an integer count of its smallest unit;
//! this module holds the one parser and one printer they share, so that `"0.5600"`,
//! `"10.00"` and `"-3.25"` are read the same way everywhere.

use thiserror::Error;

/// Why a decimal string could not be read as a fixed-point value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecimalError {
    /// The string is empty or has no digits.
    #[error("empty number")]
    Empty,
    /// A character that is not a digit, a single `.` or a leading sign.
    #[error("`{0}` is not a decimal number")]
    Malformed(String),
    /// More fractional digits than the type keeps.
    #[error("`{text}` has more than {max_dp} decimal places")]
    TooPrecise {
        /// The rejected text.
        text: String,
        /// How many decimals the type keeps.
        max_dp: u32,
    },
    /// A minus sign on a type that cannot be negative.
    #[error("`{0}` is negative")]
    Negative(String),
    /// The value does not fit the type's range.
    #[error("`{text}` is out of range ({range})")]
    OutOfRange {
        /// The rejected text.
        text: String,
        /// The allowed range, for the message.
        range: &'static str,
    },
}

/// Parses `text` as a decimal with at most `dp` fractional digits and returns it scaled by
/// `10^dp`. A leading `-` is accepted only when `signed` is true; `+` is never accepted.
pub fn parse_scaled(text: &str, dp: u32, signed: bool) -> Result<i64, DecimalError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(DecimalError::Empty);
    }
    let (negative, body) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    if negative && !signed {
        return Err(DecimalError::Negative(trimmed.to_string()));
    }
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty()) || !all_digits(int_part) || !all_digits(frac_part) {
        return Err(DecimalError::Malformed(trimmed.to_string()));
    }
    if frac_part.len() as u32 > dp {
        return Err(DecimalError::TooPrecise { text: trimmed.to_string(), max_dp: dp });
    }
    let overflow = || DecimalError::OutOfRange { text: trimmed.to_string(), range: "i64" };
    let mut value: i64 = 0;
    for b in int_part.bytes().chain(frac_part.bytes()) {
        value = value.checked_mul(10).and_then(|v| v.checked_add(i64::from(b - b'0'))).ok_or_else(overflow)?;
    }
    for _ in frac_part.len() as u32..dp {
        value = value.checked_mul(10).ok_or_else(overflow)?;
    }
    Ok(if negative { -value } else { value })
}

/// Prints a value scaled by `10^scale_dp` with exactly `dp` decimals (`dp <= scale_dp`).
/// Digits beyond `dp` must be zero; callers choose `dp` so that nothing is lost.
pub fn format_scaled(value: i64, scale_dp: u32, dp: u32) -> String {
    debug_assert!(dp <= scale_dp);
    let unit = 10_i64.pow(scale_dp);
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    let int = abs / unit as u64;
    let frac = abs % unit as u64;
    if dp == 0 {
        return format!("{sign}{int}");
    }
    let frac = frac / 10_u64.pow(scale_dp - dp);
    format!("{sign}{int}.{frac:0width$}", width = dp as usize)
}

/// The fewest decimals among `choices` (ascending) that print `value` exactly; the last
/// choice when none does.
pub fn shortest_exact_dp(value: i64, scale_dp: u32, choices: &[u32]) -> u32 {
    for &dp in choices {
        if value % 10_i64.pow(scale_dp - dp) == 0 {
            return dp;
        }
    }
    *choices.last().expect("at least one choice")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kalshi_strings() {
        assert_eq!(parse_scaled("0.5600", 6, false), Ok(560_000));
        assert_eq!(parse_scaled("0.000100", 6, false), Ok(100));
        assert_eq!(parse_scaled("10.00", 2, false), Ok(1000));
        assert_eq!(parse_scaled("7", 2, false), Ok(700));
        assert_eq!(parse_scaled(".5", 2, false), Ok(50));
        assert_eq!(parse_scaled("-3.25", 8, true), Ok(-325_000_000));
    }

    #[test]
    fn rejects_malformed() {
        for bad in ["abc", "1.2.3", "", "-", ".", "1e5", "+1", "0x10", "1 2", "--1"] {
            assert!(parse_scaled(bad, 6, true).is_err(), "{bad:?} should be rejected");
        }
        assert_eq!(
            parse_scaled("0.1234567", 6, false),
            Err(DecimalError::TooPrecise { text: "0.1234567".into(), max_dp: 6 })
        );
        assert_eq!(parse_scaled("-1", 2, false), Err(DecimalError::Negative("-1".into())));
        assert!(matches!(parse_scaled("99999999999999999999", 2, false), Err(DecimalError::OutOfRange { .. })));
    }

    #[test]
    fn formats() {
        assert_eq!(format_scaled(560_000, 6, 4), "0.5600");
        assert_eq!(format_scaled(100, 6, 6), "0.000100");
        assert_eq!(format_scaled(-132_000_000, 8, 2), "-1.32");
        assert_eq!(format_scaled(5, 0, 0), "5");
        assert_eq!(shortest_exact_dp(132_000_000, 8, &[2, 4, 6, 8]), 2);
        assert_eq!(shortest_exact_dp(131_250_000, 8, &[2, 4, 6, 8]), 4);
    }
}
