//! `drift-monitor` against S3, EventBridge and SQS on a local moto server: the real SDK clients
//! over HTTP. The training data and captures are the reference fixtures
//! (`tests/fixtures/reference/`, from `bench/drift_reference.py`) uploaded to S3; the drift
//! event is observed the way a consumer sees it, through a rule with the template's
//! `DriftRetrainingRule` pattern on a fresh bus and an SQS queue as its target.

mod common;

use common::{fixtures, Aws};
use drift_bridge::event::{decode_value, Decoded};
use drift_monitor::{handle, Output};
use serde_json::{json, Value};

#[tokio::test]
async fn a_baseline_is_built_from_gzip_training_data_in_s3() {
    let aws = Aws::new().await;
    let uri = aws
        .upload_gzip("train/training.csv.gz", &fixtures().join("training.csv"))
        .await;
    let output = handle(
        &aws.deps,
        json!({"mode": "baseline", "model_name": "demand-forecast", "training_data_uri": uri,
               "categorical_features": ["store_type"], "prediction_column": "prediction",
               "output_uri": aws.uri("models/demand-forecast/baseline.json")}),
    )
    .await
    .expect("baseline builds");
    let Output::Baseline(summary) = output else {
        panic!("not a baseline summary")
    };
    assert_eq!(summary.rows, 3000);
    let profile = aws.get_json("models/demand-forecast/baseline.json").await;
    assert_eq!(profile["schema_version"], 1);
    assert_eq!(profile["features"][2]["kind"], "categorical");
    assert_eq!(profile["prediction"]["name"], "prediction");
}

#[tokio::test]
async fn a_shifted_window_publishes_one_drift_event_the_bridge_accepts() {
    let aws = Aws::new().await;
    aws.baseline().await;
    aws.upload_capture("mean_shift").await;
    let report = aws.monitor("mean_shift", json!({})).await;
    assert_eq!(report["drift_detected"], true);
    assert_eq!(report["event_published"], true);
    assert_eq!(report["drifted_features"], json!(["price", "prediction"]));

    let events = aws.received_events().await;
    assert_eq!(events.len(), 1, "{events:#?}");
    let event = &events[0];
    assert_eq!(event["detail-type"], "model.drift_detected");
    assert_eq!(event["source"], drift_monitor::publish::EVENT_SOURCE);
    let detail = &event["detail"];
    assert_eq!(detail["event_id"], report["event_id"]);
    assert_eq!(detail["metric"], "psi");
    assert_eq!(detail["feature"], "price");
    assert_eq!(detail["threshold"], 0.25);
    assert_eq!(detail["report_uri"], report["report_uri"]);
    let Ok(Decoded::Drift(drift)) = decode_value(detail.clone()) else {
        panic!("the drift bridge does not accept {detail:#}");
    };
    assert_eq!(drift.model_name, "demand-forecast");
    assert_eq!(drift.detected_at_text(), "2026-11-29T11:00:00.000Z");

    let stored = aws
        .get_json("reports/demand-forecast/20261129T11Z.json")
        .await;
    assert_eq!(stored, report, "the report in S3 is the one returned");
}

#[tokio::test]
async fn a_rerun_of_the_same_window_sends_the_same_event_id() {
    let aws = Aws::new().await;
    aws.baseline().await;
    aws.upload_capture("new_category").await;
    let first = aws.monitor("new_category", json!({})).await;
    let second = aws.monitor("new_category", json!({})).await;
    assert_eq!(first["drifted_features"], json!(["store_type"]));
    let events = aws.received_events().await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["detail"], events[1]["detail"]);
    assert_eq!(events[0]["detail"]["event_id"], second["event_id"]);
}

#[tokio::test]
async fn an_unshifted_window_publishes_nothing() {
    let aws = Aws::new().await;
    aws.baseline().await;
    aws.upload_capture("no_shift").await;
    let report = aws.monitor("no_shift", json!({})).await;
    assert_eq!(report["status"], "ok");
    assert_eq!(report["drift_detected"], false);
    assert_eq!(report["event_id"], Value::Null);
    assert!(aws.received_events().await.is_empty());
    assert_eq!(
        aws.get_json("reports/demand-forecast/20261129T11Z.json")
            .await["rows"],
        2000
    );
}

#[tokio::test]
async fn too_few_rows_is_insufficient_data_not_drift() {
    let aws = Aws::new().await;
    aws.baseline().await;
    aws.upload_capture("mean_shift").await;
    let report = aws.monitor("mean_shift", json!({"min_rows": 5000})).await;
    assert_eq!(report["status"], "insufficient_data");
    assert_eq!(report["drift_detected"], false);
    assert!(
        report["features"][0]["psi"].as_f64().unwrap_or(0.0) > 0.25,
        "scores are still reported"
    );
    assert!(aws.received_events().await.is_empty());
}

#[tokio::test]
async fn a_ks_threshold_flags_drift_that_psi_alone_would_not() {
    let aws = Aws::new().await;
    aws.baseline().await;
    aws.upload_capture("no_shift").await;
    let report = aws
        .monitor(
            "no_shift",
            json!({"thresholds": {"ks": 0.02}, "publish": false}),
        )
        .await;
    assert_eq!(report["drift_detected"], true);
    assert_eq!(report["event_published"], false);
    assert!(report["drifted_features"]
        .as_array()
        .is_some_and(|d| d.contains(&json!("quantity"))));
    assert!(
        aws.received_events().await.is_empty(),
        "publish: false sends nothing"
    );
}

#[tokio::test]
async fn a_missing_baseline_is_a_typed_error() {
    let aws = Aws::new().await;
    aws.upload_capture("no_shift").await;
    let error = handle(&aws.deps, aws.monitor_request("no_shift", json!({})))
        .await
        .expect_err("no baseline");
    assert_eq!(shared::ErrorType::error_type(&error), "BaselineNotFound");
}

/// A topic with a queue subscribed to it: what SNS delivers, as the notifier would receive it.
async fn notifications_topic(aws: &Aws) -> (String, String) {
    let sns = aws_sdk_sns::Client::new(&aws.config);
    let topic = sns
        .create_topic()
        .name(integration_tests::LocalAws::unique_name("notifications"))
        .send()
        .await
        .expect("topic")
        .topic_arn
        .expect("topic arn");
    let queue_url = aws
        .sqs
        .create_queue()
        .queue_name(integration_tests::LocalAws::unique_name("summaries"))
        .send()
        .await
        .expect("queue")
        .queue_url
        .expect("queue url");
    let queue_arn = aws
        .sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("attributes")
        .attributes
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .cloned()
        })
        .expect("queue arn");
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(queue_arn)
        .send()
        .await
        .expect("subscription");
    (topic, queue_url)
}

/// The SNS envelopes delivered to `queue_url` so far.
async fn delivered(aws: &Aws, queue_url: &str) -> Vec<Value> {
    let received = aws
        .sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .send()
        .await
        .expect("receive");
    received
        .messages()
        .iter()
        .map(|m| serde_json::from_str(m.body().unwrap_or("null")).expect("SNS envelope"))
        .collect()
}

/// The notifier's reading of one delivered envelope.
fn as_notifier_sees_it(envelope: &Value) -> slack_notifier::message::Notification {
    let attributes = envelope["MessageAttributes"]
        .as_object()
        .map(|a| {
            a.iter()
                .map(|(k, v)| (k.clone(), v["Value"].as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default();
    slack_notifier::message::Notification::classify(
        envelope["Message"].as_str().expect("message"),
        envelope["Subject"].as_str().map(str::to_string),
        attributes,
        "m".into(),
        "notifications".into(),
    )
}

#[tokio::test]
async fn every_run_posts_a_summary_the_slack_notifier_renders() {
    let mut aws = Aws::new().await;
    let (topic, queue_url) = notifications_topic(&aws).await;
    aws.deps = aws.deps.clone().with_notifications_topic(Some(topic));
    aws.baseline().await;

    aws.upload_capture("mean_shift").await;
    let report = aws.monitor("mean_shift", json!({})).await;
    assert_eq!(report["summary_published"], true);
    let envelopes = delivered(&aws, &queue_url).await;
    assert_eq!(envelopes.len(), 1, "{envelopes:#?}");
    let envelope = &envelopes[0];
    assert_eq!(
        envelope["Subject"],
        "[drift-monitor] demand-forecast: drift in price, prediction"
    );
    assert_eq!(
        envelope["MessageAttributes"]["event_type"]["Value"],
        "drift_report"
    );
    assert_eq!(
        envelope["MessageAttributes"]["severity"]["Value"],
        "warning"
    );
    let body: Value =
        serde_json::from_str(envelope["Message"].as_str().unwrap_or("")).expect("JSON");
    assert_eq!(body["report_uri"], report["report_uri"]);
    assert_eq!(
        body["top_features"][0]["feature"], "price",
        "largest PSI first"
    );
    assert_eq!(
        body["features_scored"],
        report["features"].as_array().map_or(0, Vec::len) + 1
    );
    let seen = as_notifier_sees_it(envelope);
    assert_eq!(seen.kind.name(), "drift_report");
    let text = slack_notifier::render::render(&seen).text;
    assert!(text.contains("drift in price, prediction"), "{text}");

    // A quiet window is summarised too, as routine news.
    let quiet = Aws::new().await;
    let (topic, queue_url) = notifications_topic(&quiet).await;
    let mut quiet = quiet;
    quiet.deps = quiet.deps.clone().with_notifications_topic(Some(topic));
    quiet.baseline().await;
    quiet.upload_capture("no_shift").await;
    quiet.monitor("no_shift", json!({})).await;
    let envelopes = delivered(&quiet, &queue_url).await;
    assert_eq!(envelopes.len(), 1);
    assert_eq!(
        envelopes[0]["MessageAttributes"]["severity"]["Value"],
        "info"
    );
    assert_eq!(
        as_notifier_sees_it(&envelopes[0]).severity,
        slack_notifier::message::Severity::Info
    );
}

#[tokio::test]
async fn a_summary_that_cannot_be_posted_does_not_fail_the_run() {
    let mut aws = Aws::new().await;
    let missing = "arn:aws:sns:us-east-1:123456789012:no-such-topic".to_string();
    aws.deps = aws.deps.clone().with_notifications_topic(Some(missing));
    aws.baseline().await;
    aws.upload_capture("mean_shift").await;
    let report = aws.monitor("mean_shift", json!({})).await;
    assert_eq!(
        report["event_published"], true,
        "the drift event still goes out"
    );
    assert_eq!(report["summary_published"], false);
}
