//! Per model, what the model registry recorded (see `model_registry::metadata`): the newest
//! version (the latest candidate), the serving version, their metrics and gates, and the
//! deployments and rollbacks recorded during the week.

use aws_sdk_sagemaker::types::{ModelPackageSortBy, SortOrder};
use aws_sdk_sagemaker::Client;
use chrono::{DateTime, Utc};
use model_registry::metadata::{read_metrics, DeploymentStatus, DEPLOYMENT_STATUS};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Most versions read per model (newest first): a year of weekly runs.
pub const MAX_VERSIONS: usize = 60;

/// One registered version, as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionView {
    /// The version number in its group.
    pub version: Option<i32>,
    /// The version's ARN.
    pub arn: String,
    /// Its `metric:<name>` entries.
    pub metrics: Map<String, Value>,
    /// The gate's metric.
    pub gate_metric: Option<String>,
    /// The gate's direction (`lower_is_better`, ...).
    pub gate_direction: Option<String>,
    /// The gate's threshold.
    pub gate_threshold: Option<f64>,
    /// Whether it passed its gate.
    pub gate_passed: Option<bool>,
    /// `deployment:status`.
    pub deployment_status: Option<String>,
}

/// A model's week in the registry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegistryWeek {
    /// The newest version.
    pub latest: Option<VersionView>,
    /// The serving version.
    pub production: Option<VersionView>,
    /// Versions deployed (`deployment:at`) during the week.
    pub deployments: usize,
    /// Versions rolled back (`deployment:rolled_back_at`) during the week.
    pub rollbacks: usize,
    /// Versions registered during the week.
    pub registered: usize,
}

fn within(text: Option<&String>, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
    text.and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .is_some_and(|t| t >= start && t < end)
}

fn view(arn: &str, version: Option<i32>, p: &HashMap<String, String>) -> VersionView {
    VersionView {
        version,
        arn: arn.to_string(),
        metrics: read_metrics(p).0,
        gate_metric: p.get("gate:metric").cloned(),
        gate_direction: p.get("gate:direction").cloned(),
        gate_threshold: p.get("gate:threshold").and_then(|t| t.parse().ok()),
        gate_passed: p.get("gate:passed").and_then(|t| t.parse().ok()),
        deployment_status: p.get(DEPLOYMENT_STATUS).cloned(),
    }
}

/// Reads the group `group`; `Err` (shown as "no data") when the registry cannot be read.
pub async fn week(
    client: &Client,
    group: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<RegistryWeek, String> {
    let mut out = RegistryWeek {
        latest: None,
        production: None,
        deployments: 0,
        rollbacks: 0,
        registered: 0,
    };
    let mut token = None;
    let mut seen = 0;
    'pages: loop {
        let page = client
            .list_model_packages()
            .model_package_group_name(group)
            .sort_by(ModelPackageSortBy::CreationTime)
            .sort_order(SortOrder::Descending)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| aws_sdk_sagemaker::error::DisplayErrorContext(&e).to_string())?;
        for summary in page.model_package_summary_list() {
            if seen >= MAX_VERSIONS {
                break 'pages;
            }
            seen += 1;
            let Some(arn) = summary.model_package_arn() else {
                continue;
            };
            let described = client
                .describe_model_package()
                .model_package_name(arn)
                .send()
                .await
                .map_err(|e| aws_sdk_sagemaker::error::DisplayErrorContext(&e).to_string())?;
            let p = described
                .customer_metadata_properties()
                .cloned()
                .unwrap_or_default();
            let version = described.model_package_version();
            if out.latest.is_none() {
                out.latest = Some(view(arn, version, &p));
            }
            if out.production.is_none()
                && p.get(DEPLOYMENT_STATUS).map(String::as_str)
                    == Some(DeploymentStatus::Serving.as_str())
            {
                out.production = Some(view(arn, version, &p));
            }
            out.deployments += usize::from(within(p.get("deployment:at"), start, end));
            out.rollbacks += usize::from(within(p.get("deployment:rolled_back_at"), start, end));
            let created = described
                .creation_time()
                .and_then(|t| DateTime::from_timestamp(t.secs(), 0));
            out.registered += usize::from(created.is_some_and(|t| t >= start && t < end));
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}
