//! The approval function against moto (DynamoDB table, Step Functions callbacks) for every
//! sample event, and against `aws-smithy-mocks` for the exact callback calls and the refusals
//! moto never gives (moto accepts any task token).

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use aws_sdk_sfn::error::ErrorMetadata;
use aws_sdk_sfn::operation::send_task_failure::{
    SendTaskFailureError, SendTaskFailureInput, SendTaskFailureOutput,
};
use aws_sdk_sfn::operation::send_task_success::{
    SendTaskSuccessError, SendTaskSuccessInput, SendTaskSuccessOutput,
};
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use integration_tests::{workspace_root, LocalAws};
use model_approval::{handle, Deps, Outcome, KEY, REJECTED_ERROR, TOKEN};
use serde_json::Value;
use shared::ErrorType;
use std::sync::{Arc, Mutex};

const PACKAGE: &str =
    "arn:aws:sagemaker:us-east-1:123456789012:model-package/prod-demand-forecast/7";
const EXECUTION: &str = "arn:aws:states:us-east-1:123456789012:execution:ml-retraining:weekly-1";

fn event(name: &str) -> Value {
    let path = workspace_root().join("events/model-approval").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

async fn table(dynamodb: &aws_sdk_dynamodb::Client) -> String {
    let name = LocalAws::unique_name("approvals");
    dynamodb
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(KEY)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(KEY)
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    name
}

async fn put_waiting(dynamodb: &aws_sdk_dynamodb::Client, table: &str, token: &str) {
    dynamodb
        .put_item()
        .table_name(table)
        .item(KEY, AttributeValue::S(PACKAGE.into()))
        .item(TOKEN, AttributeValue::S(token.into()))
        .item("execution_arn", AttributeValue::S(EXECUTION.into()))
        .send()
        .await
        .unwrap();
}

async fn waiting(dynamodb: &aws_sdk_dynamodb::Client, table: &str) -> bool {
    dynamodb
        .get_item()
        .table_name(table)
        .key(KEY, AttributeValue::S(PACKAGE.into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item()
        .is_some()
}

async fn moto_deps() -> Deps {
    let config = LocalAws::shared().sdk_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let table = table(&dynamodb).await;
    Deps {
        dynamodb,
        sfn: aws_sdk_sfn::Client::new(&config),
        table,
    }
}

#[tokio::test]
async fn every_sample_event_gives_its_documented_result_with_a_waiting_run() {
    for (file, expected) in [
        ("approved.json", Some(Outcome::Resumed)),
        ("rejected.json", Some(Outcome::Rejected)),
        ("pending.json", Some(Outcome::Ignored)),
        ("wrong-detail-type.json", None),
    ] {
        let deps = moto_deps().await;
        put_waiting(&deps.dynamodb, &deps.table, "token-abc").await;
        let result = handle(&deps, event(file)).await;
        match expected {
            Some(outcome) => {
                let out = result.unwrap_or_else(|e| panic!("{file}: {e}"));
                assert_eq!(out.outcome, outcome, "{file}");
                let decided = matches!(outcome, Outcome::Resumed | Outcome::Rejected);
                assert_eq!(
                    out.execution_arn.as_deref(),
                    decided.then_some(EXECUTION),
                    "{file}"
                );
                assert_eq!(
                    waiting(&deps.dynamodb, &deps.table).await,
                    !decided,
                    "{file}: the item goes once the run is told"
                );
            }
            None => assert_eq!(result.unwrap_err().error_type(), "InvalidEvent", "{file}"),
        }
    }
}

#[tokio::test]
async fn with_nothing_waiting_every_decision_is_ignored() {
    let deps = moto_deps().await;
    for file in ["approved.json", "rejected.json"] {
        let out = handle(&deps, event(file)).await.unwrap();
        assert_eq!(out.outcome, Outcome::Ignored, "{file}");
        assert!(out.reason.unwrap().contains("no run waits"));
    }
}

fn sfn(rules: &[&Rule]) -> aws_sdk_sfn::Client {
    mock_client!(aws_sdk_sfn, RuleMode::MatchAny, rules, |c| c
        .retry_config(aws_sdk_sfn::config::retry::RetryConfig::disabled()))
}

#[tokio::test]
async fn approval_sends_the_stored_token_with_the_approver_and_note() {
    let mut deps = moto_deps().await;
    put_waiting(&deps.dynamodb, &deps.table, "token-approve").await;
    let seen: Arc<Mutex<Vec<SendTaskSuccessInput>>> = Arc::default();
    let capture = seen.clone();
    let success = mock!(aws_sdk_sfn::Client::send_task_success).then_compute_output(move |input| {
        capture.lock().unwrap().push(input.clone());
        SendTaskSuccessOutput::builder().build()
    });
    deps.sfn = sfn(&[&success]);
    assert_eq!(
        handle(&deps, event("approved.json")).await.unwrap().outcome,
        Outcome::Resumed
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].task_token(), Some("token-approve"));
    let output: Value = serde_json::from_str(seen[0].output().unwrap()).unwrap();
    assert_eq!(output["approval_status"], "Approved");
    assert_eq!(output["approved_by"], "ana");
    assert_eq!(output["model_package_arn"], PACKAGE);
    assert!(output["approval_description"]
        .as_str()
        .unwrap()
        .contains("worst stores"));
}

#[tokio::test]
async fn rejection_fails_the_task_with_the_stable_error_and_the_reason() {
    let mut deps = moto_deps().await;
    put_waiting(&deps.dynamodb, &deps.table, "token-reject").await;
    let seen: Arc<Mutex<Vec<SendTaskFailureInput>>> = Arc::default();
    let capture = seen.clone();
    let failure = mock!(aws_sdk_sfn::Client::send_task_failure).then_compute_output(move |input| {
        capture.lock().unwrap().push(input.clone());
        SendTaskFailureOutput::builder().build()
    });
    deps.sfn = sfn(&[&failure]);
    assert_eq!(
        handle(&deps, event("rejected.json")).await.unwrap().outcome,
        Outcome::Rejected
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].task_token(), Some("token-reject"));
    assert_eq!(seen[0].error(), Some(REJECTED_ERROR));
    let cause = seen[0].cause().unwrap();
    assert!(
        cause.contains("by ana") && cause.contains("Store 42"),
        "{cause}"
    );
}

#[tokio::test]
async fn a_token_whose_run_ended_is_cleaned_up_as_stale() {
    let mut deps = moto_deps().await;
    put_waiting(&deps.dynamodb, &deps.table, "token-old").await;
    let timed_out = mock!(aws_sdk_sfn::Client::send_task_success).then_error(|| {
        SendTaskSuccessError::generic(
            ErrorMetadata::builder()
                .code("TaskTimedOut")
                .message("Task Timed Out")
                .build(),
        )
    });
    deps.sfn = sfn(&[&timed_out]);
    let out = handle(&deps, event("approved.json")).await.unwrap();
    assert_eq!(out.outcome, Outcome::Stale);
    assert!(!waiting(&deps.dynamodb, &deps.table).await);
}

#[tokio::test]
async fn a_throttled_callback_fails_the_invocation_and_keeps_the_token_for_the_retry() {
    let mut deps = moto_deps().await;
    put_waiting(&deps.dynamodb, &deps.table, "token-keep").await;
    let throttled = mock!(aws_sdk_sfn::Client::send_task_failure).then_error(|| {
        SendTaskFailureError::generic(
            ErrorMetadata::builder()
                .code("ThrottlingException")
                .message("Rate exceeded")
                .build(),
        )
    });
    deps.sfn = sfn(&[&throttled]);
    let err = handle(&deps, event("rejected.json")).await.unwrap_err();
    assert_eq!(err.error_type(), "ApprovalDeliveryFailed");
    assert!(err.to_string().contains("ThrottlingException"));
    assert!(waiting(&deps.dynamodb, &deps.table).await);
}
