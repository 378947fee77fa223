//! The run's summary for people: one SNS message to the notifications topic after every monitor
//! run (drift or not), `event_type = drift_report`, which the slack notifier renders as a table
//! of the most-moved features with a link to the full report.

use crate::report::{Level, MonitorReport, Status};
use serde::Serialize;
use shared::notify::{self, Attribute};

/// The `event_type` message attribute of the summary.
pub const EVENT_TYPE: &str = "drift_report";
/// Features listed in the summary, the largest PSI first; the report on S3 has them all.
pub const MAX_FEATURES: usize = 10;
/// SNS subjects are at most 100 characters (SNS `Publish` API reference).
pub const MAX_SUBJECT_CHARS: usize = 100;

/// The summary's JSON body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary<'a> {
    /// Always [`EVENT_TYPE`], so the body is recognisable without its attributes.
    pub event_type: &'static str,
    /// The model.
    pub model_name: &'a str,
    /// The model version, when the request named it.
    pub model_version: Option<&'a str>,
    /// First hour of the window (RFC 3339).
    pub window_start: &'a str,
    /// End of the window, exclusive (RFC 3339).
    pub window_end: &'a str,
    /// `ok` or `insufficient_data`.
    pub status: Status,
    /// Live rows counted, and the fewest that give a verdict.
    pub rows: u64,
    /// The fewest rows for a verdict.
    pub min_rows: u64,
    /// Whether drift was detected (and so retraining requested).
    pub drift_detected: bool,
    /// The drifted features.
    pub drifted_features: &'a [String],
    /// The features at warning level.
    pub warnings: &'a [String],
    /// Whether the `model.drift_detected` event was published by this run.
    pub event_published: bool,
    /// The drift event's id.
    pub event_id: Option<&'a str>,
    /// Features scored in all (the prediction included).
    pub features_scored: usize,
    /// The [`MAX_FEATURES`] largest PSIs.
    pub top_features: Vec<FeatureLine<'a>>,
    /// The full report.
    pub report_uri: &'a str,
}

/// One feature of the summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureLine<'a> {
    /// The feature (or prediction column).
    pub feature: &'a str,
    /// Population Stability Index.
    pub psi: f64,
    /// Kolmogorov–Smirnov statistic, for numeric features.
    pub ks: Option<f64>,
    /// `none`, `warn` or `act`.
    pub psi_level: Level,
    /// Whether it counts as drifted.
    pub drifted: bool,
}

impl<'a> Summary<'a> {
    /// The summary of `report`.
    pub fn of(report: &'a MonitorReport) -> Self {
        let mut top: Vec<FeatureLine<'a>> = report
            .scores()
            .map(|s| FeatureLine {
                feature: &s.feature,
                psi: s.psi,
                ks: s.ks,
                psi_level: s.psi_level,
                drifted: s.drifted,
            })
            .collect();
        let features_scored = top.len();
        top.sort_by(|a, b| b.psi.total_cmp(&a.psi));
        top.truncate(MAX_FEATURES);
        Self {
            event_type: EVENT_TYPE,
            model_name: &report.model_name,
            model_version: report.model_version.as_deref(),
            window_start: &report.window_start,
            window_end: &report.window_end,
            status: report.status,
            rows: report.rows,
            min_rows: report.min_rows,
            drift_detected: report.drift_detected,
            drifted_features: &report.drifted_features,
            warnings: &report.warnings,
            event_published: report.event_published,
            event_id: report.event_id.as_deref(),
            features_scored,
            top_features: top,
            report_uri: &report.report_uri,
        }
    }

    /// `warning` when drift was detected or the window had too little data, else `info`.
    pub fn severity(&self) -> &'static str {
        if self.drift_detected || self.status == Status::InsufficientData {
            "warning"
        } else {
            "info"
        }
    }

    /// `[drift-monitor] demand-forecast: drift in f00, f19`, at most [`MAX_SUBJECT_CHARS`].
    pub fn subject(&self) -> String {
        let verdict = match (self.status, self.drift_detected) {
            (Status::InsufficientData, _) => {
                format!("too little data ({} of {} rows)", self.rows, self.min_rows)
            }
            (Status::Ok, true) => format!("drift in {}", self.drifted_features.join(", ")),
            (Status::Ok, false) if !self.warnings.is_empty() => {
                format!("no drift, {} at warning level", self.warnings.len())
            }
            (Status::Ok, false) => "no drift".to_string(),
        };
        let subject = format!("[drift-monitor] {}: {verdict}", self.model_name);
        // Subjects must be ASCII without line breaks: model and feature names may not be.
        let subject: String = subject
            .chars()
            .map(|c| {
                if c.is_ascii() && !c.is_ascii_control() {
                    c
                } else {
                    '?'
                }
            })
            .collect();
        if subject.len() <= MAX_SUBJECT_CHARS {
            return subject;
        }
        format!("{}...", &subject[..MAX_SUBJECT_CHARS - 3])
    }

    /// The message attributes: `event_type`, `severity`, `source`, `model_name`, `drift_detected`.
    pub fn attributes(&self) -> Vec<Attribute> {
        vec![
            notify::text("event_type", EVENT_TYPE),
            notify::text("severity", self.severity()),
            notify::text("source", crate::SERVICE),
            notify::text("model_name", self.model_name),
            notify::text("drift_detected", &self.drift_detected.to_string()),
        ]
    }
}

/// Publishes the summary of `report` to `topic_arn`; returns SNS's message id.
pub async fn publish(
    sns: &aws_sdk_sns::Client,
    topic_arn: &str,
    report: &MonitorReport,
) -> Result<String, String> {
    let summary = Summary::of(report);
    let body = serde_json::to_string(&summary).map_err(|e| e.to_string())?;
    notify::publish(
        sns,
        topic_arn,
        &summary.subject(),
        &body,
        &summary.attributes(),
    )
    .await
}
