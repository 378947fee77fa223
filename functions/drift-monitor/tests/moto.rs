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
