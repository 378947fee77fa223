//! `drift-bridge` against DynamoDB and Step Functions on a local moto server: the real SDK
//! clients over HTTP, the handler as Lambda calls it, a clock the tests move.

mod common;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use chrono::{DateTime, Duration, Utc};
use common::{batch, drift, json_record, record};
use drift_bridge::clock::ManualClock;
use drift_bridge::{dedup, handle, naming, BridgeResponse, Deps, Settings};
use integration_tests::{workspace_root, LocalAws};
use serde_json::{json, Value};
use std::sync::Arc;

const TRIVIAL_DEFINITION: &str =
    r#"{"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": true}}}"#;

struct Env {
    deps: Deps,
    clock: Arc<ManualClock>,
    sfn: aws_sdk_sfn::Client,
    dynamodb: aws_sdk_dynamodb::Client,
    table: String,
    state_machine_arn: String,
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// A fresh claims table and state machine, the clock at 2026-11-27T08:00:00Z.
async fn env(cooldown_seconds: i64) -> Env {
    let config = LocalAws::shared().sdk_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let sfn = aws_sdk_sfn::Client::new(&config);
    let table = LocalAws::unique_name("drift-claims");
    dynamodb
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("model_name")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("model_name")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let state_machine_arn = sfn
        .create_state_machine()
        .name(LocalAws::unique_name("ml-retraining"))
        .definition(TRIVIAL_DEFINITION)
        .role_arn("arn:aws:iam::123456789012:role/ml-retraining-test")
        .send()
        .await
        .unwrap()
        .state_machine_arn()
        .to_string();
    let mut settings = Settings::new(&table, &state_machine_arn);
    settings.cooldown_seconds = cooldown_seconds;
    let clock = Arc::new(ManualClock::new(at("2026-11-27T08:00:00Z")));
    let deps = Deps::new(&config, settings).with_clock(clock.clone());
    Env {
        deps,
        clock,
        sfn,
        dynamodb,
        table,
        state_machine_arn,
    }
}

impl Env {
    async fn executions(&self) -> Vec<(String, Value)> {
        let list = self
            .sfn
            .list_executions()
            .state_machine_arn(&self.state_machine_arn)
            .max_results(1000)
            .send()
            .await
            .unwrap();
        let mut out = Vec::new();
        for execution in list.executions() {
            let described = self
                .sfn
                .describe_execution()
                .execution_arn(execution.execution_arn())
                .send()
                .await
                .unwrap();
            let input: Value = serde_json::from_str(described.input().unwrap_or("null")).unwrap();
            out.push((execution.name().to_string(), input));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    async fn run(&self, payload: Value) -> BridgeResponse {
        handle(&self.deps, payload).await.unwrap()
    }
}

fn kafka(response: &BridgeResponse) -> &drift_bridge::kafka::KafkaBatchResponse {
    match response {
        BridgeResponse::Kafka(k) => k,
        other => panic!("not a Kafka response: {other:?}"),
    }
}

#[tokio::test]
async fn one_drift_event_starts_one_execution_with_the_right_name_and_input() {
    let env = env(6 * 3600).await;
    let event = drift("mon-0001", "demand-forecast", "2026-11-27T07:55:00Z");
    let response = env.run(batch(vec![json_record(0, 41, &event)])).await;
    let response = kafka(&response);
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(response.summary.started, 1);
    assert_eq!(response.summary.records, 1);

    let expected_name =
        naming::execution_name("demand-forecast", at("2026-11-27T07:55:00Z"), "mon-0001");
    assert_eq!(
        response.summary.started_executions,
        std::slice::from_ref(&expected_name)
    );
    let executions = env.executions().await;
    assert_eq!(executions.len(), 1);
    let (name, input) = &executions[0];
    assert_eq!(name, &expected_name);
    assert_eq!(input["model_name"], "demand-forecast");
    let trigger = &input["trigger"];
    assert_eq!(trigger["source"], "drift");
    assert_eq!(trigger["event_id"], "mon-0001");
    assert_eq!(trigger["metric"], "psi");
    assert_eq!(trigger["value"], 0.31);
    assert_eq!(trigger["threshold"], 0.2);
    assert_eq!(trigger["detected_at"], "2026-11-27T07:55:00.000Z");
    assert_eq!(trigger["model_version"], "2026-11-02");
    assert_eq!(trigger["episode"], expected_name.as_str());
    assert_eq!(
        trigger["origin"],
        json!({"kind": "kafka", "topic": common::TOPIC, "partition": 0, "offset": 41})
    );

    let claim = dedup::read(&env.dynamodb, &env.table, "demand-forecast")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claim.status, dedup::STATUS_STARTED);
    assert_eq!(claim.execution_name, expected_name);
}

#[tokio::test]
async fn the_same_batch_delivered_twice_starts_nothing_new() {
    let env = env(6 * 3600).await;
    let payload = batch(vec![
        json_record(
            0,
            1,
            &drift("e-1", "demand-forecast", "2026-11-27T07:00:00Z"),
        ),
        json_record(
            0,
            2,
            &drift("e-2", "demand-forecast", "2026-11-27T07:01:00Z"),
        ),
        json_record(1, 1, &drift("e-3", "churn", "2026-11-27T07:02:00Z")),
    ]);
    let first = env.run(payload.clone()).await;
    assert_eq!(first.summary().started, 2);
    assert_eq!(first.summary().cooled_down, 1);
    let second = env.run(payload).await;
    let summary = second.summary();
    assert_eq!(summary.started, 0, "{summary:?}");
    assert_eq!(summary.duplicate, 2, "{summary:?}");
    assert_eq!(summary.cooled_down, 1, "{summary:?}");
    assert!(kafka(&second).batch_item_failures.is_empty());
    assert_eq!(env.executions().await.len(), 2);
}

#[tokio::test]
async fn a_thousand_records_for_five_models_with_duplicates_and_malformed_ones_start_five_executions(
) {
    let env = env(6 * 3600).await;
    let models = [
        "demand-forecast",
        "churn",
        "price-elasticity",
        "fraud-score",
        "eta",
    ];
    let mut records = Vec::new();
    let mut malformed = 0;
    for i in 0..1000_i64 {
        let partition = i % 4;
        let offset = 100 + i / 4;
        if i % 10 == 7 {
            // 10 % malformed, of several kinds.
            let bad: Vec<u8> = match i % 3 {
                0 => b"{not json".to_vec(),
                1 => drift(
                    &format!("bad-{i}"),
                    "Not_A_Valid_Name",
                    "2026-11-27T07:00:00Z",
                )
                .to_string()
                .into_bytes(),
                _ => vec![0xff, 0xfe, 0x00, 0x13],
            };
            records.push(record(partition, offset, &bad));
            malformed += 1;
            continue;
        }
        let model = models[(i as usize) % models.len()];
        // 20 distinct events per model, each delivered several times.
        let event_id = format!("{model}-{}", (i / 5) % 20);
        let minute = (i / 5) % 20;
        let event = drift(&event_id, model, &format!("2026-11-27T07:{minute:02}:00Z"));
        records.push(json_record(partition, offset, &event));
    }
    assert_eq!(malformed, 100);
    let response = env.run(batch(records)).await;
    let response = kafka(&response);
    let s = &response.summary;
    assert_eq!(s.records, 1000, "{s:?}");
    assert_eq!(s.started, 5, "{s:?}");
    assert_eq!(s.rejected, 100, "{s:?}");
    assert_eq!(s.duplicate + s.cooled_down, 895, "{s:?}");
    assert_eq!((s.ignored, s.retried), (0, 0), "{s:?}");
    assert!(response.batch_item_failures.is_empty());

    let executions = env.executions().await;
    assert_eq!(executions.len(), 5);
    let mut started_models: Vec<String> = executions
        .iter()
        .map(|(_, input)| input["model_name"].as_str().unwrap().to_string())
        .collect();
    started_models.sort();
    let mut expected: Vec<String> = models.iter().map(|m| m.to_string()).collect();
    expected.sort();
    assert_eq!(started_models, expected);
    let names: Vec<&String> = executions.iter().map(|(n, _)| n).collect();
    let mut reported = s.started_executions.clone();
    reported.sort();
    assert_eq!(names, reported.iter().collect::<Vec<_>>());

    // Delivered again: nothing new, every valid record a duplicate or cooled down.
    let again = env.run(batch_again(&env).await).await;
    assert_eq!(again.summary().started, 0);
    assert_eq!(env.executions().await.len(), 5);
}

/// A burst of new events for the five models, inside their cooldown.
async fn batch_again(_env: &Env) -> Value {
    let models = [
        "demand-forecast",
        "churn",
        "price-elasticity",
        "fraud-score",
        "eta",
    ];
    batch(
        models
            .iter()
            .enumerate()
            .map(|(i, m)| {
                json_record(
                    0,
                    i as i64,
                    &drift(&format!("late-{m}"), m, "2026-11-27T07:59:00Z"),
                )
            })
            .collect(),
    )
}

#[tokio::test]
async fn a_second_drift_after_the_cooldown_starts_a_new_run() {
    let env = env(3600).await;
    let first = drift("d-1", "demand-forecast", "2026-11-27T07:59:00Z");
    assert_eq!(
        env.run(batch(vec![json_record(0, 1, &first)]))
            .await
            .summary()
            .started,
        1
    );

    // 30 minutes later: still cooling down.
    env.clock.advance(Duration::minutes(30));
    let second = drift("d-2", "demand-forecast", "2026-11-27T08:29:00Z");
    let response = env.run(batch(vec![json_record(0, 2, &second)])).await;
    assert_eq!(response.summary().cooled_down, 1);
    assert_eq!(response.summary().started, 0);

    // 61 minutes after the first: a new episode opens.
    env.clock.advance(Duration::minutes(31));
    let third = drift("d-3", "demand-forecast", "2026-11-27T09:00:00Z");
    let response = env.run(batch(vec![json_record(0, 3, &third)])).await;
    assert_eq!(response.summary().started, 1, "{:?}", response.summary());

    // A replay of the first event, long after every cooldown, reopens nothing.
    env.clock.advance(Duration::hours(5));
    let replay = env.run(batch(vec![json_record(0, 1, &first)])).await;
    assert_eq!(replay.summary().started, 0, "{:?}", replay.summary());

    let executions = env.executions().await;
    let names: Vec<&str> = executions.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            naming::execution_name("demand-forecast", at("2026-11-27T07:59:00Z"), "d-1"),
            naming::execution_name("demand-forecast", at("2026-11-27T09:00:00Z"), "d-3"),
        ]
    );
}

#[tokio::test]
async fn a_claim_left_pending_by_a_crash_is_started_by_the_next_delivery() {
    let env = env(6 * 3600).await;
    let event = drift("crash-1", "churn", "2026-11-27T07:30:00Z");
    // Simulate a crash after the claim and before StartExecution: write the claim only.
    let name = naming::execution_name("churn", at("2026-11-27T07:30:00Z"), "crash-1");
    let input =
        json!({"model_name": "churn", "trigger": {"source": "drift", "event_id": "crash-1"}})
            .to_string();
    let request = dedup::ClaimRequest {
        model_name: "churn",
        event_id: "crash-1",
        detected_at: at("2026-11-27T07:30:00Z"),
        execution_name: &name,
        execution_input: &input,
        now: at("2026-11-27T08:00:00Z"),
        cooldown_seconds: 6 * 3600,
        retention_seconds: 86400,
    };
    assert_eq!(
        dedup::claim(&env.dynamodb, &env.table, &request)
            .await
            .unwrap(),
        dedup::Claim::Opened
    );
    assert!(env.executions().await.is_empty());

    // Lambda redelivers the batch: the same name and the stored input are used.
    let response = env.run(batch(vec![json_record(0, 9, &event)])).await;
    assert_eq!(
        response.summary().started_executions,
        std::slice::from_ref(&name)
    );
    let executions = env.executions().await;
    assert_eq!(executions.len(), 1);
    assert_eq!(executions[0].0, name);
    assert_eq!(executions[0].1.to_string(), input);
    let claim = dedup::read(&env.dynamodb, &env.table, "churn")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claim.status, dedup::STATUS_STARTED);

    // And once more: a duplicate.
    let response = env.run(batch(vec![json_record(0, 9, &event)])).await;
    assert_eq!(
        (response.summary().started, response.summary().duplicate),
        (0, 1)
    );
}

#[tokio::test]
async fn an_eventbridge_drift_event_starts_the_same_kind_of_execution() {
    let env = env(6 * 3600).await;
    let payload: Value = serde_json::from_str(
        &std::fs::read_to_string(
            workspace_root().join("events/drift-bridge/eventbridge-drift.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let response = env.run(payload.clone()).await;
    let BridgeResponse::EventBridge(summary) = &response else {
        panic!("not an EventBridge response: {response:?}");
    };
    assert_eq!(summary.started, 1);
    let executions = env.executions().await;
    assert_eq!(executions[0].1["trigger"]["origin"]["kind"], "eventbridge");
    assert_eq!(env.run(payload).await.summary().duplicate, 1);
}

#[tokio::test]
async fn every_sample_event_gives_its_documented_result() {
    // (file, started, duplicate, cooled_down, ignored, rejected)
    let cases = [
        ("single.json", 1, 0, 0, 0, 0),
        ("batch.json", 3, 0, 1, 0, 0),
        ("duplicates.json", 1, 3, 0, 0, 0),
        ("malformed.json", 0, 0, 0, 0, 6),
        ("mixed-types.json", 1, 0, 0, 3, 1),
        ("eventbridge-drift.json", 1, 0, 0, 0, 0),
    ];
    for (file, started, duplicate, cooled_down, ignored, rejected) in cases {
        let env = env(6 * 3600).await;
        let text = std::fs::read_to_string(workspace_root().join("events/drift-bridge").join(file))
            .unwrap();
        let payload: Value = serde_json::from_str(&text).unwrap();
        let response = env.run(payload).await;
        let s = response.summary();
        assert_eq!(
            (
                s.started,
                s.duplicate,
                s.cooled_down,
                s.ignored,
                s.rejected,
                s.retried
            ),
            (started, duplicate, cooled_down, ignored, rejected, 0),
            "{file}: {s:?}"
        );
        assert_eq!(env.executions().await.len() as u64, started, "{file}");
    }
}

#[tokio::test]
async fn an_unreachable_aws_endpoint_hands_the_record_back_for_retry() {
    // A port nothing listens on: connection refused is a transient failure of that record.
    let config = integration_tests::unreachable_sdk_config().await;
    let settings = Settings::new(
        "claims",
        "arn:aws:states:us-east-1:123456789012:stateMachine:ml-retraining",
    );
    let deps = Deps::new(&config, settings);
    let payload = batch(vec![
        json_record(0, 5, &drift("e-5", "eta", "2026-11-27T06:00:00Z")),
        json_record(0, 6, &drift("e-6", "churn", "2026-11-27T06:00:00Z")),
    ]);
    let response = handle(&deps, payload).await.unwrap();
    let response = kafka(&response);
    assert_eq!(response.batch_item_failures.len(), 1);
    assert_eq!(response.batch_item_failures[0].item_identifier.offset, 5);
    assert_eq!(response.summary.retried, 2);
}

#[tokio::test]
async fn two_concurrent_deliveries_of_one_batch_start_one_execution() {
    let env = env(6 * 3600).await;
    let payload = batch(
        (0..20)
            .map(|i| {
                json_record(
                    i % 3,
                    i,
                    &drift(
                        &format!("burst-{i}"),
                        "demand-forecast",
                        "2026-11-27T07:40:00Z",
                    ),
                )
            })
            .collect(),
    );
    let (a, b) = tokio::join!(env.run(payload.clone()), env.run(payload));
    for response in [&a, &b] {
        let s = response.summary();
        assert_eq!((s.records, s.rejected, s.retried), (20, 0, 0), "{s:?}");
        assert!(kafka(response).batch_item_failures.is_empty());
    }
    assert_eq!(env.executions().await.len(), 1);
    assert!(a.summary().started + b.summary().started >= 1);
}
