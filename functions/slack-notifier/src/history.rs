//! Which state an execution failed in. Neither the EventBridge status-change event nor the
//! state machine's own failure notice says so; the execution's history does.
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

/// Reads the newest 100 events of `execution_arn` and names the state it failed in.
pub async fn failed_state(client: &aws_sdk_sfn::Client, execution_arn: &str) -> Option<String> {
    let lookup = client
        .get_execution_history()
        .execution_arn(execution_arn)
        .reverse_order(true)
        .include_execution_data(false)
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
        })
        .collect();
    failed_state_in(&events)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: &str, state: Option<&str>) -> Event {
        Event {
            kind: kind.to_string(),
            state: state.map(str::to_string),
        }
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
