//! `feature-freshness`: keeps training in step with the feature pipelines. Before the
//! retraining pipeline trains a model, it asks whether the model's feature table in the Glue
//! Data Catalog is fresh enough at the run's scheduled time:
//! - the table's newest partition ([`partition`] reads its values as a date) started at most
//!   `max_age_hours` before that time, and
//! - the feature job's last successful run completed at most `max_age_hours` before it.
//!
//! Stale features are a result (`fresh: false` with the reason), not an error: the pipeline waits
//! and checks again, a bounded number of times, then fails with `FeaturesStale`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod glue;
pub mod input;
pub mod partition;

use chrono::{DateTime, SecondsFormat, Utc};
use error::FreshnessError;
use input::FreshnessRequest;
use serde::{Deserialize, Serialize};

/// The function's name: the `Service` metric dimension.
pub const SERVICE: &str = "feature-freshness";

/// What the handler needs, built once per cold start.
#[derive(Debug, Clone)]
pub struct Deps {
    /// The Glue client.
    pub glue: aws_sdk_glue::Client,
}

impl Deps {
    /// The client from the standard AWS configuration (honours `AWS_ENDPOINT_URL`).
    pub async fn from_env() -> Self {
        Self::new(&shared::aws::load_config().await)
    }

    /// The client from `config`.
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            glue: aws_sdk_glue::Client::new(config),
        }
    }
}

/// The newest partition, as reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LatestPartition {
    /// Its values, in partition key order (e.g. `["2026-11-28"]`).
    pub values: Vec<String>,
    /// The start of the period it holds (RFC 3339, UTC).
    pub start: String,
    /// Hours from its start to the checked time (negative when it starts later).
    pub age_hours: f64,
}

/// The answer. The retraining pipeline reads `$.Payload.fresh` and `$.Payload.reason`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Freshness {
    /// Whether both the newest partition and the job's last success are within `max_age_hours`.
    pub fresh: bool,
    /// The time checked for: the scheduled time of the run, else its start (RFC 3339, UTC).
    pub as_of: String,
    /// The age limit, in hours.
    pub max_age_hours: f64,
    /// The table (`database.table`).
    pub table: String,
    /// The newest partition; null when the table has none.
    pub latest_partition: Option<LatestPartition>,
    /// The job.
    pub job_name: String,
    /// When the job's newest successful run completed (RFC 3339, UTC); null when none did.
    pub last_success: Option<String>,
    /// Hours from `last_success` to the checked time.
    pub last_success_age_hours: Option<f64>,
    /// Why the features are or are not fresh, for people (alerts, the execution history).
    pub reason: String,
}

/// The Lambda entry point: decodes the request and checks.
pub async fn handle(deps: &Deps, event: serde_json::Value) -> Result<Freshness, FreshnessError> {
    let request: FreshnessRequest =
        serde_json::from_value(event).map_err(|e| FreshnessError::InvalidInput(e.to_string()))?;
    check(deps, &request).await
}

/// Checks `request`'s table and job in Glue.
pub async fn check(deps: &Deps, request: &FreshnessRequest) -> Result<Freshness, FreshnessError> {
    let as_of = request.validate().map_err(FreshnessError::InvalidInput)?;
    let newest = glue::newest_partition(&deps.glue, &request.database, &request.table).await?;
    let last_success = glue::last_success(&deps.glue, &request.job_name).await?;
    let verdict = verdict(request, as_of, newest, last_success);
    tracing::info!(
        table = %verdict.table,
        job = %verdict.job_name,
        fresh = verdict.fresh,
        reason = %verdict.reason,
        "feature freshness checked"
    );
    Ok(verdict)
}

/// The verdict on what Glue said, as of `as_of`.
pub fn verdict(
    request: &FreshnessRequest,
    as_of: DateTime<Utc>,
    newest: Option<glue::NewestPartition>,
    last_success: Option<DateTime<Utc>>,
) -> Freshness {
    let max = request.max_age_hours;
    let table = format!("{}.{}", request.database, request.table);
    let hours = |t: DateTime<Utc>| (as_of - t).num_seconds() as f64 / 3600.0;
    let mut stale = Vec::new();
    let latest_partition = newest.map(|p| LatestPartition {
        age_hours: hours(p.start),
        start: rfc3339(p.start),
        values: p.values,
    });
    match &latest_partition {
        None => stale.push(format!("{table} has no partitions")),
        Some(p) if p.age_hours > max => stale.push(format!(
            "the newest partition of {table} ({}) starts {} h before {}, more than {max} h",
            p.values.join("/"),
            round(p.age_hours),
            rfc3339(as_of)
        )),
        Some(_) => {}
    }
    let last_success_age_hours = last_success.map(hours);
    match (last_success, last_success_age_hours) {
        (Some(t), Some(age)) if age > max => stale.push(format!(
            "the last successful run of the Glue job {} completed at {} ({} h before {}, more than {max} h)",
            request.job_name,
            rfc3339(t),
            round(age),
            rfc3339(as_of)
        )),
        (Some(_), _) => {}
        (None, _) => stale.push(format!(
            "the Glue job {} has no successful run in its history",
            request.job_name
        )),
    }
    let fresh = stale.is_empty();
    let reason = if fresh {
        format!(
            "{table} and the Glue job {} are at most {max} h old at {}",
            request.job_name,
            rfc3339(as_of)
        )
    } else {
        stale.join("; ")
    };
    Freshness {
        fresh,
        as_of: rfc3339(as_of),
        max_age_hours: max,
        table,
        latest_partition,
        job_name: request.job_name.clone(),
        last_success: last_success.map(rfc3339),
        last_success_age_hours,
        reason,
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn round(hours: f64) -> f64 {
    (hours * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn request() -> FreshnessRequest {
        serde_json::from_value(serde_json::json!({
            "database": "features", "table": "demand_daily", "job_name": "features-demand-daily",
            "max_age_hours": 30, "started_at": "2026-11-29T02:00:00Z"
        }))
        .unwrap()
    }

    fn partition(day: &str) -> Option<glue::NewestPartition> {
        Some(glue::NewestPartition {
            values: vec![day.to_string()],
            start: at(&format!("{day}T00:00:00Z")),
        })
    }

    #[test]
    fn yesterdays_partition_and_a_recent_job_run_are_fresh() {
        let v = verdict(
            &request(),
            at("2026-11-29T02:00:00Z"),
            partition("2026-11-28"),
            Some(at("2026-11-29T01:10:00Z")),
        );
        assert!(v.fresh, "{}", v.reason);
        assert_eq!(v.latest_partition.unwrap().age_hours, 26.0);
        assert!((v.last_success_age_hours.unwrap() - 50.0 / 60.0).abs() < 1e-9);
    }

    #[test]
    fn an_old_partition_a_missing_one_or_an_old_job_run_are_stale_with_the_reason() {
        let as_of = at("2026-11-29T02:00:00Z");
        let recent = Some(at("2026-11-29T01:10:00Z"));
        let old = verdict(&request(), as_of, partition("2026-11-27"), recent);
        assert!(!old.fresh);
        assert!(
            old.reason.contains("2026-11-27") && old.reason.contains("50 h"),
            "{}",
            old.reason
        );
        let none = verdict(&request(), as_of, None, recent);
        assert!(
            !none.fresh && none.reason.contains("no partitions"),
            "{}",
            none.reason
        );
        let job = verdict(
            &request(),
            as_of,
            partition("2026-11-28"),
            Some(at("2026-11-27T12:00:00Z")),
        );
        assert!(!job.fresh && job.reason.contains("38 h"), "{}", job.reason);
        let never = verdict(&request(), as_of, partition("2026-11-28"), None);
        assert!(
            !never.fresh && never.reason.contains("no successful run"),
            "{}",
            never.reason
        );
    }
}
