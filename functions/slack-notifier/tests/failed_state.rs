//! The failed state comes from the execution history (`aws-smithy-mocks`: no server), and a
//! history that cannot be read never stops the alert.

mod common;

use aws_sdk_sfn::error::ErrorMetadata;
use aws_sdk_sfn::operation::get_execution_history::{
    GetExecutionHistoryError, GetExecutionHistoryOutput,
};
use aws_sdk_sfn::primitives::DateTime;
use aws_sdk_sfn::types::{
    HistoryEvent, HistoryEventType, StateEnteredEventDetails, TaskScheduledEventDetails,
    TaskSucceededEventDetails,
};
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use common::{texts, FakeSlack};
use integration_tests::workspace_root;
use slack_notifier::slack::{RetryPolicy, WebhookUrl};
use slack_notifier::{handle, Deps};
use std::time::Duration;

fn event(name: &str) -> serde_json::Value {
    let path = workspace_root().join("events/slack-notifier").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("sample event")).expect("JSON")
}

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 2,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(1),
        retry_after_unit: Duration::from_millis(1),
        max_total_wait: Duration::from_secs(1),
        request_timeout: Duration::from_secs(5),
    }
}

fn history_event(id: i64, kind: HistoryEventType, state: Option<&str>) -> HistoryEvent {
    let mut builder = HistoryEvent::builder()
        .id(id)
        .timestamp(DateTime::from_secs(1_795_766_400 + id))
        .r#type(kind);
    if let Some(name) = state {
        builder = builder.state_entered_event_details(
            StateEnteredEventDetails::builder()
                .name(name)
                .build()
                .expect("state details"),
        );
    }
    builder.build().expect("history event")
}

/// Newest first, as the notifier asks for it: the training job failed, the catcher notified.
fn caught_training_failure() -> GetExecutionHistoryOutput {
    GetExecutionHistoryOutput::builder()
        .set_events(Some(vec![
            history_event(12, HistoryEventType::ExecutionFailed, None),
            history_event(
                11,
                HistoryEventType::FailStateEntered,
                Some("PipelineFailed"),
            ),
            history_event(
                10,
                HistoryEventType::TaskStateEntered,
                Some("NotifyPipelineFailure"),
            ),
            history_event(9, HistoryEventType::TaskStateExited, None),
            history_event(8, HistoryEventType::TaskFailed, None),
            history_event(7, HistoryEventType::TaskSubmitted, None),
            history_event(
                6,
                HistoryEventType::TaskStateEntered,
                Some("TrainCandidateModel"),
            ),
        ]))
        .build()
        .expect("history output")
}

/// The same failure, with the failure path's SNS publish recorded as AWS records it: a
/// `TaskScheduled` of `sns:publish` whose parameters carry the notice's `event_type`, then its
/// `TaskSucceeded`.
fn caught_and_reported_training_failure() -> GetExecutionHistoryOutput {
    let mut events = caught_training_failure().events().to_vec();
    let at = |id: i64, kind: HistoryEventType| {
        HistoryEvent::builder()
            .id(id)
            .timestamp(DateTime::from_secs(1_795_766_400 + id))
            .r#type(kind)
    };
    let parameters = serde_json::json!({
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:ml-pipelines-CriticalTopic",
        "Message": "ml-retraining failed",
        "MessageAttributes": {"event_type": {"DataType": "String", "StringValue": "pipeline_failed"}}
    });
    let scheduled = at(10, HistoryEventType::TaskScheduled)
        .task_scheduled_event_details(
            TaskScheduledEventDetails::builder()
                .resource_type("sns")
                .resource("publish")
                .region("us-east-1")
                .parameters(parameters.to_string())
                .build()
                .expect("scheduled details"),
        )
        .build()
        .expect("history event");
    let succeeded = at(11, HistoryEventType::TaskSucceeded)
        .task_succeeded_event_details(
            TaskSucceededEventDetails::builder()
                .resource_type("sns")
                .resource("publish")
                .build()
                .expect("task details"),
        )
        .build()
        .expect("history event");
    events.insert(2, scheduled);
    events.insert(2, succeeded);
    GetExecutionHistoryOutput::builder()
        .set_events(Some(events))
        .build()
        .expect("history output")
}

fn sfn(rules: &[&Rule]) -> aws_sdk_sfn::Client {
    mock_client!(aws_sdk_sfn, RuleMode::MatchAny, rules, |c| c
        .retry_config(aws_sdk_sfn::config::retry::RetryConfig::disabled()))
}

fn deps(slack: &FakeSlack, sfn: aws_sdk_sfn::Client) -> Deps {
    Deps::with_webhook(WebhookUrl::parse(&slack.url).expect("url"), fast())
        .expect("deps")
        .with_sfn(sfn)
}

fn field(payload: &serde_json::Value, label: &str) -> Option<String> {
    let prefix = format!("*{label}*\n");
    texts(payload)
        .into_iter()
        .find_map(|t| t.strip_prefix(&prefix).map(str::to_string))
}

#[tokio::test]
async fn a_failed_execution_names_the_state_that_failed() {
    let history = mock!(aws_sdk_sfn::Client::get_execution_history)
        .match_requests(|input| {
            input.reverse_order() == Some(true)
                && input
                    .execution_arn()
                    .is_some_and(|arn| arn.ends_with(":weekly-demand-forecast-2026-11-22"))
        })
        .then_output(caught_training_failure);
    let slack = FakeSlack::ok();
    handle(
        &deps(&slack, sfn(&[&history])),
        event("execution-failed.json"),
    )
    .await
    .expect("delivered");
    let payload = &slack.received()[0].json;
    assert_eq!(
        field(payload, "Failed state").as_deref(),
        Some("TrainCandidateModel")
    );
    assert_eq!(history.num_calls(), 1);
}

#[tokio::test]
async fn the_pipeline_failure_notice_names_the_state_too() {
    let history =
        mock!(aws_sdk_sfn::Client::get_execution_history).then_output(caught_training_failure);
    let slack = FakeSlack::ok();
    handle(
        &deps(&slack, sfn(&[&history])),
        event("pipeline-failed.json"),
    )
    .await
    .expect("delivered");
    let payload = &slack.received()[0].json;
    assert_eq!(
        field(payload, "Failed state").as_deref(),
        Some("TrainCandidateModel")
    );
}

#[tokio::test]
async fn an_unreadable_history_still_delivers_the_alert() {
    let denied = mock!(aws_sdk_sfn::Client::get_execution_history).then_error(|| {
        GetExecutionHistoryError::generic(
            ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("not authorized")
                .build(),
        )
    });
    let slack = FakeSlack::ok();
    handle(
        &deps(&slack, sfn(&[&denied])),
        event("execution-failed.json"),
    )
    .await
    .expect("delivered without the state");
    let payload = &slack.received()[0].json;
    assert_eq!(field(payload, "Failed state"), None);
    assert!(field(payload, "Error").is_some_and(|e| e.contains("States.TaskFailed")));
}

#[tokio::test]
async fn routine_messages_never_read_a_history() {
    let history =
        mock!(aws_sdk_sfn::Client::get_execution_history).then_output(caught_training_failure);
    let slack = FakeSlack::ok();
    let deps = deps(&slack, sfn(&[&history]));
    for file in [
        "model-deployed.json",
        "model-rejected.json",
        "cloudwatch-alarm.json",
        "data-quality-failed.json",
    ] {
        handle(&deps, event(file)).await.expect(file);
    }
    assert_eq!(history.num_calls(), 0);
}

#[tokio::test]
async fn a_failure_the_execution_reported_itself_reaches_slack_once() {
    let history = mock!(aws_sdk_sfn::Client::get_execution_history)
        .then_output(caught_and_reported_training_failure);
    let slack = FakeSlack::ok();
    let deps = deps(&slack, sfn(&[&history]));
    // The state machine's own notice (error, cause, failed state) is posted...
    let notice = handle(&deps, event("pipeline-failed.json"))
        .await
        .expect("delivered");
    assert!(!notice.delivered[0].skipped);
    // ...and the EventBridge status change for the same failure is not posted again.
    let status = handle(&deps, event("execution-failed.json"))
        .await
        .expect("handled");
    assert!(status.delivered[0].skipped);
    assert_eq!(status.delivered[0].attempts, 0);
    assert_eq!(slack.received().len(), 1);
    assert_eq!(
        field(&slack.received()[0].json, "Failed state").as_deref(),
        Some("TrainCandidateModel")
    );
}

#[tokio::test]
async fn timeouts_aborts_and_unreported_failures_are_always_posted() {
    let reported = mock!(aws_sdk_sfn::Client::get_execution_history)
        .then_output(caught_and_reported_training_failure);
    let slack = FakeSlack::ok();
    let reported_deps = deps(&slack, sfn(&[&reported]));
    for file in ["execution-timed-out.json", "execution-aborted.json"] {
        let output = handle(&reported_deps, event(file)).await.expect(file);
        assert!(!output.delivered[0].skipped, "{file}");
    }
    assert_eq!(slack.received().len(), 2);
    let unreported =
        mock!(aws_sdk_sfn::Client::get_execution_history).then_output(caught_training_failure);
    let slack = FakeSlack::ok();
    let output = handle(
        &deps(&slack, sfn(&[&unreported])),
        event("execution-failed.json"),
    )
    .await
    .expect("delivered");
    assert!(!output.delivered[0].skipped);
    assert_eq!(slack.received().len(), 1);
}
