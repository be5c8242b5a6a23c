//! Ticker patterns for PAL strike limits: `*` matches any run of characters (including
//! none), `?` exactly one; everything else matches itself, case-sensitively.

use std::fmt;

/// A compiled ticker pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    text: String,
}

impl Glob {
    /// Compiles `pattern`. Empty patterns are refused (they would match nothing).
    pub fn new(pattern: &str) -> Result<Glob, String> {
        if pattern.is_empty() {
            return Err("empty pattern".to_string());
        }
        Ok(Glob { text: pattern.to_string() })
    }

    /// True when the whole `ticker` matches.
    pub fn matches(&self, ticker: &str) -> bool {
        matches_bytes(self.text.as_bytes(), ticker.as_bytes())
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Iterative wildcard matching with single-star backtracking: linear in practice,
/// `O(|p|·|t|)` at worst, never exponential.
fn matches_bytes(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Glob::new(p).unwrap().matches(t)
    }

    #[test]
    fn wildcards() {
        assert!(m("KXINXU-*", "KXINXU-26NOV24H1600-T6999.9999"));
        assert!(m("*T6999*", "KXINXU-26NOV24H1600-T6999.9999"));
        assert!(!m("*T6999*", "KXINXU-26NOV24H1600-T6774.9999"));
        assert!(m("KXHIGHNY-??NOV25-B4?.5", "KXHIGHNY-26NOV25-B49.5"));
        assert!(!m("KXHIGHNY", "KXHIGHNY-26NOV25"));
        assert!(m("a*b*c", "a-b-b-c"));
        assert!(!m("a*b*c", "a-b-b-d"));
        assert!(m("*", ""));
        assert!(Glob::new("").is_err());
    }

    #[test]
    fn pathological_pattern_is_fast() {
        let text = "a".repeat(2000);
        assert!(!m(&format!("{}b", "*a".repeat(50)), &text));
    }
}
