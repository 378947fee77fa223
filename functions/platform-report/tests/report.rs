//! The report's numbers against prepared metric series and registry versions, and an empty
//! week. S3, SNS and the SageMaker registry run on moto; CloudWatch is an `aws-smithy-mocks`
//! client answering `GetMetricData` and `ListMetrics` from the prepared series, because moto
//! 5.2.5 cannot serve the Smithy RPC v2 CBOR protocol aws-sdk-cloudwatch speaks.

use aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataOutput;
use aws_sdk_cloudwatch::operation::list_metrics::ListMetricsOutput;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataResult};
use aws_sdk_sagemaker::types::ModelApprovalStatus;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use chrono::{DateTime, Duration, Utc};
use integration_tests::LocalAws;
use platform_report::{handle, Deps};
use serde_json::{json, Value};
use shared::clock::ManualClock;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One prepared series: namespace, metric name, dimensions, statistic (`raw` for the
/// datapoints that sums and maxima fold, or a percentile such as `p50`) and its values.
#[derive(Clone)]
struct Series {
    namespace: String,
    name: String,
    dims: Vec<(String, String)>,
    stat: String,
    values: Vec<f64>,
}

fn same_dims(series: &Series, dims: &[Dimension]) -> bool {
    series.dims.len() == dims.len()
        && dims.iter().all(|d| {
            series
                .dims
                .iter()
                .any(|(k, v)| d.name() == Some(k) && d.value() == Some(v))
        })
}

/// A CloudWatch client answering from `series`: each `GetMetricData` query gets the values of
/// the series with its namespace, name, dimensions and statistic (none: no datapoints), and
/// `ListMetrics` lists the series whose dimensions include the filters.
fn fake_cloudwatch(series: Vec<Series>) -> aws_sdk_cloudwatch::Client {
    let data = series.clone();
    let get = mock!(aws_sdk_cloudwatch::Client::get_metric_data).then_compute_output(move |r| {
        let mut out = GetMetricDataOutput::builder();
        for q in r.metric_data_queries() {
            let stat = q.metric_stat().unwrap();
            let metric = stat.metric().unwrap();
            let wanted = if stat.stat().unwrap().starts_with('p') {
                stat.stat().unwrap()
            } else {
                "raw"
            };
            let values = data
                .iter()
                .find(|s| {
                    Some(s.namespace.as_str()) == metric.namespace()
                        && Some(s.name.as_str()) == metric.metric_name()
                        && s.stat == wanted
                        && same_dims(s, metric.dimensions())
                })
                .map(|s| s.values.clone())
                .unwrap_or_default();
            out = out.metric_data_results(
                MetricDataResult::builder()
                    .id(q.id().unwrap())
                    .set_values(Some(values))
                    .build(),
            );
        }
        out.build()
    });
    let list = mock!(aws_sdk_cloudwatch::Client::list_metrics).then_compute_output(move |r| {
        let mut out = ListMetricsOutput::builder();
        let mut seen = Vec::new();
        for s in &series {
            let filtered = r.dimensions().iter().all(|f| {
                s.dims
                    .iter()
                    .any(|(k, v)| f.name() == Some(k) && f.value() == Some(v))
            });
            if r.namespace() == Some(s.namespace.as_str())
                && r.metric_name() == Some(s.name.as_str())
                && filtered
                && !seen.contains(&s.dims)
            {
                seen.push(s.dims.clone());
                let dims = s
                    .dims
                    .iter()
                    .map(|(k, v)| Dimension::builder().name(k).value(v).build());
                out = out.metrics(
                    Metric::builder()
                        .namespace(&s.namespace)
                        .metric_name(&s.name)
                        .set_dimensions(Some(dims.collect()))
                        .build(),
                );
            }
        }
        out.build()
    });
    mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&get, &list])
}

const IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/forecast:1";

struct Setup {
    config: aws_config::SdkConfig,
    unique: String,
    bucket: String,
    topic: String,
    queue_url: String,
    today: DateTime<Utc>,
    series: Mutex<Vec<Series>>,
}

async fn setup() -> Setup {
    let config = LocalAws::shared().sdk_config().await;
    let unique = LocalAws::unique_name("r").replace('-', "");
    let bucket = format!("reports-{unique}");
    shared::aws::s3_client(&config)
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let sns = aws_sdk_sns::Client::new(&config);
    let topic = sns
        .create_topic()
        .name(format!("notifications-{unique}"))
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string();
    let sqs = aws_sdk_sqs::Client::new(&config);
    let queue_url = sqs
        .create_queue()
        .queue_name(format!("q-{unique}"))
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let queue_arn = format!("arn:aws:sqs:us-east-1:123456789012:q-{unique}");
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(queue_arn)
        .send()
        .await
        .unwrap();
    let today = Utc::now()
        .date_naive()
        .and_time(chrono::NaiveTime::MIN)
        .and_utc();
    Setup {
        config,
        unique,
        bucket,
        topic,
        queue_url,
        today,
        series: Mutex::new(Vec::new()),
    }
}

impl Setup {
    fn namespace(&self) -> String {
        format!("Ml{}", self.unique)
    }

    fn arn(&self, name: &str) -> String {
        format!(
            "arn:aws:states:us-east-1:123456789012:stateMachine:{}-{name}",
            self.unique
        )
    }

    fn model(&self, name: &str) -> String {
        format!("{}-{name}", self.unique)
    }

    fn deps(&self) -> Deps {
        let env: HashMap<&str, String> = HashMap::from([
            ("ENVIRONMENT_NAME", "prod".to_string()),
            ("REPORT_BUCKET", self.bucket.clone()),
            ("NOTIFICATIONS_TOPIC_ARN", self.topic.clone()),
            (
                "STATE_MACHINES",
                format!(
                    "ml-retraining={},lakehouse-etl={}",
                    self.arn("retraining"),
                    self.arn("etl")
                ),
            ),
            ("TRANSITIONS_PER_EXECUTION", "ml-retraining=30".to_string()),
            (
                "MODELS",
                format!("{},{}", self.model("forecast"), self.model("churn")),
            ),
            ("METRICS_NAMESPACE", self.namespace()),
        ]);
        let mut deps = Deps::new(
            &self.config,
            |name| env.get(name).cloned(),
            Arc::new(ManualClock::new(self.today + Duration::hours(7))),
        )
        .unwrap();
        deps.cloudwatch = fake_cloudwatch(self.series.lock().unwrap().clone());
        deps
    }

    /// Datapoints of one series inside the week (CloudWatch's time filter is not emulated).
    async fn put(&self, namespace: &str, name: &str, dims: &[(&str, &str)], points: &[f64]) {
        self.put_stat(namespace, name, dims, "raw", points);
    }

    fn put_stat(
        &self,
        namespace: &str,
        name: &str,
        dims: &[(&str, &str)],
        stat: &str,
        values: &[f64],
    ) {
        self.series.lock().unwrap().push(Series {
            namespace: namespace.to_string(),
            name: name.to_string(),
            dims: dims
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            stat: stat.to_string(),
            values: values.to_vec(),
        });
    }

    async fn version(&self, group: &str, properties: &[(&str, String)]) {
        aws_sdk_sagemaker::Client::new(&self.config)
            .create_model_package()
            .model_package_group_name(group)
            .model_approval_status(ModelApprovalStatus::Approved)
            .inference_specification(
                aws_sdk_sagemaker::types::InferenceSpecification::builder()
                    .containers(
                        aws_sdk_sagemaker::types::ModelPackageContainerDefinition::builder()
                            .image(IMAGE)
                            .build(),
                    )
                    .supported_content_types("application/jsonlines")
                    .supported_response_mime_types("application/jsonlines")
                    .build(),
            )
            .set_customer_metadata_properties(Some(
                properties
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect(),
            ))
            .send()
            .await
            .unwrap();
    }

    fn day(&self, days_ago: i64) -> String {
        (self.today - Duration::days(days_ago) + Duration::hours(9))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    async fn object(&self, uri: &str) -> String {
        let key = uri.strip_prefix(&format!("s3://{}/", self.bucket)).unwrap();
        let object = shared::aws::s3_client(&self.config)
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .unwrap();
        String::from_utf8(object.body.collect().await.unwrap().to_vec()).unwrap()
    }

    async fn published(&self) -> Value {
        let sqs = aws_sdk_sqs::Client::new(&self.config);
        let received = sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .wait_time_seconds(2)
            .send()
            .await
            .unwrap();
        let body = received.messages()[0].body().unwrap();
        serde_json::from_str(body).unwrap()
    }
}

#[tokio::test]
async fn the_week_s_numbers_come_from_the_metrics_and_the_registry_and_gaps_read_no_data() {
    let s = setup().await;
    let retraining = s.arn("retraining");
    let sm = [("StateMachineArn", retraining.as_str())];
    // Inside the week (1–6 days ago) and outside it (9 days ago: must not count).
    s.put("AWS/States", "ExecutionsStarted", &sm, &[2.0, 3.0])
        .await;
    s.put("AWS/States", "ExecutionsSucceeded", &sm, &[3.0])
        .await;
    s.put("AWS/States", "ExecutionsFailed", &sm, &[1.0]).await;
    s.put("AWS/States", "ExecutionsAborted", &sm, &[0.0]).await;
    s.put_stat("AWS/States", "ExecutionTime", &sm, "p50", &[312_500.0]);
    s.put_stat("AWS/States", "ExecutionTime", &sm, "p95", &[754_000.0]);
    let ns = s.namespace();
    let forecast = s.model("forecast");
    let drift = [("Service", "drift-monitor"), ("Model", forecast.as_str())];
    s.put(&ns, "DriftDetected", &drift, &[0.0, 1.0]).await;
    s.put(&ns, "FeaturesDrifted", &drift, &[0.0, 1.0]).await;
    for (feature, points) in [("price", [0.12, 0.31]), ("promo", [0.05, 0.04])] {
        let dims = [drift[0], drift[1], ("Feature", feature)];
        s.put(&ns, "Psi", &dims, &points).await;
    }
    let dq = [("Service", "data-quality")];
    s.put(&ns, "ChecksRun", &dq, &[10.0, 12.0]).await;
    s.put(&ns, "ChecksFailed", &dq, &[2.0, 1.0]).await;
    for (check, points) in [
        ("orders_min_rows", [1.0, 1.0]),
        ("orders_fresh", [0.0, 0.0]),
    ] {
        let dims = [dq[0], ("Table", "lake.orders"), ("Check", check)];
        s.put(&ns, "CheckFailed", &dims, &points).await;
    }
    let group = format!("prod-{forecast}");
    aws_sdk_sagemaker::Client::new(&s.config)
        .create_model_package_group()
        .model_package_group_name(&group)
        .send()
        .await
        .unwrap();
    let gate = |passed: &str| {
        vec![
            ("gate:metric", "mape".to_string()),
            ("gate:direction", "lower_is_better".to_string()),
            ("gate:threshold", "15".to_string()),
            ("gate:passed", passed.to_string()),
        ]
    };
    let mut serving = gate("true");
    serving.extend([
        ("metric:mape", "14.5".to_string()),
        ("deployment:status", "serving".to_string()),
        ("deployment:at", s.day(3)),
    ]);
    s.version(&group, &serving).await;
    let mut rolled_back = gate("true");
    rolled_back.extend([
        ("metric:mape", "9.1".to_string()),
        ("deployment:status", "rolled-back".to_string()),
        ("deployment:rolled_back_at", s.day(1)),
    ]);
    s.version(&group, &rolled_back).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let mut latest = gate("false");
    latest.extend([
        ("metric:mape", "20.25".to_string()),
        ("metric:wape", "17".to_string()),
        ("deployment:status", "candidate".to_string()),
    ]);
    s.version(&group, &latest).await;

    let output = handle(&s.deps(), json!({})).await.unwrap();
    let r = &output.report;
    assert_eq!(r.end, s.today);
    assert_eq!(r.start, s.today - Duration::days(7));
    let w = &r.workflows[0];
    assert_eq!(w.workflow.name, "lakehouse-etl");
    assert_eq!(
        (
            w.started,
            w.succeeded,
            w.failed,
            w.timed_out,
            w.aborted,
            w.transitions,
            w.cost_usd
        ),
        (None, None, None, None, None, None, None),
        "a workflow without datapoints has no data, not zeros"
    );
    let w = &r.workflows[1];
    assert_eq!(
        (w.started, w.succeeded, w.failed, w.timed_out, w.aborted),
        (Some(5.0), Some(3.0), Some(1.0), None, Some(0.0))
    );
    assert_eq!(w.transitions, Some(150.0));
    let cost = w.cost_usd.unwrap();
    assert!((cost - 150.0 * 0.000025).abs() < 1e-12, "{cost}");
    assert_eq!((w.p50_ms, w.p95_ms), (Some(312_500.0), Some(754_000.0)));
    assert!(r.metrics_failure.is_none(), "{:?}", r.metrics_failure);

    let m = &r.models[0];
    assert_eq!(m.name, forecast);
    let registry = m.registry.as_ref().unwrap();
    let latest = registry.latest.as_ref().unwrap();
    assert_eq!(latest.metrics["mape"], json!(20.25));
    assert_eq!(latest.gate_passed, Some(false));
    assert_eq!(
        registry.production.as_ref().unwrap().metrics["mape"],
        json!(14.5)
    );
    assert_eq!((registry.deployments, registry.rollbacks), (1, 1));
    assert_eq!(m.drift_detected_runs, Some(1.0));
    assert_eq!(m.max_features_drifted, Some(1.0));
    assert_eq!(
        m.psi,
        [
            ("price".to_string(), Some(0.31)),
            ("promo".to_string(), Some(0.05))
        ]
    );
    let churn = &r.models[1];
    assert!(
        churn.registry.as_ref().map_or(true, |g| g.latest.is_none()),
        "no package group: no versions"
    );
    assert_eq!((churn.drift_detected_runs, churn.psi.len()), (None, 0));

    let dq = &r.data_quality;
    assert_eq!(
        (dq.checks_run, dq.checks_failed, dq.checks_errored),
        (Some(22.0), Some(3.0), None)
    );
    assert_eq!(
        dq.failing.len(),
        1,
        "a check that never failed is not listed"
    );
    assert_eq!(
        (dq.failing[0].check.as_str(), dq.failing[0].failures),
        ("orders_min_rows", 2.0)
    );

    let markdown = s.object(&output.markdown_uri).await;
    assert!(
        markdown.contains(
            "**ml-retraining**: 5 started, 3 succeeded, 1 failed, no data timed out, 0 aborted"
        ),
        "{markdown}"
    );
    assert!(
        markdown.contains("**lakehouse-etl**: no data started"),
        "{markdown}"
    );
    assert!(
        markdown.contains("mape 20.25 (production 14.5), gate failed"),
        "{markdown}"
    );
    assert!(markdown.contains(&output.link));
    let html = s.object(&output.html_uri).await;
    // `PLATFORM_REPORT_HTML=/path/page.html` keeps this week's page to open in a browser.
    if let Ok(path) = std::env::var("PLATFORM_REPORT_HTML") {
        std::fs::write(&path, &html).expect("write the page");
    }
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("orders_min_rows"));
    assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("src="));
    let envelope = s.published().await;
    assert_eq!(envelope["Message"], json!(markdown));
    assert_eq!(
        envelope["MessageAttributes"]["event_type"]["Value"],
        "platform_report"
    );
    assert_eq!(
        envelope["MessageAttributes"]["report_url"]["Value"],
        json!(output.link)
    );
}

#[tokio::test]
async fn an_empty_week_reports_no_data_everywhere_and_no_zeros() {
    let s = setup().await;
    let output = handle(&s.deps(), json!({"week_ending": "2020-01-05"}))
        .await
        .unwrap();
    let r = &output.report;
    assert_eq!(r.start.to_rfc3339(), "2019-12-30T00:00:00+00:00");
    for w in &r.workflows {
        assert_eq!(
            (w.started, w.failed, w.transitions, w.cost_usd),
            (None, None, None, None)
        );
    }
    assert_eq!(r.total_cost_usd(), None);
    let dq = &r.data_quality;
    assert_eq!(
        (dq.checks_run, dq.checks_failed, dq.failing.len()),
        (None, None, 0)
    );
    let markdown = s.object(&output.markdown_uri).await;
    assert!(
        !markdown.contains(" 0 "),
        "an empty week shows no zeros: {markdown}"
    );
    assert!(markdown.contains("Step Functions cost of the week (list price): no data"));
    assert!(output.html_uri.contains("/prod/2019-12-30/"));
}

#[tokio::test]
async fn bad_input_and_missing_settings_are_typed_errors() {
    let s = setup().await;
    let error = handle(&s.deps(), json!({"week": "2020-01-05"}))
        .await
        .unwrap_err();
    assert_eq!(shared::ErrorType::error_type(&error), "InvalidInput");
    let error = Deps::new(&s.config, |_| None, Arc::new(ManualClock::new(s.today))).unwrap_err();
    assert_eq!(shared::ErrorType::error_type(&error), "Configuration");
}
