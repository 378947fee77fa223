//! Which state an execution failed in, and whether it already reported its failure. Neither
//! the EventBridge status-change event nor the state machine's own failure notice says which
//! state failed; the execution's history does. It also shows the failure path's SNS publish,
//! which makes the status-change alert for the same failure a repeat.
//!
//! Reading the history is an enrichment: it is bounded by a timeout and any failure leaves the
//! message as it was (logged), so Slack still gets the alert.

use std::time::Duration;

/// How long the history lookup may take before the message goes out without it.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_secs(3);

/// History event types that mean a state's work failed.
const FAILURES: &[&str] = &[
    "TaskFailed",
    "TaskTimedOut",
    "TaskStartFailed",
    "TaskSubmitFailed",
    "LambdaFunctionFailed",
    "LambdaFunctionTimedOut",
    "LambdaFunctionStartFailed",
    "LambdaFunctionScheduleFailed",
    "ActivityFailed",
    "ActivityTimedOut",
    "ActivityScheduleFailed",
    "MapRunFailed",
    "MapStateFailed",
    "ParallelStateFailed",
    "EvaluationFailed",
];

/// One history event, reduced to what the search needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The event type, e.g. `TaskFailed`, `TaskStateEntered`.
    pub kind: String,
    /// The state's name, for `*StateEntered` events.
    pub state: Option<String>,
    /// `type:action` of the service a `TaskScheduled` or `TaskSucceeded` event is about, e.g.
    /// `sns:publish`.
    pub resource: Option<String>,
    /// The request parameters of a `TaskScheduled` event (JSON text).
    pub parameters: Option<String>,
}

/// What the history says about a failed execution.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    /// The state to blame (see [`failed_state_in`]).
    pub failed_state: Option<String>,
    /// Whether the execution published its own failure notice (see [`reported_itself`]).
    pub reported_itself: bool,
}

/// The `event_type` message attribute of the state machines' own failure notices.
pub const FAILURE_NOTICE_EVENT_TYPE: &str = "pipeline_failed";

/// Whether the execution published its own failure notice: an SNS publish with the message
/// attribute `event_type` = [`FAILURE_NOTICE_EVENT_TYPE`] that succeeded. That notice already
/// carries the error and cause to the critical topic, so the status-change alert would repeat it.
/// A notice that failed to publish, or none at all, leaves the status-change alert to be posted.
pub fn reported_itself(newest_first: &[Event]) -> bool {
    let is_publish = |e: &Event| e.resource.as_deref() == Some("sns:publish");
    newest_first.iter().enumerate().any(|(i, event)| {
        event.kind == "TaskSucceeded"
            && is_publish(event)
            && newest_first[i + 1..]
                .iter()
                .find(|e| e.kind == "TaskScheduled" && is_publish(e))
                .and_then(|scheduled| scheduled.parameters.as_deref())
                .is_some_and(is_failure_notice)
    })
}

/// Whether SNS publish parameters carry the failure notice's `event_type` attribute.
fn is_failure_notice(parameters: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(parameters)
        .ok()
        .and_then(|p| {
            p.pointer("/MessageAttributes/event_type/StringValue")
                .and_then(|v| v.as_str())
                .map(|v| v == FAILURE_NOTICE_EVENT_TYPE)
        })
        .unwrap_or(false)
}

/// The state to blame, from events newest first: the state entered just before the newest
/// failure event; else the newest `Fail` state; else the newest state entered (where a timed-out
/// or aborted execution was).
pub fn failed_state_in(newest_first: &[Event]) -> Option<String> {
    let entered = |e: &Event| e.kind.ends_with("StateEntered") && e.state.is_some();
    if let Some(failure) = newest_first
        .iter()
        .position(|e| FAILURES.contains(&e.kind.as_str()))
    {
        if let Some(state) = newest_first[failure..].iter().find(|e| entered(e)) {
            return state.state.clone();
        }
    }
    newest_first
        .iter()
        .find(|e| e.kind == "FailStateEntered")
        .or_else(|| newest_first.iter().find(|e| entered(e)))
        .and_then(|e| e.state.clone())
}

/// Reads the newest 100 events of `execution_arn`: the state it failed in, and whether it
/// reported the failure itself. `None` when the history cannot be read in time.
pub async fn lookup(client: &aws_sdk_sfn::Client, execution_arn: &str) -> Option<Findings> {
    let lookup = client
        .get_execution_history()
        .execution_arn(execution_arn)
        .reverse_order(true)
        // The data holds the publish parameters that mark the failure notice.
        .include_execution_data(true)
        .max_results(100)
        .send();
    let output = match tokio::time::timeout(LOOKUP_TIMEOUT, lookup).await {
        Ok(Ok(output)) => output,
        Ok(Err(error)) => {
            tracing::warn!(
                execution_arn,
                error = %aws_sdk_sfn::error::DisplayErrorContext(&error),
                "cannot read the execution history; sending without the failed state"
            );
            return None;
        }
        Err(_) => {
            tracing::warn!(execution_arn, "execution history lookup timed out");
            return None;
        }
    };
    let events: Vec<Event> = output
        .events()
        .iter()
        .map(|e| Event {
            kind: e.r#type().as_str().to_string(),
            state: e
                .state_entered_event_details()
                .map(|d| d.name().to_string()),
            resource: e
                .task_succeeded_event_details()
                .map(|d| format!("{}:{}", d.resource_type(), d.resource()))
                .or_else(|| {
                    e.task_scheduled_event_details()
                        .map(|d| format!("{}:{}", d.resource_type(), d.resource()))
                }),
            parameters: e
                .task_scheduled_event_details()
                .map(|d| d.parameters().to_string()),
        })
        .collect();
    Some(Findings {
        failed_state: failed_state_in(&events),
        reported_itself: reported_itself(&events),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: &str, state: Option<&str>) -> Event {
        Event {
            kind: kind.to_string(),
            state: state.map(str::to_string),
            resource: None,
            parameters: None,
        }
    }

    fn publish(kind: &str, event_type: &str) -> Event {
        Event {
            resource: Some("sns:publish".to_string()),
            parameters: (kind == "TaskScheduled").then(|| {
                serde_json::json!({
                    "TopicArn": "arn:aws:sns:us-east-1:1:critical",
                    "Message": "failed",
                    "MessageAttributes": {"event_type": {"DataType": "String", "StringValue": event_type}}
                })
                .to_string()
            }),
            ..ev(kind, None)
        }
    }

    #[test]
    fn a_published_failure_notice_means_the_execution_reported_itself() {
        // Caught task failure, and a failure found by a Choice (no failure event at all).
        for cause in [
            ev("TaskFailed", None),
            ev("ChoiceStateEntered", Some("CheckEndpoint")),
        ] {
            let history = [
                ev("ExecutionFailed", None),
                ev("FailStateEntered", Some("PipelineFailed")),
                publish("TaskSucceeded", ""),
                publish("TaskScheduled", FAILURE_NOTICE_EVENT_TYPE),
                ev("TaskStateEntered", Some("NotifyPipelineFailure")),
                cause,
            ];
            assert!(reported_itself(&history));
        }
    }

    #[test]
    fn routine_or_failed_publishes_are_not_a_failure_notice() {
        let routine = [
            ev("ExecutionFailed", None),
            ev("TaskFailed", None),
            publish("TaskSucceeded", ""),
            publish("TaskScheduled", "model_deployed"),
        ];
        assert!(!reported_itself(&routine));
        let notice_failed = [
            ev("ExecutionFailed", None),
            publish("TaskFailed", ""),
            publish("TaskScheduled", FAILURE_NOTICE_EVENT_TYPE),
            ev("TaskFailed", None),
        ];
        assert!(!reported_itself(&notice_failed));
        let unreadable = [
            publish("TaskSucceeded", ""),
            Event {
                parameters: Some("not json".into()),
                ..publish("TaskScheduled", "")
            },
        ];
        assert!(!reported_itself(&unreadable));
        assert!(!reported_itself(&[]));
    }

    #[test]
    fn a_caught_task_failure_names_the_task_not_the_notify_or_fail_state() {
        let history = [
            ev("ExecutionFailed", None),
            ev("FailStateEntered", Some("PipelineFailed")),
            ev("TaskStateExited", None),
            ev("TaskSucceeded", None),
            ev("TaskStateEntered", Some("NotifyPipelineFailure")),
            ev("TaskStateExited", None),
            ev("TaskFailed", None),
            ev("TaskSubmitted", None),
            ev("TaskStateEntered", Some("TrainCandidateModel")),
            ev("TaskStateExited", None),
            ev("TaskStateEntered", Some("PrepareTrainingData")),
        ];
        assert_eq!(
            failed_state_in(&history).as_deref(),
            Some("TrainCandidateModel")
        );
    }

    #[test]
    fn a_fail_state_without_task_failure_is_named() {
        let history = [
            ev("ExecutionFailed", None),
            ev("FailStateEntered", Some("InvalidExecutionInput")),
            ev("ChoiceStateEntered", Some("ValidateExecutionInput")),
        ];
        assert_eq!(
            failed_state_in(&history).as_deref(),
            Some("InvalidExecutionInput")
        );
    }

    #[test]
    fn a_timed_out_execution_names_the_state_it_was_in() {
        let history = [
            ev("ExecutionTimedOut", None),
            ev("TaskSubmitted", None),
            ev("TaskStateEntered", Some("RunEvaluationBatchTransform")),
            ev("TaskStateExited", None),
        ];
        assert_eq!(
            failed_state_in(&history).as_deref(),
            Some("RunEvaluationBatchTransform")
        );
    }

    #[test]
    fn an_empty_history_names_nothing() {
        assert_eq!(failed_state_in(&[]), None);
    }
}
