//! `platform-report`: the weekly view of the platform. For the seven days before the run it
//! reads the Step Functions metrics of each workflow, the model registry, the drift monitor's
//! and the data-quality function's metrics ([`report::gather`]), writes a self-contained HTML
//! page and a Markdown summary to S3 ([`render`]) and publishes the summary, with a link to the
//! page, to the notifications topic (`event_type = platform_report`; the Slack notifier renders
//! it). A source that cannot be read shows as "no data", never as zero.
#![forbid(unsafe_code)]

pub mod error;
pub mod metrics;
pub mod registry;
pub mod render;
pub mod report;

use chrono::{DateTime, NaiveDate, Utc};
use error::ReportError;
use report::Workflow;
use serde::{Deserialize, Serialize};
use shared::clock::{Clock, SystemClock};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The function's name: the `Service` metric dimension.
pub const SERVICE: &str = "platform-report";

/// What the function is configured with (environment variables).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `ENVIRONMENT_NAME`: the registry's package groups are `<env>-<model>`.
    pub environment: String,
    /// `REPORT_BUCKET`: where the pages go.
    pub bucket: String,
    /// `REPORT_PREFIX` (default `reports/platform/`).
    pub prefix: String,
    /// `NOTIFICATIONS_TOPIC_ARN`.
    pub topic_arn: String,
    /// `STATE_MACHINES` (`name=arn,...`) with `TRANSITIONS_PER_EXECUTION` (`name=N,...`).
    pub workflows: Vec<Workflow>,
    /// `MODELS` (`a,b`), default every model of the catalogue.
    pub models: Vec<String>,
    /// `METRICS_NAMESPACE` (default `MlPipelines`), where the functions' EMF metrics are.
    pub metrics_namespace: String,
    /// The price table (`shared::prices`, the one `pipelines cost` uses).
    pub prices: shared::prices::Prices,
}

fn pairs(text: &str, what: &str) -> Result<BTreeMap<String, String>, ReportError> {
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| {
                    ReportError::Configuration(format!("{what}: {p:?} is not name=value"))
                })
        })
        .collect()
}

impl Settings {
    /// Reads the settings through `lookup` (the environment in production).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        catalogue: &catalogue::Catalogue,
    ) -> Result<Self, ReportError> {
        let env = shared::settings::Env::new(&lookup);
        let per_execution = pairs(
            &lookup("TRANSITIONS_PER_EXECUTION").unwrap_or_default(),
            "TRANSITIONS_PER_EXECUTION",
        )?;
        let workflows = pairs(&env.required("STATE_MACHINES")?, "STATE_MACHINES")?
            .into_iter()
            .map(|(name, arn)| {
                let transitions_per_execution = match per_execution.get(&name) {
                    None => None,
                    Some(n) => Some(n.parse::<u64>().map_err(|_| {
                        ReportError::Configuration(format!(
                            "TRANSITIONS_PER_EXECUTION: {name}={n} is not a whole number"
                        ))
                    })?),
                };
                Ok(Workflow {
                    name,
                    arn,
                    transitions_per_execution,
                })
            })
            .collect::<Result<Vec<_>, ReportError>>()?;
        let models = match lookup("MODELS").filter(|m| !m.trim().is_empty()) {
            Some(list) => list
                .split(',')
                .map(|m| m.trim().to_string())
                .filter(|m| !m.is_empty())
                .collect(),
            None => catalogue.models.keys().cloned().collect(),
        };
        Ok(Settings {
            environment: env.required("ENVIRONMENT_NAME")?,
            bucket: env.required("REPORT_BUCKET")?,
            prefix: lookup("REPORT_PREFIX").unwrap_or_else(|| "reports/platform/".into()),
            topic_arn: env.required("NOTIFICATIONS_TOPIC_ARN")?,
            workflows,
            models,
            metrics_namespace: lookup("METRICS_NAMESPACE")
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| shared::metrics::DEFAULT_NAMESPACE.into()),
            prices: shared::prices::Prices::default(),
        })
    }
}

/// What the handler needs, built once per cold start.
#[derive(Debug, Clone)]
pub struct Deps {
    /// CloudWatch (metrics).
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// SageMaker (the model registry).
    pub sagemaker: aws_sdk_sagemaker::Client,
    /// S3 (the pages).
    pub s3: aws_sdk_s3::Client,
    /// SNS (the summary).
    pub sns: aws_sdk_sns::Client,
    /// The settings.
    pub settings: Settings,
    /// The model catalogue (PSI levels).
    pub catalogue: Arc<catalogue::Catalogue>,
    /// The region, for the console link.
    pub region: String,
    /// The time source.
    pub clock: Arc<dyn Clock>,
}

impl Deps {
    /// Clients from `config`, settings from `lookup`.
    pub fn new(
        config: &aws_config::SdkConfig,
        lookup: impl Fn(&str) -> Option<String>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ReportError> {
        let catalogue = catalogue::Catalogue::embedded()
            .map_err(|e| ReportError::Configuration(e.to_string()))?;
        Ok(Deps {
            cloudwatch: aws_sdk_cloudwatch::Client::new(config),
            sagemaker: aws_sdk_sagemaker::Client::new(config),
            s3: shared::aws::s3_client(config),
            sns: aws_sdk_sns::Client::new(config),
            settings: Settings::from_lookup(lookup, &catalogue)?,
            catalogue: Arc::new(catalogue),
            region: config
                .region()
                .map_or("us-east-1".into(), |r| r.to_string()),
            clock,
        })
    }

    /// From the standard AWS configuration and the process environment.
    pub async fn from_env() -> Result<Self, ReportError> {
        let config = shared::aws::load_config().await;
        Self::new(
            &config,
            shared::settings::process_env,
            Arc::new(SystemClock),
        )
    }
}

/// The input: `{"week_ending": "YYYY-MM-DD"}` reports the seven days ending with that date;
/// without it, the seven days before today (UTC).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    /// The week's last day.
    #[serde(default)]
    pub week_ending: Option<NaiveDate>,
}

/// What a run wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportOutput {
    /// `s3://` URI of the HTML page.
    pub html_uri: String,
    /// `s3://` URI of the Markdown summary.
    pub markdown_uri: String,
    /// The console link published with the summary.
    pub link: String,
    /// The SNS message id.
    pub message_id: Option<String>,
    /// The report's data.
    pub report: report::Report,
}

/// The week `[start, end)` for `input` at `now`.
pub fn window(input: &ReportInput, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let last = input
        .week_ending
        .unwrap_or_else(|| now.date_naive() - chrono::Duration::days(1));
    let end = (last + chrono::Duration::days(1))
        .and_time(chrono::NaiveTime::MIN)
        .and_utc();
    (end - chrono::Duration::days(7), end)
}

/// The Lambda entry point.
pub async fn handle(deps: &Deps, event: serde_json::Value) -> Result<ReportOutput, ReportError> {
    let input: ReportInput = match event {
        serde_json::Value::Null => ReportInput::default(),
        event => {
            serde_json::from_value(event).map_err(|e| ReportError::InvalidInput(e.to_string()))?
        }
    };
    let (start, end) = window(&input, deps.clock.now());
    let report = report::gather(deps, start, end).await;
    let s = &deps.settings;
    let base = format!("{}{}/{}", s.prefix, s.environment, start.format("%Y-%m-%d"));
    let html_key = format!("{base}/report.html");
    let md_key = format!("{base}/summary.md");
    let link = format!(
        "https://{0}.console.aws.amazon.com/s3/object/{1}?region={0}&prefix={2}",
        deps.region, s.bucket, html_key
    );
    let markdown = render::markdown(&report, &link);
    for (key, body, content_type) in [
        (&html_key, render::html(&report), "text/html; charset=utf-8"),
        (&md_key, markdown.clone(), "text/markdown; charset=utf-8"),
    ] {
        deps.s3
            .put_object()
            .bucket(&s.bucket)
            .key(key)
            .content_type(content_type)
            .body(body.into_bytes().into())
            .send()
            .await
            .map_err(|e| ReportError::ReportNotWritten {
                bucket: s.bucket.clone(),
                key: key.clone(),
                message: aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
            })?;
    }
    let subject: String = format!(
        "Platform report {} week of {}",
        s.environment,
        start.format("%Y-%m-%d")
    )
    .chars()
    .take(100)
    .collect();
    let attributes: Vec<shared::notify::Attribute> = [
        ("event_type", "platform_report"),
        ("severity", "info"),
        ("environment", s.environment.as_str()),
        ("report_url", link.as_str()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .map(|(k, v)| shared::notify::text(k, v))
    .collect();
    let message_id =
        shared::notify::publish(&deps.sns, &s.topic_arn, &subject, &markdown, &attributes)
            .await
            .map_err(|message| ReportError::SummaryNotPublished {
                topic: s.topic_arn.clone(),
                message,
            })?;
    let mut metrics = shared::metrics::MetricsLogger::new(SERVICE);
    metrics.put("ReportsPublished", 1.0, shared::metrics::Unit::Count);
    metrics.flush();
    Ok(ReportOutput {
        html_uri: format!("s3://{}/{html_key}", s.bucket),
        markdown_uri: format!("s3://{}/{md_key}", s.bucket),
        link,
        message_id: Some(message_id),
        report,
    })
}
