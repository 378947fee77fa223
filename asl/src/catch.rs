//! `Catch`: catchers and the error output they pass on.

use crate::error::StatesError;
use crate::retry::error_matches;
use crate::states::ResultPathSpec;
use serde_json::{Map, Value};

/// One catcher of a `Catch` field.
#[derive(Debug, Clone, PartialEq)]
pub struct Catcher {
    /// Error names this catcher handles.
    pub error_equals: Vec<String>,
    /// Index of the state to go to (in the same state list).
    pub next: usize,
    /// Where the error output goes in the state's input (default `$`: replaces it).
    pub result_path: ResultPathSpec,
    /// `Assign` (sees the error output: `$` in JSONPath, `$states.errorOutput` in JSONata).
    pub assign: Option<crate::states::Assign>,
    /// `Output` (JSONata; default: the error output).
    pub output: Option<crate::jsonata::Template>,
}

/// The first catcher that matches `error`, with its index in `catchers`.
pub fn find<'a>(catchers: &'a [Catcher], error: &str) -> Option<(usize, &'a Catcher)> {
    catchers
        .iter()
        .enumerate()
        .find(|(_, c)| error_matches(&c.error_equals, error))
}

/// The error output a catcher passes on: `{"Error": ..., "Cause": ...}` (no `Cause` when
/// there is none).
pub fn error_output(e: &StatesError) -> Value {
    let mut m = Map::new();
    m.insert("Error".into(), Value::String(e.error.clone()));
    if let Some(c) = &e.cause {
        m.insert("Cause".into(), Value::String(c.clone()));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn first_matching_catcher_wins() {
        let cs = vec![
            Catcher {
                error_equals: vec!["A".into()],
                next: 1,
                result_path: ResultPathSpec::Default,
                assign: None,
                output: None,
            },
            Catcher {
                error_equals: vec!["States.ALL".into()],
                next: 2,
                result_path: ResultPathSpec::Default,
                assign: None,
                output: None,
            },
        ];
        assert_eq!(find(&cs, "A").map(|(i, c)| (i, c.next)), Some((0, 1)));
        assert_eq!(find(&cs, "B").map(|(i, c)| (i, c.next)), Some((1, 2)));
        assert!(find(&cs, "States.Runtime").is_none());
    }

    #[test]
    fn error_output_omits_a_missing_cause() {
        assert_eq!(
            error_output(&StatesError::new("E", None)),
            json!({"Error": "E"})
        );
        assert_eq!(
            error_output(&StatesError::new("E", Some("c".into()))),
            json!({"Error": "E", "Cause": "c"})
        );
    }
}
