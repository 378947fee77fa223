//! p50/p95 of `ExecutionTime` from `aws-smithy-mocks`: moto has no percentile statistics (its
//! GetMetricData fails serialising them). The percentiles go in a call of their own, so their
//! failure leaves the counts readable.

use aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataOutput;
use aws_sdk_cloudwatch::types::MetricDataResult;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use chrono::{Duration, TimeZone, Utc};
use platform_report::metrics::{Batch, Query};

#[tokio::test]
async fn percentiles_are_read_in_their_own_call_and_mapped_back_to_their_queries() {
    let counts = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
        .match_requests(|r| {
            r.metric_data_queries()
                .iter()
                .all(|q| q.metric_stat().is_some_and(|s| s.stat() == Some("Sum")))
        })
        .then_output(|| {
            GetMetricDataOutput::builder()
                .metric_data_results(
                    MetricDataResult::builder()
                        .id("q0")
                        .values(4.0)
                        .values(1.0)
                        .build(),
                )
                .build()
        });
    let percentiles = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
        .match_requests(|r| {
            r.metric_data_queries().iter().all(|q| {
                q.metric_stat()
                    .is_some_and(|s| s.stat().is_some_and(|s| s.starts_with('p')))
            })
        })
        .then_output(|| {
            GetMetricDataOutput::builder()
                .metric_data_results(
                    MetricDataResult::builder()
                        .id("q2")
                        .values(754_000.0)
                        .build(),
                )
                .metric_data_results(
                    MetricDataResult::builder()
                        .id("q1")
                        .values(312_500.0)
                        .build(),
                )
                .build()
        });
    let client = mock_client!(
        aws_sdk_cloudwatch,
        RuleMode::MatchAny,
        [&counts, &percentiles]
    );
    let mut batch = Batch::default();
    let arn = [(
        "StateMachineArn",
        "arn:aws:states:us-east-1:1:stateMachine:x",
    )];
    let started = batch.add(Query::new("AWS/States", "ExecutionsStarted", &arn, "Sum"));
    let p50 = batch.add(Query::new("AWS/States", "ExecutionTime", &arn, "p50"));
    let p95 = batch.add(Query::new("AWS/States", "ExecutionTime", &arn, "p95"));
    let end = Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap();
    let answers = batch.read(&client, end - Duration::days(7), end).await;
    assert_eq!(answers.get(started), Some(5.0));
    assert_eq!(answers.get(p50), Some(312_500.0));
    assert_eq!(answers.get(p95), Some(754_000.0));
    assert_eq!((counts.num_calls(), percentiles.num_calls()), (1, 1));
    assert_eq!(
        platform_report::render::duration(answers.get(p95)),
        "12 min 34 s"
    );
}

#[tokio::test]
async fn a_failed_percentile_call_leaves_the_counts_and_says_why() {
    let counts = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
        .match_requests(|r| {
            r.metric_data_queries().len() == 1 && r.metric_data_queries()[0].id() == Some("q0")
        })
        .then_output(|| {
            GetMetricDataOutput::builder()
                .metric_data_results(MetricDataResult::builder().id("q0").values(2.0).build())
                .build()
        });
    let failing = mock!(aws_sdk_cloudwatch::Client::get_metric_data).then_error(|| {
        aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataError::generic(
            aws_sdk_cloudwatch::error::ErrorMetadata::builder()
                .code("InternalServiceError")
                .message("boom")
                .build(),
        )
    });
    let client = mock_client!(
        aws_sdk_cloudwatch,
        RuleMode::MatchAny,
        [&counts, &failing],
        |c| c.retry_config(aws_sdk_cloudwatch::config::retry::RetryConfig::disabled())
    );
    let mut batch = Batch::default();
    let started = batch.add(Query::new("AWS/States", "ExecutionsStarted", &[], "Sum"));
    let p50 = batch.add(Query::new("AWS/States", "ExecutionTime", &[], "p50"));
    let end = Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap();
    let answers = batch.read(&client, end - Duration::days(7), end).await;
    assert_eq!(answers.get(started), Some(2.0));
    assert_eq!(answers.get(p50), None);
    assert!(answers.failure.is_none());
    assert!(
        answers
            .percentile_failure
            .as_deref()
            .is_some_and(|m| m.contains("boom")),
        "{:?}",
        answers.percentile_failure
    );
}
