//! `data-quality` against Athena, SNS and SQS on a local moto server: the real SDK clients over
//! HTTP, Athena results preset through moto's API, the alert read back from an SQS queue
//! subscribed to both topics. Each test uses its own region, so that moto's per-region queue of
//! preset Athena results is its own.

mod common;

use common::{moto_preset, results, rules, scheduled_event};
use data_quality::athena::Backoff;
use data_quality::evaluate::Status;
use data_quality::rules::Severity;
use data_quality::{handle, Deps, Settings};
use integration_tests::LocalAws;
use serde_json::{json, Value};
use std::time::Duration;

/// What a test gets: the handler's dependencies and the queue the topics deliver to.
pub struct Env {
    pub deps: Deps,
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
    pub notifications: String,
    pub critical: String,
    pub region: &'static str,
}

/// Topics, a subscribed queue and a workgroup in `region`; checks run one at a time so that
/// the preset results are consumed in the rules file's order.
pub async fn env(region: &'static str) -> Env {
    let common::LocalAccount {
        config,
        sns,
        workgroup,
        notifications,
        critical,
        ..
    } = common::local_account(region).await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let queue_url = sqs
        .create_queue()
        .queue_name(LocalAws::unique_name("alerts"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    for topic_arn in [&notifications, &critical] {
        sns.subscribe()
            .topic_arn(topic_arn)
            .protocol("sqs")
            .endpoint(&queue_arn)
            .send()
            .await
            .unwrap();
    }
    let mut settings = Settings::new(&workgroup, &notifications, &critical);
    settings.max_concurrency = 1;
    settings.environment = "test".into();
    settings.output_location = Some("s3://athena-results/data-quality/".into());
    let deps = Deps::new(&config, settings, rules()).with_backoff(Backoff {
        base: Duration::from_millis(10),
        cap: Duration::from_millis(50),
        max_attempts: u32::MAX,
    });
    Env {
        deps,
        sqs,
        queue_url,
        notifications,
        critical,
        region,
    }
}

/// Queues `results` as the next Athena query results of `region`.
pub async fn preset(region: &str, results: &[common::Result]) {
    let body = json!({
        "region": region,
        "results": results.iter().map(moto_preset).collect::<Vec<_>>(),
    });
    let response = reqwest::Client::new()
        .post(format!(
            "{}/moto-api/static/athena/query-results",
            LocalAws::shared().endpoint()
        ))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
}

/// Every message on the queue (SNS envelopes), waiting briefly for stragglers.
pub async fn received(env: &Env) -> Vec<Value> {
    let mut messages = Vec::new();
    loop {
        let output = env
            .sqs
            .receive_message()
            .queue_url(&env.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        let batch = output.messages.unwrap_or_default();
        if batch.is_empty() {
            return messages;
        }
        for m in batch {
            messages.push(serde_json::from_str(m.body().unwrap()).unwrap());
        }
    }
}

#[tokio::test]
async fn all_checks_pass_and_nothing_is_published() {
    let env = env("us-west-1").await;
    preset(env.region, &results(0)).await;
    let summary = handle(&env.deps, scheduled_event()).await.unwrap();
    assert_eq!(
        (summary.passed, summary.failed, summary.errors),
        (4, 0, 0),
        "{summary:#?}"
    );
    assert_eq!(summary.checked_at.len(), 20);
    let json = serde_json::to_value(&summary).unwrap();
    assert_eq!(
        json["window"],
        json!({"start": "2026-11-27T06:00:00Z", "end": "2026-11-27T07:00:00Z"})
    );
    let observed: Vec<Value> = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["observed"].clone())
        .collect();
    assert_eq!(observed, [json!(1204), json!(12), json!(0), json!(0)]);
    assert!(summary
        .checks
        .iter()
        .all(|c| c.query_execution_id.is_some()));
    assert!(summary.alert.is_none());
    assert!(
        received(&env).await.is_empty(),
        "no alert when every check passes"
    );
}

#[tokio::test]
async fn one_failed_check_publishes_one_grouped_alert_to_the_notifications_topic() {
    let env = env("us-west-2").await;
    preset(env.region, &results(42)).await;
    let summary = handle(&env.deps, scheduled_event()).await.unwrap();
    assert_eq!((summary.passed, summary.failed, summary.errors), (3, 1, 0));
    let nulls = &summary.checks[2];
    assert_eq!(
        (nulls.name.as_str(), nulls.status, nulls.severity),
        (
            "sales_events_store_id_nulls",
            Status::Fail,
            Severity::Warning
        )
    );
    assert_eq!((nulls.observed, nulls.threshold), (Some(0.042), Some(0.01)));
    let alert = summary.alert.as_ref().unwrap();
    assert_eq!(alert.topic_arn, env.notifications);
    let messages = received(&env).await;
    assert_eq!(messages.len(), 1, "one alert per run: {messages:#?}");
    let envelope = &messages[0];
    assert_eq!(envelope["TopicArn"], env.notifications.as_str());
    assert_eq!(envelope["Subject"], "[data-quality] 1 check failed");
    assert_eq!(envelope["MessageId"], alert.message_id.as_str());
    let attributes = &envelope["MessageAttributes"];
    assert_eq!(
        attributes["event_type"],
        json!({"Type": "String", "Value": "data_quality_failed"})
    );
    assert_eq!(attributes["severity"]["Value"], "warning");
    assert_eq!(attributes["environment"]["Value"], "test");
    assert_eq!(
        attributes["failed"],
        json!({"Type": "Number", "Value": "1"})
    );
    let body: Value = serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap();
    assert_eq!(body["failed"], 1);
    assert_eq!(body["errors"], 0);
    assert_eq!(body["window"]["start"], "2026-11-27T06:00:00Z");
    let failed: Vec<&Value> = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["table"], "demand_forecast.sales_events");
    assert_eq!(failed[0]["owner"], "retail-data");
    assert_eq!(
        failed[0]["message"],
        "null rate of store_id 4.2% (42 of 1000 rows) exceeds 1%"
    );
}

#[tokio::test]
async fn a_critical_failure_and_an_unexpected_result_go_to_the_critical_topic() {
    let env = env("eu-west-1").await;
    let mut presets = results(0);
    presets[0] = common::row(&["observed"], &[Some("12")]);
    // The schema query answers with columns the check does not know: an error, not a crash.
    presets[3] = common::row(&["col"], &[Some("x")]);
    preset(env.region, &presets).await;
    let event = json!({
        "window_start": "2026-11-27T06:00:00Z",
        "window_end": "2026-11-27T07:00:00Z",
        "tables": ["sales_events"]
    });
    let summary = handle(&env.deps, event).await.unwrap();
    assert_eq!((summary.passed, summary.failed, summary.errors), (2, 1, 1));
    assert_eq!(summary.checks[3].status, Status::Error);
    assert!(summary.checks[3]
        .message
        .as_deref()
        .unwrap()
        .contains("unexpected result"));
    let messages = received(&env).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["TopicArn"], env.critical.as_str());
    assert_eq!(
        messages[0]["Subject"],
        "[data-quality] 1 check failed, 1 error"
    );
    assert_eq!(
        messages[0]["MessageAttributes"]["severity"]["Value"],
        "critical"
    );
}

#[tokio::test]
async fn an_unknown_table_in_the_event_is_an_invalid_event_and_runs_nothing() {
    let env = env("eu-central-1").await;
    let error = handle(&env.deps, json!({"tables": ["demand_forecast.nope"]}))
        .await
        .unwrap_err();
    assert_eq!(shared::ErrorType::error_type(&error), "InvalidEvent");
    assert!(received(&env).await.is_empty());
}
