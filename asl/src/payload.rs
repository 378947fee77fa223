//! Payload templates: `Parameters`, `ResultSelector`, `ItemSelector`. Keys ending in `.$`
//! take their value from a path or an intrinsic function; everything else is literal.

use crate::error::{DefinitionError, StatesError};
use crate::intrinsics::{json_text, Call};
use crate::path::Path;
use crate::scope::Scope;
use serde_json::{Map, Value};

/// A compiled payload template.
#[derive(Debug, Clone, PartialEq)]
pub enum Template {
    /// A value with no `.$` keys anywhere inside: cloned as is.
    Literal(Value),
    /// An object with at least one dynamic entry somewhere inside.
    Object(Vec<(String, Template)>),
    /// An array with at least one dynamic element.
    Array(Vec<Template>),
    /// `"key.$": "$.path"` (the key is stored without `.$`).
    Path(Path),
    /// `"key.$": "States.Fn(...)"`.
    Intrinsic(Box<Call>),
}

impl Template {
    /// Compiles `v`; `at` is the JSON path of `v` in the definition, for error messages.
    pub fn parse(v: &Value, at: &str) -> Result<Template, DefinitionError> {
        Self::parse_depth(v, at, 0)
    }

    fn parse_depth(v: &Value, at: &str, depth: usize) -> Result<Template, DefinitionError> {
        if depth > 128 {
            return Err(DefinitionError::new(at, "template nested too deeply"));
        }
        match v {
            Value::Object(m) => {
                let mut entries = Vec::with_capacity(m.len());
                let mut dynamic = false;
                for (k, v) in m {
                    let here = format!("{at}.{k}");
                    if let Some(name) = k.strip_suffix(".$") {
                        let Value::String(s) = v else {
                            return Err(DefinitionError::new(
                                here,
                                format!("the value of the field '{k}' must be a string holding a JSONPath or an intrinsic function call"),
                            ));
                        };
                        entries.push((name.to_string(), Self::dynamic(s, &here)?));
                        dynamic = true;
                    } else {
                        let t = Self::parse_depth(v, &here, depth + 1)?;
                        dynamic |= !matches!(t, Template::Literal(_));
                        entries.push((k.clone(), t));
                    }
                }
                if dynamic {
                    Ok(Template::Object(entries))
                } else {
                    Ok(Template::Literal(v.clone()))
                }
            }
            Value::Array(a) => {
                let mut items = Vec::with_capacity(a.len());
                let mut dynamic = false;
                for (i, v) in a.iter().enumerate() {
                    let t = Self::parse_depth(v, &format!("{at}[{i}]"), depth + 1)?;
                    dynamic |= !matches!(t, Template::Literal(_));
                    items.push(t);
                }
                if dynamic {
                    Ok(Template::Array(items))
                } else {
                    Ok(Template::Literal(v.clone()))
                }
            }
            other => Ok(Template::Literal(other.clone())),
        }
    }

    /// Compiles the string value of a `.$` key.
    pub fn dynamic(s: &str, at: &str) -> Result<Template, DefinitionError> {
        if s.starts_with('$') {
            Path::parse(s)
                .map(Template::Path)
                .map_err(|e| DefinitionError::new(at, e.to_string()))
        } else if s.starts_with("States.") {
            Call::parse(s)
                .map(|c| Template::Intrinsic(Box::new(c)))
                .map_err(|e| {
                    DefinitionError::new(at, format!("invalid intrinsic function call: {e}"))
                })
        } else {
            Err(DefinitionError::new(
                at,
                format!("the value '{s}' is neither a JSONPath nor an intrinsic function call"),
            ))
        }
    }

    /// Whether the template reads the context object or calls a function (so it cannot be
    /// evaluated ahead of time).
    pub fn is_literal(&self) -> bool {
        matches!(self, Template::Literal(_))
    }

    /// Evaluates the template against `scope`.
    pub fn eval(&self, scope: &Scope<'_>) -> Result<Value, StatesError> {
        self.eval_field(scope, "")
    }

    fn eval_field(&self, scope: &Scope<'_>, field: &str) -> Result<Value, StatesError> {
        match self {
            Template::Literal(v) => Ok(v.clone()),
            Template::Object(entries) => {
                let mut m = Map::with_capacity(entries.len());
                for (k, t) in entries {
                    m.insert(k.clone(), t.eval_field(scope, k)?);
                }
                Ok(Value::Object(m))
            }
            Template::Array(items) => items
                .iter()
                .map(|t| t.eval_field(scope, field))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            Template::Path(p) => match scope.select(p) {
                Some(sel) => Ok(sel.to_value()),
                None => Err(StatesError::runtime(format!(
                    "The JSONPath '{}' specified for the field '{}.$' could not be found in the input '{}'",
                    p.as_str(),
                    field,
                    json_text(scope.document_of(p))
                ))),
            },
            Template::Intrinsic(c) => c.eval(scope),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SeededRng;
    use crate::scope::no_context;
    use serde_json::json;

    fn eval(t: Value, input: Value) -> Result<Value, StatesError> {
        let rng = SeededRng::new(0);
        let scope = Scope::new(&input, &no_context, &rng);
        Template::parse(&t, "$.Parameters").unwrap().eval(&scope)
    }

    #[test]
    fn dollar_keys_read_paths_and_others_stay_literal() {
        let v = eval(
            json!({"a.$": "$.x", "b": "$.x", "c": {"d.$": "$.y[0]"}, "e": [{"f.$": "$.x"}]}),
            json!({"x": 1, "y": [2]}),
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"a": 1, "b": "$.x", "c": {"d": 2}, "e": [{"f": 1}]})
        );
    }

    #[test]
    fn missing_path_names_the_field_and_the_input() {
        let e = eval(json!({"a.$": "$.nope"}), json!({"x": 1})).unwrap_err();
        assert_eq!(e.error, "States.Runtime");
        assert_eq!(
            e.cause.unwrap(),
            "The JSONPath '$.nope' specified for the field 'a.$' could not be found in the input '{\"x\":1}'"
        );
    }

    #[test]
    fn templates_without_dollar_keys_are_literals() {
        let t = Template::parse(&json!({"a": [1, {"b": 2}]}), "$").unwrap();
        assert!(t.is_literal());
    }

    #[test]
    fn bad_dollar_values_are_definition_errors() {
        assert!(Template::parse(&json!({"a.$": 1}), "$.P").is_err());
        assert!(Template::parse(&json!({"a.$": "x"}), "$.P").is_err());
        assert!(Template::parse(&json!({"a.$": "States.Nope()"}), "$.P").is_err());
    }
}
