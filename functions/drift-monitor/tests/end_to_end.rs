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

/// The drift topic's partitions on a local Kafka-compatible broker (tansu).
const DRIFT_TOPIC: &str = "model-monitoring";
const DRIFT_TOPIC_PARTITIONS: usize = 3;

async fn kafka_client(broker: &integration_tests::LocalKafka) -> rskafka::client::Client {
    rskafka::client::ClientBuilder::new(vec![broker.bootstrap().to_string()])
        .build()
        .await
        .expect("a client of the local broker")
}

/// Every record of the drift topic, as the MSK event source hands them to the drift bridge
/// (`eventSource: aws:kafka`, records by `topic-partition`, key and value base64).
async fn msk_event(broker: &integration_tests::LocalKafka) -> (serde_json::Value, usize) {
    let client = kafka_client(broker).await;
    let mut records = serde_json::Map::new();
    let mut count = 0;
    for partition in 0..DRIFT_TOPIC_PARTITIONS as i32 {
        let consumer = client
            .partition_client(
                DRIFT_TOPIC,
                partition,
                rskafka::client::partition::UnknownTopicHandling::Error,
            )
            .await
            .expect("partition client");
        let (fetched, _high_watermark) = consumer
            .fetch_records(0, 1..1_000_000, 1_000)
            .await
            .expect("fetch");
        let batch: Vec<serde_json::Value> = fetched
            .iter()
            .map(|r| {
                json!({
                    "topic": DRIFT_TOPIC, "partition": partition, "offset": r.offset,
                    "timestamp": r.record.timestamp.timestamp_millis(),
                    "timestampType": "CREATE_TIME",
                    "key": shared::kafka::encode_base64(r.record.key.as_deref().unwrap_or_default()),
                    "value": shared::kafka::encode_base64(r.record.value.as_deref().unwrap_or_default()),
                    "headers": []
                })
            })
            .collect();
        count += batch.len();
        if !batch.is_empty() {
            records.insert(format!("{DRIFT_TOPIC}-{partition}"), json!(batch));
        }
    }
    let event = json!({
        "eventSource": "aws:kafka",
        "eventSourceArn": "arn:aws:kafka:us-east-1:123456789012:cluster/monitoring/6f1e3c2a-9b8d-4c7e-a5f4-2d1b0c9e8f7a-3",
        "bootstrapServers": broker.bootstrap(),
        "records": records
    });
    (event, count)
}

#[tokio::test]
async fn over_kafka_a_shifted_capture_starts_exactly_one_retraining() {
    let broker = integration_tests::LocalKafka::start();
    kafka_client(&broker)
        .await
        .controller_client()
        .expect("controller")
        .create_topic(DRIFT_TOPIC, DRIFT_TOPIC_PARTITIONS as i32, 1, 5_000)
        .await
        .expect("topic");
    let mut aws = Aws::new().await;
    let sink = drift_monitor::kafka_sink::KafkaSink::new(
        vec![broker.bootstrap().to_string()],
        DRIFT_TOPIC,
        drift_monitor::kafka_sink::KafkaAuth::Plaintext,
    );
    aws.deps = aws.deps.clone().with_kafka(Some(sink));
    let retraining = Retraining::new(&aws.config).await;
    aws.baseline().await;
    aws.upload_capture("variance_change").await;
    for _ in 0..2 {
        let report = aws.monitor("variance_change", json!({})).await;
        assert_eq!(report["kafka_published"], true, "{report}");
    }

    let (event, count) = msk_event(&broker).await;
    assert_eq!(count, 2, "each run produced its record: {event}");
    let partition =
        drift_monitor::kafka_sink::partition_for_key(b"demand-forecast", DRIFT_TOPIC_PARTITIONS);
    let records = &event["records"][format!("{DRIFT_TOPIC}-{partition}")];
    assert_eq!(
        records.as_array().map(Vec::len),
        Some(2),
        "keyed by model name, both records are in partition {partition}: {event}"
    );
    let response = drift_bridge::handle(&retraining.bridge, event.clone())
        .await
        .expect("the bridge accepts the Kafka batch");
    let response = serde_json::to_value(response).expect("response");
    assert_eq!(response["batchItemFailures"], json!([]), "{response}");
    let executions = retraining.executions().await;
    assert_eq!(executions.len(), 1, "{executions:?}");
}

#[tokio::test]
async fn an_unreachable_broker_fails_the_run_with_publish_failed() {
    let broker = integration_tests::LocalKafka::start();
    let address = broker.bootstrap().to_string();
    drop(broker);
    let mut aws = Aws::new().await;
    let sink = drift_monitor::kafka_sink::KafkaSink::new(
        vec![address],
        DRIFT_TOPIC,
        drift_monitor::kafka_sink::KafkaAuth::Plaintext,
    )
    .with_timeout(std::time::Duration::from_secs(2));
    aws.deps = aws.deps.clone().with_kafka(Some(sink));
    aws.baseline().await;
    aws.upload_capture("variance_change").await;
    let error = drift_monitor::handle(&aws.deps, aws.monitor_request("variance_change", json!({})))
        .await
        .expect_err("the broker is gone");
    assert_eq!(
        shared::ErrorType::error_type(&error),
        "PublishFailed",
        "{error}"
    );
    assert!(error.to_string().contains(DRIFT_TOPIC), "{error}");
}
