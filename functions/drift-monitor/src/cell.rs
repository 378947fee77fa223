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

/// Reads a plain decimal `-?digits(.digits)?` of 1 to 15 digits at the start of `bytes`: its
/// value and length, or `None` for any other shape (a sign `+`, spaces, an exponent, more
/// digits, a lone `.`, a point without digits on both sides), which callers read with
/// [`Cell::as_number`]. The value is the one `as_number` gives, correctly rounded
/// ([`shared::decimal::scan_decimal`]).
#[inline]
pub fn plain_decimal(bytes: &[u8]) -> Option<(f64, usize)> {
    let (value, len) = shared::decimal::scan_decimal(bytes, 0)?;
    let digits_start = usize::from(bytes.first() == Some(&b'-'));
    let points_at_edges = bytes[digits_start] == b'.' || bytes[len - 1] == b'.';
    (!points_at_edges).then_some((value, len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn plain_decimals_read_as_the_general_parser_reads_them(
            text in "-?[0-9]{0,17}(\\.[0-9]{0,17})?([eE,x ][0-9]{0,2})?",
        ) {
            let general = Cell::Text(&text).as_number();
            if let Some((value, len)) = plain_decimal(text.as_bytes()) {
                let field = &text[..len];
                prop_assert_eq!(Cell::Text(field).as_number(), Ok(Some(value)), "{}", field);
                prop_assert_eq!(value.to_bits(), fast_float2::parse::<f64, _>(field).unwrap().to_bits());
                if len == text.len() {
                    prop_assert_eq!(general, Ok(Some(value)));
                }
            }
        }
    }

    #[test]
    fn plain_decimals_and_the_shapes_left_to_the_general_parser() {
        assert_eq!(plain_decimal(b"124.074,3"), Some((124.074, 7)));
        assert_eq!(plain_decimal(b"-0.5"), Some((-0.5, 4)));
        assert_eq!(plain_decimal(b"7"), Some((7.0, 1)));
        assert_eq!(
            plain_decimal(b"-0").map(|(v, _)| v.to_bits()),
            Some((-0.0f64).to_bits())
        );
        for other in [
            "",
            "-",
            ".5",
            "-.5",
            "1.",
            "1.,",
            "+1",
            " 1",
            "1234567890123456",
            "abc",
        ] {
            assert_eq!(plain_decimal(other.as_bytes()), None, "{other}");
        }
        assert_eq!(
            plain_decimal(b"1e3"),
            Some((1.0, 1)),
            "the caller sees what follows"
        );
    }

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
