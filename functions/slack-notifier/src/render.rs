//! Renders a [`Notification`] as a Slack Block Kit message with a plain-text fallback, within
//! Slack's limits, with every piece of outside text escaped.
//!
//! Limits (Slack's documented ones): at most [`MAX_BLOCKS`] blocks; a section's text at most
//! [`MAX_TEXT`] characters, a field [`MAX_FIELD`], a header [`MAX_HEADER`]; at most 10 fields
//! per section and 10 elements per context block. Longer text is cut with a visible note.
//!
//! Escaping: `&`, `<` and `>` become `&amp;`, `&lt;`, `&gt;` (so `<!channel>` can never be a
//! mention or a link), and `@channel`, `@here`, `@everyone` get a zero-width space after the `@`.

use crate::message::{
    AlarmChange, ApprovalRequest, DataQuality, DriftReport, DriftTrigger, ExecutionStatus, Kind,
    ModelGate, Notification, PipelineFailed, PlatformReport, Severity, Unknown,
};
use serde_json::{json, Value};

/// Slack's limit of blocks per message.
pub const MAX_BLOCKS: usize = 50;
/// Slack's limit of characters in a section's text (and a sensible one for the fallback).
pub const MAX_TEXT: usize = 3000;
/// Slack's limit of characters in one section field.
pub const MAX_FIELD: usize = 2000;
/// Slack's limit of characters in a header.
pub const MAX_HEADER: usize = 150;
/// Slack's limit of fields in one section.
pub const MAX_FIELDS: usize = 10;
/// Slack's limit of elements in one context block.
pub const MAX_CONTEXT_ELEMENTS: usize = 10;
/// Characters of a button's label.
const MAX_BUTTON_TEXT: usize = 75;

/// A message ready to post: the fallback text and the blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct SlackMessage {
    /// Plain-text fallback (notifications, clients without blocks), escaped.
    pub text: String,
    /// Block Kit blocks, at most [`MAX_BLOCKS`].
    pub blocks: Vec<Value>,
}

impl SlackMessage {
    /// The webhook payload: text, blocks, no link unfurling, no name linking.
    pub fn payload(&self) -> Value {
        json!({
            "text": self.text,
            "blocks": self.blocks,
            "unfurl_links": false,
            "unfurl_media": false,
            "link_names": false,
            "parse": "none",
        })
    }

    /// The payload without blocks: what is sent when Slack refuses the blocks.
    pub fn text_only_payload(&self) -> Value {
        json!({
            "text": self.text,
            "unfurl_links": false,
            "unfurl_media": false,
            "link_names": false,
            "parse": "none",
        })
    }
}

/// Escapes `&`, `<`, `>` and defuses broadcast mentions, for any Slack text object.
pub fn escape(raw: &str) -> String {
    escape_within(raw, usize::MAX).0
}

/// Escapes `raw` into at most `max` characters; the second value counts the raw characters
/// that did not fit (0 when everything fitted). Never cuts inside an escape sequence.
pub fn escape_within(raw: &str, max: usize) -> (String, usize) {
    let defused = defuse_mentions(raw);
    let mut out = String::with_capacity(defused.len().min(max.saturating_mul(4)));
    let mut used = 0usize;
    let mut chars = defused.chars();
    while let Some(c) = chars.next() {
        let piece: &str = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            _ => "",
        };
        let width = if piece.is_empty() { 1 } else { piece.len() };
        if used + width > max {
            let rest = 1 + chars.count();
            return (out, rest);
        }
        used += width;
        if piece.is_empty() {
            out.push(c);
        } else {
            out.push_str(piece);
        }
    }
    (out, 0)
}

fn defuse_mentions(raw: &str) -> String {
    if !raw.contains('@') {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len() + 8);
    let mut rest = raw;
    while let Some(at) = rest.find('@') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let lower = rest.get(..8).unwrap_or(rest).to_ascii_lowercase();
        if ["channel", "here", "everyone"]
            .iter()
            .any(|w| lower.starts_with(w))
        {
            out.push('\u{200B}');
        }
    }
    out.push_str(rest);
    out
}

/// Escapes and fits `raw` into `max` characters, with a note saying how much was cut.
pub fn fit(raw: &str, max: usize) -> String {
    let (text, cut) = escape_within(raw, max);
    if cut == 0 {
        return text;
    }
    let note = format!("… _(truncated: {cut} more characters)_");
    let room = max.saturating_sub(note.chars().count());
    let (text, cut) = escape_within(raw, room);
    format!("{text}… _(truncated: {cut} more characters)_")
}

/// Escapes `raw` as a code block within `max` characters (the fences count).
fn fit_code(raw: &str, max: usize) -> String {
    let raw = raw.replace("```", "`\u{200B}`\u{200B}`");
    let (text, cut) = escape_within(&raw, max.saturating_sub(8));
    if cut == 0 {
        return format!("```{text}```");
    }
    let note = format!("\n_(truncated: {cut} more characters)_");
    let room = max.saturating_sub(8 + note.chars().count() + 8);
    let (text, cut) = escape_within(&raw, room);
    format!("```{text}```\n_(truncated: {cut} more characters)_")
}

/// Escapes and fits plain text (headers, button labels): cut with an ellipsis.
fn fit_plain(raw: &str, max: usize) -> String {
    let (text, cut) = escape_within(raw, max);
    if cut == 0 {
        return text;
    }
    let (text, _) = escape_within(raw, max.saturating_sub(1));
    format!("{text}…")
}

/// Collects blocks, keeping the message within [`MAX_BLOCKS`]: blocks beyond the limit are
/// dropped and counted, and a last context block says so.
#[derive(Debug, Default)]
pub struct Blocks {
    blocks: Vec<Value>,
    dropped: usize,
}

impl Blocks {
    fn push(&mut self, block: Value) {
        if self.blocks.len() < MAX_BLOCKS - 1 {
            self.blocks.push(block);
        } else {
            self.dropped += 1;
        }
    }

    /// A header (plain text, emoji allowed).
    pub fn header(&mut self, text: &str) {
        self.push(json!({
            "type": "header",
            "text": {"type": "plain_text", "text": fit_plain(text, MAX_HEADER), "emoji": true}
        }));
    }

    /// A mrkdwn section. `trusted` is the notifier's own markup (already escaped where needed);
    /// use [`Blocks::text`] for outside text.
    fn section_markup(&mut self, markup: String) {
        self.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": markup}}));
    }

    /// A section of outside text, escaped, with an optional bold label.
    pub fn text(&mut self, label: Option<&str>, raw: &str) {
        let prefix = label
            .map(|l| format!("*{}*\n", escape(l)))
            .unwrap_or_default();
        let room = MAX_TEXT.saturating_sub(prefix.chars().count());
        self.section_markup(format!("{prefix}{}", fit(raw, room)));
    }

    /// A section of outside text as a code block (errors, causes, JSON).
    pub fn code(&mut self, label: Option<&str>, raw: &str) {
        let prefix = label
            .map(|l| format!("*{}*\n", escape(l)))
            .unwrap_or_default();
        let room = MAX_TEXT.saturating_sub(prefix.chars().count());
        self.section_markup(format!("{prefix}{}", fit_code(raw, room)));
    }

    /// Label/value pairs as section fields, ten per section; empty values are skipped.
    pub fn fields(&mut self, pairs: &[(&str, Option<String>)]) {
        let fields: Vec<Value> = pairs
            .iter()
            .filter_map(|(label, value)| {
                let value = value.as_deref()?.trim();
                if value.is_empty() {
                    return None;
                }
                let prefix = format!("*{}*\n", escape(label));
                let room = MAX_FIELD.saturating_sub(prefix.chars().count());
                Some(json!({"type": "mrkdwn", "text": format!("{prefix}{}", fit(value, room))}))
            })
            .collect();
        for chunk in fields.chunks(MAX_FIELDS) {
            self.push(json!({"type": "section", "fields": chunk}));
        }
    }

    /// A context line of small texts (outside text, escaped).
    pub fn context(&mut self, items: &[String]) {
        let elements: Vec<Value> = items
            .iter()
            .filter(|t| !t.trim().is_empty())
            .take(MAX_CONTEXT_ELEMENTS)
            .map(|t| json!({"type": "mrkdwn", "text": fit(t, MAX_FIELD)}))
            .collect();
        if !elements.is_empty() {
            self.push(json!({"type": "context", "elements": elements}));
        }
    }

    /// Link buttons (label, URL); URLs longer than Slack's 3,000 characters are left out.
    pub fn buttons(&mut self, links: &[(&str, Option<String>)]) {
        let elements: Vec<Value> = links
            .iter()
            .filter_map(|(label, url)| {
                let url = url.as_deref()?;
                (url.len() <= MAX_TEXT && url.starts_with("https://")).then(|| {
                    json!({
                        "type": "button",
                        "text": {"type": "plain_text", "text": fit_plain(label, MAX_BUTTON_TEXT)},
                        "url": url,
                    })
                })
            })
            .collect();
        if !elements.is_empty() {
            self.push(json!({"type": "actions", "elements": elements}));
        }
    }

    /// A divider.
    pub fn divider(&mut self) {
        self.push(json!({"type": "divider"}));
    }

    /// The blocks, with the note about dropped ones as the last block.
    pub fn finish(mut self) -> Vec<Value> {
        if self.dropped > 0 {
            let note = format!(
                "_{} more blocks not shown: Slack allows {MAX_BLOCKS} per message._",
                self.dropped
            );
            self.blocks.push(json!({
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": note}]
            }));
        }
        self.blocks
    }
}

/// The console's domain for an ARN's partition.
fn console_base(partition: &str, region: &str) -> String {
    match partition {
        "aws-cn" => format!("https://{region}.console.amazonaws.cn"),
        "aws-us-gov" => format!("https://{region}.console.amazonaws-us-gov.com"),
        _ => format!("https://{region}.console.aws.amazon.com"),
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The Step Functions console page of an execution ARN.
pub fn execution_url(execution_arn: &str) -> Option<String> {
    let parts: Vec<&str> = execution_arn.split(':').collect();
    if parts.len() < 8 || parts[0] != "arn" || parts[2] != "states" || parts[3].is_empty() {
        return None;
    }
    let (partition, region) = (parts[1], parts[3]);
    Some(format!(
        "{}/states/home?region={region}#/v2/executions/details/{}",
        console_base(partition, region),
        encode(execution_arn)
    ))
}

/// The CloudWatch console page of an alarm ARN.
pub fn alarm_url(alarm_arn: &str, name: &str) -> Option<String> {
    let parts: Vec<&str> = alarm_arn.split(':').collect();
    if parts.len() < 7 || parts[0] != "arn" || parts[2] != "cloudwatch" || parts[3].is_empty() {
        return None;
    }
    let (partition, region) = (parts[1], parts[3]);
    Some(format!(
        "{}/cloudwatch/home?region={region}#alarmsV2:alarm/{}",
        console_base(partition, region),
        encode(name)
    ))
}

fn emoji(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => ":red_circle:",
        Severity::Warning => ":warning:",
        Severity::Info => ":white_check_mark:",
    }
}

/// Renders a notification.
pub fn render(n: &Notification) -> SlackMessage {
    let mut blocks = Blocks::default();
    let title = match &n.kind {
        Kind::ExecutionStatus(e) => execution_status(&mut blocks, e),
        Kind::PipelineFailed(p) => pipeline_failed(&mut blocks, p),
        Kind::ModelGate(g) => model_gate(&mut blocks, g),
        Kind::ApprovalRequest(a) => approval_request(&mut blocks, a),
        Kind::DataQuality(dq) => data_quality(&mut blocks, dq),
        Kind::DriftReport(d) => drift_report(&mut blocks, d),
        Kind::DriftTrigger(d) => drift(&mut blocks, d),
        Kind::Alarm(a) => alarm(&mut blocks, a),
        Kind::PlatformReport(r) => platform_report(&mut blocks, r),
        Kind::Unknown(u) => unknown(&mut blocks, u, n),
    };
    let mut context = vec![format!("{} · topic {}", n.kind.name(), n.topic)];
    if let Some(env) = n.attributes.get("environment") {
        context.push(format!("environment {env}"));
    }
    context.push(format!("SNS message {}", n.message_id));
    blocks.context(&context);
    let headline = format!("{} {}", emoji(n.severity), title.headline);
    let mut blocks = blocks.finish();
    if let Some(first) = blocks.first_mut() {
        // The header was pushed with a placeholder: put the emoji in front.
        if first["type"] == "header" {
            first["text"]["text"] = json!(fit_plain(&headline, MAX_HEADER));
        }
    }
    let fallback = match &title.summary {
        Some(summary) => format!("{headline}: {summary}"),
        None => headline,
    };
    SlackMessage {
        text: fit(&fallback, MAX_TEXT),
        blocks,
    }
}

/// The headline and a one-line summary for the fallback text.
struct Title {
    headline: String,
    summary: Option<String>,
}

fn start(blocks: &mut Blocks, headline: String, summary: Option<String>) -> Title {
    blocks.header(&headline);
    Title { headline, summary }
}

fn execution_status(blocks: &mut Blocks, e: &ExecutionStatus) -> Title {
    let verb = match e.status.as_str() {
        "FAILED" => "failed",
        "TIMED_OUT" => "timed out",
        "ABORTED" => "was aborted",
        "SUCCEEDED" => "succeeded",
        other => other,
    };
    let title = start(
        blocks,
        format!("{} {verb}", e.state_machine),
        Some(format!(
            "execution {} {verb}{}",
            e.execution_name,
            e.error
                .as_deref()
                .map(|x| format!(" with {x}"))
                .unwrap_or_default()
        )),
    );
    blocks.fields(&[
        ("Workflow", Some(e.state_machine.clone())),
        ("Status", Some(e.status.clone())),
        ("Execution", Some(e.execution_name.clone())),
        (
            if e.status == "FAILED" {
                "Failed state"
            } else {
                "State"
            },
            e.failed_state.clone(),
        ),
        ("Error", e.error.clone()),
        ("Started", e.started.clone()),
        ("Stopped", e.stopped.clone()),
        ("Duration", e.duration_seconds.map(human_duration)),
        (
            "Redrives",
            e.redrive_count.filter(|c| *c > 0).map(|c| c.to_string()),
        ),
    ]);
    if let Some(cause) = &e.cause {
        blocks.code(Some("Cause"), cause);
    }
    let todo = match e.status.as_str() {
        "FAILED" => "Open the execution: the graph shows the failed state in red, its input and the error. Fix the cause, then redrive it (`aws stepfunctions redrive-execution`) or start a new run.",
        "TIMED_OUT" => "The execution ran past its TimeoutSeconds. Open it to see which task was still running, and stop any SageMaker or Glue job it left behind so it does not keep billing.",
        "ABORTED" => "Someone or something stopped the execution. Check CloudTrail (StopExecution) that it was intended; start a new run if it was not.",
        _ => "Open the execution for details.",
    };
    blocks.text(Some("What to do"), todo);
    blocks.buttons(&[("Open execution", execution_url(&e.execution_arn))]);
    title
}

fn pipeline_failed(blocks: &mut Blocks, p: &PipelineFailed) -> Title {
    let model = p
        .model
        .clone()
        .unwrap_or_else(|| "unknown model".to_string());
    let title = start(
        blocks,
        format!("{} failed for {model}", p.workflow),
        Some(format!(
            "{}{}",
            p.error.as_deref().unwrap_or("error"),
            p.run_id
                .as_deref()
                .map(|r| format!(" (run {r})"))
                .unwrap_or_default()
        )),
    );
    blocks.fields(&[
        ("Workflow", Some(p.workflow.clone())),
        ("Model", p.model.clone()),
        ("Run", p.run_id.clone()),
        ("Failed state", p.failed_state.clone()),
        ("Error", p.error.clone()),
    ]);
    match (&p.cause, &p.error) {
        (Some(cause), _) => blocks.code(Some("Cause"), cause),
        (None, None) => blocks.code(Some("Message"), &p.raw),
        _ => {}
    }
    blocks.text(
        Some("What to do"),
        "Open the execution and find the failed state (red in the graph). Glue/SageMaker failures: read the job's logs; `PredictionsNotFound`: the batch transform wrote no output; `EndpointDeploymentFailed`: the endpoint rolled back and production is unchanged. Fix, then redrive or start a new run.",
    );
    blocks.buttons(&[(
        "Open execution",
        p.execution_arn.as_deref().and_then(execution_url),
    )]);
    title
}

fn model_gate(blocks: &mut Blocks, g: &ModelGate) -> Title {
    let model = g.model.clone().unwrap_or_else(|| "model".to_string());
    let title = if g.deployed {
        start(
            blocks,
            format!("{model}: new model deployed"),
            Some(format!(
                "MAPE {} (threshold {}) on {}",
                g.mape.as_deref().unwrap_or("?"),
                g.threshold.as_deref().unwrap_or("?"),
                g.endpoint.as_deref().unwrap_or("the endpoint")
            )),
        )
    } else {
        start(
            blocks,
            format!("{model}: candidate rejected by the quality gate"),
            Some(format!(
                "MAPE {} must be below {} and beat production",
                g.mape.as_deref().unwrap_or("?"),
                g.threshold.as_deref().unwrap_or("?")
            )),
        )
    };
    blocks.fields(&[
        ("Model", g.model.clone()),
        ("Run", g.run_id.clone()),
        ("MAPE", g.mape.clone()),
        ("Threshold", g.threshold.clone()),
        ("Endpoint", g.endpoint.clone()),
        ("Beats production", g.beats_production.clone()),
    ]);
    if !g.metrics.is_empty() {
        let line = g
            .metrics
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(" · ");
        blocks.text(Some("Candidate metrics"), &line);
    } else if g.mape.is_none() {
        blocks.text(Some("Message"), &g.raw);
    }
    let todo = if g.deployed {
        "Nothing to do. Watch the endpoint's errors and latency for the next hour."
    } else {
        "Nothing is broken: production keeps serving. If candidates keep failing, look at the worst segments in the evaluation output and at the training data."
    };
    blocks.text(Some("What to do"), todo);
    blocks.buttons(&[(
        "Open execution",
        g.execution_arn.as_deref().and_then(execution_url),
    )]);
    title
}

fn approval_request(blocks: &mut Blocks, a: &ApprovalRequest) -> Title {
    let model = a.model.clone().unwrap_or_else(|| "model".to_string());
    let version = a.version.clone().unwrap_or_else(|| "?".to_string());
    let title = start(
        blocks,
        format!("{model}: version {version} waits for your approval"),
        Some("It passed its quality gate; nothing is deployed until someone decides".into()),
    );
    blocks.fields(&[
        ("Model", a.model.clone()),
        ("Version", a.version.clone()),
        ("Model package", a.model_package_arn.clone()),
        (
            "Decide within",
            a.timeout_seconds.as_ref().map(|s| format!("{s} s")),
        ),
    ]);
    if a.candidate.is_empty() {
        blocks.text(Some("Message"), &a.raw);
    } else {
        let production: std::collections::HashMap<&str, &str> = a
            .production
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let lines = a
            .candidate
            .iter()
            .map(|(k, v)| match production.get(k.as_str()) {
                Some(p) => format!("{k} {v} (production {p})"),
                None => format!("{k} {v}"),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let heading = if a.production.is_empty() {
            "Candidate metrics (nothing serves yet)"
        } else {
            "Candidate against production"
        };
        blocks.text(Some(heading), &lines);
    }
    let arn = a
        .model_package_arn
        .as_deref()
        .unwrap_or("<model package ARN>");
    blocks.text(
        Some("How to decide"),
        &format!(
            "In SageMaker Studio (Models → Registered models → {model} → version {version}), or:\n\
             aws sagemaker update-model-package --model-package-arn {arn} --model-approval-status Approved --approval-description \"why\"\n\
             Reject with --model-approval-status Rejected: the run ends and production keeps serving."
        ),
    );
    blocks.buttons(&[(
        "Open execution",
        a.execution_arn.as_deref().and_then(execution_url),
    )]);
    title
}

fn data_quality(blocks: &mut Blocks, dq: &DataQuality) -> Title {
    let headline = if dq.failed + dq.errors == 0 {
        "Data quality: all checks passed".to_string()
    } else {
        format!(
            "Data quality: {} failed, {} could not run",
            dq.failed, dq.errors
        )
    };
    let names: Vec<&str> = dq
        .problems
        .iter()
        .take(5)
        .map(|p| p.name.as_str())
        .collect();
    let title = start(
        blocks,
        headline,
        (!names.is_empty()).then(|| names.join(", ")),
    );
    blocks.fields(&[
        ("Checked at", dq.checked_at.clone()),
        ("Window", dq.window.clone()),
        ("Passed", Some(dq.passed.to_string())),
        ("Failed", Some(dq.failed.to_string())),
        ("Errors", Some(dq.errors.to_string())),
    ]);
    blocks.text(
        Some("What to do"),
        "Failed checks: tell the table's owner and hold downstream jobs that read the window if the check is critical. Checks that could not run: look at the Athena query in the function's logs.",
    );
    for p in &dq.problems {
        blocks.divider();
        let mut lines = vec![format!(
            "{} · {}{}{}",
            p.status,
            p.severity.as_deref().unwrap_or("unrated"),
            p.table
                .as_deref()
                .map(|t| format!(" · {t}"))
                .unwrap_or_default(),
            p.rule
                .as_deref()
                .map(|r| format!(" · {r}"))
                .unwrap_or_default()
        )];
        if let Some(observed) = &p.observed {
            lines.push(format!(
                "observed {observed}{}",
                p.threshold
                    .as_deref()
                    .map(|t| format!(", threshold {t}"))
                    .unwrap_or_default()
            ));
        }
        if let Some(owner) = &p.owner {
            lines.push(format!("owner {owner}"));
        }
        if let Some(detail) = &p.detail {
            lines.push(detail.clone());
        }
        if let Some(query) = &p.query_id {
            lines.push(format!("Athena query {query}"));
        }
        blocks.text(Some(&p.name), &lines.join("\n"));
    }
    if dq.omitted > 0 {
        blocks.context(&[format!(
            "{} more checks were left out of the message (SNS size limit): see the run's logs.",
            dq.omitted
        )]);
    }
    title
}

fn drift_report(blocks: &mut Blocks, d: &DriftReport) -> Title {
    let model = d.model.clone().unwrap_or_else(|| "a model".to_string());
    let (headline, summary) = if d.status.as_deref() == Some("insufficient_data") {
        (
            format!("{model}: too little live data to judge drift"),
            Some(format!(
                "{} rows, {} needed",
                d.rows.as_deref().unwrap_or("?"),
                d.min_rows.as_deref().unwrap_or("?")
            )),
        )
    } else if d.drift_detected {
        (
            format!("{model}: drift in {}", d.drifted.join(", ")),
            Some(if d.event_published {
                "retraining requested".to_string()
            } else {
                "the drift event was not published".to_string()
            }),
        )
    } else {
        (
            format!("{model}: no drift"),
            (!d.warnings.is_empty())
                .then(|| format!("at warning level: {}", d.warnings.join(", "))),
        )
    };
    let title = start(blocks, headline, summary);
    let window = match (&d.window_start, &d.window_end) {
        (Some(a), Some(b)) => Some(format!("{a} → {b}")),
        _ => None,
    };
    blocks.fields(&[
        ("Model", d.model.clone()),
        ("Window", window),
        ("Rows", d.rows.clone()),
        ("Features scored", d.features_scored.clone()),
        (
            "Drifted",
            (!d.drifted.is_empty()).then(|| d.drifted.join(", ")),
        ),
        (
            "Warning level",
            (!d.warnings.is_empty()).then(|| d.warnings.join(", ")),
        ),
    ]);
    if !d.top.is_empty() {
        let mut table = format!("{:<24} {:>8} {:>8}  level\n", "feature", "PSI", "KS");
        for score in &d.top {
            let short = |v: &Option<String>| {
                v.as_deref()
                    .and_then(|v| v.parse::<f64>().ok())
                    .map_or("-".to_string(), |v| format!("{v:.4}"))
            };
            table.push_str(&format!(
                "{:<24} {:>8} {:>8}  {}\n",
                score.feature,
                short(&score.psi),
                short(&score.ks),
                score.level.as_deref().unwrap_or("")
            ));
        }
        blocks.code(Some("Largest PSI"), &table);
    }
    if let Some(uri) = &d.report_uri {
        blocks.context(&[format!("Full report: {uri}")]);
    }
    title
}

fn drift(blocks: &mut Blocks, d: &DriftTrigger) -> Title {
    let model = d.model.clone().unwrap_or_else(|| "a model".to_string());
    let measured = match (&d.metric, &d.value, &d.threshold) {
        (Some(m), Some(v), Some(t)) => Some(format!("{m} {v} over {t}")),
        (Some(m), Some(v), None) => Some(format!("{m} {v}")),
        _ => None,
    };
    let title = start(
        blocks,
        format!("Drift detected for {model}"),
        measured.clone(),
    );
    blocks.fields(&[
        ("Model", d.model.clone()),
        ("Version", d.model_version.clone()),
        ("Drift", measured),
        ("Detected at", d.detected_at.clone()),
        ("Retraining", d.action.clone()),
        ("Event", d.event_id.clone()),
    ]);
    blocks.text(
        Some("What to do"),
        "Retraining is triggered automatically (once per cooldown). Watch the retraining execution; its quality gate decides whether the new model replaces production.",
    );
    blocks.buttons(&[(
        "Open retraining execution",
        d.execution_arn.as_deref().and_then(execution_url),
    )]);
    title
}

fn alarm(blocks: &mut Blocks, a: &AlarmChange) -> Title {
    let title = start(
        blocks,
        format!("{}: {}", a.new_state, a.name),
        a.description.clone().or_else(|| a.reason.clone()),
    );
    blocks.fields(&[
        (
            "State",
            Some(format!(
                "{} → {}",
                a.old_state.as_deref().unwrap_or("?"),
                a.new_state
            )),
        ),
        ("Changed at", a.changed_at.clone()),
        ("Metric", a.metric.clone()),
        ("Condition", a.condition.clone()),
        (
            "Dimensions",
            (!a.dimensions.is_empty()).then(|| a.dimensions.join(", ")),
        ),
    ]);
    if let Some(description) = &a.description {
        blocks.text(Some("Alarm"), description);
    }
    if let Some(reason) = &a.reason {
        blocks.text(Some("Reason"), reason);
    }
    let todo = match a.new_state.as_str() {
        "ALARM" => "Open the alarm and its metric; the dashboard shows the workflow or function around it. Failed executions also arrive here with their error.",
        "OK" => "Recovered: nothing to do.",
        _ => "The metric has no recent data: check that the workflow or function still runs.",
    };
    blocks.text(Some("What to do"), todo);
    blocks.buttons(&[(
        "Open alarm",
        a.alarm_arn
            .as_deref()
            .and_then(|arn| alarm_url(arn, &a.name)),
    )]);
    title
}

fn platform_report(blocks: &mut Blocks, r: &PlatformReport) -> Title {
    let headline = r
        .title
        .clone()
        .unwrap_or_else(|| "Weekly platform report".to_string());
    let summary = r
        .sections
        .first()
        .and_then(|(_, lines)| lines.first().cloned());
    let title = start(blocks, headline, summary);
    for (section, lines) in &r.sections {
        let label = (!section.is_empty()).then_some(section.as_str());
        blocks.text(label, &lines.join("\n"));
    }
    blocks.buttons(&[("Open the full report", r.link.clone())]);
    title
}

fn unknown(blocks: &mut Blocks, u: &Unknown, n: &Notification) -> Title {
    let headline = n
        .subject
        .clone()
        .unwrap_or_else(|| "Notification".to_string());
    let first_line = u.body.lines().next().map(str::to_string);
    let title = start(blocks, headline, first_line);
    if u.is_json {
        blocks.code(None, &u.body);
    } else {
        blocks.text(None, &u.body);
    }
    let attributes: Vec<String> = n
        .attributes
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    blocks.context(&attributes);
    title
}

fn human_duration(seconds: i64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s} s"),
        (0, _) => format!("{m} min {s} s"),
        _ => format!("{h} h {m} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_mentions_and_markup_are_escaped() {
        let text = escape("<!channel> @channel @Here a&b <https://x|y>");
        assert_eq!(
            text,
            "&lt;!channel&gt; @\u{200B}channel @\u{200B}Here a&amp;b &lt;https://x|y&gt;"
        );
        assert!(!text.contains('<') && !text.contains('>'));
    }

    #[test]
    fn truncation_never_splits_an_escape_and_says_how_much_was_cut() {
        let (text, cut) = escape_within("ab&cd", 4);
        assert_eq!((text.as_str(), cut), ("ab", 3));
        let long = "x".repeat(10_000);
        let fitted = fit(&long, MAX_TEXT);
        assert!(fitted.chars().count() <= MAX_TEXT);
        assert!(
            fitted.contains("truncated"),
            "{}",
            &fitted[fitted.len() - 60..]
        );
    }

    #[test]
    fn code_blocks_stay_within_the_limit() {
        let long = "<&>".repeat(5_000);
        let code = fit_code(&long, MAX_TEXT);
        assert!(code.chars().count() <= MAX_TEXT, "{}", code.chars().count());
        assert!(code.starts_with("```") && code.contains("```\n_(truncated"));
    }

    #[test]
    fn more_than_fifty_blocks_are_cut_to_fifty_with_a_note() {
        let mut blocks = Blocks::default();
        for i in 0..80 {
            blocks.text(None, &format!("block {i}"));
        }
        let blocks = blocks.finish();
        assert_eq!(blocks.len(), MAX_BLOCKS);
        assert!(blocks[49]["elements"][0]["text"]
            .as_str()
            .unwrap()
            .contains("31 more blocks"));
    }

    #[test]
    fn console_links_follow_the_partition_and_region() {
        assert_eq!(
            execution_url("arn:aws:states:eu-west-1:123456789012:execution:sm:run-1").unwrap(),
            "https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn%3Aaws%3Astates%3Aeu-west-1%3A123456789012%3Aexecution%3Asm%3Arun-1"
        );
        assert!(
            execution_url("arn:aws-cn:states:cn-north-1:1:execution:sm:r")
                .unwrap()
                .starts_with("https://cn-north-1.console.amazonaws.cn/")
        );
        assert_eq!(execution_url("not an arn"), None);
    }
}
