//! One value of a feature as read from a row: missing, a number, or text.

/// A value where a number was expected that is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotANumber;

/// A feature's value in one row, borrowed from the line it was read from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// Missing: an empty CSV field, a JSON `null` or an absent key.
    Null,
    /// A JSON number.
    Number(f64),
    /// A JSON boolean.
    Bool(bool),
    /// A CSV field or a JSON string.
    Text(&'a str),
}

impl Cell<'_> {
    /// The value as a finite number: a number, or text that parses as one (surrounding spaces
    /// allowed); `None` when missing. [`NotANumber`] for other text, a boolean, or a non-finite
    /// number.
    pub fn as_number(&self) -> Result<Option<f64>, NotANumber> {
        match self {
            Cell::Null => Ok(None),
            Cell::Number(v) if v.is_finite() => Ok(Some(*v)),
            Cell::Text(text) => {
                let text = text.trim();
                if text.is_empty() {
                    return Ok(None);
                }
                match fast_float2::parse::<f64, _>(text) {
                    Ok(v) if v.is_finite() => Ok(Some(v)),
                    _ => Err(NotANumber),
                }
            }
            Cell::Number(_) | Cell::Bool(_) => Err(NotANumber),
        }
    }

    /// The value as a category label; `None` when missing (or empty text).
    pub fn with_label<R>(&self, f: impl FnOnce(Option<&str>) -> R) -> R {
        match self {
            Cell::Null => f(None),
            Cell::Text("") => f(None),
            Cell::Text(text) => f(Some(text)),
            Cell::Bool(b) => f(Some(if *b { "true" } else { "false" })),
            Cell::Number(v) => {
                let mut buffer = String::new();
                use std::fmt::Write;
                let _ = write!(buffer, "{v}");
                f(Some(&buffer))
            }
        }
    }

    /// The cell of a JSON value (arrays and objects are not feature values: `None`).
    pub fn from_json(value: &'_ serde_json::Value) -> Option<Cell<'_>> {
        use serde_json::Value;
        Some(match value {
            Value::Null => Cell::Null,
            Value::Bool(b) => Cell::Bool(*b),
            Value::Number(n) => Cell::Number(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => Cell::Text(s),
            Value::Array(_) | Value::Object(_) => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_come_from_numbers_and_numeric_text() {
        assert_eq!(Cell::Number(2.5).as_number(), Ok(Some(2.5)));
        assert_eq!(Cell::Text(" 1e3 ").as_number(), Ok(Some(1000.0)));
        assert_eq!(Cell::Text("").as_number(), Ok(None));
        assert_eq!(Cell::Null.as_number(), Ok(None));
        assert_eq!(Cell::Text("abc").as_number(), Err(NotANumber));
        assert_eq!(Cell::Text("NaN").as_number(), Err(NotANumber));
        assert_eq!(Cell::Bool(true).as_number(), Err(NotANumber));
    }

    #[test]
    fn labels_of_numbers_and_booleans_are_their_text() {
        assert_eq!(
            Cell::Number(3.0).with_label(|l| l.map(str::to_string)),
            Some("3".into())
        );
        assert_eq!(
            Cell::Bool(false).with_label(|l| l.map(str::to_string)),
            Some("false".into())
        );
        assert!(Cell::Text("").with_label(|l| l.is_none()));
    }
}
