//! The real Step Functions client over HTTP against moto on 127.0.0.1. moto 5.2 implements
//! `StartExecution` but not `StartSyncExecution` (Express synchronous runs): a request it cannot
//! run must come back as a batch item failure, never be lost. The workflow's answers are tested
//! with `aws-smithy-mocks` in `mocks.rs`.

mod common;

use common::{batch, record, request};
use inference_bridge::{handle, Deps, Settings};
use integration_tests::LocalAws;

#[tokio::test]
async fn a_request_the_service_cannot_run_is_reported_for_redelivery() {
    let config = LocalAws::shared().sdk_config().await;
    let sfn = aws_sdk_sfn::Client::new(&config);
    let arn = sfn
        .create_state_machine()
        .name(LocalAws::unique_name("realtime-inference"))
        .definition(r#"{"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": true}}}"#)
        .role_arn("arn:aws:iam::123456789012:role/realtime-inference-test")
        .r#type(aws_sdk_sfn::types::StateMachineType::Express)
        .send()
        .await
        .unwrap()
        .state_machine_arn()
        .to_string();
    let deps = Deps::with_client(sfn, Settings::new(&arn));
    let response = handle(
        &deps,
        batch(vec![
            record(0, 3, &request("a")),
            record(0, 4, &request("b")),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(response.batch_item_failures.len(), 1);
    assert_eq!(response.batch_item_failures[0].item_identifier.offset, 3);
    assert_eq!(response.summary.retried, 2);
}
