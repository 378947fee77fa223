//! Words for JSON values in error messages.

use serde_json::Value;

/// What kind of JSON value `value` is, with its article, for messages such as
/// "`model_name` must be a string, got a number": `null`, `a boolean`, `a number`, `a string`,
/// `an array` or `an object`.
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_kind_has_its_word() {
        let words: Vec<&str> = [
            json!(null),
            json!(true),
            json!(1),
            json!("a"),
            json!([]),
            json!({}),
        ]
        .iter()
        .map(kind)
        .collect();
        assert_eq!(
            words,
            [
                "null",
                "a boolean",
                "a number",
                "a string",
                "an array",
                "an object"
            ]
        );
    }
}
