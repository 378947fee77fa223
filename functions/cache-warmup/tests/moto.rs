//! `cache-warmup` against S3 and DynamoDB on a local moto server: the real SDK clients over
//! HTTP, the sample forecast files of `events/cache-warmup/data/` uploaded to a fresh bucket,
//! a fresh cache table per test.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use cache_warmup::error::CacheWarmupError;
use cache_warmup::settings::Settings;
use cache_warmup::{handle, Deps, WarmupOutput};
use integration_tests::{workspace_root, LocalAws};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

struct Env {
    config: aws_config::SdkConfig,
    dynamodb: aws_sdk_dynamodb::Client,
    bucket: String,
    table: String,
}

impl Env {
    /// A fresh bucket holding the sample forecasts under `daily/<date>/`, and a fresh cache table.
    async fn new() -> Env {
        // EMF documents go to stdout, past the test harness's capture: keep the output readable.
        shared::metrics::set_sink(shared::metrics::Sink::Discard);
        let config = LocalAws::shared().sdk_config().await;
        let s3 = shared::aws::s3_client(&config);
        let dynamodb = aws_sdk_dynamodb::Client::new(&config);
        let bucket = LocalAws::unique_name("forecasts");
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
        let samples = workspace_root().join("events/cache-warmup/data/forecasts");
        for day in ["2026-11-26", "2026-11-27"] {
            for entry in std::fs::read_dir(samples.join(day)).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_str().unwrap().to_string();
                s3.put_object()
                    .bucket(&bucket)
                    .key(format!("daily/{day}/{name}"))
                    .body(std::fs::read(&path).unwrap().into())
                    .send()
                    .await
                    .unwrap();
            }
        }
        let table = LocalAws::unique_name("forecast-cache");
        create_cache_table(&dynamodb, &table).await;
        Env {
            config,
            dynamodb,
            bucket,
            table,
        }
    }

    fn settings(&self) -> Settings {
        let mut settings = Settings::new(&self.table);
        settings.forecast_location = Some(format!("s3://{}/daily/{{date}}/", self.bucket));
        settings.key_fields = vec!["store_id".into(), "item_id".into()];
        settings.ttl_days = 2;
        settings
    }

    fn deps(&self, settings: Settings) -> Deps {
        Deps::new(&self.config, settings)
    }

    /// Every item of the cache table, by key.
    async fn items(&self) -> BTreeMap<String, HashMap<String, AttributeValue>> {
        let mut items = BTreeMap::new();
        let mut start = None;
        loop {
            let page = self
                .dynamodb
                .scan()
                .table_name(&self.table)
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap();
            for item in page.items() {
                let key = format!(
                    "{}|{}",
                    item["pk"].as_s().unwrap(),
                    item["forecast_date"].as_s().unwrap()
                );
                items.insert(key, item.clone());
            }
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                return items;
            }
        }
    }
}

async fn create_cache_table(dynamodb: &aws_sdk_dynamodb::Client, table: &str) {
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .unwrap()
    };
    dynamodb
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute("pk"))
        .attribute_definitions(attribute("forecast_date"))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("forecast_date", KeyType::Range))
        .send()
        .await
        .unwrap();
}

fn sample_event(name: &str) -> Value {
    let path = workspace_root().join("events/cache-warmup").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

async fn run(deps: &Deps, event: Value) -> Result<WarmupOutput, CacheWarmupError> {
    handle(deps, event).await
}

#[tokio::test]
async fn several_files_including_gzip_and_csv_load_every_item_with_ttl_and_version() {
    let env = Env::new().await;
    let output = run(&env.deps(env.settings()), json!({"date": "2026-11-27"}))
        .await
        .unwrap();
    assert_eq!(output.date, "2026-11-27");
    assert_eq!(
        (output.items_read, output.items_written, output.items_failed),
        (100, 100, 0)
    );
    assert_eq!(output.files, 3);
    assert_eq!(output.skipped_files.len(), 1, "_SUCCESS is skipped");
    assert_eq!(
        output.source,
        format!("s3://{}/daily/2026-11-27/", env.bucket)
    );
    assert!(output.endpoint_warmup.is_none());

    let items = env.items().await;
    assert_eq!(items.len(), 100);
    // 2026-11-27T00:00:00Z + 2 days.
    let expires_at = (1_795_737_600 + 2 * 86_400).to_string();
    for item in items.values() {
        assert_eq!(item["expires_at"].as_n().unwrap(), &expires_at);
        assert_eq!(
            item["forecast_version"].as_s().unwrap(),
            &output.forecast_version
        );
    }
    let from_gzip_jsonl = &items["S03#I0001|2026-11-27"];
    assert_eq!(from_gzip_jsonl["p50"].as_n().unwrap(), "39.6");
    let from_gzip_csv = &items["S05#I0002|2026-11-27"];
    assert_eq!(from_gzip_csv["p50"].as_n().unwrap(), "57.95");
    assert_eq!(from_gzip_csv["item_id"].as_s().unwrap(), "I0002");
}

#[tokio::test]
async fn a_rerun_for_the_same_date_writes_the_same_items() {
    let env = Env::new().await;
    let deps = env.deps(env.settings());
    let first = run(&deps, json!({"date": "2026-11-27"})).await.unwrap();
    let before = env.items().await;
    let second = run(&deps, json!({"date": "2026-11-27"})).await.unwrap();
    let after = env.items().await;
    assert_eq!(before, after);
    assert_eq!(first.forecast_version, second.forecast_version);
    assert_eq!(second.items_written, 100);
}

#[tokio::test]
async fn the_schedule_payload_names_the_date_through_the_configured_convention() {
    let env = Env::new().await;
    let mut settings = env.settings();
    settings.time_zone = chrono_tz::Europe::Berlin;
    let mut event = sample_event("scheduled.json");
    // 23:30 UTC on the 26th is already the 27th in Berlin.
    event["scheduled_time"] = json!("2026-11-26T23:30:00Z");
    let output = run(&env.deps(settings), event).await.unwrap();
    assert_eq!(output.date, "2026-11-27");
    assert_eq!(output.items_written, 100);
}

#[tokio::test]
async fn an_explicit_source_and_version_override_the_convention() {
    let env = Env::new().await;
    let event = json!({
        "date": "2026-11-27",
        "source_uri": format!("s3://{}/daily/2026-11-27/part-00001.jsonl.gz", env.bucket),
        "forecast_version": "manual-reload-1"
    });
    let output = run(&env.deps(env.settings()), event).await.unwrap();
    assert_eq!((output.files, output.items_written), (1, 40));
    let items = env.items().await;
    assert!(items
        .values()
        .all(|i| i["forecast_version"].as_s().unwrap() == "manual-reload-1"));
}

#[tokio::test]
async fn malformed_lines_are_reported_with_file_and_line_and_the_rest_is_loaded() {
    let env = Env::new().await;
    let mut settings = env.settings();
    settings.max_failure_share = 0.1;
    let output = run(&env.deps(settings), json!({"date": "2026-11-26"}))
        .await
        .unwrap();
    assert_eq!(
        (output.items_read, output.items_written, output.items_failed),
        (30, 28, 2)
    );
    assert_eq!(output.malformed_lines, 2);
    let uri = format!("s3://{}/daily/2026-11-26/part-00000.jsonl", env.bucket);
    let lines: Vec<(String, u64)> = output
        .problems
        .iter()
        .map(|p| (p.uri.clone(), p.line))
        .collect();
    assert_eq!(lines, [(uri.clone(), 3), (uri, 7)]);
    assert!(output.problems[0].reason.contains("not valid JSON"));
    assert!(output.problems[1].reason.contains("\"item_id\" is missing"));
    assert_eq!(env.items().await.len(), 28);
}

#[tokio::test]
async fn failures_over_the_allowed_share_fail_the_run_and_say_how_much() {
    let env = Env::new().await;
    let error = run(&env.deps(env.settings()), json!({"date": "2026-11-26"}))
        .await
        .unwrap_err();
    let CacheWarmupError::TooManyFailures {
        read,
        written,
        failed,
        ..
    } = &error
    else {
        panic!("{error}");
    };
    assert_eq!((*read, *written, *failed), (30, 28, 2));
    assert!(
        error.to_string().contains("part-00000.jsonl line 3"),
        "{error}"
    );
}

#[tokio::test]
async fn a_malformed_line_fails_the_run_when_configured() {
    let env = Env::new().await;
    let error = run(
        &env.deps(env.settings()),
        json!({"date": "2026-11-26", "on_malformed": "fail"}),
    )
    .await
    .unwrap_err();
    let CacheWarmupError::MalformedRecord { uri, line, .. } = &error else {
        panic!("{error}");
    };
    assert!(uri.ends_with("daily/2026-11-26/part-00000.jsonl"), "{uri}");
    assert_eq!(*line, 3);
}

#[tokio::test]
async fn nothing_for_the_date_is_forecasts_not_found() {
    let env = Env::new().await;
    let error = run(&env.deps(env.settings()), json!({"date": "2026-11-28"}))
        .await
        .unwrap_err();
    assert_eq!(shared::ErrorType::error_type(&error), "ForecastsNotFound");
    assert!(error.to_string().contains("2026-11-28"), "{error}");
}

#[tokio::test]
async fn a_missing_date_is_invalid_input() {
    let env = Env::new().await;
    let error = run(&env.deps(env.settings()), sample_event("missing-date.json"))
        .await
        .unwrap_err();
    assert_eq!(shared::ErrorType::error_type(&error), "InvalidInput");
}

#[tokio::test]
async fn a_duplicate_key_is_written_once_and_never_breaks_a_batch() {
    let env = Env::new().await;
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..30 {
        text.push_str(&format!(
            r#"{{"store_id": "S01", "item_id": "I{i:04}", "p50": {i}}}"#
        ));
        text.push('\n');
    }
    // The same key again, inside the same batch of 25 as its first occurrence.
    text.push_str(r#"{"store_id": "S01", "item_id": "I0003", "p50": 999}"#);
    text.push('\n');
    std::fs::write(dir.path().join("part.jsonl"), text).unwrap();
    let event = json!({
        "date": "2026-11-27",
        "source_uri": format!("file://{}", dir.path().display()),
    });
    let output = run(&env.deps(env.settings()), event).await.unwrap();
    assert_eq!(
        (
            output.items_read,
            output.items_written,
            output.duplicate_keys
        ),
        (31, 30, 1)
    );
    let items = env.items().await;
    assert_eq!(items["S01#I0003|2026-11-27"]["p50"].as_n().unwrap(), "3");
}

#[tokio::test]
async fn a_missing_table_is_cache_write_failed() {
    let env = Env::new().await;
    let mut settings = env.settings();
    settings.table_name = "no-such-table".into();
    let error = run(&env.deps(settings), json!({"date": "2026-11-27"}))
        .await
        .unwrap_err();
    assert_eq!(shared::ErrorType::error_type(&error), "CacheWriteFailed");
}

#[test]
fn the_sample_events_decode() {
    let dir = workspace_root().join("events/cache-warmup");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let event: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        cache_warmup::input::WarmupInput::from_event(event)
            .unwrap_or_else(|e| panic!("{}: {e}", Path::new(&path).display()));
    }
}

#[tokio::test]
async fn the_endpoint_is_warmed_after_the_load_and_its_latencies_reported() {
    let env = Env::new().await;
    let mut settings = env.settings();
    settings.endpoint = Some(cache_warmup::endpoint::WarmupRequest {
        endpoint_name: "prod-demand-forecast".into(),
        requests: 3,
        payload: r#"{"instances": [{"store_id": "S01", "item_id": "I0001"}]}"#.into(),
        content_type: "application/json".into(),
    });
    let output = run(&env.deps(settings), json!({"date": "2026-11-27"}))
        .await
        .unwrap();
    assert_eq!(output.items_written, 100);
    let warmup = output.endpoint_warmup.unwrap();
    assert_eq!(
        (warmup.requests, warmup.succeeded, warmup.failed),
        (3, 3, 0),
        "{warmup:?}"
    );
    assert_eq!(warmup.latencies_ms.len(), 3);
    assert!(warmup.latencies_ms.iter().all(|ms| *ms > 0.0));
}

#[tokio::test]
async fn a_table_with_another_key_schema_is_cache_write_failed() {
    let env = Env::new().await;
    let other = LocalAws::unique_name("other-schema");
    env.dynamodb
        .create_table()
        .table_name(&other)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let mut settings = env.settings();
    settings.table_name = other;
    let error = run(&env.deps(settings), json!({"date": "2026-11-27"}))
        .await
        .unwrap_err();
    assert_eq!(
        shared::ErrorType::error_type(&error),
        "CacheWriteFailed",
        "{error}"
    );
    assert!(error.to_string().contains("key schema"), "{error}");
}
