//! `evaluate-model-metrics` end to end against S3 on a local moto server: the real SDK client
//! over HTTP, the handler as Lambda calls it, its typed errors.

use aws_sdk_s3::primitives::ByteStream;
use evaluate_model_metrics::input::Task;
use evaluate_model_metrics::{handle, Deps};
use integration_tests::{workspace_root, LocalAws};
use serde_json::{json, Value};
use shared::ErrorType;
use std::io::Write;

async fn s3() -> aws_sdk_s3::Client {
    let config = LocalAws::shared().sdk_config().await;
    shared::aws::s3_client(&config)
}

async fn bucket_with(objects: &[(&str, Vec<u8>)]) -> (aws_sdk_s3::Client, String) {
    let client = s3().await;
    let bucket = LocalAws::unique_name("eval");
    client.create_bucket().bucket(&bucket).send().await.unwrap();
    for (key, body) in objects {
        client
            .put_object()
            .bucket(&bucket)
            .key(*key)
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .unwrap();
    }
    (client, bucket)
}

fn sample_csv() -> Vec<u8> {
    std::fs::read(workspace_root().join("events/evaluate-model-metrics/data/predictions.csv"))
        .unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// MAPE computed the plain way, independently of the function's streaming code.
fn naive_mape(csv: &[u8]) -> (f64, usize, usize) {
    let text = String::from_utf8(csv.to_vec()).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let a = header.iter().position(|h| *h == "actual").unwrap();
    let p = header.iter().position(|h| *h == "prediction").unwrap();
    let (mut sum, mut used, mut zeros) = (0.0, 0, 0);
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        let actual: f64 = fields[a].parse().unwrap();
        let predicted: f64 = fields[p].parse().unwrap();
        if actual == 0.0 {
            zeros += 1;
        } else {
            sum += (predicted - actual).abs() / actual;
            used += 1;
        }
    }
    (100.0 * sum / used as f64, used, zeros)
}

fn event(bucket: &str, key: &str) -> Value {
    json!({
        "model_uri": format!("s3://{bucket}/models/model.tar.gz"),
        "model_name": "demand-forecast",
        "predictions_uri": format!("s3://{bucket}/{key}"),
        "actual_column": "actual",
        "predicted_column": "prediction",
        "segment_columns": ["store_id"],
        "production_metrics": {"mape": "14.5"}
    })
}

#[tokio::test]
async fn gzip_csv_in_s3_gives_the_hand_computed_mape() {
    let csv = sample_csv();
    let (client, bucket) = bucket_with(&[("eval/predictions.csv.gz", gzip(&csv))]).await;
    let output = handle(
        &Deps::with_s3(client),
        event(&bucket, "eval/predictions.csv.gz"),
    )
    .await
    .unwrap();
    let (mape, used, zeros) = naive_mape(&csv);
    let got = output.mape.expect("a regression reports MAPE");
    assert!((got - mape).abs() < 1e-9, "{got} vs {mape}");
    assert_eq!(output.rows.evaluated as usize, used);
    assert_eq!(output.rows.zero_actual_skipped as usize, zeros);
    assert_eq!(output.segments.count, 8);
    assert!(output.beats_production);
    let json = serde_json::to_value(&output).unwrap();
    assert!(
        json["mape"].is_number(),
        "the state machine reads $.Payload.mape as a number"
    );
}

#[tokio::test]
async fn s3_and_local_file_give_identical_results() {
    let csv = sample_csv();
    let (client, bucket) = bucket_with(&[("p.csv", csv)]).await;
    let deps = Deps::with_s3(client);
    let from_s3 = handle(&deps, event(&bucket, "p.csv")).await.unwrap();
    let mut local = event(&bucket, "p.csv");
    local["predictions_uri"] = json!(format!(
        "file://{}",
        workspace_root()
            .join("events/evaluate-model-metrics/data/predictions.csv")
            .display()
    ));
    let from_file = handle(&deps, local).await.unwrap();
    assert_eq!(from_s3.mape, from_file.mape);
    assert_eq!(from_s3.segments.worst, from_file.segments.worst);
}

#[tokio::test]
async fn a_missing_key_is_predictions_not_found() {
    let (client, bucket) = bucket_with(&[]).await;
    let error = handle(&Deps::with_s3(client), event(&bucket, "nope.csv"))
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "PredictionsNotFound", "{error}");
    assert!(error.to_string().contains("nope.csv"));
}

#[tokio::test]
async fn a_missing_bucket_is_predictions_not_found() {
    let client = s3().await;
    let error = handle(
        &Deps::with_s3(client),
        event("no-such-bucket-anywhere", "p.csv"),
    )
    .await
    .unwrap_err();
    assert_eq!(error.error_type(), "PredictionsNotFound", "{error}");
}

#[tokio::test]
async fn an_unparsable_row_in_s3_names_its_line() {
    let body = b"store_id,actual,prediction\ns1,1,2\ns1,2,oops\n".to_vec();
    let (client, bucket) = bucket_with(&[("bad.csv", body)]).await;
    let error = handle(&Deps::with_s3(client), event(&bucket, "bad.csv"))
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "UnparsableRow");
    assert!(error.to_string().contains("line 3"), "{error}");
}

#[tokio::test]
async fn a_corrupt_gzip_object_is_corrupt_input() {
    let (client, bucket) = bucket_with(&[("bad.csv.gz", b"not gzip at all".to_vec())]).await;
    let error = handle(&Deps::with_s3(client), event(&bucket, "bad.csv.gz"))
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "CorruptInput", "{error}");
}

#[tokio::test]
async fn an_unreachable_endpoint_is_storage_unavailable() {
    // A port nothing listens on: the SDK's connection failure must read as transient.
    let config = integration_tests::unreachable_sdk_config().await;
    let client = shared::aws::s3_client(&config);
    let error = handle(&Deps::with_s3(client), event("b", "p.csv"))
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "StorageUnavailable", "{error}");
}

#[tokio::test]
async fn every_sample_event_gives_its_documented_result() {
    let root = workspace_root();
    shared::storage::set_local_root(Some(root.clone()));
    let deps = Deps::local();
    let cases = [
        ("good-model.json", Ok(true)),
        ("poor-model.json", Ok(false)),
        ("csv-file.json", Ok(true)),
        ("gzip-jsonl.json", Ok(true)),
        ("missing-object.json", Err("PredictionsNotFound")),
        ("bad-column.json", Err("ColumnNotFound")),
        ("unparsable-row.json", Err("UnparsableRow")),
        ("invalid-input.json", Err("InvalidInput")),
        ("multiclass-probabilities.json", Ok(true)),
        ("multiclass-labels.json", Ok(true)),
        ("binary-scores.json", Ok(true)),
        ("unknown-label.json", Err("LabelNotDeclared")),
        ("gate-unknown-metric.json", Err("InvalidInput")),
    ];
    for (file, expected) in cases {
        let text =
            std::fs::read_to_string(root.join("events/evaluate-model-metrics").join(file)).unwrap();
        let event: Value = serde_json::from_str(&text).unwrap();
        let result = handle(&deps, event).await;
        match (expected, result) {
            (Ok(beats), Ok(output)) => {
                assert_eq!(output.beats_production, beats, "{file}");
                match output.task {
                    Task::Regression => {
                        assert!(output.mape.is_some_and(|m| m > 0.0 && m < 100.0), "{file}")
                    }
                    _ => {
                        assert!(output.mape.is_none(), "{file}");
                        assert!(
                            output.gate.is_some(),
                            "{file}: every classification sample has a gate"
                        );
                    }
                }
            }
            (Err(kind), Err(error)) => assert_eq!(error.error_type(), kind, "{file}: {error}"),
            (expected, got) => panic!("{file}: expected {expected:?}, got {got:?}"),
        }
    }
}
