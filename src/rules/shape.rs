//! Reading script return values into native data: maps with known keys, exact money and
//! counts (never floats), booleans and strings. Errors name the field path
//! (`pal().series.KXCPI.max_loss`).

use std::collections::BTreeSet;

use rhai::{Dynamic, Map};

use crate::model::{Count, Money};

/// A return value of the wrong shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError {
    /// Field path, e.g. `pilot().max_contracts_per_order`.
    pub path: String,
    /// What was wrong.
    pub message: String,
}

impl ShapeError {
    fn new(path: &str, message: impl Into<String>) -> ShapeError {
        ShapeError { path: path.to_string(), message: message.into() }
    }

    /// The last path segment (the key), for locating it in the source.
    pub fn key(&self) -> &str {
        self.path.rsplit(['.', '[']).next().unwrap_or(&self.path).trim_end_matches(']')
    }
}

impl std::fmt::Display for ShapeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// A map whose keys are checked: every required key present, nothing unknown.
pub struct Fields {
    map: Map,
    path: String,
}

impl Fields {
    /// Checks `value` is a map with exactly the `required` keys plus any of `optional`.
    pub fn of(value: &Dynamic, path: &str, required: &[&str], optional: &[&str]) -> Result<Fields, ShapeError> {
        let map = value
            .clone()
            .try_cast::<Map>()
            .ok_or_else(|| ShapeError::new(path, format!("expected a map #{{...}}, got {}", value.type_name())))?;
        for key in map.keys() {
            if !required.contains(&key.as_str()) && !optional.contains(&key.as_str()) {
                let known: Vec<&str> = required.iter().chain(optional).copied().collect();
                return Err(ShapeError::new(
                    &format!("{path}.{key}"),
                    format!("unknown key (known: {})", known.join(", ")),
                ));
            }
        }
        for key in required {
            if !map.contains_key(*key) {
                return Err(ShapeError::new(&format!("{path}.{key}"), "missing (risk limits have no defaults)"));
            }
        }
        Ok(Fields { map, path: path.to_string() })
    }

    /// The field's path.
    pub fn path_of(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    /// A field, if present.
    pub fn get(&self, key: &str) -> Option<&Dynamic> {
        self.map.get(key)
    }

    /// A required field (checked present by [`Fields::of`]).
    pub fn req(&self, key: &str) -> &Dynamic {
        self.map.get(key).expect("required keys are checked")
    }
}

/// Money from `"5.00"`, a `Money` value, or whole dollars as an integer. Floats are refused.
pub fn money(value: &Dynamic, path: &str) -> Result<Money, ShapeError> {
    if let Some(m) = value.clone().try_cast::<Money>() {
        return non_negative(m, path);
    }
    if let Ok(n) = value.as_int() {
        let m = n
            .checked_mul(100_000_000)
            .map(Money::from_units)
            .ok_or_else(|| ShapeError::new(path, format!("{n} dollars is out of range")))?;
        return non_negative(m, path);
    }
    if let Ok(s) = value.clone().into_string() {
        let m = s.parse::<Money>().map_err(|e| ShapeError::new(path, format!("\"{s}\": {e}")))?;
        return non_negative(m, path);
    }
    Err(ShapeError::new(
        path,
        format!("expected money (\"5.00\", money(\"5.00\") or whole dollars), got {}", value.type_name()),
    ))
}

fn non_negative(m: Money, path: &str) -> Result<Money, ShapeError> {
    if m.is_negative() { Err(ShapeError::new(path, format!("{m} is negative"))) } else { Ok(m) }
}

/// A count from `"10"`, a `Count` value, or an integer. Floats are refused.
pub fn count(value: &Dynamic, path: &str) -> Result<Count, ShapeError> {
    if let Some(c) = value.clone().try_cast::<Count>() {
        return Ok(c);
    }
    if let Ok(n) = value.as_int() {
        return Count::from_whole(n).map_err(|e| ShapeError::new(path, e.to_string()));
    }
    if let Ok(s) = value.clone().into_string() {
        return s.parse::<Count>().map_err(|e| ShapeError::new(path, format!("\"{s}\": {e}")));
    }
    Err(ShapeError::new(
        path,
        format!("expected a contract count (10, \"10\" or count(10)), got {}", value.type_name()),
    ))
}

/// A non-negative integer that fits `u32`.
pub fn small_int(value: &Dynamic, path: &str) -> Result<u32, ShapeError> {
    let n = value.as_int().map_err(|t| ShapeError::new(path, format!("expected an integer, got {t}")))?;
    u32::try_from(n).map_err(|_| ShapeError::new(path, format!("{n} is out of range")))
}

/// A boolean.
pub fn boolean(value: &Dynamic, path: &str) -> Result<bool, ShapeError> {
    value.as_bool().map_err(|t| ShapeError::new(path, format!("expected true or false, got {t}")))
}

/// A string.
pub fn string(value: &Dynamic, path: &str) -> Result<String, ShapeError> {
    value.clone().into_string().map_err(|t| ShapeError::new(path, format!("expected a string, got {t}")))
}

/// An array of strings, as a set (duplicates refused).
pub fn string_set(value: &Dynamic, path: &str) -> Result<BTreeSet<String>, ShapeError> {
    let items = array(value, path)?;
    let mut out = BTreeSet::new();
    for (i, item) in items.iter().enumerate() {
        let s = string(item, &format!("{path}[{i}]"))?;
        if !out.insert(s.clone()) {
            return Err(ShapeError::new(&format!("{path}[{i}]"), format!("duplicate \"{s}\"")));
        }
    }
    Ok(out)
}

/// A map with any keys (e.g. series tickers).
pub fn map(value: &Dynamic, path: &str) -> Result<Map, ShapeError> {
    value
        .clone()
        .try_cast::<Map>()
        .ok_or_else(|| ShapeError::new(path, format!("expected a map #{{...}}, got {}", value.type_name())))
}

/// An array.
pub fn array(value: &Dynamic, path: &str) -> Result<rhai::Array, ShapeError> {
    value.clone().into_array().map_err(|t| ShapeError::new(path, format!("expected an array [...], got {t}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_accepts_exact_forms_only() {
        assert_eq!(money(&Dynamic::from("5.00"), "x").unwrap().to_string(), "5.00");
        assert_eq!(money(&Dynamic::from(3_i64), "x").unwrap().to_string(), "3.00");
        let err = money(&Dynamic::from(2.5_f64), "pal().series.KXA.max_loss").unwrap_err();
        assert_eq!(err.key(), "max_loss");
        assert!(err.to_string().starts_with("pal().series.KXA.max_loss: expected money"), "{err}");
        assert!(money(&Dynamic::from("-1.00"), "x").unwrap_err().message.contains("negative"));
    }

    #[test]
    fn fields_refuse_unknown_and_missing_keys() {
        let mut map = Map::new();
        map.insert("a".into(), Dynamic::from(1_i64));
        map.insert("zz".into(), Dynamic::from(1_i64));
        let value = Dynamic::from_map(map);
        let err = Fields::of(&value, "pilot()", &["a"], &[]).err().unwrap();
        assert_eq!(err.path, "pilot().zz");
        let err = Fields::of(&value, "pilot()", &["a", "b", "zz"], &[]).err().unwrap();
        assert_eq!(err.to_string(), "pilot().b: missing (risk limits have no defaults)");
        assert!(Fields::of(&Dynamic::from(1_i64), "p()", &[], &[]).is_err());
    }
}
