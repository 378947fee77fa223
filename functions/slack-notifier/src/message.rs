//! Recognises what an SNS message is: the message kinds the project publishes, each parsed into
//! a typed value, or [`Kind::Unknown`] (still delivered, readable).
//!
//! How each kind is recognised (the `event_type` message attribute first, then the body's shape):
//!
//! | kind | published by | recognised by |
//! |---|---|---|
//! | [`ExecutionStatus`] | EventBridge rule on "Step Functions Execution Status Change" → critical topic | JSON body, `detail-type` |
//! | [`PipelineFailed`] | ml-retraining `NotifyPipelineFailure` → critical topic | `event_type = pipeline_failed` |
//! | [`ModelGate`] | ml-retraining `NotifyModelDeployed` / `NotifyModelRejected` → notifications topic | `event_type = model_deployed` / `model_rejected` |
//! | [`ApprovalRequest`] | ml-retraining `RequestApproval` → notifications topic | `event_type = approval_requested` |
//! | [`DataQuality`] | the data-quality function's run summary | `event_type = data_quality*`, or a JSON body with a `checks` array |
//! | [`DriftReport`] | the drift monitor's run summary → notifications topic | `event_type = drift_report` |
//! | [`DriftTrigger`] | the drift bridge / the monitoring bus (`model.drift_detected`) | `event_type = drift*`, `type` or `detail-type` `model.drift_detected` |
//! | [`AlarmChange`] | CloudWatch alarms → critical topic | JSON body with `AlarmName` and `NewStateValue` |
//! | [`PlatformReport`] | the platform-report function's weekly summary → notifications topic | `event_type = platform_report` |

use serde_json::Value;
use std::collections::BTreeMap;

/// How urgent a message is; decides the emoji and the wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Routine news.
    Info,
    /// Worth a look; nothing is broken.
    Warning,
    /// Something failed: act.
    Critical,
}

impl Severity {
    /// Reads the `severity` message attribute's value.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "info" | "ok" | "notice" => Some(Severity::Info),
            "warning" | "warn" => Some(Severity::Warning),
            "critical" | "error" | "fatal" | "high" => Some(Severity::Critical),
            _ => None,
        }
    }
}

/// One SNS message, as the notifier understands it.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// What the message says, typed.
    pub kind: Kind,
    /// How urgent it is.
    pub severity: Severity,
    /// The SNS subject, if any.
    pub subject: Option<String>,
    /// The SNS message id (for tracing a Slack post back to SNS).
    pub message_id: String,
    /// The topic's name (last part of its ARN).
    pub topic: String,
    /// The SNS message attributes (String values only).
    pub attributes: BTreeMap<String, String>,
}

/// The message kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// A Step Functions execution ended FAILED, TIMED_OUT or ABORTED (EventBridge event).
    ExecutionStatus(ExecutionStatus),
    /// The retraining state machine's own failure notice (it caught an error).
    PipelineFailed(PipelineFailed),
    /// The retraining quality gate's result.
    ModelGate(ModelGate),
    /// A registered model version waits for a person's approval.
    ApprovalRequest(ApprovalRequest),
    /// A data-quality run's summary.
    DataQuality(DataQuality),
    /// A drift-monitor run's summary (drift or not).
    DriftReport(DriftReport),
    /// Drift was detected for a model, which triggers retraining.
    DriftTrigger(DriftTrigger),
    /// A CloudWatch alarm changed state.
    Alarm(AlarmChange),
    /// The weekly platform report's summary.
    PlatformReport(PlatformReport),
    /// Anything else: delivered as readable text.
    Unknown(Unknown),
}

impl Kind {
    /// Whether this is the status-change alert of a `FAILED` execution.
    pub fn is_failed_status(&self) -> bool {
        matches!(self, Kind::ExecutionStatus(e) if e.status == "FAILED")
    }

    /// The execution whose failed state is worth looking up, if any.
    pub fn failed_execution(&self) -> Option<&str> {
        match self {
            Kind::ExecutionStatus(e) if e.status != "SUCCEEDED" => Some(&e.execution_arn),
            Kind::PipelineFailed(p) => p.execution_arn.as_deref(),
            _ => None,
        }
    }

    /// Records the state the execution failed in.
    pub fn set_failed_state(&mut self, state: String) {
        match self {
            Kind::ExecutionStatus(e) => e.failed_state = Some(state),
            Kind::PipelineFailed(p) => p.failed_state = Some(state),
            _ => {}
        }
    }

    /// A stable name for logs, metrics and the function's output.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::ExecutionStatus(_) => "execution_status",
            Kind::PipelineFailed(_) => "pipeline_failed",
            Kind::ModelGate(g) if g.deployed => "model_deployed",
            Kind::ModelGate(_) => "model_rejected",
            Kind::ApprovalRequest(_) => "approval_requested",
            Kind::DataQuality(_) => "data_quality",
            Kind::DriftReport(_) => "drift_report",
            Kind::DriftTrigger(_) => "drift_trigger",
            Kind::Alarm(_) => "cloudwatch_alarm",
            Kind::PlatformReport(_) => "platform_report",
            Kind::Unknown(_) => "unknown",
        }
    }
}

/// A Step Functions "Execution Status Change" event.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionStatus {
    /// `FAILED`, `TIMED_OUT`, `ABORTED` (or any other status the rule lets through).
    pub status: String,
    /// The execution's ARN.
    pub execution_arn: String,
    /// The state machine's name (from its ARN).
    pub state_machine: String,
    /// The execution's name.
    pub execution_name: String,
    /// The error name, when the event carries it.
    pub error: Option<String>,
    /// The cause, when the event carries it.
    pub cause: Option<String>,
    /// Start time, RFC 3339 (UTC).
    pub started: Option<String>,
    /// Stop time, RFC 3339 (UTC).
    pub stopped: Option<String>,
    /// Run time in seconds.
    pub duration_seconds: Option<i64>,
    /// How often the execution was redriven.
    pub redrive_count: Option<i64>,
    /// The state it failed (or was) in, from the execution history when it could be read.
    pub failed_state: Option<String>,
}

/// `NotifyPipelineFailure`'s message: `ml-retraining failed for model M (run R). Error: E. Cause: C. Execution ARN`.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineFailed {
    /// The workflow (the subject's `[name]` prefix), e.g. `ml-retraining`.
    pub workflow: String,
    /// The model being retrained.
    pub model: Option<String>,
    /// The run id.
    pub run_id: Option<String>,
    /// The error name.
    pub error: Option<String>,
    /// The cause.
    pub cause: Option<String>,
    /// The execution's ARN.
    pub execution_arn: Option<String>,
    /// The state that failed, from the execution history when it could be read.
    pub failed_state: Option<String>,
    /// The raw message, shown when parsing found little.
    pub raw: String,
}

/// `NotifyModelDeployed` / `NotifyModelRejected`'s message.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelGate {
    /// Deployed (true) or rejected (false).
    pub deployed: bool,
    /// The model.
    pub model: Option<String>,
    /// The run id (candidate).
    pub run_id: Option<String>,
    /// The endpoint it now serves on (deployed only).
    pub endpoint: Option<String>,
    /// The candidate's MAPE, as published.
    pub mape: Option<String>,
    /// The gate's threshold, as published.
    pub threshold: Option<String>,
    /// Whether it beat production (rejected only).
    pub beats_production: Option<String>,
    /// The execution's ARN.
    pub execution_arn: Option<String>,
    /// The candidate's metrics (`mape`, `wape`, ...), in published order.
    pub metrics: Vec<(String, String)>,
    /// The raw message.
    pub raw: String,
}

/// `RequestApproval`'s message: `Model M version V (ARN) passed its gate and waits for
/// approval. Candidate metrics: {...}. Production metrics: {...|null}. Approve: ... Without a
/// decision the run ends in N seconds ...`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalRequest {
    /// The model.
    pub model: Option<String>,
    /// The version number in its package group.
    pub version: Option<String>,
    /// The version's ARN (what `update-model-package` takes).
    pub model_package_arn: Option<String>,
    /// The candidate's metrics, in published order.
    pub candidate: Vec<(String, String)>,
    /// The serving version's metrics (empty when nothing serves yet).
    pub production: Vec<(String, String)>,
    /// Seconds until the run gives up waiting.
    pub timeout_seconds: Option<String>,
    /// The waiting execution.
    pub execution_arn: Option<String>,
    /// The raw message.
    pub raw: String,
}

/// A data-quality run summary: `{checked_at, window, checks: [...], failed, errors}`.
#[derive(Debug, Clone, PartialEq)]
pub struct DataQuality {
    /// When the checks ran.
    pub checked_at: Option<String>,
    /// The checked window, as text.
    pub window: Option<String>,
    /// Checks that did not pass (failed first, then errors).
    pub problems: Vec<CheckResult>,
    /// Checks that passed.
    pub passed: usize,
    /// Failed checks.
    pub failed: usize,
    /// Checks that could not run.
    pub errors: usize,
    /// Checks the publisher left out of the message to keep it under SNS's size limit.
    pub omitted: usize,
}

/// One data-quality check's result.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    /// The check's name.
    pub name: String,
    /// The table (`database.table`).
    pub table: Option<String>,
    /// `fail` or `error`.
    pub status: String,
    /// `critical` / `warning`.
    pub severity: Option<String>,
    /// What was measured.
    pub observed: Option<String>,
    /// The limit it was compared with.
    pub threshold: Option<String>,
    /// Who owns the table (shown, never turned into a mention).
    pub owner: Option<String>,
    /// An error or detail text.
    pub detail: Option<String>,
    /// The rule kind (`row_count`, `freshness`, ...).
    pub rule: Option<String>,
    /// The Athena query execution id, to find the query.
    pub query_id: Option<String>,
}

/// A drift-monitor run's summary (`functions/drift-monitor/src/summary.rs`).
#[derive(Debug, Clone, PartialEq)]
pub struct DriftReport {
    /// The model.
    pub model: Option<String>,
    /// `ok` or `insufficient_data`.
    pub status: Option<String>,
    /// Whether drift was detected.
    pub drift_detected: bool,
    /// First hour of the window.
    pub window_start: Option<String>,
    /// End of the window (exclusive).
    pub window_end: Option<String>,
    /// Live rows counted.
    pub rows: Option<String>,
    /// The fewest rows for a verdict.
    pub min_rows: Option<String>,
    /// The drifted features.
    pub drifted: Vec<String>,
    /// The features at warning level.
    pub warnings: Vec<String>,
    /// Whether the drift event was published (retraining requested).
    pub event_published: bool,
    /// Features scored in all.
    pub features_scored: Option<String>,
    /// The features with the largest PSIs.
    pub top: Vec<DriftScore>,
    /// The full report (`s3://…`).
    pub report_uri: Option<String>,
}

/// One feature's line in a [`DriftReport`] (numbers as the monitor wrote them).
#[derive(Debug, Clone, PartialEq)]
pub struct DriftScore {
    /// The feature (or prediction column).
    pub feature: String,
    /// Population Stability Index.
    pub psi: Option<String>,
    /// Kolmogorov–Smirnov statistic.
    pub ks: Option<String>,
    /// `none`, `warn` or `act`.
    pub level: Option<String>,
}

/// A `model.drift_detected` event (and what the bridge did with it, when it says).
#[derive(Debug, Clone, PartialEq)]
pub struct DriftTrigger {
    /// The model.
    pub model: Option<String>,
    /// The model version.
    pub model_version: Option<String>,
    /// The drift metric (e.g. `psi`).
    pub metric: Option<String>,
    /// Its value.
    pub value: Option<String>,
    /// The limit it crossed.
    pub threshold: Option<String>,
    /// When the monitor saw it.
    pub detected_at: Option<String>,
    /// The monitor's event id.
    pub event_id: Option<String>,
    /// What was done: `started`, `duplicate`, `cooled_down`, ...
    pub action: Option<String>,
    /// The retraining execution started for it.
    pub execution_arn: Option<String>,
}

/// A CloudWatch alarm state change, as CloudWatch publishes it to SNS.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmChange {
    /// The alarm's name.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// `ALARM`, `OK` or `INSUFFICIENT_DATA`.
    pub new_state: String,
    /// The previous state.
    pub old_state: Option<String>,
    /// CloudWatch's reason text.
    pub reason: Option<String>,
    /// When it changed.
    pub changed_at: Option<String>,
    /// The alarm's ARN.
    pub alarm_arn: Option<String>,
    /// `Namespace MetricName` of the watched metric (or `metric math` for expressions).
    pub metric: Option<String>,
    /// Dimensions, `name=value`.
    pub dimensions: Vec<String>,
    /// `> 0`-style condition.
    pub condition: Option<String>,
}

/// The platform-report function's summary: Markdown of a `# ` title, `## ` sections and their
/// lines, with the full page's link in the `report_url` attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct PlatformReport {
    /// The `# ` title line.
    pub title: Option<String>,
    /// Each `## ` section's name and its lines (Markdown `**bold**` made Slack's `*bold*`).
    pub sections: Vec<(String, Vec<String>)>,
    /// The full report's link (`report_url`).
    pub link: Option<String>,
}

fn platform_report(body: &str, attributes: &BTreeMap<String, String>) -> PlatformReport {
    let mut report = PlatformReport {
        title: None,
        sections: Vec::new(),
        link: attributes.get("report_url").cloned(),
    };
    for line in body.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(title) = line.strip_prefix("# ") {
            report.title = Some(title.to_string());
        } else if let Some(section) = line.strip_prefix("## ") {
            report.sections.push((section.to_string(), Vec::new()));
        } else if !line.starts_with("Full report:") {
            if report.sections.is_empty() {
                report.sections.push((String::new(), Vec::new()));
            }
            if let Some((_, lines)) = report.sections.last_mut() {
                lines.push(line.replace("**", "*"));
            }
        }
    }
    report
}

/// A message of no known kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Unknown {
    /// The body, pretty-printed when it is JSON.
    pub body: String,
    /// Whether the body is JSON (shown as code).
    pub is_json: bool,
}

/// The `detail-type` of Step Functions execution events.
pub const EXECUTION_STATUS_CHANGE: &str = "Step Functions Execution Status Change";
/// The monitoring system's drift event type.
pub const DRIFT_DETECTED: &str = "model.drift_detected";

impl Notification {
    /// Classifies one SNS message.
    pub fn from_sns(message: &aws_lambda_events::sns::SnsMessage) -> Self {
        let attributes: BTreeMap<String, String> = message
            .message_attributes
            .iter()
            .filter(|(_, a)| a.data_type.starts_with("String") || a.data_type.starts_with("Number"))
            .map(|(k, a)| (k.clone(), a.value.clone()))
            .collect();
        let topic = message
            .topic_arn
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .to_string();
        Self::classify(
            &message.message,
            message.subject.clone().filter(|s| !s.trim().is_empty()),
            attributes,
            message.message_id.clone(),
            topic,
        )
    }

    /// Classifies a message body with its subject and attributes.
    pub fn classify(
        body: &str,
        subject: Option<String>,
        attributes: BTreeMap<String, String>,
        message_id: String,
        topic: String,
    ) -> Self {
        let json: Option<Value> = serde_json::from_str(body.trim()).ok();
        let event_type = attributes
            .get("event_type")
            .map(|t| t.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let kind = kind_from(
            body,
            json.as_ref(),
            &event_type,
            subject.as_deref(),
            &attributes,
        );
        let severity = attributes
            .get("severity")
            .and_then(|s| Severity::parse(s))
            .unwrap_or_else(|| default_severity(&kind, &topic));
        Notification {
            kind,
            severity,
            subject,
            message_id,
            topic,
            attributes,
        }
    }
}

fn kind_from(
    body: &str,
    json: Option<&Value>,
    event_type: &str,
    subject: Option<&str>,
    attributes: &BTreeMap<String, String>,
) -> Kind {
    match event_type {
        "pipeline_failed" => {
            return Kind::PipelineFailed(pipeline_failed(body, subject, attributes))
        }
        "model_deployed" => return Kind::ModelGate(model_gate(body, true, attributes)),
        "model_rejected" => return Kind::ModelGate(model_gate(body, false, attributes)),
        "approval_requested" => return Kind::ApprovalRequest(approval_request(body, attributes)),
        "platform_report" => return Kind::PlatformReport(platform_report(body, attributes)),
        _ => {}
    }
    if let Some(json) = json {
        if event_type.starts_with("data_quality") {
            if let Some(dq) = data_quality(json) {
                return Kind::DataQuality(dq);
            }
        }
        if event_type == "drift_report"
            || str_at(json, &["event_type"]).as_deref() == Some("drift_report")
        {
            return Kind::DriftReport(drift_report(json));
        }
        if event_type.starts_with("drift") || is_drift(json) {
            return Kind::DriftTrigger(drift(json, attributes));
        }
        if str_at(json, &["detail-type"]).as_deref() == Some(EXECUTION_STATUS_CHANGE) {
            if let Some(status) = execution_status(json) {
                return Kind::ExecutionStatus(status);
            }
        }
        if json.get("AlarmName").is_some() && json.get("NewStateValue").is_some() {
            return Kind::Alarm(alarm(json));
        }
        if let Some(dq) = data_quality(json) {
            return Kind::DataQuality(dq);
        }
        let body = serde_json::to_string_pretty(json).unwrap_or_else(|_| body.to_string());
        return Kind::Unknown(Unknown {
            body,
            is_json: true,
        });
    }
    Kind::Unknown(Unknown {
        body: body.to_string(),
        is_json: false,
    })
}

fn default_severity(kind: &Kind, topic: &str) -> Severity {
    match kind {
        Kind::ExecutionStatus(e) if e.status == "ABORTED" => Severity::Warning,
        Kind::ExecutionStatus(_) | Kind::PipelineFailed(_) => Severity::Critical,
        Kind::ModelGate(g) if g.deployed => Severity::Info,
        Kind::ModelGate(_) => Severity::Warning,
        Kind::ApprovalRequest(_) | Kind::PlatformReport(_) => Severity::Info,
        Kind::DataQuality(dq) => {
            let critical = dq.problems.iter().any(|p| {
                p.severity
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case("critical"))
            });
            if critical {
                Severity::Critical
            } else if dq.failed + dq.errors > 0 {
                Severity::Warning
            } else {
                Severity::Info
            }
        }
        Kind::DriftReport(d) if d.drift_detected || d.status.as_deref() != Some("ok") => {
            Severity::Warning
        }
        Kind::DriftReport(_) => Severity::Info,
        Kind::DriftTrigger(_) => Severity::Warning,
        Kind::Alarm(a) if a.new_state == "ALARM" => Severity::Critical,
        Kind::Alarm(a) if a.new_state == "OK" => Severity::Info,
        Kind::Alarm(_) => Severity::Warning,
        Kind::Unknown(_) if topic.to_ascii_lowercase().contains("critical") => Severity::Critical,
        Kind::Unknown(_) => Severity::Info,
    }
}

/// A JSON value as display text: strings bare, numbers and booleans as JSON, null as absent.
pub fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn str_at(json: &Value, path: &[&str]) -> Option<String> {
    let mut value = json;
    for key in path {
        value = value.get(key)?;
    }
    text_of(value)
}

/// The first of `keys` present (not null) in `json`.
fn first_of(json: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| json.get(k).and_then(text_of))
}

fn rfc3339_millis(value: Option<&Value>) -> Option<(i64, String)> {
    let ms = value?.as_i64()?;
    let time = chrono::DateTime::from_timestamp_millis(ms)?;
    Some((ms, time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
}

fn execution_status(json: &Value) -> Option<ExecutionStatus> {
    let detail = json.get("detail")?;
    let execution_arn = str_at(detail, &["executionArn"])?;
    let state_machine = str_at(detail, &["stateMachineArn"])
        .and_then(|arn| arn.rsplit(':').next().map(str::to_string))
        .or_else(|| execution_arn.split(':').nth(6).map(str::to_string))
        .unwrap_or_default();
    let start = rfc3339_millis(detail.get("startDate"));
    let stop = rfc3339_millis(detail.get("stopDate"));
    let duration_seconds = match (&start, &stop) {
        (Some((a, _)), Some((b, _))) => Some((b - a) / 1000),
        _ => None,
    };
    Some(ExecutionStatus {
        status: str_at(detail, &["status"]).unwrap_or_else(|| "UNKNOWN".to_string()),
        execution_name: str_at(detail, &["name"])
            .or_else(|| execution_arn.rsplit(':').next().map(str::to_string))
            .unwrap_or_default(),
        execution_arn,
        state_machine,
        error: str_at(detail, &["error"]).filter(|s| !s.is_empty()),
        cause: str_at(detail, &["cause"]).filter(|s| !s.is_empty()),
        started: start.map(|(_, s)| s),
        stopped: stop.map(|(_, s)| s),
        duration_seconds,
        redrive_count: detail.get("redriveCount").and_then(Value::as_i64),
        failed_state: None,
    })
}

/// The text between `start` and the first `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let rest = &text[from..];
    let to = rest.find(end)?;
    Some(rest[..to].trim())
}

fn workflow_of(subject: Option<&str>) -> Option<String> {
    let subject = subject?.trim();
    let inner = subject.strip_prefix('[')?;
    let end = inner.find(']')?;
    Some(inner[..end].trim().to_string()).filter(|s| !s.is_empty())
}

fn pipeline_failed(
    body: &str,
    subject: Option<&str>,
    attributes: &BTreeMap<String, String>,
) -> PipelineFailed {
    // "ml-retraining failed for model M (run R). Error: E. Cause: C. Execution ARN"
    let workflow = workflow_of(subject)
        .or_else(|| {
            body.split(" failed for ")
                .next()
                .filter(|w| !w.contains(' '))
                .map(str::to_string)
        })
        .unwrap_or_else(|| "pipeline".to_string());
    let error = between(body, "Error: ", ". Cause: ").map(str::to_string);
    let cause = body.find(". Cause: ").map(|i| {
        let rest = &body[i + ". Cause: ".len()..];
        match rest.rfind(". Execution ") {
            Some(end) => rest[..end].to_string(),
            None => rest.to_string(),
        }
    });
    let execution_arn = attributes.get("execution_arn").cloned().or_else(|| {
        body.rfind(". Execution ")
            .map(|i| body[i + ". Execution ".len()..].trim().to_string())
    });
    PipelineFailed {
        workflow,
        model: attributes
            .get("model_name")
            .cloned()
            .or_else(|| between(body, "failed for model ", " (run").map(str::to_string)),
        run_id: between(body, "(run ", "). Error").map(str::to_string),
        error,
        cause,
        execution_arn,
        failed_state: None,
        raw: body.to_string(),
    }
}

/// The JSON object right after `label` in `body` (trailing text ignored), as ordered pairs.
fn metrics_after(body: &str, label: &str) -> Vec<(String, String)> {
    let Some(start) = body.find(label).map(|i| i + label.len()) else {
        return Vec::new();
    };
    let mut values =
        serde_json::Deserializer::from_str(body[start..].trim_start()).into_iter::<Value>();
    match values.next() {
        Some(Ok(Value::Object(map))) => map
            .iter()
            .filter_map(|(k, v)| text_of(v).map(|t| (k.clone(), t)))
            .collect(),
        _ => Vec::new(),
    }
}

/// The word after `before` in `body`, up to the next space (trailing `.`, `,` and `)` dropped).
fn word_after(body: &str, before: &str) -> Option<String> {
    let start = body.find(before)? + before.len();
    let word: String = body[start..]
        .split_whitespace()
        .next()?
        .trim_end_matches(['.', ',', ')'])
        .trim_start_matches('(')
        .to_string();
    (!word.is_empty()).then_some(word)
}

fn approval_request(body: &str, attributes: &BTreeMap<String, String>) -> ApprovalRequest {
    ApprovalRequest {
        model: attributes
            .get("model_name")
            .cloned()
            .or_else(|| word_after(body, "Model ")),
        version: word_after(body, " version "),
        model_package_arn: attributes
            .get("model_package_arn")
            .cloned()
            .or_else(|| word_after(body, "--model-package-arn ")),
        candidate: metrics_after(body, "Candidate metrics: "),
        production: metrics_after(body, "Production metrics: "),
        timeout_seconds: word_after(body, "the run ends in "),
        execution_arn: attributes
            .get("execution_arn")
            .cloned()
            .or_else(|| word_after(body, "Execution ")),
        raw: body.to_string(),
    }
}

fn model_gate(body: &str, deployed: bool, attributes: &BTreeMap<String, String>) -> ModelGate {
    let metrics = body
        .rfind("Metrics: ")
        .and_then(|i| serde_json::from_str::<Value>(body[i + "Metrics: ".len()..].trim()).ok())
        .and_then(|v| match v {
            Value::Object(map) => Some(
                map.into_iter()
                    .map(|(k, v)| (k, text_of(&v).unwrap_or_else(|| "n/a".to_string())))
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .unwrap_or_default();
    let execution_arn = attributes
        .get("execution_arn")
        .cloned()
        .or_else(|| between(body, "Execution ", ". Metrics").map(str::to_string));
    let (model, run_id, endpoint, mape, threshold, beats) = if deployed {
        // "Model M run R is deployed to endpoint E. MAPE X (threshold T). Execution ..."
        (
            between(body, "Model ", " run ").map(str::to_string),
            between(body, " run ", " is deployed").map(str::to_string),
            between(body, "deployed to endpoint ", ". MAPE").map(str::to_string),
            between(body, ". MAPE ", " (threshold").map(str::to_string),
            between(body, "(threshold ", ")").map(str::to_string),
            None,
        )
    } else {
        // "Candidate R of model M was not deployed: MAPE X must be below T and beat production
        //  (beats_production = B). Production keeps serving. Execution ..."
        (
            between(body, " of model ", " was not deployed").map(str::to_string),
            between(body, "Candidate ", " of model").map(str::to_string),
            None,
            between(body, "deployed: MAPE ", " must be below").map(str::to_string),
            between(body, "must be below ", " and beat").map(str::to_string),
            between(body, "(beats_production = ", ")").map(str::to_string),
        )
    };
    ModelGate {
        deployed,
        model: attributes.get("model_name").cloned().or(model),
        run_id,
        endpoint,
        mape,
        threshold,
        beats_production: beats,
        execution_arn,
        metrics,
        raw: body.to_string(),
    }
}

fn data_quality(json: &Value) -> Option<DataQuality> {
    let checks = json.get("checks")?.as_array()?;
    let mut problems = Vec::new();
    let mut passed = 0;
    for check in checks {
        let status = first_of(check, &["status", "result", "outcome"])
            .unwrap_or_else(|| "unknown".to_string())
            .to_ascii_lowercase();
        if matches!(status.as_str(), "pass" | "passed" | "ok" | "success") {
            passed += 1;
            continue;
        }
        let table = match (first_of(check, &["database"]), first_of(check, &["table"])) {
            (Some(db), Some(table)) if !table.contains('.') => Some(format!("{db}.{table}")),
            (_, table) => table,
        };
        problems.push(CheckResult {
            name: first_of(check, &["name", "check", "rule", "id"])
                .unwrap_or_else(|| "unnamed check".to_string()),
            table,
            status,
            severity: first_of(check, &["severity"]),
            observed: first_of(check, &["observed", "observed_value", "value", "actual"]),
            threshold: first_of(check, &["threshold", "expected", "limit"]),
            owner: first_of(check, &["owner"]),
            detail: first_of(check, &["message", "detail", "error", "reason"]),
            rule: first_of(check, &["kind", "rule_kind"]),
            query_id: first_of(check, &["query_execution_id"]),
        });
    }
    // Failures before errors, critical before warning.
    problems.sort_by_key(|p| {
        (
            p.status != "fail" && p.status != "failed",
            !p.severity
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("critical")),
        )
    });
    let count = |key: &str, fallback: usize| {
        json.get(key)
            .and_then(|v| {
                v.as_u64()
                    .map(|n| n as usize)
                    .or_else(|| v.as_array().map(Vec::len))
            })
            .unwrap_or(fallback)
    };
    let failed_here = problems
        .iter()
        .filter(|p| p.status.starts_with("fail"))
        .count();
    let errors_here = problems.len() - failed_here;
    let window = match json.get("window") {
        Some(Value::Object(w)) => {
            let start = w
                .get("start")
                .or_else(|| w.get("window_start"))
                .and_then(text_of);
            let end = w
                .get("end")
                .or_else(|| w.get("window_end"))
                .and_then(text_of);
            match (start, end) {
                (Some(s), Some(e)) => Some(format!("{s} → {e}")),
                _ => Some(Value::Object(w.clone()).to_string()),
            }
        }
        Some(other) => text_of(other),
        None => match (
            first_of(json, &["window_start"]),
            first_of(json, &["window_end"]),
        ) {
            (Some(s), Some(e)) => Some(format!("{s} → {e}")),
            _ => None,
        },
    };
    Some(DataQuality {
        checked_at: first_of(json, &["checked_at", "time"]),
        window,
        passed: count("passed", passed),
        failed: count("failed", failed_here),
        errors: count("errors", errors_here),
        omitted: count("omitted_checks", 0),
        problems,
    })
}

fn is_drift(json: &Value) -> bool {
    [&["detail-type"][..], &["type"], &["event_type"]]
        .iter()
        .any(|path| str_at(json, path).as_deref() == Some(DRIFT_DETECTED))
}

fn drift_report(json: &Value) -> DriftReport {
    let strings = |key: &str| -> Vec<String> {
        json.get(key)
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(text_of).collect())
            .unwrap_or_default()
    };
    let top = json
        .get("top_features")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|f| {
                    Some(DriftScore {
                        feature: first_of(f, &["feature"])?,
                        psi: first_of(f, &["psi"]),
                        ks: first_of(f, &["ks"]),
                        level: first_of(f, &["psi_level"]),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    DriftReport {
        model: first_of(json, &["model_name"]),
        status: first_of(json, &["status"]),
        drift_detected: json.get("drift_detected").and_then(Value::as_bool) == Some(true),
        window_start: first_of(json, &["window_start"]),
        window_end: first_of(json, &["window_end"]),
        rows: first_of(json, &["rows"]),
        min_rows: first_of(json, &["min_rows"]),
        drifted: strings("drifted_features"),
        warnings: strings("warnings"),
        event_published: json.get("event_published").and_then(Value::as_bool) == Some(true),
        features_scored: first_of(json, &["features_scored"]),
        top,
        report_uri: first_of(json, &["report_uri"]),
    }
}

fn drift(json: &Value, attributes: &BTreeMap<String, String>) -> DriftTrigger {
    // An EventBridge envelope carries the event under "detail".
    let event = match json.get("detail") {
        Some(detail @ Value::Object(_)) => detail,
        _ => json,
    };
    let drift = event
        .get("drift")
        .filter(|d| d.is_object())
        .unwrap_or(event);
    DriftTrigger {
        model: first_of(event, &["model_name", "model"])
            .or_else(|| attributes.get("model_name").cloned()),
        model_version: first_of(event, &["model_version", "version"]),
        metric: first_of(drift, &["drift_metric", "metric"]),
        value: first_of(drift, &["drift_value", "value"]),
        threshold: first_of(drift, &["threshold"]),
        detected_at: first_of(event, &["detected_at"]).or_else(|| first_of(json, &["time"])),
        event_id: first_of(event, &["event_id", "id"]),
        action: first_of(json, &["action", "outcome"]).or_else(|| first_of(event, &["action"])),
        execution_arn: first_of(json, &["execution_arn", "executionArn"])
            .or_else(|| attributes.get("execution_arn").cloned()),
    }
}

fn alarm(json: &Value) -> AlarmChange {
    let trigger = json.get("Trigger");
    let metric =
        trigger.and_then(
            |t| match (first_of(t, &["Namespace"]), first_of(t, &["MetricName"])) {
                (Some(ns), Some(name)) => Some(format!("{ns} {name}")),
                (None, Some(name)) => Some(name),
                _ => t.get("Metrics").map(|_| "metric math".to_string()),
            },
        );
    let dimensions = trigger
        .and_then(|t| t.get("Dimensions"))
        .and_then(Value::as_array)
        .map(|dims| {
            dims.iter()
                .filter_map(|d| {
                    let name = first_of(d, &["name", "Name"])?;
                    let value = first_of(d, &["value", "Value"])?;
                    Some(format!("{name}={value}"))
                })
                .collect()
        })
        .unwrap_or_default();
    let condition = trigger.and_then(|t| {
        let op = match first_of(t, &["ComparisonOperator"])?.as_str() {
            "GreaterThanThreshold" => ">",
            "GreaterThanOrEqualToThreshold" => "≥",
            "LessThanThreshold" => "<",
            "LessThanOrEqualToThreshold" => "≤",
            _ => "vs",
        };
        let statistic = first_of(t, &["Statistic", "ExtendedStatistic"]).unwrap_or_default();
        let threshold = t
            .get("Threshold")
            .and_then(Value::as_f64)
            .map(|f| f.to_string())
            .or_else(|| first_of(t, &["Threshold"]))?;
        let periods = first_of(t, &["EvaluationPeriods"]).unwrap_or_else(|| "1".to_string());
        let period = first_of(t, &["Period"]).unwrap_or_default();
        Some(format!(
            "{} {op} {threshold} for {periods} × {period} s",
            statistic.to_ascii_lowercase()
        ))
    });
    AlarmChange {
        name: first_of(json, &["AlarmName"]).unwrap_or_default(),
        description: first_of(json, &["AlarmDescription"]).filter(|d| !d.is_empty()),
        new_state: first_of(json, &["NewStateValue"]).unwrap_or_default(),
        old_state: first_of(json, &["OldStateValue"]),
        reason: first_of(json, &["NewStateReason"]),
        changed_at: first_of(json, &["StateChangeTime"]),
        alarm_arn: first_of(json, &["AlarmArn"]),
        metric,
        dimensions,
        condition,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_pipeline_failure_text_splits_into_error_cause_and_execution() {
        let body =
            "ml-retraining failed for model demand-forecast (run prod-demand-forecast-abc). \
                    Error: States.TaskFailed. Cause: {\"FailureReason\": \"x. Execution y\"}. \
                    Execution arn:aws:states:eu-west-1:123456789012:execution:sm:run-1";
        let n = Notification::classify(
            body,
            Some("[ml-retraining] demand-forecast pipeline FAILED".into()),
            attrs(&[("event_type", "pipeline_failed"), ("severity", "critical")]),
            "m".into(),
            "CriticalTopic".into(),
        );
        let Kind::PipelineFailed(p) = n.kind else {
            panic!("{:?}", n.kind)
        };
        assert_eq!(p.workflow, "ml-retraining");
        assert_eq!(p.model.as_deref(), Some("demand-forecast"));
        assert_eq!(p.run_id.as_deref(), Some("prod-demand-forecast-abc"));
        assert_eq!(p.error.as_deref(), Some("States.TaskFailed"));
        assert_eq!(
            p.cause.as_deref(),
            Some("{\"FailureReason\": \"x. Execution y\"}")
        );
        assert_eq!(
            p.execution_arn.as_deref(),
            Some("arn:aws:states:eu-west-1:123456789012:execution:sm:run-1")
        );
        assert_eq!(n.severity, Severity::Critical);
    }

    #[test]
    fn the_rejected_gate_text_yields_mape_threshold_and_metrics() {
        let body = "Candidate prod-df-1 of model df was not deployed: MAPE 24.8 must be below 15 and beat \
                    production (beats_production = false). Production keeps serving. Execution arn:x. \
                    Metrics: {\"mape\":24.8,\"r2\":null}";
        let n = Notification::classify(
            body,
            None,
            attrs(&[("event_type", "model_rejected")]),
            "m".into(),
            "t".into(),
        );
        let Kind::ModelGate(g) = n.kind else { panic!() };
        assert!(!g.deployed);
        assert_eq!(g.run_id.as_deref(), Some("prod-df-1"));
        assert_eq!(g.model.as_deref(), Some("df"));
        assert_eq!(g.mape.as_deref(), Some("24.8"));
        assert_eq!(g.threshold.as_deref(), Some("15"));
        assert_eq!(g.beats_production.as_deref(), Some("false"));
        assert_eq!(
            g.metrics,
            vec![("mape".into(), "24.8".into()), ("r2".into(), "n/a".into())]
        );
        assert_eq!(n.severity, Severity::Warning);
    }

    #[test]
    fn a_drift_report_is_recognised_by_its_body_and_rated_by_its_verdict() {
        let body = r#"{"event_type":"drift_report","model_name":"demand-forecast","status":"ok",
            "rows":2000,"min_rows":1000,"drift_detected":true,"drifted_features":["price"],
            "warnings":["promo"],"event_published":true,"features_scored":4,
            "top_features":[{"feature":"price","psi":1.25,"ks":0.4,"psi_level":"act","drifted":true}],
            "report_uri":"s3://b/drift/demand-forecast/reports/20261129T11Z.json"}"#;
        // No attributes: the body alone says what it is.
        let n = Notification::classify(body, None, BTreeMap::new(), "m".into(), "t".into());
        let Kind::DriftReport(d) = &n.kind else {
            panic!("{:?}", n.kind)
        };
        assert_eq!(d.drifted, vec!["price".to_string()]);
        assert_eq!(d.top[0].psi.as_deref(), Some("1.25"));
        assert_eq!(n.severity, Severity::Warning);
        let quiet = body
            .replace(r#""drift_detected":true"#, r#""drift_detected":false"#)
            .replace(r#"["price"]"#, "[]");
        let n = Notification::classify(&quiet, None, BTreeMap::new(), "m".into(), "t".into());
        assert_eq!(n.kind.name(), "drift_report");
        assert_eq!(n.severity, Severity::Info);
        let short = body.replace(r#""status":"ok""#, r#""status":"insufficient_data""#);
        let n = Notification::classify(&short, None, BTreeMap::new(), "m".into(), "t".into());
        assert_eq!(n.severity, Severity::Warning);
        let text = crate::render::render(&n).text;
        assert!(text.contains("too little live data"), "{text}");
    }

    #[test]
    fn plain_text_without_attributes_is_unknown_but_kept() {
        let n = Notification::classify("hello", None, BTreeMap::new(), "m".into(), "t".into());
        assert_eq!(
            n.kind,
            Kind::Unknown(Unknown {
                body: "hello".into(),
                is_json: false
            })
        );
    }

    #[test]
    fn a_json_body_with_checks_is_a_data_quality_summary() {
        let body = r#"{"checked_at":"t","window":{"start":"a","end":"b"},"checks":[
            {"name":"fresh","status":"pass"},
            {"name":"nulls","table":"lake.sales","status":"fail","severity":"critical","observed":0.2,"threshold":0.01},
            {"name":"rows","status":"error","error":"Athena failed"}],"failed":1,"errors":1}"#;
        let n = Notification::classify(body, None, BTreeMap::new(), "m".into(), "t".into());
        let Kind::DataQuality(dq) = n.kind else {
            panic!()
        };
        assert_eq!((dq.passed, dq.failed, dq.errors), (1, 1, 1));
        assert_eq!(dq.problems[0].name, "nulls");
        assert_eq!(dq.problems[0].observed.as_deref(), Some("0.2"));
        assert_eq!(dq.window.as_deref(), Some("a → b"));
        assert_eq!(n.severity, Severity::Critical);
    }
}
