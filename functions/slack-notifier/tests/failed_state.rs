//! The failed state comes from the execution history (`aws-smithy-mocks`: no server), and a
//! history that cannot be read never stops the alert.

mod common;

use aws_sdk_sfn::error::ErrorMetadata;
use aws_sdk_sfn::operation::get_execution_history::{
    GetExecutionHistoryError, GetExecutionHistoryOutput,
};
use aws_sdk_sfn::primitives::DateTime;
use aws_sdk_sfn::types::{HistoryEvent, HistoryEventType, StateEnteredEventDetails};
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
