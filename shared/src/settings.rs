//! A function's settings from environment variables: names to values through a lookup (the
//! process environment in production, a map in tests), with one wording for what is missing or
//! malformed.

use std::collections::HashMap;

/// A setting that is missing or malformed; the message names the variable and what it holds.
/// Functions report it as their `Configuration` error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SettingError(pub String);

/// The process environment as a lookup (`None` for an unset or non-UTF-8 variable).
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A lookup over fixed `(name, value)` pairs, for tests.
pub fn from_pairs(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

/// Settings read through a lookup (a variable name to its value).
pub struct Env<L> {
    lookup: L,
}

impl<L: Fn(&str) -> Option<String>> Env<L> {
    /// Settings read through `lookup`.
    pub fn new(lookup: L) -> Self {
        Self { lookup }
    }

    /// The value of `name` as set (not trimmed); `None` when unset or blank.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|v| !v.trim().is_empty())
    }

    /// The value of `name` as set. Errors: `"{name} is not set"` when unset or blank.
    pub fn required(&self, name: &str) -> Result<String, SettingError> {
        self.get(name)
            .ok_or_else(|| SettingError(format!("{name} is not set")))
    }

    /// An integer of at least `min` (surrounding spaces allowed), `default` when unset or blank.
    /// Errors: `"{name} must be an integer >= {min}, got {value:?}"` for anything else.
    pub fn integer_at_least(
        &self,
        name: &str,
        default: i64,
        min: i64,
    ) -> Result<i64, SettingError> {
        match self.get(name) {
            None => Ok(default),
            Some(text) => match text.trim().parse::<i64>() {
                Ok(v) if v >= min => Ok(v),
                _ => Err(SettingError(format!(
                    "{name} must be an integer >= {min}, got {text:?}"
                ))),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_is_unset_and_integers_have_a_floor() {
        let env = Env::new(from_pairs(&[
            ("A", " 7 "),
            ("B", "  "),
            ("C", "0"),
            ("D", "x"),
        ]));
        assert_eq!(env.get("A").as_deref(), Some(" 7 "));
        assert_eq!(env.get("B"), None);
        assert_eq!(env.required("B"), Err(SettingError("B is not set".into())));
        assert_eq!(env.integer_at_least("A", 1, 1), Ok(7));
        assert_eq!(env.integer_at_least("B", 4, 1), Ok(4));
        assert_eq!(env.integer_at_least("Z", 4, 1), Ok(4));
        assert_eq!(
            env.integer_at_least("C", 4, 1),
            Err(SettingError("C must be an integer >= 1, got \"0\"".into()))
        );
        assert!(env.integer_at_least("D", 4, 1).is_err());
    }
}
