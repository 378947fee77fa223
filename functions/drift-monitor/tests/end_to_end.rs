//! The loop closed on the local AWS server: a capture → the monitor → the drift event (read from
//! the SQS queue the drift rule targets) → the drift bridge handler → Step Functions. A shifted
//! window starts exactly one retraining execution, even when the monitor runs twice over it; an
//! unshifted window starts none.

mod common;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use common::Aws;
use integration_tests::LocalAws;
use serde_json::json;

const TRIVIAL_DEFINITION: &str =
    r#"{"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": true}}}"#;

/// A claims table and a retraining state machine, and the bridge's dependencies on them.
struct Retraining {
    bridge: drift_bridge::Deps,
    sfn: aws_sdk_sfn::Client,
    state_machine_arn: String,
}

impl Retraining {
    async fn new(config: &aws_config::SdkConfig) -> Self {
        let dynamodb = aws_sdk_dynamodb::Client::new(config);
        let sfn = aws_sdk_sfn::Client::new(config);
        let table = LocalAws::unique_name("drift-claims");
        let attribute = AttributeDefinition::builder()
            .attribute_name("model_name")
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("attribute");
        let key = KeySchemaElement::builder()
            .attribute_name("model_name")
            .key_type(KeyType::Hash)
            .build()
            .expect("key");
        dynamodb
            .create_table()
            .table_name(&table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attribute)
            .key_schema(key)
            .send()
            .await
            .expect("table");
        let state_machine_arn = sfn
            .create_state_machine()
            .name(LocalAws::unique_name("ml-retraining"))
            .definition(TRIVIAL_DEFINITION)
            .role_arn("arn:aws:iam::123456789012:role/ml-retraining-test")
            .send()
            .await
            .expect("state machine")
            .state_machine_arn()
            .to_string();
        let settings = drift_bridge::Settings::new(&table, &state_machine_arn);
        Self {
            bridge: drift_bridge::Deps::new(config, settings),
            sfn,
            state_machine_arn,
        }
    }

    async fn executions(&self) -> Vec<String> {
        self.sfn
            .list_executions()
            .state_machine_arn(&self.state_machine_arn)
            .send()
            .await
            .expect("list executions")
            .executions()
            .iter()
            .map(|e| e.name().to_string())
            .collect()
    }

    /// Hands every event the queue holds to the drift bridge, as the EventBridge rule would.
    async fn deliver(&self, aws: &Aws) -> usize {
        let events = aws.received_events().await;
        for event in &events {
            drift_bridge::handle(&self.bridge, event.clone())
                .await
                .expect("the bridge accepts the event");
        }
        events.len()
    }
}

#[tokio::test]
async fn a_shifted_capture_starts_exactly_one_retraining_even_when_monitored_twice() {
    let aws = Aws::new().await;
    let retraining = Retraining::new(&aws.config).await;
    aws.baseline().await;
    aws.upload_capture("variance_change").await;
    for _ in 0..2 {
        let report = aws.monitor("variance_change", json!({})).await;
        assert_eq!(report["drift_detected"], true);
    }
    assert_eq!(
        retraining.deliver(&aws).await,
        2,
        "each run published its event"
    );
    let executions = retraining.executions().await;
    assert_eq!(executions.len(), 1, "{executions:?}");
    assert!(
        executions[0].starts_with("drift-demand-forecast-20261129T110000Z-"),
        "{executions:?}"
    );
}

#[tokio::test]
async fn an_unshifted_capture_starts_none() {
    let aws = Aws::new().await;
    let retraining = Retraining::new(&aws.config).await;
    aws.baseline().await;
    aws.upload_capture("no_shift").await;
    let report = aws.monitor("no_shift", json!({})).await;
    assert_eq!(report["drift_detected"], false);
    assert_eq!(retraining.deliver(&aws).await, 0);
    assert!(retraining.executions().await.is_empty());
}
