//! Fault injection with `aws-smithy-mocks`: the SDK clients answer from rules, no server.

mod common;

use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sfn::error::ErrorMetadata;
use aws_sdk_sfn::operation::start_execution::{StartExecutionError, StartExecutionOutput};
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use common::{batch, drift, json_record};
use drift_bridge::kafka::{KafkaBatchItemFailure, KafkaItemIdentifier};
use drift_bridge::{handle, BridgeResponse, Deps, Settings};
use std::collections::HashMap;

const STATE_MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:ml-retraining";

fn dynamodb(rules: &[&Rule]) -> aws_sdk_dynamodb::Client {
    mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, rules, |c| c
        .retry_config(
            aws_sdk_dynamodb::config::retry::RetryConfig::disabled()
        ))
}

fn sfn(rules: &[&Rule]) -> aws_sdk_sfn::Client {
    mock_client!(aws_sdk_sfn, RuleMode::MatchAny, rules, |c| c
        .retry_config(aws_sdk_sfn::config::retry::RetryConfig::disabled()))
}

fn deps(dynamodb: aws_sdk_dynamodb::Client, sfn: aws_sdk_sfn::Client) -> Deps {
    Deps::with_clients(dynamodb, sfn, Settings::new("drift-claims", STATE_MACHINE))
}

fn claim_item(event_id: &str, status: &str) -> HashMap<String, AttributeValue> {
    let s = |v: &str| AttributeValue::S(v.to_string());
    HashMap::from([
        ("model_name".to_string(), s("demand-forecast")),
        ("event_id".to_string(), s(event_id)),
        (
            "execution_name".to_string(),
            s("drift-demand-forecast-20261127T050000Z-0123456789ab"),
        ),
        (
            "execution_input".to_string(),
            s(r#"{"model_name":"demand-forecast"}"#),
        ),
        ("status".to_string(), s(status)),
        (
            "cooldown_until".to_string(),
            AttributeValue::N("4102444800".into()),
        ),
    ])
}

fn started_ok() -> Rule {
    mock!(aws_sdk_sfn::Client::start_execution).then_compute_output(|input| {
        StartExecutionOutput::builder()
            .execution_arn(format!(
                "arn:aws:states:us-east-1:123456789012:execution:ml-retraining:{}",
                input.name().unwrap_or_default()
            ))
            .start_date(aws_smithy_types::DateTime::from_secs(1_795_766_400))
            .build()
            .unwrap()
    })
}

#[tokio::test]
async fn a_throttled_start_execution_is_a_batch_item_failure_for_that_record() {
    let put =
        mock!(aws_sdk_dynamodb::Client::put_item).then_output(|| PutItemOutput::builder().build());
    let update = mock!(aws_sdk_dynamodb::Client::update_item)
        .then_output(|| UpdateItemOutput::builder().build());
    let throttled = mock!(aws_sdk_sfn::Client::start_execution)
        .match_requests(|input| input.name().is_some_and(|n| n.starts_with("drift-churn-")))
        .then_error(|| {
            StartExecutionError::generic(
                ErrorMetadata::builder()
                    .code("ThrottlingException")
                    .message("Rate exceeded")
                    .build(),
            )
        });
    let ok = started_ok();
    let deps = deps(dynamodb(&[&put, &update]), sfn(&[&throttled, &ok]));
    let payload = batch(vec![
        json_record(
            0,
            10,
            &drift("e-10", "demand-forecast", "2026-11-27T06:00:00Z"),
        ),
        json_record(0, 11, &drift("e-11", "churn", "2026-11-27T06:01:00Z")),
        json_record(0, 12, &drift("e-12", "eta", "2026-11-27T06:02:00Z")),
        json_record(1, 50, &drift("e-50", "fraud-score", "2026-11-27T06:03:00Z")),
    ]);
    let response = handle(&deps, payload).await.unwrap();
    let BridgeResponse::Kafka(response) = response else {
        panic!("not a Kafka response");
    };
    assert_eq!(
        response.batch_item_failures,
        [KafkaBatchItemFailure {
            item_identifier: KafkaItemIdentifier {
                partition: format!("{}-0", common::TOPIC),
                offset: 11,
            }
        }]
    );
    let s = &response.summary;
    // Offset 10 and partition 1 went through; 11 failed and 12 waits for the redelivery.
    assert_eq!((s.started, s.retried, s.records), (2, 2, 4), "{s:?}");
    assert_eq!(throttled.num_calls(), 1);
    assert_eq!(ok.num_calls(), 2);
    let json = serde_json::to_value(BridgeResponse::Kafka(response.clone())).unwrap();
    assert_eq!(
        json["batchItemFailures"],
        serde_json::json!([{"itemIdentifier": {"partition": "model-monitoring-0", "offset": 11}}])
    );
}

#[tokio::test]
async fn a_throttled_dynamodb_write_is_retried_and_starts_nothing() {
    let put = mock!(aws_sdk_dynamodb::Client::put_item).then_error(|| {
        PutItemError::generic(
            aws_sdk_dynamodb::error::ErrorMetadata::builder()
                .code("ProvisionedThroughputExceededException")
                .message("slow down")
                .build(),
        )
    });
    let ok = started_ok();
    let deps = deps(dynamodb(&[&put]), sfn(&[&ok]));
    let payload = batch(vec![json_record(
        3,
        7,
        &drift("e-7", "eta", "2026-11-27T06:00:00Z"),
    )]);
    let response = handle(&deps, payload).await.unwrap();
    let BridgeResponse::Kafka(response) = response else {
        panic!("not a Kafka response");
    };
    assert_eq!(response.batch_item_failures.len(), 1);
    assert_eq!(response.batch_item_failures[0].item_identifier.offset, 7);
    assert_eq!(response.summary.retried, 1);
    assert_eq!(ok.num_calls(), 0);
}

#[tokio::test]
async fn a_conditional_check_failure_reads_as_cooled_down() {
    let put = mock!(aws_sdk_dynamodb::Client::put_item).then_error(|| {
        PutItemError::ConditionalCheckFailedException(
            ConditionalCheckFailedException::builder()
                .message("The conditional request failed")
                .set_item(Some(claim_item("an-earlier-event", "started")))
                .build(),
        )
    });
    let ok = started_ok();
    let deps = deps(dynamodb(&[&put]), sfn(&[&ok]));
    let payload = batch(vec![json_record(
        0,
        1,
        &drift("e-1", "demand-forecast", "2026-11-27T06:00:00Z"),
    )]);
    let response = handle(&deps, payload).await.unwrap();
    let s = response.summary();
    assert_eq!((s.cooled_down, s.started, s.retried), (1, 0, 0), "{s:?}");
    assert_eq!(
        ok.num_calls(),
        0,
        "no execution may start inside the cooldown"
    );
}

#[tokio::test]
async fn a_conditional_check_failure_without_the_old_item_reads_it_back() {
    let put = mock!(aws_sdk_dynamodb::Client::put_item).then_error(|| {
        PutItemError::ConditionalCheckFailedException(
            ConditionalCheckFailedException::builder()
                .message("failed")
                .build(),
        )
    });
    let get = mock!(aws_sdk_dynamodb::Client::get_item).then_output(|| {
        GetItemOutput::builder()
            .set_item(Some(claim_item("e-1", "started")))
            .build()
    });
    let ok = started_ok();
    let deps = deps(dynamodb(&[&put, &get]), sfn(&[&ok]));
    let payload = batch(vec![json_record(
        0,
        1,
        &drift("e-1", "demand-forecast", "2026-11-27T06:00:00Z"),
    )]);
    let s = handle(&deps, payload).await.unwrap().summary().clone();
    assert_eq!((s.duplicate, s.started), (1, 0), "{s:?}");
    assert_eq!(get.num_calls(), 1);
    assert_eq!(ok.num_calls(), 0);
}

#[tokio::test]
async fn execution_already_exists_is_success_not_an_error() {
    let put =
        mock!(aws_sdk_dynamodb::Client::put_item).then_output(|| PutItemOutput::builder().build());
    let update = mock!(aws_sdk_dynamodb::Client::update_item)
        .then_output(|| UpdateItemOutput::builder().build());
    let exists = mock!(aws_sdk_sfn::Client::start_execution).then_error(|| {
        StartExecutionError::ExecutionAlreadyExists(
            aws_sdk_sfn::types::error::ExecutionAlreadyExists::builder()
                .message("Execution Already Exists")
                .build(),
        )
    });
    let deps = deps(dynamodb(&[&put, &update]), sfn(&[&exists]));
    let payload = batch(vec![json_record(
        0,
        1,
        &drift("e-1", "demand-forecast", "2026-11-27T06:00:00Z"),
    )]);
    let response = handle(&deps, payload).await.unwrap();
    let BridgeResponse::Kafka(response) = response else {
        panic!("not a Kafka response");
    };
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(response.summary.duplicate, 1);
    assert_eq!(update.num_calls(), 1, "the claim is marked started");
}

#[tokio::test]
async fn an_eventbridge_event_with_a_transient_failure_fails_the_invocation() {
    let put = mock!(aws_sdk_dynamodb::Client::put_item).then_error(|| {
        PutItemError::generic(
            aws_sdk_dynamodb::error::ErrorMetadata::builder()
                .code("ThrottlingException")
                .build(),
        )
    });
    let deps = deps(dynamodb(&[&put]), sfn(&[]));
    let payload = serde_json::json!({
        "id": "1", "detail-type": "model.drift_detected", "source": "ml.monitoring",
        "detail": drift("e-1", "demand-forecast", "2026-11-27T06:00:00Z"),
    });
    let error = handle(&deps, payload).await.unwrap_err();
    assert_eq!(shared::ErrorType::error_type(&error), "TriggerUnavailable");
}

#[tokio::test]
async fn a_payload_that_is_neither_kafka_nor_eventbridge_is_invalid_event() {
    let deps = deps(dynamodb(&[]), sfn(&[]));
    let error = handle(&deps, serde_json::json!({"Records": []}))
        .await
        .unwrap_err();
    assert_eq!(shared::ErrorType::error_type(&error), "InvalidEvent");
}

#[tokio::test]
async fn a_drift_detected_in_the_future_is_rejected_before_any_call() {
    let put =
        mock!(aws_sdk_dynamodb::Client::put_item).then_output(|| PutItemOutput::builder().build());
    let ok = started_ok();
    let deps = deps(dynamodb(&[&put]), sfn(&[&ok]));
    let payload = batch(vec![json_record(
        0,
        1,
        &drift("e-1", "eta", "2099-01-01T00:00:00Z"),
    )]);
    let s = handle(&deps, payload).await.unwrap().summary().clone();
    assert_eq!((s.rejected, s.started), (1, 0), "{s:?}");
    assert_eq!((put.num_calls(), ok.num_calls()), (0, 0));
}
