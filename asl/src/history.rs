//! Execution history, shaped like Step Functions' `GetExecutionHistory`.
//!
//! Events are stored as compact Rust values (the JSON of inputs and outputs is rendered only
//! when [`HistoryEvent::to_json`] is called), so recording stays cheap.

use crate::clock::format_millis;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// AWS's limit of events in one execution's history.
pub const MAX_HISTORY_EVENTS: u64 = 25_000;

macro_rules! event_types {
    ($($name:ident),* $(,)?) => {
        /// The `type` of a history event.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(missing_docs)]
        pub enum EventType { $($name),* }

        impl EventType {
            /// The AWS name of the event type.
            pub fn as_str(self) -> &'static str {
                match self { $(EventType::$name => stringify!($name)),* }
            }
        }
    };
}

event_types!(
    ExecutionStarted,
    ExecutionSucceeded,
    ExecutionFailed,
    ExecutionTimedOut,
    ExecutionAborted,
    PassStateEntered,
    PassStateExited,
    TaskStateEntered,
    TaskStateExited,
    ChoiceStateEntered,
    ChoiceStateExited,
    WaitStateEntered,
    WaitStateExited,
    SucceedStateEntered,
    SucceedStateExited,
    FailStateEntered,
    ParallelStateEntered,
    ParallelStateExited,
    ParallelStateStarted,
    ParallelStateSucceeded,
    ParallelStateFailed,
    MapStateEntered,
    MapStateExited,
    MapStateStarted,
    MapStateSucceeded,
    MapStateFailed,
    MapIterationStarted,
    MapIterationSucceeded,
    MapIterationFailed,
    MapRunStarted,
    MapRunSucceeded,
    MapRunFailed,
    TaskScheduled,
    TaskStarted,
    TaskSucceeded,
    TaskFailed,
    TaskTimedOut,
    LambdaFunctionScheduled,
    LambdaFunctionStarted,
    LambdaFunctionSucceeded,
    LambdaFunctionFailed,
    LambdaFunctionTimedOut,
);

/// The details of a history event. Inputs, outputs and parameters are kept as JSON text, as
/// `GetExecutionHistory` returns them.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub enum Details {
    None,
    ExecutionStarted {
        input: String,
        role_arn: String,
    },
    ExecutionSucceeded {
        output: String,
    },
    ExecutionFailed {
        error: Option<String>,
        cause: Option<String>,
    },
    StateEntered {
        name: Arc<str>,
        input: String,
    },
    StateExited {
        name: Arc<str>,
        output: String,
    },
    TaskScheduled {
        resource_type: String,
        resource: String,
        region: String,
        parameters: String,
        timeout_seconds: Option<u64>,
        heartbeat_seconds: Option<u64>,
    },
    TaskStarted {
        resource_type: String,
        resource: String,
    },
    TaskSucceeded {
        resource_type: String,
        resource: String,
        output: String,
    },
    TaskFailed {
        resource_type: String,
        resource: String,
        error: Option<String>,
        cause: Option<String>,
    },
    LambdaScheduled {
        resource: String,
        input: String,
        timeout_seconds: Option<u64>,
    },
    LambdaSucceeded {
        output: String,
    },
    LambdaFailed {
        error: Option<String>,
        cause: Option<String>,
    },
    MapStarted {
        length: usize,
    },
    MapIteration {
        name: Arc<str>,
        index: usize,
    },
    MapRunStarted {
        map_run_arn: String,
    },
    MapRunFailed {
        error: Option<String>,
        cause: Option<String>,
    },
}

/// One event of an execution's history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    /// 1, 2, 3, ... in order.
    pub id: u64,
    /// The event this one follows in its branch (0 for the first).
    pub previous_event_id: u64,
    /// Virtual time, epoch milliseconds.
    pub timestamp_ms: i64,
    /// The event type.
    pub event_type: EventType,
    /// The details.
    pub details: Details,
}

fn put_opt(m: &mut Map<String, Value>, k: &str, v: &Option<String>) {
    if let Some(s) = v {
        m.insert(k.into(), Value::String(s.clone()));
    }
}

impl HistoryEvent {
    /// The event as `GetExecutionHistory` returns it (inputs and outputs as JSON strings).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert(
            "timestamp".into(),
            Value::String(format_millis(self.timestamp_ms)),
        );
        m.insert(
            "type".into(),
            Value::String(self.event_type.as_str().into()),
        );
        m.insert("id".into(), json!(self.id));
        m.insert("previousEventId".into(), json!(self.previous_event_id));
        let truncated = json!({"truncated": false});
        let (key, body) = match &self.details {
            Details::None => return Value::Object(m),
            Details::ExecutionStarted { input, role_arn } => (
                "executionStartedEventDetails",
                json!({"input": input, "inputDetails": truncated, "roleArn": role_arn}),
            ),
            Details::ExecutionSucceeded { output } => (
                "executionSucceededEventDetails",
                json!({"output": output, "outputDetails": truncated}),
            ),
            Details::ExecutionFailed { error, cause } => {
                let mut d = Map::new();
                put_opt(&mut d, "error", error);
                put_opt(&mut d, "cause", cause);
                let key = if self.event_type == EventType::ExecutionTimedOut {
                    "executionTimedOutEventDetails"
                } else {
                    "executionFailedEventDetails"
                };
                (key, Value::Object(d))
            }
            Details::StateEntered { name, input } => (
                "stateEnteredEventDetails",
                json!({"name": &**name, "input": input, "inputDetails": truncated}),
            ),
            Details::StateExited { name, output } => (
                "stateExitedEventDetails",
                json!({"name": &**name, "output": output, "outputDetails": truncated}),
            ),
            Details::TaskScheduled {
                resource_type,
                resource,
                region,
                parameters,
                timeout_seconds,
                heartbeat_seconds,
            } => {
                let mut d = json!({"resourceType": resource_type, "resource": resource,
                                   "region": region, "parameters": parameters});
                if let Some(t) = timeout_seconds {
                    d["timeoutInSeconds"] = json!(t);
                }
                if let Some(h) = heartbeat_seconds {
                    d["heartbeatInSeconds"] = json!(h);
                }
                ("taskScheduledEventDetails", d)
            }
            Details::TaskStarted {
                resource_type,
                resource,
            } => (
                "taskStartedEventDetails",
                json!({"resourceType": resource_type, "resource": resource}),
            ),
            Details::TaskSucceeded {
                resource_type,
                resource,
                output,
            } => (
                "taskSucceededEventDetails",
                json!({"resourceType": resource_type, "resource": resource,
                       "output": output, "outputDetails": truncated}),
            ),
            Details::TaskFailed {
                resource_type,
                resource,
                error,
                cause,
            } => {
                let mut d = Map::new();
                d.insert("resourceType".into(), json!(resource_type));
                d.insert("resource".into(), json!(resource));
                put_opt(&mut d, "error", error);
                put_opt(&mut d, "cause", cause);
                let key = if self.event_type == EventType::TaskTimedOut {
                    "taskTimedOutEventDetails"
                } else {
                    "taskFailedEventDetails"
                };
                (key, Value::Object(d))
            }
            Details::LambdaScheduled {
                resource,
                input,
                timeout_seconds,
            } => {
                let mut d =
                    json!({"resource": resource, "input": input, "inputDetails": truncated});
                if let Some(t) = timeout_seconds {
                    d["timeoutInSeconds"] = json!(t);
                }
                ("lambdaFunctionScheduledEventDetails", d)
            }
            Details::LambdaSucceeded { output } => (
                "lambdaFunctionSucceededEventDetails",
                json!({"output": output, "outputDetails": truncated}),
            ),
            Details::LambdaFailed { error, cause } => {
                let mut d = Map::new();
                put_opt(&mut d, "error", error);
                put_opt(&mut d, "cause", cause);
                let key = if self.event_type == EventType::LambdaFunctionTimedOut {
                    "lambdaFunctionTimedOutEventDetails"
                } else {
                    "lambdaFunctionFailedEventDetails"
                };
                (key, Value::Object(d))
            }
            Details::MapStarted { length } => {
                ("mapStateStartedEventDetails", json!({"length": length}))
            }
            Details::MapIteration { name, index } => {
                let key = match self.event_type {
                    EventType::MapIterationStarted => "mapIterationStartedEventDetails",
                    EventType::MapIterationSucceeded => "mapIterationSucceededEventDetails",
                    _ => "mapIterationFailedEventDetails",
                };
                (key, json!({"name": &**name, "index": index}))
            }
            Details::MapRunStarted { map_run_arn } => (
                "mapRunStartedEventDetails",
                json!({"mapRunArn": map_run_arn}),
            ),
            Details::MapRunFailed { error, cause } => {
                let mut d = Map::new();
                put_opt(&mut d, "error", error);
                put_opt(&mut d, "cause", cause);
                ("mapRunFailedEventDetails", Value::Object(d))
            }
        };
        m.insert(key.into(), body);
        Value::Object(m)
    }
}

/// The event types of a state's entered and exited events.
pub fn entered_exited(kind: &crate::states::Kind) -> (EventType, Option<EventType>) {
    use crate::states::Kind;
    match kind {
        Kind::Pass(_) => (
            EventType::PassStateEntered,
            Some(EventType::PassStateExited),
        ),
        Kind::Task(_) => (
            EventType::TaskStateEntered,
            Some(EventType::TaskStateExited),
        ),
        Kind::Choice(_) => (
            EventType::ChoiceStateEntered,
            Some(EventType::ChoiceStateExited),
        ),
        Kind::Wait(_) => (
            EventType::WaitStateEntered,
            Some(EventType::WaitStateExited),
        ),
        Kind::Succeed(_) => (
            EventType::SucceedStateEntered,
            Some(EventType::SucceedStateExited),
        ),
        Kind::Fail(_) => (EventType::FailStateEntered, None),
        Kind::Parallel(_) => (
            EventType::ParallelStateEntered,
            Some(EventType::ParallelStateExited),
        ),
        Kind::Map(_) => (EventType::MapStateEntered, Some(EventType::MapStateExited)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_render_like_get_execution_history() {
        let e = HistoryEvent {
            id: 2,
            previous_event_id: 1,
            timestamp_ms: 0,
            event_type: EventType::PassStateEntered,
            details: Details::StateEntered {
                name: Arc::from("A"),
                input: "{\"x\":1}".into(),
            },
        };
        assert_eq!(
            e.to_json(),
            json!({"timestamp": "1970-01-01T00:00:00.000Z", "type": "PassStateEntered", "id": 2,
                   "previousEventId": 1,
                   "stateEnteredEventDetails": {"name": "A", "input": "{\"x\":1}",
                                                "inputDetails": {"truncated": false}}})
        );
    }
}
