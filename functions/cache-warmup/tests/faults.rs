//! Fault injection with `aws-smithy-mocks`: DynamoDB and SageMaker answer from rules, no server;
//! the forecasts are local files; the back-off sleeps are recorded, not waited.

use aws_sdk_dynamodb::error::ErrorMetadata;
use aws_sdk_dynamodb::operation::batch_write_item::{BatchWriteItemError, BatchWriteItemOutput};
use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sagemakerruntime::operation::invoke_endpoint::{
    InvokeEndpointError, InvokeEndpointOutput,
};
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use cache_warmup::backoff::{Backoff, FixedJitter, RecordingSleeper};
use cache_warmup::endpoint::WarmupRequest;
use cache_warmup::error::CacheWarmupError;
use cache_warmup::settings::Settings;
use cache_warmup::{handle, Deps};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const TABLE: &str = "forecast-cache";

fn dynamodb(rules: &[&Rule]) -> aws_sdk_dynamodb::Client {
    // EMF documents go to stdout, past the test harness's capture: keep the output readable.
    shared::metrics::set_sink(shared::metrics::Sink::Discard);
    mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, rules, |c| c
        .retry_config(
            aws_sdk_dynamodb::config::retry::RetryConfig::disabled()
        ))
}

fn sagemaker(rules: &[&Rule]) -> aws_sdk_sagemakerruntime::Client {
    mock_client!(aws_sdk_sagemakerruntime, RuleMode::MatchAny, rules, |c| c
        .retry_config(
            aws_sdk_sagemakerruntime::config::retry::RetryConfig::disabled()
        ))
}

/// A folder with one JSON Lines file of `count` forecasts, keys `S01#I0000`, `S01#I0001`, ...
fn forecasts(count: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text: String = (0..count)
        .map(|i| format!("{{\"store_id\": \"S01\", \"item_id\": \"I{i:04}\", \"p50\": {i}.5}}\n"))
        .collect();
    std::fs::write(dir.path().join("part-00000.jsonl"), text).unwrap();
    dir
}

fn settings() -> Settings {
    let mut settings = Settings::new(TABLE);
    settings.key_fields = vec!["store_id".into(), "item_id".into()];
    settings.write_concurrency = 1;
    settings.backoff = Backoff {
        base: Duration::from_millis(50),
        cap: Duration::from_secs(5),
        max_attempts: 6,
    };
    settings
}

fn deps(
    dynamodb: aws_sdk_dynamodb::Client,
    settings: Settings,
    sleeper: &Arc<RecordingSleeper>,
) -> Deps {
    Deps::with_clients(dynamodb, None, None, settings)
        .with_sleeper(sleeper.clone())
        .with_jitter(Arc::new(FixedJitter(0.5)))
}

fn event(dir: &tempfile::TempDir) -> serde_json::Value {
    json!({"date": "2026-11-27", "source_uri": format!("file://{}", dir.path().display())})
}

fn ms(values: &[u64]) -> Vec<Duration> {
    values.iter().map(|v| Duration::from_millis(*v)).collect()
}

fn dynamodb_error(code: &str) -> ErrorMetadata {
    ErrorMetadata::builder()
        .code(code)
        .message(format!("{code} (injected)"))
        .build()
}

#[tokio::test]
async fn unprocessed_items_on_the_first_attempts_are_retried_until_all_are_written() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    // First call: the last 10 of 25 come back unprocessed; second call: the last 5 of those 10.
    let partial =
        mock!(aws_sdk_dynamodb::Client::batch_write_item).then_compute_output(move |input| {
            let requests = input
                .request_items()
                .and_then(|tables| tables.get(TABLE))
                .cloned()
                .unwrap_or_default();
            let keep = match counter.fetch_add(1, Ordering::SeqCst) {
                0 => 10,
                1 => 5,
                _ => 0,
            };
            let builder = BatchWriteItemOutput::builder();
            if keep == 0 {
                return builder.build();
            }
            builder
                .unprocessed_items(TABLE, requests[requests.len() - keep..].to_vec())
                .build()
        });
    let sleeper = Arc::new(RecordingSleeper::default());
    let dir = forecasts(25);
    let output = handle(
        &deps(dynamodb(&[&partial]), settings(), &sleeper),
        event(&dir),
    )
    .await
    .unwrap();
    assert_eq!((output.items_written, output.items_failed), (25, 0));
    assert_eq!(output.write_requests, 3);
    assert_eq!(output.unprocessed_retries, 15);
    assert_eq!(partial.num_calls(), 3);
    // Full jitter at 0.5 of min(cap, 50 ms * 2^n).
    assert_eq!(sleeper.slept(), ms(&[25, 50]));
}

#[tokio::test]
async fn throttling_is_retried_with_exponential_backoff_and_full_jitter() {
    let throttled = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .sequence()
        .error(|| {
            BatchWriteItemError::generic(dynamodb_error("ProvisionedThroughputExceededException"))
        })
        .times(3)
        .output(|| BatchWriteItemOutput::builder().build())
        .build();
    let sleeper = Arc::new(RecordingSleeper::default());
    let dir = forecasts(25);
    let output = handle(
        &deps(dynamodb(&[&throttled]), settings(), &sleeper),
        event(&dir),
    )
    .await
    .unwrap();
    assert_eq!((output.items_written, output.items_failed), (25, 0));
    assert_eq!(output.throttled_requests, 3);
    assert_eq!(sleeper.slept(), ms(&[25, 50, 100]));
}

#[tokio::test]
async fn throttling_that_outlasts_the_attempts_fails_the_run_with_the_counts() {
    let always = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .then_error(|| BatchWriteItemError::generic(dynamodb_error("ThrottlingException")));
    let sleeper = Arc::new(RecordingSleeper::default());
    let mut settings = settings();
    settings.backoff = Backoff {
        base: Duration::from_millis(50),
        cap: Duration::from_millis(120),
        max_attempts: 4,
    };
    let dir = forecasts(30);
    let error = handle(&deps(dynamodb(&[&always]), settings, &sleeper), event(&dir))
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
    assert_eq!((*read, *written, *failed), (30, 0, 30));
    // Two batches (25 + 5), four attempts each; the ceiling stops at the 120 ms cap.
    assert_eq!(always.num_calls(), 8);
    assert_eq!(sleeper.slept(), ms(&[25, 50, 60, 25, 50, 60]));
    assert!(error.to_string().contains("after 4 attempts"), "{error}");
}

#[tokio::test]
async fn a_missing_table_stops_the_run_without_retries() {
    let missing = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .then_error(|| BatchWriteItemError::generic(dynamodb_error("ResourceNotFoundException")));
    let sleeper = Arc::new(RecordingSleeper::default());
    let dir = forecasts(60);
    let error = handle(
        &deps(dynamodb(&[&missing]), settings(), &sleeper),
        event(&dir),
    )
    .await
    .unwrap_err();
    assert_eq!(shared::ErrorType::error_type(&error), "CacheWriteFailed");
    assert!(error.to_string().contains("ResourceNotFoundException"));
    assert_eq!(missing.num_calls(), 1);
    assert!(sleeper.slept().is_empty());
}

#[tokio::test]
async fn a_batch_refused_as_invalid_is_retried_item_by_item() {
    let invalid_batch = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .then_error(|| BatchWriteItemError::generic(dynamodb_error("ValidationException")));
    let bad_item = mock!(aws_sdk_dynamodb::Client::put_item)
        .match_requests(|input| {
            input.item().and_then(|i| i.get("pk")) == Some(&AttributeValue::S("S01#I0003".into()))
        })
        .then_error(|| PutItemError::generic(dynamodb_error("ValidationException")));
    let good_item =
        mock!(aws_sdk_dynamodb::Client::put_item).then_output(|| PutItemOutput::builder().build());
    let sleeper = Arc::new(RecordingSleeper::default());
    let mut settings = settings();
    settings.max_failure_share = 0.05;
    let dir = forecasts(25);
    let output = handle(
        &deps(
            dynamodb(&[&invalid_batch, &bad_item, &good_item]),
            settings,
            &sleeper,
        ),
        event(&dir),
    )
    .await
    .unwrap();
    assert_eq!((output.items_written, output.items_failed), (24, 1));
    assert_eq!((bad_item.num_calls(), good_item.num_calls()), (1, 24));
    assert!(
        output.problems[0].reason.contains("S01#I0003"),
        "{:?}",
        output.problems
    );
}

#[tokio::test]
async fn the_endpoint_warm_up_reports_one_latency_per_request() {
    let ok = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .then_output(|| BatchWriteItemOutput::builder().build());
    let invoked = mock!(aws_sdk_sagemakerruntime::Client::invoke_endpoint)
        .match_requests(|input| input.endpoint_name() == Some("prod-demand-forecast"))
        .then_output(|| {
            InvokeEndpointOutput::builder()
                .body(aws_sdk_sagemakerruntime::primitives::Blob::new("[1.0]"))
                .build()
        });
    let mut settings = settings();
    settings.endpoint = Some(WarmupRequest {
        endpoint_name: "prod-demand-forecast".into(),
        requests: 3,
        payload: "{}".into(),
        content_type: "application/json".into(),
    });
    let deps = Deps::with_clients(
        dynamodb(&[&ok]),
        None,
        Some(sagemaker(&[&invoked])),
        settings,
    );
    let dir = forecasts(10);
    let output = handle(&deps, event(&dir)).await.unwrap();
    let warmup = output.endpoint_warmup.unwrap();
    assert_eq!(
        (warmup.requests, warmup.succeeded, warmup.failed),
        (3, 3, 0)
    );
    assert_eq!(warmup.latencies_ms.len(), 3);
    assert!(warmup.median_ms.is_some() && warmup.first_ms.is_some());
    assert_eq!(invoked.num_calls(), 3);
}

#[tokio::test]
async fn an_endpoint_that_never_answers_fails_the_run_after_the_load() {
    let ok = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .then_output(|| BatchWriteItemOutput::builder().build());
    let failing = mock!(aws_sdk_sagemakerruntime::Client::invoke_endpoint).then_error(|| {
        InvokeEndpointError::generic(
            aws_sdk_sagemakerruntime::error::ErrorMetadata::builder()
                .code("ValidationError")
                .message("Endpoint prod-demand-forecast not found")
                .build(),
        )
    });
    let mut settings = settings();
    settings.endpoint = Some(WarmupRequest {
        endpoint_name: "prod-demand-forecast".into(),
        requests: 2,
        payload: "{}".into(),
        content_type: "application/json".into(),
    });
    let deps = Deps::with_clients(
        dynamodb(&[&ok]),
        None,
        Some(sagemaker(&[&failing])),
        settings,
    );
    let dir = forecasts(10);
    let error = handle(&deps, event(&dir)).await.unwrap_err();
    let CacheWarmupError::EndpointWarmupFailed { written, detail } = &error else {
        panic!("{error}");
    };
    assert_eq!(*written, 10);
    assert!(detail.contains("not found"), "{detail}");
    assert_eq!(failing.num_calls(), 2);
}

#[tokio::test]
async fn concurrent_batches_with_random_throttles_still_write_every_item_once() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    // Every third call is throttled; every other call leaves its last item unprocessed.
    let flaky =
        mock!(aws_sdk_dynamodb::Client::batch_write_item).then_compute_response(move |input| {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            if n % 3 == 2 {
                return aws_smithy_mocks::MockResponse::Error(BatchWriteItemError::generic(
                    dynamodb_error("ThrottlingException"),
                ));
            }
            let requests = input
                .request_items()
                .and_then(|tables| tables.get(TABLE))
                .cloned()
                .unwrap_or_default();
            let builder = BatchWriteItemOutput::builder();
            aws_smithy_mocks::MockResponse::Output(if n % 2 == 1 && !requests.is_empty() {
                builder
                    .unprocessed_items(TABLE, requests[requests.len() - 1..].to_vec())
                    .build()
            } else {
                builder.build()
            })
        });
    let sleeper = Arc::new(RecordingSleeper::default());
    let mut settings = settings();
    settings.write_concurrency = 4;
    settings.backoff.max_attempts = 20;
    let dir = forecasts(1_000);
    let output = handle(&deps(dynamodb(&[&flaky]), settings, &sleeper), event(&dir))
        .await
        .unwrap();
    assert_eq!((output.items_written, output.items_failed), (1_000, 0));
    assert!(output.throttled_requests > 0 && output.unprocessed_retries > 0);
}

#[tokio::test]
async fn a_table_that_refuses_every_item_stops_the_run_after_one_batch() {
    let invalid_batch = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .then_error(|| BatchWriteItemError::generic(dynamodb_error("ValidationException")));
    let invalid_item = mock!(aws_sdk_dynamodb::Client::put_item)
        .then_error(|| PutItemError::generic(dynamodb_error("ValidationException")));
    let sleeper = Arc::new(RecordingSleeper::default());
    let dir = forecasts(1_000);
    let error = handle(
        &deps(
            dynamodb(&[&invalid_batch, &invalid_item]),
            settings(),
            &sleeper,
        ),
        event(&dir),
    )
    .await
    .unwrap_err();
    assert_eq!(shared::ErrorType::error_type(&error), "CacheWriteFailed");
    assert!(error.to_string().contains("key schema"), "{error}");
    assert_eq!(
        (invalid_batch.num_calls(), invalid_item.num_calls()),
        (1, 25)
    );
}
