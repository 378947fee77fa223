//! `data-quality`: hourly data-quality checks of the lake tables on Athena.
//!
//! EventBridge Scheduler invokes the function every hour; the checked window is the previous
//! full hour before the scheduled time ([`window`]). An explicit `{window_start, window_end,
//! tables?}` re-runs or backfills a window. Each check of the rules file ([`rules`], bundled
//! from `config/data-quality/rules.yaml`) is compiled into Athena SQL ([`sql`]), the queries run
//! concurrently with a bound, are polled with back-off and given up at a deadline inside the
//! Lambda timeout ([`athena`]), and each result is decided pass / fail / error ([`evaluate`]).
//! A run with failed or erroring checks publishes one grouped alert ([`alert`]) to the critical
//! or notifications topic; every check emits EMF metrics; the summary
//! `{checked_at, window, checks, failed, errors}` is the result.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod alert;
pub mod athena;
pub mod clock;
pub mod error;
pub mod evaluate;
pub mod rules;
pub mod sql;
pub mod window;

use athena::{AthenaTarget, Backoff, Query};
use chrono::{DateTime, Duration, Utc};
use clock::{Clock, SystemClock};
use error::DataQualityError;
use evaluate::{Outcome, Status};
use futures::stream::{self, StreamExt};
use rules::{Check, Rules, Severity, Table};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use shared::metrics::{MetricsLogger, Unit};
use std::sync::Arc;
use window::Window;

/// The function's name: the `Service` metric dimension.
pub const SERVICE: &str = "data-quality";
/// The rules file bundled at build time.
pub const BUNDLED_RULES: &str = include_str!("../../../config/data-quality/rules.yaml");
/// Default number of queries running at once.
pub const DEFAULT_MAX_CONCURRENCY: usize = 4;
/// Default longest run when no Lambda deadline is known (local runs), in seconds.
pub const DEFAULT_MAX_RUN_SECONDS: i64 = 600;
/// Time kept back from the Lambda deadline for the alert and the metrics, in seconds.
pub const RESERVE_SECONDS: i64 = 20;

/// Settings from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `ATHENA_WORKGROUP`: where the queries run.
    pub workgroup: String,
    /// `ATHENA_CATALOG` (default `AwsDataCatalog`).
    pub catalog: String,
    /// `ATHENA_OUTPUT_LOCATION` (optional `s3://` prefix; the workgroup's own setting otherwise).
    pub output_location: Option<String>,
    /// `NOTIFICATIONS_TOPIC_ARN`: alerts whose worst problem is a warning.
    pub notifications_topic_arn: String,
    /// `CRITICAL_TOPIC_ARN`: alerts with a critical problem.
    pub critical_topic_arn: String,
    /// `ENVIRONMENT_NAME` (default `dev`): the alert's `environment` attribute.
    pub environment: String,
    /// `MAX_CONCURRENCY` (default 4): queries running at once.
    pub max_concurrency: usize,
    /// `MAX_RUN_SECONDS` (default 600): the run's length when no Lambda deadline is known.
    pub max_run_seconds: i64,
    /// `RULES_FILE` (optional): a rules file to read instead of the bundled one (local runs).
    pub rules_file: Option<String>,
}

impl Settings {
    /// Settings with defaults for everything but the workgroup and the topics.
    pub fn new(
        workgroup: impl Into<String>,
        notifications_topic_arn: impl Into<String>,
        critical_topic_arn: impl Into<String>,
    ) -> Self {
        Self {
            workgroup: workgroup.into(),
            catalog: "AwsDataCatalog".into(),
            output_location: None,
            notifications_topic_arn: notifications_topic_arn.into(),
            critical_topic_arn: critical_topic_arn.into(),
            environment: "dev".into(),
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            max_run_seconds: DEFAULT_MAX_RUN_SECONDS,
            rules_file: None,
        }
    }

    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, DataQualityError> {
        Self::from_lookup(shared::settings::process_env)
    }

    /// Reads the settings through `lookup` (a variable name to its value).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, DataQualityError> {
        let env = shared::settings::Env::new(lookup);
        let topic = |name: &str| {
            let arn = env.required(name)?;
            if arn.starts_with("arn:") && arn.contains(":sns:") {
                Ok(arn)
            } else {
                Err(DataQualityError::Configuration(format!(
                    "{name} is not an SNS topic ARN: {arn:?}"
                )))
            }
        };
        let output_location = env.get("ATHENA_OUTPUT_LOCATION");
        if let Some(location) = &output_location {
            if !location.starts_with("s3://") {
                return Err(DataQualityError::Configuration(format!(
                    "ATHENA_OUTPUT_LOCATION must be an s3:// URI, got {location:?}"
                )));
            }
        }
        Ok(Self {
            workgroup: env.required("ATHENA_WORKGROUP")?,
            catalog: env
                .get("ATHENA_CATALOG")
                .unwrap_or_else(|| "AwsDataCatalog".into()),
            output_location,
            notifications_topic_arn: topic("NOTIFICATIONS_TOPIC_ARN")?,
            critical_topic_arn: topic("CRITICAL_TOPIC_ARN")?,
            environment: env.get("ENVIRONMENT_NAME").unwrap_or_else(|| "dev".into()),
            max_concurrency: env.integer_at_least(
                "MAX_CONCURRENCY",
                DEFAULT_MAX_CONCURRENCY as i64,
                1,
            )? as usize,
            max_run_seconds: env.integer_at_least("MAX_RUN_SECONDS", DEFAULT_MAX_RUN_SECONDS, 1)?,
            rules_file: env.get("RULES_FILE"),
        })
    }

    /// The rules: `RULES_FILE` when set, else the bundled file.
    pub fn load_rules(&self) -> Result<Rules, DataQualityError> {
        let (text, origin) = match &self.rules_file {
            Some(path) => (
                std::fs::read_to_string(path).map_err(|e| {
                    DataQualityError::Configuration(format!("cannot read RULES_FILE {path}: {e}"))
                })?,
                path.as_str(),
            ),
            None => (BUNDLED_RULES.to_string(), "the bundled rules file"),
        };
        rules::parse(&text)
            .map_err(|errors| DataQualityError::RulesInvalid(format!("{origin}: {errors}")))
    }
}

/// What the handler needs, built once per cold start.
#[derive(Debug, Clone)]
pub struct Deps {
    athena: aws_sdk_athena::Client,
    sns: aws_sdk_sns::Client,
    settings: Settings,
    rules: Arc<Rules>,
    clock: Arc<dyn Clock>,
    backoff: Backoff,
}

impl Deps {
    /// Clients from the standard AWS configuration (honours `AWS_ENDPOINT_URL`), settings and
    /// rules from the environment, the system clock.
    pub async fn from_env() -> Result<Self, DataQualityError> {
        let settings = Settings::from_env()?;
        let rules = settings.load_rules()?;
        let config = shared::aws::load_config().await;
        Ok(Self::new(&config, settings, rules))
    }

    /// Clients from `config`, with time limits per call (10 s per attempt, 30 s in all, the
    /// SDK's standard retries inside them) so that one hung call cannot eat the run's deadline.
    pub fn new(config: &aws_config::SdkConfig, settings: Settings, rules: Rules) -> Self {
        let config = shared::aws::with_call_timeouts(
            config,
            std::time::Duration::from_secs(10),
            Some(std::time::Duration::from_secs(30)),
        );
        Self::with_clients(
            aws_sdk_athena::Client::new(&config),
            aws_sdk_sns::Client::new(&config),
            settings,
            rules,
        )
    }

    /// Dependencies with the given clients, the system clock and the default back-off.
    pub fn with_clients(
        athena: aws_sdk_athena::Client,
        sns: aws_sdk_sns::Client,
        settings: Settings,
        rules: Rules,
    ) -> Self {
        Self {
            athena,
            sns,
            settings,
            rules: Arc::new(rules),
            clock: Arc::new(SystemClock),
            backoff: athena::POLL_BACKOFF,
        }
    }

    /// The same dependencies reading time (and waiting) through `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The same dependencies with another polling back-off.
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The settings in use.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The rules in use.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }
}

/// The invocation event: the Scheduler payload (`source`, `schedule_arn`, `scheduled_time`,
/// `attempt`, all optional) or an explicit window with an optional table subset.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// Who asked (`schedule`, `backfill`, `etl`, ...): logged.
    #[serde(default)]
    pub source: Option<String>,
    /// The schedule's ARN (Scheduler context attribute).
    #[serde(default)]
    pub schedule_arn: Option<String>,
    /// The time the run was scheduled for (Scheduler context attribute): the window is the
    /// previous full hour before it, so a late or retried delivery checks the intended hour.
    #[serde(default)]
    pub scheduled_time: Option<String>,
    /// The Scheduler's execution id.
    #[serde(default)]
    pub execution_id: Option<String>,
    /// The Scheduler's attempt number.
    #[serde(default)]
    pub attempt: Option<Value>,
    /// Explicit window start (RFC 3339), with `window_end`.
    #[serde(default)]
    pub window_start: Option<String>,
    /// Explicit window end (RFC 3339), with `window_start`.
    #[serde(default)]
    pub window_end: Option<String>,
    /// Only these tables (their `name` or `database.table`).
    #[serde(default)]
    pub tables: Option<Vec<String>>,
}

/// One check's result in the summary (the shape slack-notifier renders).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CheckResult {
    /// The check's name.
    pub name: String,
    /// `database.table`.
    pub table: String,
    /// The rule kind (`row_count`, `freshness`, ...).
    pub kind: &'static str,
    /// `pass`, `fail` or `error`.
    pub status: Status,
    /// `critical` or `warning`.
    pub severity: Severity,
    /// What was measured (null when nothing could be); whole numbers serialise as integers.
    #[serde(serialize_with = "compact_number")]
    pub observed: Option<f64>,
    /// The limit.
    #[serde(serialize_with = "compact_number")]
    pub threshold: Option<f64>,
    /// Who owns it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Why it failed or errored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The Athena query, to look it up in the console.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_execution_id: Option<String>,
    /// Time from start to decision, in milliseconds.
    pub duration_ms: i64,
}

/// `1204` rather than `1204.0` for whole numbers (what people read in the alert), the float
/// otherwise; `null` for none.
fn compact_number<S: serde::Serializer>(value: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) if v.fract() == 0.0 && v.abs() < 9.0e15 => s.serialize_i64(*v as i64),
        Some(v) => s.serialize_f64(*v),
        None => s.serialize_none(),
    }
}

/// Where the alert went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct AlertSent {
    /// The topic.
    pub topic_arn: String,
    /// `critical` or `warning`.
    pub severity: Severity,
    /// SNS's message id.
    pub message_id: String,
}

/// The run's result: `{checked_at, window, checks, failed, errors}` plus `passed`, the rules'
/// time zone and where the alert went.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Summary {
    /// When the run started.
    pub checked_at: String,
    /// The checked window.
    pub window: Window,
    /// The rules file's time zone (hour boundaries).
    pub time_zone: String,
    /// Every check, in the rules file's order.
    pub checks: Vec<CheckResult>,
    /// Checks that passed.
    pub passed: usize,
    /// Checks that failed.
    pub failed: usize,
    /// Checks that could not run.
    pub errors: usize,
    /// The alert, when one was published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert: Option<AlertSent>,
}

/// The deadline of a run: the Lambda deadline (milliseconds since the epoch) minus
/// [`RESERVE_SECONDS`], never later than `MAX_RUN_SECONDS` from now.
pub fn run_deadline(deps: &Deps, lambda_deadline_ms: u64) -> DateTime<Utc> {
    let now = deps.clock.now();
    let cap = now + Duration::seconds(deps.settings.max_run_seconds);
    let lambda = i64::try_from(lambda_deadline_ms)
        .ok()
        .and_then(DateTime::from_timestamp_millis)
        .map(|d| d - Duration::seconds(RESERVE_SECONDS));
    match lambda {
        Some(d) if d < cap => d,
        _ => cap,
    }
}

/// The Lambda entry point without a Lambda deadline: runs for at most `MAX_RUN_SECONDS`.
pub async fn handle(deps: &Deps, payload: Value) -> Result<Summary, DataQualityError> {
    let deadline = deps.clock.now() + Duration::seconds(deps.settings.max_run_seconds);
    handle_until(deps, payload, deadline).await
}

/// Runs the checks the event asks for, giving up on unfinished queries at `deadline`; publishes
/// the alert and the metrics; returns the summary.
pub async fn handle_until(
    deps: &Deps,
    payload: Value,
    deadline: DateTime<Utc>,
) -> Result<Summary, DataQualityError> {
    let started = deps.clock.now();
    let request: RunRequest = match payload {
        Value::Null => RunRequest::default(),
        other => serde_json::from_value(other).map_err(|e| {
            DataQualityError::InvalidEvent(format!(
                "expected the Scheduler payload or {{window_start, window_end, tables?}}: {e}"
            ))
        })?,
    };
    let window = window_of(&request, started, deps.rules.time_zone)?;
    let tables = select_tables(&deps.rules, request.tables.as_deref())?;
    tracing::info!(
        source = request.source.as_deref().unwrap_or("unknown"),
        window_start = %window::text(window.start),
        window_end = %window::text(window.end),
        tables = tables.len(),
        deadline = %window::text(deadline),
        "data-quality run starting"
    );
    let target = AthenaTarget {
        workgroup: deps.settings.workgroup.clone(),
        catalog: deps.settings.catalog.clone(),
        output_location: deps.settings.output_location.clone(),
    };
    let nonce = started
        .timestamp_nanos_opt()
        .unwrap_or_default()
        .to_string();
    let jobs: Vec<(&Table, &Check)> = tables
        .iter()
        .flat_map(|t| t.checks.iter().map(move |c| (*t, c)))
        .collect();
    let checks: Vec<CheckResult> = stream::iter(jobs)
        .map(|(table, check)| run_check(deps, &target, table, check, &window, &nonce, deadline))
        .buffered(deps.settings.max_concurrency.max(1))
        .collect()
        .await;
    let count = |s: Status| checks.iter().filter(|c| c.status == s).count();
    let mut summary = Summary {
        checked_at: window::text(started),
        window,
        time_zone: deps.rules.time_zone.name().to_string(),
        passed: count(Status::Pass),
        failed: count(Status::Fail),
        errors: count(Status::Error),
        checks,
        alert: None,
    };
    for check in &summary.checks {
        check_metrics(check).flush();
    }
    let mut run = run_metrics(&summary, (deps.clock.now() - started).num_milliseconds());
    run.flush();
    tracing::info!(
        passed = summary.passed,
        failed = summary.failed,
        errors = summary.errors,
        "data-quality run finished"
    );
    if let Some(alert) = alert::build(&summary, &deps.settings) {
        let message_id = alert::publish(&deps.sns, &alert)
            .await
            .map_err(DataQualityError::AlertNotPublished)?;
        tracing::info!(topic = %alert.topic_arn, severity = alert.severity.as_str(), %message_id, "alert published");
        summary.alert = Some(AlertSent {
            topic_arn: alert.topic_arn,
            severity: alert.severity,
            message_id,
        });
    }
    Ok(summary)
}

/// The window of a request: explicit, else the previous full hour before `scheduled_time`,
/// else before `now`.
pub fn window_of(
    request: &RunRequest,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<Window, DataQualityError> {
    match (&request.window_start, &request.window_end) {
        (Some(start), Some(end)) => {
            Window::explicit(start, end, now).map_err(DataQualityError::InvalidEvent)
        }
        (None, None) => {
            let at = match &request.scheduled_time {
                Some(text) => DateTime::parse_from_rfc3339(text)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|e| {
                        DataQualityError::InvalidEvent(format!(
                            "scheduled_time {text:?} is not an RFC 3339 time: {e}"
                        ))
                    })?,
                None => now,
            };
            Ok(Window::previous_full_hour(at, tz))
        }
        _ => Err(DataQualityError::InvalidEvent(
            "window_start and window_end go together".into(),
        )),
    }
}

/// The tables a request names (all when `names` is `None`); an unknown name is an error.
pub fn select_tables<'a>(
    rules: &'a Rules,
    names: Option<&[String]>,
) -> Result<Vec<&'a Table>, DataQualityError> {
    let Some(names) = names else {
        return Ok(rules.tables.iter().collect());
    };
    if names.is_empty() {
        return Err(DataQualityError::InvalidEvent(
            "tables is empty: leave it out to check every table".into(),
        ));
    }
    let unknown: Vec<&str> = names
        .iter()
        .filter(|n| {
            !rules
                .tables
                .iter()
                .any(|t| &t.name == *n || &t.qualified() == *n)
        })
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        let known: Vec<&str> = rules.tables.iter().map(|t| t.name.as_str()).collect();
        return Err(DataQualityError::InvalidEvent(format!(
            "unknown table(s) {} (the rules file has {})",
            unknown.join(", "),
            known.join(", ")
        )));
    }
    Ok(rules
        .tables
        .iter()
        .filter(|t| names.iter().any(|n| n == &t.name || n == &t.qualified()))
        .collect())
}

/// An idempotency token for one check's query in one run (64 hex characters).
pub fn request_token(check: &str, window: &Window, nonce: &str) -> String {
    let mut hash = Sha256::new();
    for part in [
        check,
        &window::text(window.start),
        &window::text(window.end),
        nonce,
    ] {
        hash.update(part.as_bytes());
        hash.update([0u8]);
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

async fn run_check(
    deps: &Deps,
    target: &AthenaTarget,
    table: &Table,
    check: &Check,
    window: &Window,
    nonce: &str,
    deadline: DateTime<Utc>,
) -> CheckResult {
    let started = deps.clock.now();
    let query = Query {
        sql: sql::compile(table, &check.rule, window),
        database: table.database.clone(),
        token: request_token(&check.name, window, nonce),
    };
    tracing::debug!(check = %check.name, sql = %query.sql, "starting query");
    let run = athena::run(
        &deps.athena,
        target,
        deps.clock.as_ref(),
        deps.backoff,
        &query,
        deadline,
    )
    .await;
    let outcome = match &run.result {
        Ok(result) => evaluate::evaluate(&check.rule, result, window),
        Err(error) => Outcome::error(error.to_string()),
    };
    let duration_ms = (deps.clock.now() - started).num_milliseconds();
    match outcome.status {
        Status::Pass => {
            tracing::info!(check = %check.name, table = %table.qualified(), observed = ?outcome.observed, duration_ms, "check passed")
        }
        Status::Fail => {
            tracing::warn!(check = %check.name, table = %table.qualified(), observed = ?outcome.observed, threshold = ?outcome.threshold, message = ?outcome.message, duration_ms, "check failed")
        }
        Status::Error => {
            tracing::error!(check = %check.name, table = %table.qualified(), sql = %query.sql, query_execution_id = ?run.query_execution_id, message = ?outcome.message, "check could not run")
        }
    }
    CheckResult {
        name: check.name.clone(),
        table: table.qualified(),
        kind: check.rule.kind(),
        status: outcome.status,
        severity: check.severity,
        observed: outcome.observed,
        threshold: outcome.threshold,
        owner: check.owner.clone(),
        message: outcome.message,
        query_execution_id: run.query_execution_id,
        duration_ms,
    }
}

/// One check's EMF metrics (dimensions `Service`, `Table`, `Check`): `CheckPassed`,
/// `CheckFailed`, `CheckErrored` (0 or 1), `ObservedValue` (when measured) and `CheckDuration`.
pub fn check_metrics(check: &CheckResult) -> MetricsLogger {
    let base = MetricsLogger::new(SERVICE);
    let mut metrics = base
        .clone()
        .dimension("Table", &check.table)
        .and_then(|m| m.dimension("Check", &check.name))
        .unwrap_or(base);
    let flag = |s: Status| if check.status == s { 1.0 } else { 0.0 };
    metrics.put("CheckPassed", flag(Status::Pass), Unit::Count);
    metrics.put("CheckFailed", flag(Status::Fail), Unit::Count);
    metrics.put("CheckErrored", flag(Status::Error), Unit::Count);
    if let Some(observed) = check.observed {
        metrics.put("ObservedValue", observed, Unit::None);
    }
    metrics.put(
        "CheckDuration",
        check.duration_ms as f64,
        Unit::Milliseconds,
    );
    metrics.property("Kind", check.kind);
    metrics.property("Severity", check.severity.as_str());
    metrics
}

/// The run's EMF metrics (dimension `Service`): `ChecksRun`, `ChecksPassed`, `ChecksFailed`,
/// `ChecksErrored`, `RunDuration`.
pub fn run_metrics(summary: &Summary, duration_ms: i64) -> MetricsLogger {
    let mut metrics = MetricsLogger::new(SERVICE);
    metrics.put("ChecksRun", summary.checks.len() as f64, Unit::Count);
    metrics.put("ChecksPassed", summary.passed as f64, Unit::Count);
    metrics.put("ChecksFailed", summary.failed as f64, Unit::Count);
    metrics.put("ChecksErrored", summary.errors as f64, Unit::Count);
    metrics.put("RunDuration", duration_ms as f64, Unit::Milliseconds);
    metrics
}

#[cfg(test)]
mod tests {
    use super::*;

    use shared::settings::from_pairs as lookup;

    const N: &str = "arn:aws:sns:us-east-1:123456789012:notifications";
    const C: &str = "arn:aws:sns:us-east-1:123456789012:critical";

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn settings_have_defaults_for_everything_but_workgroup_and_topics() {
        let s = Settings::from_lookup(lookup(&[
            ("ATHENA_WORKGROUP", "dq"),
            ("NOTIFICATIONS_TOPIC_ARN", N),
            ("CRITICAL_TOPIC_ARN", C),
        ]))
        .unwrap();
        assert_eq!(s, Settings::new("dq", N, C));
        for pairs in [
            vec![("NOTIFICATIONS_TOPIC_ARN", N), ("CRITICAL_TOPIC_ARN", C)],
            vec![
                ("ATHENA_WORKGROUP", "dq"),
                ("NOTIFICATIONS_TOPIC_ARN", "topic"),
                ("CRITICAL_TOPIC_ARN", C),
            ],
            vec![
                ("ATHENA_WORKGROUP", "dq"),
                ("NOTIFICATIONS_TOPIC_ARN", N),
                ("CRITICAL_TOPIC_ARN", C),
                ("MAX_CONCURRENCY", "0"),
            ],
            vec![
                ("ATHENA_WORKGROUP", "dq"),
                ("NOTIFICATIONS_TOPIC_ARN", N),
                ("CRITICAL_TOPIC_ARN", C),
                ("ATHENA_OUTPUT_LOCATION", "bucket/x"),
            ],
        ] {
            let error = Settings::from_lookup(lookup(&pairs)).unwrap_err();
            assert_eq!(
                shared::ErrorType::error_type(&error),
                "Configuration",
                "{pairs:?}"
            );
        }
    }

    #[test]
    fn the_scheduled_time_decides_the_window_not_the_arrival_time() {
        let request: RunRequest = serde_json::from_value(serde_json::json!({
            "source": "schedule",
            "schedule_arn": "arn:aws:scheduler:us-east-1:123456789012:schedule/default/dq",
            "scheduled_time": "2026-11-27T07:05:00Z",
            "attempt": 2
        }))
        .unwrap();
        let w = window_of(&request, at("2026-11-27T08:40:00Z"), chrono_tz::Tz::UTC).unwrap();
        assert_eq!(w.start, at("2026-11-27T06:00:00Z"));
    }

    #[test]
    fn bad_events_are_invalid_event() {
        let now = at("2026-11-27T08:00:00Z");
        for payload in [
            serde_json::json!({"window_start": "2026-11-27T06:00:00Z"}),
            serde_json::json!({"window_begin": "2026-11-27T06:00:00Z"}),
            serde_json::json!({"scheduled_time": "yesterday"}),
        ] {
            let result = serde_json::from_value::<RunRequest>(payload.clone())
                .map_err(|e| DataQualityError::InvalidEvent(e.to_string()))
                .and_then(|r| window_of(&r, now, chrono_tz::Tz::UTC));
            let error = result.unwrap_err();
            assert_eq!(
                shared::ErrorType::error_type(&error),
                "InvalidEvent",
                "{payload}"
            );
        }
    }

    #[test]
    fn a_table_subset_is_matched_by_name_or_qualified_name() {
        let rules = rules::parse(BUNDLED_RULES).unwrap();
        let first = &rules.tables[0];
        let picked = select_tables(&rules, Some(&[first.qualified()])).unwrap();
        assert_eq!(picked.len(), 1);
        let picked = select_tables(&rules, Some(std::slice::from_ref(&first.name))).unwrap();
        assert_eq!(picked[0].name, first.name);
        let error = select_tables(&rules, Some(&["lake.nope".to_string()])).unwrap_err();
        assert!(error.to_string().contains("lake.nope"));
    }

    #[test]
    fn request_tokens_are_stable_per_run_and_differ_between_checks_and_runs() {
        let w = Window {
            start: at("2026-11-27T06:00:00Z"),
            end: at("2026-11-27T07:00:00Z"),
        };
        let a = request_token("rows", &w, "1");
        assert_eq!(a.len(), 64);
        assert_eq!(a, request_token("rows", &w, "1"));
        assert_ne!(a, request_token("nulls", &w, "1"));
        assert_ne!(a, request_token("rows", &w, "2"));
    }

    #[test]
    fn the_lambda_deadline_keeps_a_reserve() {
        let rules = rules::parse(BUNDLED_RULES).unwrap();
        let config = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let clock = Arc::new(clock::ManualClock::new(at("2026-11-27T07:05:00Z")));
        let deps = Deps::new(&config, Settings::new("dq", N, C), rules).with_clock(clock);
        let lambda_deadline = at("2026-11-27T07:10:00Z").timestamp_millis() as u64;
        assert_eq!(
            run_deadline(&deps, lambda_deadline),
            at("2026-11-27T07:09:40Z")
        );
        // A far deadline is capped by MAX_RUN_SECONDS.
        let far = at("2026-11-27T09:00:00Z").timestamp_millis() as u64;
        assert_eq!(run_deadline(&deps, far), at("2026-11-27T07:15:00Z"));
    }

    #[test]
    fn check_metrics_carry_table_and_check_dimensions() {
        let check = CheckResult {
            name: "sales_rows".into(),
            table: "lake.sales".into(),
            kind: "row_count",
            status: Status::Fail,
            severity: Severity::Critical,
            observed: Some(12.0),
            threshold: Some(100.0),
            owner: None,
            message: None,
            query_execution_id: None,
            duration_ms: 1500,
        };
        let doc = &check_metrics(&check).documents(0)[0];
        assert_eq!(doc["Service"], "data-quality");
        assert_eq!(doc["Table"], "lake.sales");
        assert_eq!(doc["Check"], "sales_rows");
        assert_eq!(doc["CheckFailed"], 1.0);
        assert_eq!(doc["CheckPassed"], 0.0);
        assert_eq!(doc["ObservedValue"], 12.0);
        assert_eq!(doc["CheckDuration"], 1500.0);
        assert_eq!(
            doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            serde_json::json!([["Service", "Table", "Check"]])
        );
    }
}
