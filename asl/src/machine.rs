//! A parsed, validated state machine.

use crate::error::{DefinitionError, DefinitionErrors};
use crate::states::{parse_graph, Graph, QueryLanguage};
use serde_json::Value;

/// A state machine definition, parsed into typed states and validated once.
#[derive(Debug, Clone, PartialEq)]
pub struct StateMachine {
    /// `Comment`.
    pub comment: Option<String>,
    /// `TimeoutSeconds` of the whole execution.
    pub timeout_seconds: Option<u64>,
    /// The top-level `QueryLanguage` (states inherit it).
    pub query_language: QueryLanguage,
    /// The top-level states.
    pub graph: Graph,
}

impl StateMachine {
    /// Parses and validates a definition given as JSON text.
    pub fn from_json(text: &str) -> Result<StateMachine, DefinitionErrors> {
        let v: Value = serde_json::from_str(text).map_err(|e| {
            DefinitionErrors(vec![DefinitionError::new(
                "$",
                format!("the definition is not valid JSON: {e}"),
            )])
        })?;
        StateMachine::from_value(&v)
    }

    /// Parses and validates a definition given as a JSON value.
    pub fn from_value(v: &Value) -> Result<StateMachine, DefinitionErrors> {
        let mut errors = Vec::new();
        let Value::Object(m) = v else {
            return Err(DefinitionErrors(vec![DefinitionError::new(
                "$",
                "the definition must be a JSON object",
            )]));
        };
        let mut comment = None;
        let mut timeout_seconds = None;
        let mut query_language = QueryLanguage::JsonPath;
        for (k, v) in m {
            match k.as_str() {
                "StartAt" | "States" => {}
                "Comment" => match v {
                    Value::String(s) => comment = Some(s.clone()),
                    _ => errors.push(DefinitionError::new(
                        "$.Comment",
                        "Comment must be a string",
                    )),
                },
                "Version" => {
                    if !v.is_string() {
                        errors.push(DefinitionError::new(
                            "$.Version",
                            "Version must be a string",
                        ));
                    }
                }
                "TimeoutSeconds" => match v.as_u64() {
                    Some(n) if n >= 1 => timeout_seconds = Some(n),
                    _ => errors.push(DefinitionError::new(
                        "$.TimeoutSeconds",
                        "TimeoutSeconds must be a positive integer",
                    )),
                },
                "QueryLanguage" => match v.as_str() {
                    Some("JSONPath") => {}
                    Some("JSONata") => query_language = QueryLanguage::Jsonata,
                    _ => errors.push(DefinitionError::new(
                        "$.QueryLanguage",
                        "QueryLanguage must be JSONPath or JSONata",
                    )),
                },
                other => errors.push(DefinitionError::new(
                    format!("$.{other}"),
                    format!("the field '{other}' is not valid at the top level of a definition"),
                )),
            }
        }
        let graph = parse_graph(m, "$", &mut errors, 0, query_language);
        match graph {
            Some(graph) if errors.is_empty() => Ok(StateMachine {
                comment,
                timeout_seconds,
                query_language,
                graph,
            }),
            _ => {
                if errors.is_empty() {
                    errors.push(DefinitionError::new("$", "the definition is invalid"));
                }
                Err(DefinitionErrors(errors))
            }
        }
    }
}
