//! Unit tests of the engine: scheduling, virtual time, history, limits, and the state types
//! run through whole machines.

use super::*;
use crate::task::{TaskError, TaskRequest};
use serde_json::json;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

pub(crate) fn machine(def: Value) -> StateMachine {
    StateMachine::from_value(&def).unwrap_or_else(|e| panic!("{e}"))
}

pub(crate) fn opts_with(handler: Arc<dyn TaskHandler>) -> ExecutionOptions {
    ExecutionOptions {
        handler,
        clock: Arc::new(VirtualClock::new(0)),
        ..ExecutionOptions::default()
    }
}

/// Fails `fails` times with `error`, then returns its input.
pub(crate) struct Flaky {
    pub(crate) fails: u32,
    pub(crate) calls: AtomicU32,
    pub(crate) error: &'static str,
}

impl TaskHandler for Flaky {
    fn call<'a>(&'a self, r: TaskRequest<'a>) -> BoxFuture<'a, Result<Value, TaskError>> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let out = if n < self.fails {
            Err(TaskError::new(self.error, "flaky"))
        } else {
            Ok(r.input)
        };
        Box::pin(std::future::ready(out))
    }
}

/// Answers with the parameters it got and the token it was handed.
struct EchoToken;

impl TaskHandler for EchoToken {
    fn call<'a>(&'a self, r: TaskRequest<'a>) -> BoxFuture<'a, Result<Value, TaskError>> {
        let out = json!({"params": r.input, "token": r.task_token});
        Box::pin(std::future::ready(Ok(out)))
    }
}

#[test]
fn a_callback_task_passes_its_own_token_in_the_context_object() {
    let sm = machine(
        json!({"StartAt": "Wait", "States": {"Wait": {"Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:putItem.waitForTaskToken",
        "Parameters": {"Item": {"task_token": {"S.$": "$$.Task.Token"}}}, "End": true}}}),
    );
    let r = sm.run_blocking(json!({}), &opts_with(Arc::new(EchoToken)));
    assert_eq!(r.status, Status::Succeeded, "{:?}", r.cause);
    let out = r.output.unwrap();
    let token = out["token"].as_str().expect("the handler gets a token");
    assert!(!token.is_empty());
    assert_eq!(out["params"]["Item"]["task_token"]["S"], token);
}

#[test]
fn a_plain_task_has_no_token_in_the_context_object() {
    let sm = machine(json!({"StartAt": "Put", "States": {"Put": {"Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:putItem",
        "Parameters": {"t.$": "$$.Task.Token"}, "End": true}}}));
    let r = sm.run_blocking(json!({}), &opts_with(Arc::new(EchoToken)));
    assert_eq!(r.status, Status::Failed);
    assert_eq!(r.error.as_deref(), Some("States.Runtime"));
}

#[test]
fn task_timeout_fails_a_task_that_takes_too_long_in_virtual_time() {
    let sm = machine(
        json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r",
        "TimeoutSeconds": 5, "End": true}}}),
    );
    let slow = |r: TaskRequest<'_>| -> Result<Value, TaskError> {
        r.clock.advance_ms(60_000);
        Ok(r.input)
    };
    let r = sm.run_blocking(json!({}), &opts_with(Arc::new(slow)));
    assert_eq!(r.status, Status::Failed);
    assert_eq!(r.error.as_deref(), Some("States.Timeout"));
    assert_eq!(r.end_ms - r.start_ms, 5000);
}

#[test]
fn wait_advances_the_clock_without_sleeping() {
    let sm = machine(
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 604800, "End": true}}}),
    );
    let t = std::time::Instant::now();
    let r = sm.run_blocking(json!({}), &opts_with(Arc::new(Router::new())));
    assert_eq!(r.end_ms - r.start_ms, 604_800_000);
    assert!(t.elapsed().as_secs() < 1);
}

#[test]
fn execution_timeout_ends_as_timed_out() {
    let sm = machine(json!({"TimeoutSeconds": 10, "StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 60, "Next": "P"}, "P": {"Type": "Pass", "End": true}}}));
    let r = sm.run_blocking(json!({}), &opts_with(Arc::new(Router::new())));
    assert_eq!(r.status, Status::TimedOut);
}

#[test]
fn map_tolerates_failures_up_to_the_count() {
    let def = |count: u64| {
        json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ToleratedFailureCount": count,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 0, "Next": "F"}], "Default": "S"},
            "F": {"Type": "Fail", "Error": "Zero"}, "S": {"Type": "Succeed"}}}}}})
    };
    let input = json!([0, 1, 0, 2]);
    let ok = machine(def(2)).run_blocking(input.clone(), &opts_with(Arc::new(Router::new())));
    assert_eq!(ok.status, Status::Succeeded);
    assert_eq!(
        ok.output,
        Some(json!([{"Error": "Zero"}, 1, {"Error": "Zero"}, 2]))
    );
    let bad = machine(def(1)).run_blocking(input, &opts_with(Arc::new(Router::new())));
    assert_eq!(
        bad.error.as_deref(),
        Some("States.ExceedToleratedFailureThreshold")
    );
    assert_eq!(
        bad.cause.as_deref(),
        Some("The specified tolerated failure threshold was exceeded")
    );
}

#[test]
fn inline_map_fails_with_the_iteration_error() {
    let sm = machine(
        json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}}}}}),
    );
    let r = sm.run_blocking(json!([1]), &opts_with(Arc::new(Router::new())));
    assert_eq!(
        (r.error.as_deref(), r.cause.as_deref()),
        (Some("E"), Some("C"))
    );
}

#[test]
fn parallel_branches_run_side_by_side_in_virtual_time() {
    let sm = machine(
        json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 10, "End": true}}},
        {"StartAt": "B", "States": {"B": {"Type": "Wait", "Seconds": 30, "End": true}}}]}}}),
    );
    let r = sm.run_blocking(json!({"v": 1}), &opts_with(Arc::new(Router::new())));
    assert_eq!(r.output, Some(json!([{"v": 1}, {"v": 1}])));
    assert_eq!(r.end_ms - r.start_ms, 30_000);
}

#[test]
fn map_max_concurrency_queues_iterations_in_lanes() {
    let sm = machine(
        json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "MaxConcurrency": 2,
        "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": true}}}}}}),
    );
    let r = sm.run_blocking(json!([1, 2, 3, 4, 5]), &opts_with(Arc::new(Router::new())));
    assert_eq!(r.end_ms - r.start_ms, 30_000);
}

#[test]
fn history_is_shaped_like_get_execution_history() {
    let sm = machine(
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Next": "T"},
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}),
    );
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let mut opts = opts_with(Arc::new(|r: TaskRequest<'_>| -> Result<Value, TaskError> {
        Ok(r.input)
    }));
    opts.observer = Some(Arc::new(move |e: &HistoryEvent| {
        s2.lock().unwrap().push(e.event_type)
    }));
    let r = sm.run_blocking(json!({}), &opts);
    let types: Vec<&str> = r.history.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert!(r
        .history
        .iter()
        .enumerate()
        .all(|(i, e)| e.id == i as u64 + 1));
    assert_eq!(seen.lock().unwrap().len(), 9);
    let j = r.history[4].to_json();
    assert_eq!(j["taskScheduledEventDetails"]["resourceType"], "lambda");
    assert_eq!(j["taskScheduledEventDetails"]["resource"], "invoke");
}

#[test]
fn an_abort_flag_stops_the_execution_as_aborted() {
    let sm = machine(json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}));
    let mut opts = opts_with(Arc::new(Router::new()));
    opts.abort = Some(Arc::new(std::sync::atomic::AtomicBool::new(true)));
    let r = sm.run_blocking(json!({}), &opts);
    assert_eq!(r.status, Status::Aborted);
}

#[test]
fn the_history_limit_fails_a_runaway_loop() {
    let sm = machine(json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": true, "Next": "E"}], "Default": "A"},
        "E": {"Type": "Succeed"}}}));
    let mut opts = opts_with(Arc::new(Router::new()));
    opts.record_history = false;
    let r = sm.run_blocking(json!({}), &opts);
    assert_eq!(r.status, Status::Failed);
    assert!(r.event_count <= MAX_HISTORY_EVENTS && r.event_count > MAX_HISTORY_EVENTS - 4);
    assert!(r.cause.unwrap().contains("25000"));
}

#[test]
fn errors_inside_a_state_name_the_state_and_its_entered_event() {
    let sm = machine(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Pass", "InputPath": "$.missing", "End": true}}}),
    );
    let r = sm.run_blocking(json!({}), &opts_with(Arc::new(Router::new())));
    assert_eq!(r.error.as_deref(), Some("States.Runtime"));
    assert_eq!(r.cause.as_deref(), Some("An error occurred while executing the state 'B' (entered at the event id #4). Invalid path '$.missing' : No results for path: $['missing']"));
}

#[test]
fn result_path_into_a_scalar_is_a_result_path_match_failure() {
    let sm = machine(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": 1, "ResultPath": "$.a.b", "End": true}}}),
    );
    let r = sm.run_blocking(json!({"a": "text"}), &opts_with(Arc::new(Router::new())));
    assert_eq!(r.error.as_deref(), Some("States.ResultPathMatchFailure"));
}

#[test]
fn large_task_results_exceed_the_data_limit() {
    let sm = machine(
        json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}),
    );
    let big = |_r: TaskRequest<'_>| -> Result<Value, TaskError> {
        Ok(Value::String("a".repeat(MAX_PAYLOAD_BYTES)))
    };
    let r = sm.run_blocking(json!({}), &opts_with(Arc::new(big)));
    assert_eq!(r.error.as_deref(), Some("States.DataLimitExceeded"));
}
