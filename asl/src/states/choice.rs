//! `Choice`: picks the next state with the first matching rule, else `Default`.

use super::Reader;
use crate::choice::Rule;
use serde_json::Value;

/// A Choice state.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// Rules with the index of their `Next` state.
    pub choices: Vec<(Rule, usize)>,
    /// `Default`.
    pub default: Option<usize>,
}

pub(crate) fn parse(r: &mut Reader<'_>) -> Choice {
    r.check_fields(&["InputPath", "OutputPath", "Choices", "Default"]);
    let mut choices = Vec::new();
    match r.m.get("Choices") {
        Some(Value::Array(items)) if !items.is_empty() => {
            for (i, it) in items.iter().enumerate() {
                let at = format!("{}.Choices[{i}]", r.at);
                let Value::Object(m) = it else {
                    r.errors.push(crate::error::DefinitionError::new(
                        at,
                        "a rule must be an object",
                    ));
                    continue;
                };
                let rule = Rule::parse(m, &at, true, r.errors);
                let next = match m.get("Next") {
                    Some(Value::String(n)) => match r.names.get(n) {
                        Some(&i) => Some(i),
                        None => {
                            r.errors.push(crate::error::DefinitionError::new(
                                format!("{at}.Next"),
                                format!("the state '{n}' does not exist"),
                            ));
                            None
                        }
                    },
                    Some(_) => {
                        r.errors.push(crate::error::DefinitionError::new(
                            format!("{at}.Next"),
                            "Next must be a state name",
                        ));
                        None
                    }
                    None => None,
                };
                if let (Some(rule), Some(next)) = (rule, next) {
                    choices.push((rule, next));
                }
            }
        }
        _ => r.err("Choices", "a Choice state needs a non-empty Choices array"),
    }
    let default = if r.has("Default") {
        r.target("Default")
    } else {
        None
    };
    Choice { choices, default }
}
