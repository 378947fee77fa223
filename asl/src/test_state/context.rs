//! Checks of a TestState request's `context` (the fields laid over `$$`), with AWS's
//! messages ("Invalid Context object provided: ...").

use super::TestStateError;
use crate::states::{Kind, State};
use crate::task::{Pattern, Resource};
use serde_json::Value;

/// The fields each part of the context object may have, and whether each is text.
const FIELDS: &[(&str, &[(&str, bool)])] = &[
    (
        "Execution",
        &[
            ("Id", true),
            ("Input", false),
            ("Name", true),
            ("RoleArn", true),
            ("StartTime", true),
            ("RedriveCount", false),
            ("RedriveTime", true),
        ],
    ),
    (
        "State",
        &[("EnteredTime", true), ("Name", true), ("RetryCount", false)],
    ),
    ("StateMachine", &[("Id", true), ("Name", true)]),
    ("Task", &[("Token", true)]),
];

fn invalid(what: impl std::fmt::Display) -> TestStateError {
    TestStateError::validation(format!("Invalid Context object provided: {what}"))
}

/// Refuses a context that AWS refuses: not an object, unknown fields, a `Map` field, a `Task`
/// field for a state that has no task token, text fields that are not text.
pub(super) fn check(ctx: &Value, state: &State) -> Result<(), TestStateError> {
    let Value::Object(top) = ctx else {
        return Err(invalid("the context must be a JSON object"));
    };
    for (k, v) in top {
        if k == "Map" {
            return Err(invalid(
                "'Map' field is not supported when mocking a Context object",
            ));
        }
        let Some((_, fields)) = FIELDS.iter().find(|(name, _)| name == k) else {
            return Err(invalid(format!("Field '{k}' is not allowed")));
        };
        if k == "Task" && !has_token(state) {
            return Err(invalid(
                "Context object contains 'Task' when state is not a Task state with a '.sync' or '.waitForTaskToken' service integration pattern",
            ));
        }
        let Value::Object(inner) = v else {
            return Err(invalid(format!("{k} must be an object")));
        };
        for (f, fv) in inner {
            match fields.iter().find(|(name, _)| name == f) {
                None => return Err(invalid(format!("Field '{f}' is not allowed"))),
                Some((_, true)) if !fv.is_string() => {
                    return Err(invalid(format!("{k}.{f} must be a string")))
                }
                Some((_, false)) if f == "RetryCount" && !fv.is_u64() => {
                    return Err(invalid(format!("{k}.{f} must be a non-negative integer")))
                }
                _ => {}
            }
        }
    }
    Ok(())
}

fn has_token(state: &State) -> bool {
    matches!(
        &state.kind,
        Kind::Task(t) if matches!(
            t.target,
            Resource::Service { pattern: Pattern::Sync | Pattern::SyncV2 | Pattern::WaitForTaskToken, .. }
        )
    )
}
