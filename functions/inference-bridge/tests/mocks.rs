//! `StartSyncExecution` with `aws-smithy-mocks`: moto 5.2 does not implement it (see `moto.rs`),
//! so the workflow's answers come from rules; everything else is the real handler.

mod common;

use aws_sdk_sfn::error::ErrorMetadata;
use aws_sdk_sfn::operation::start_sync_execution::{
    StartSyncExecutionError, StartSyncExecutionOutput,
};
use aws_sdk_sfn::types::SyncExecutionStatus;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use common::{batch, record, request};
use inference_bridge::{handle, Deps, Settings};
use serde_json::json;

const ARN: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:realtime-inference";

fn deps(mode: RuleMode, rules: &[&Rule]) -> Deps {
    let client = mock_client!(aws_sdk_sfn, mode, rules, |c| c
        .retry_config(aws_sdk_sfn::config::retry::RetryConfig::disabled()));
    Deps::with_client(client, Settings::new(ARN))
}

fn succeeded(outcome: &'static str) -> Rule {
    mock!(aws_sdk_sfn::Client::start_sync_execution).then_output(move || {
        StartSyncExecutionOutput::builder()
            .execution_arn(format!("{ARN}:x"))
            .start_date(aws_smithy_types_now())
            .stop_date(aws_smithy_types_now())
            .status(SyncExecutionStatus::Succeeded)
            .output(json!({"outcome": outcome}).to_string())
            .build()
            .unwrap()
    })
}

fn failed(error: &'static str) -> Rule {
    mock!(aws_sdk_sfn::Client::start_sync_execution).then_output(move || {
        StartSyncExecutionOutput::builder()
            .execution_arn(format!("{ARN}:x"))
            .start_date(aws_smithy_types_now())
            .stop_date(aws_smithy_types_now())
            .status(SyncExecutionStatus::Failed)
            .error(error)
            .cause("endpoint answered 500 three times")
            .build()
            .unwrap()
    })
}

fn aws_smithy_types_now() -> aws_sdk_sfn::primitives::DateTime {
    aws_sdk_sfn::primitives::DateTime::from_secs(1_764_230_400)
}

#[tokio::test]
async fn each_request_runs_the_workflow_and_its_prediction_is_counted() {
    let rule = succeeded("predicted");
    let deps = deps(RuleMode::MatchAny, &[&rule]);
    let event = batch(vec![
        record(0, 1, &request("a")),
        record(0, 2, &request("b")),
        record(1, 7, &request("c")),
    ]);
    let response = handle(&deps, event).await.unwrap();
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(
        (response.summary.records, response.summary.predicted),
        (3, 3)
    );
    assert_eq!(rule.num_calls(), 3);
}

#[tokio::test]
async fn a_redelivered_request_counts_as_a_duplicate_not_a_failure() {
    let rule = succeeded("duplicate");
    let deps = deps(RuleMode::MatchAny, &[&rule]);
    let response = handle(&deps, batch(vec![record(0, 1, &request("a"))]))
        .await
        .unwrap();
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(response.summary.duplicate, 1);
}

#[tokio::test]
async fn a_malformed_record_is_rejected_without_running_the_workflow_or_blocking_its_partition() {
    let rule = succeeded("predicted");
    let deps = deps(RuleMode::MatchAny, &[&rule]);
    let response = handle(
        &deps,
        batch(vec![
            record(
                0,
                1,
                &json!({"request_id": "a", "model_name": "Bad_Name", "features": [1]}),
            ),
            record(0, 2, &request("b")),
        ]),
    )
    .await
    .unwrap();
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(
        (response.summary.rejected, response.summary.predicted),
        (1, 1)
    );
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn a_failed_workflow_reports_its_record_and_leaves_the_successors_for_redelivery() {
    let fail = failed("SageMakerRuntime.ModelErrorException");
    let ok = succeeded("predicted");
    let deps = deps(RuleMode::Sequential, &[&fail, &ok]);
    let response = handle(
        &deps,
        batch(vec![
            record(0, 4, &request("a")),
            record(0, 5, &request("b")),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(
        serde_json::to_value(&response.batch_item_failures).unwrap(),
        json!([{"itemIdentifier": {"partition": "inference-requests-0", "offset": 4}}])
    );
    assert_eq!((response.summary.retried, response.summary.records), (2, 2));
    assert_eq!(ok.num_calls(), 0);
}

#[tokio::test]
async fn throttling_is_retried_and_the_workflows_own_refusal_is_not() {
    let throttled = mock!(aws_sdk_sfn::Client::start_sync_execution).then_error(|| {
        StartSyncExecutionError::generic(
            ErrorMetadata::builder()
                .code("ThrottlingException")
                .message("Rate exceeded")
                .build(),
        )
    });
    let deps_throttled = deps(RuleMode::MatchAny, &[&throttled]);
    let response = handle(&deps_throttled, batch(vec![record(2, 9, &request("a"))]))
        .await
        .unwrap();
    assert_eq!(response.batch_item_failures.len(), 1);

    let refused = failed("InvalidRequest");
    let deps_refused = deps(RuleMode::MatchAny, &[&refused]);
    let response = handle(&deps_refused, batch(vec![record(2, 9, &request("a"))]))
        .await
        .unwrap();
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(response.summary.rejected, 1);
}

#[tokio::test]
async fn the_execution_input_carries_the_request_and_its_origin() {
    let rule = mock!(aws_sdk_sfn::Client::start_sync_execution)
        .match_requests(|req| {
            let input: serde_json::Value =
                serde_json::from_str(req.input().unwrap_or("null")).unwrap_or_default();
            req.state_machine_arn() == Some(ARN)
                && input
                    == json!({"request_id": "a", "model_name": "demand-forecast",
                              "features": [12.0, 3.5, 1.0],
                              "origin": {"topic": "inference-requests", "partition": 3, "offset": 11}})
        })
        .then_output(|| {
            StartSyncExecutionOutput::builder()
                .execution_arn(format!("{ARN}:x"))
                .start_date(aws_smithy_types_now())
                .stop_date(aws_smithy_types_now())
                .status(SyncExecutionStatus::Succeeded)
                .output(r#"{"outcome":"predicted"}"#)
                .build()
                .unwrap()
        });
    let deps = deps(RuleMode::MatchAny, &[&rule]);
    let response = handle(&deps, batch(vec![record(3, 11, &request("a"))]))
        .await
        .unwrap();
    assert_eq!(rule.num_calls(), 1, "{response:?}");
}

#[tokio::test]
async fn a_payload_that_is_not_a_kafka_batch_fails_the_invocation() {
    let deps = deps(RuleMode::MatchAny, &[]);
    let error = handle(&deps, json!({"detail-type": "x", "detail": {}}))
        .await
        .unwrap_err();
    assert_eq!(shared::ErrorType::error_type(&error), "InvalidEvent");
}
