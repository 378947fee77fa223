//! The whole guard with `aws-smithy-mocks` answers, for what moto lacks: percentile statistics
//! (`ModelLatency` p99) and shadow variants (`ShadowProductionVariants`).

use aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataOutput;
use aws_sdk_cloudwatch::types::MetricDataResult;
use aws_sdk_sagemaker::operation::describe_endpoint::DescribeEndpointOutput;
use aws_sdk_sagemaker::types::{EndpointStatus, ProductionVariantSummary};
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use deployment_guard::decision::Decision;
use deployment_guard::endpoint::VariantRole;
use deployment_guard::error::GuardError;
use deployment_guard::{guard, Deps, GuardRequest};
use serde_json::json;
use std::collections::HashMap;

fn summary(name: &str, weight: f32) -> ProductionVariantSummary {
    ProductionVariantSummary::builder()
        .variant_name(name)
        .current_weight(weight)
        .desired_weight(weight)
        .current_instance_count(1)
        .build()
}

/// `DescribeEndpoint`: `Champion` serving, `Challenger` as a shadow (`shadow`) or second
/// production variant at weight 1 of 10.
fn endpoint(status: EndpointStatus, shadow: bool) -> Rule {
    mock!(aws_sdk_sagemaker::Client::describe_endpoint).then_output(move || {
        let builder = DescribeEndpointOutput::builder()
            .endpoint_name("prod-demand-forecast")
            .endpoint_arn("arn:aws:sagemaker:us-east-1:123456789012:endpoint/prod-demand-forecast")
            .endpoint_config_name("run-42-shadow")
            .endpoint_status(status.clone())
            .creation_time(aws_smithy_types::DateTime::from_secs(1_790_000_000))
            .last_modified_time(aws_smithy_types::DateTime::from_secs(1_790_000_000));
        if shadow {
            builder
                .production_variants(summary("Champion", 1.0))
                .shadow_production_variants(summary("Challenger", 1.0))
                .build()
        } else {
            builder
                .production_variants(summary("Champion", 9.0))
                .production_variants(summary("Challenger", 1.0))
                .build()
        }
    })
}

/// `GetMetricData`: each query id answered from `values` (the guard's ids are
/// `<metric>_<variant index>`: `inv`, `e4xx`, `e5xx`, `p99`; 0 = champion, 1 = challenger).
fn metrics(values: &[(&str, f64)]) -> Rule {
    let values: HashMap<String, f64> = values.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    mock!(aws_sdk_cloudwatch::Client::get_metric_data).then_compute_output(move |input| {
        let results = input
            .metric_data_queries()
            .iter()
            .map(|q| {
                let id = q.id().unwrap_or_default();
                MetricDataResult::builder()
                    .id(id)
                    .set_values(values.get(id).map(|v| vec![*v]))
                    .build()
            })
            .collect();
        GetMetricDataOutput::builder()
            .set_metric_data_results(Some(results))
            .build()
    })
}

fn deps(rules: &[&Rule]) -> Deps {
    Deps {
        sagemaker: mock_client!(aws_sdk_sagemaker, RuleMode::MatchAny, rules),
        cloudwatch: mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, rules),
    }
}

fn request(last_step: bool) -> GuardRequest {
    serde_json::from_value(json!({
        "endpoint_name": "prod-demand-forecast",
        "champion_variant": "Champion",
        "challenger_variant": "Challenger",
        "window_seconds": 3600,
        "window_end": "2026-11-30T12:00:00Z",
        "last_step": last_step,
        "guardrails": {
            "min_invocations": 500,
            "max_error_rate_increase": 0.01,
            "max_p99_latency_ratio": 1.2
        }
    }))
    .unwrap()
}

#[tokio::test]
async fn a_healthy_shadow_variant_is_promoted_with_its_numbers() {
    let d = endpoint(EndpointStatus::InService, true);
    let m = metrics(&[
        ("inv_0", 9000.0),
        ("e5xx_0", 90.0),
        ("p99_0", 40_000.0),
        ("inv_1", 9000.0),
        ("e5xx_1", 80.0),
        ("p99_1", 41_000.0),
    ]);
    let out = guard(&deps(&[&d, &m]), &request(false), chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(
        out.verdict.decision,
        Decision::Promote,
        "{}",
        out.verdict.reason
    );
    assert_eq!(out.challenger.role, VariantRole::Shadow);
    assert_eq!(out.challenger.traffic_share, None);
    assert_eq!(out.champion.traffic_share, Some(1.0));
    assert_eq!(out.challenger.stats.p99_latency_us, Some(41_000.0));
    assert_eq!(out.window_start, "2026-11-30T11:00:00Z");
    let value = serde_json::to_value(&out).unwrap();
    assert_eq!(value["decision"], "promote");
    assert_eq!(value["challenger"]["invocations"], 9000);
}

#[tokio::test]
async fn a_slow_challenger_is_rolled_back_on_p99_latency() {
    let d = endpoint(EndpointStatus::InService, false);
    let m = metrics(&[
        ("inv_0", 9000.0),
        ("p99_0", 40_000.0),
        ("inv_1", 1000.0),
        ("p99_1", 70_000.0),
    ]);
    let out = guard(&deps(&[&d, &m]), &request(false), chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(out.verdict.decision, Decision::Rollback);
    assert!((out.verdict.p99_latency_ratio.unwrap() - 1.75).abs() < 1e-9);
    assert!((out.challenger.traffic_share.unwrap() - 0.1).abs() < 1e-6);
}

#[tokio::test]
async fn no_datapoints_at_all_wait() {
    let d = endpoint(EndpointStatus::InService, false);
    let m = metrics(&[]);
    let out = guard(&deps(&[&d, &m]), &request(true), chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(out.verdict.decision, Decision::Wait);
    assert_eq!(out.challenger.stats.invocations, 0);
    assert_eq!(out.challenger.error_rate, None);
}

#[tokio::test]
async fn an_updating_endpoint_and_bad_input_are_typed_errors() {
    let d = endpoint(EndpointStatus::Updating, false);
    let m = metrics(&[]);
    let err = guard(&deps(&[&d, &m]), &request(false), chrono::Utc::now())
        .await
        .unwrap_err();
    assert!(
        matches!(err, GuardError::EndpointNotInService { ref status, .. } if status == "Updating"),
        "{err:?}"
    );
    let d = endpoint(EndpointStatus::InService, false);
    let err = deployment_guard::handle(&deps(&[&d, &m]), json!({"endpoint_name": "x"}))
        .await
        .unwrap_err();
    let kind: &str = (&err).into();
    assert_eq!(kind, "InvalidInput");
}

#[tokio::test]
async fn the_queries_ask_sagemaker_s_metrics_per_variant_over_one_window_long_period() {
    use std::sync::{Arc, Mutex};
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let record = seen.clone();
    let d = endpoint(EndpointStatus::InService, false);
    let m = mock!(aws_sdk_cloudwatch::Client::get_metric_data).then_compute_output(move |input| {
        assert_eq!(input.start_time().map(|t| t.secs()), Some(1_796_036_400));
        assert_eq!(input.end_time().map(|t| t.secs()), Some(1_796_040_000));
        for q in input.metric_data_queries() {
            let stat = q.metric_stat().unwrap();
            let metric = stat.metric().unwrap();
            let dims: Vec<String> = metric
                .dimensions()
                .iter()
                .map(|d| format!("{}={}", d.name().unwrap(), d.value().unwrap()))
                .collect();
            record.lock().unwrap().push(format!(
                "{} {} {} {} {} {}",
                q.id().unwrap(),
                metric.namespace().unwrap(),
                metric.metric_name().unwrap(),
                stat.stat().unwrap(),
                stat.period().unwrap(),
                dims.join(",")
            ));
        }
        GetMetricDataOutput::builder().build()
    });
    guard(&deps(&[&d, &m]), &request(false), chrono::Utc::now())
        .await
        .unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 8, "{seen:?}");
    assert!(seen.contains(
        &"p99_1 AWS/SageMaker ModelLatency p99 3600 EndpointName=prod-demand-forecast,VariantName=Challenger".to_string()
    ), "{seen:?}");
    assert!(seen.contains(
        &"e4xx_0 AWS/SageMaker Invocation4XXErrors Sum 3600 EndpointName=prod-demand-forecast,VariantName=Champion".to_string()
    ), "{seen:?}");
}
