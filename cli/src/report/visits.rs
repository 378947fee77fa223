//! Each pass through a state, read from the execution history: when it was entered and left
//! (virtual time), its input and output, its task's attempts (request, result or error).

use asl::history::Details;
use asl::HistoryEvent;
use serde_json::Value;

/// One attempt of a state's task.
#[derive(Debug, Clone, Default)]
pub struct Attempt {
    /// When it was scheduled (epoch ms, virtual).
    pub at_ms: i64,
    /// The resource (`lambda:invoke`, `glue:startJobRun.sync`, ...).
    pub resource: String,
    /// The request (task parameters or Lambda input).
    pub request: Option<Value>,
    /// The result, when it succeeded.
    pub result: Option<Value>,
    /// `Error: cause`, when it failed.
    pub error: Option<String>,
}

/// One pass through a state.
#[derive(Debug, Clone)]
pub struct Visit {
    /// The state name.
    pub name: String,
    /// The state type (`Task`, `Choice`, ...).
    pub kind: String,
    /// Entered (epoch ms, virtual).
    pub entered_ms: i64,
    /// Left (epoch ms, virtual), when it was.
    pub exited_ms: Option<i64>,
    /// Input.
    pub input: Option<Value>,
    /// Output.
    pub output: Option<Value>,
    /// The task's attempts, in order.
    pub attempts: Vec<Attempt>,
}

impl Visit {
    /// Whether one of its attempts failed.
    pub fn failed(&self) -> bool {
        self.attempts.iter().any(|a| a.error.is_some())
    }
}

/// History events carry inputs and outputs as JSON text; show them as JSON when they parse.
fn parse_text(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

/// The visits of `history`, in the order the states were entered.
pub fn visits(history: &[HistoryEvent]) -> Vec<Visit> {
    let mut out: Vec<Visit> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    for event in history {
        let current = open.last().copied();
        match &event.details {
            Details::StateEntered { name, input } => {
                out.push(Visit {
                    name: name.to_string(),
                    kind: event
                        .event_type
                        .as_str()
                        .trim_end_matches("StateEntered")
                        .to_string(),
                    entered_ms: event.timestamp_ms,
                    exited_ms: None,
                    input: Some(parse_text(input)),
                    output: None,
                    attempts: Vec::new(),
                });
                open.push(out.len() - 1);
            }
            Details::StateExited { name, output } => {
                if let Some(pos) = open.iter().rposition(|&i| out[i].name == **name) {
                    let index = open.remove(pos);
                    out[index].output = Some(parse_text(output));
                    out[index].exited_ms = Some(event.timestamp_ms);
                }
            }
            Details::TaskScheduled {
                resource_type,
                resource,
                parameters,
                ..
            } => {
                if let Some(i) = current {
                    out[i].attempts.push(Attempt {
                        at_ms: event.timestamp_ms,
                        resource: format!("{resource_type}:{resource}"),
                        request: Some(parse_text(parameters)),
                        ..Attempt::default()
                    });
                }
            }
            Details::LambdaScheduled {
                resource, input, ..
            } => {
                if let Some(i) = current {
                    out[i].attempts.push(Attempt {
                        at_ms: event.timestamp_ms,
                        resource: resource.clone(),
                        request: Some(parse_text(input)),
                        ..Attempt::default()
                    });
                }
            }
            Details::TaskSucceeded { output, .. } | Details::LambdaSucceeded { output } => {
                if let Some(attempt) = current.and_then(|i| out[i].attempts.last_mut()) {
                    attempt.result = Some(parse_text(output));
                }
            }
            Details::TaskFailed { error, cause, .. } | Details::LambdaFailed { error, cause } => {
                if let Some(i) = current {
                    let text = format!(
                        "{}: {}",
                        error.as_deref().unwrap_or("error"),
                        cause.as_deref().unwrap_or("")
                    );
                    match out[i].attempts.last_mut() {
                        Some(attempt) if attempt.error.is_none() && attempt.result.is_none() => {
                            attempt.error = Some(text)
                        }
                        _ => out[i].attempts.push(Attempt {
                            at_ms: event.timestamp_ms,
                            error: Some(text),
                            ..Attempt::default()
                        }),
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// One difference between a state's input and output.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A field the output adds.
    Added(String, Value),
    /// A field the output drops.
    Removed(String),
    /// A field whose value changed.
    Changed(String, Value, Value),
}

/// The differences from `before` to `after`, by JSON pointer (objects compared field by field,
/// anything else as a whole).
pub fn diff(before: &Value, after: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    diff_at("", before, after, &mut out);
    out
}

fn diff_at(at: &str, before: &Value, after: &Value, out: &mut Vec<Change>) {
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let path = format!("{at}/{key}");
                match b.get(key) {
                    Some(other) => diff_at(&path, value, other, out),
                    None => out.push(Change::Removed(path)),
                }
            }
            for (key, value) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
                out.push(Change::Added(format!("{at}/{key}"), value.clone()));
            }
        }
        _ if before != after => out.push(Change::Changed(
            if at.is_empty() { "/".into() } else { at.into() },
            before.clone(),
            after.clone(),
        )),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_diff_names_added_removed_and_changed_fields() {
        let changes = diff(
            &json!({"a": 1, "b": {"c": 2, "d": 3}}),
            &json!({"b": {"c": 5, "d": 3}, "e": true}),
        );
        assert_eq!(
            changes,
            vec![
                Change::Removed("/a".into()),
                Change::Changed("/b/c".into(), json!(2), json!(5)),
                Change::Added("/e".into(), json!(true)),
            ]
        );
    }
}
