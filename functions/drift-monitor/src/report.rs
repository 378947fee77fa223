//! The monitor's verdict: per-feature scores, the thresholds they passed, and the run's report
//! (returned, and written to S3).

use crate::input::Thresholds;
use crate::profile::{Distribution, FeatureProfile};
use crate::tally::Measures;
use serde::{Deserialize, Serialize};

/// Whether the window held enough data for a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Scores computed and compared with the thresholds.
    Ok,
    /// Fewer live rows than `min_rows`: scores are reported but never count as drift.
    InsufficientData,
}

/// How far a PSI went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Below the warning threshold.
    None,
    /// At or above `psi_warn`, below `psi_act`.
    Warn,
    /// At or above `psi_act`.
    Act,
}

/// One feature's (or the prediction's) scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureScore {
    /// The feature (or prediction column) name.
    pub feature: String,
    /// `numeric` or `categorical`.
    pub kind: String,
    /// Live rows counted.
    pub rows: u64,
    /// Live share of missing values (invalid values included).
    pub null_rate: f64,
    /// The baseline's share of missing values.
    pub baseline_null_rate: f64,
    /// Live values that were not numbers in a numeric feature.
    pub invalid_values: u64,
    /// Population Stability Index.
    pub psi: f64,
    /// Kolmogorov–Smirnov statistic (numeric features with live values).
    pub ks: Option<f64>,
    /// The PSI level reached.
    pub psi_level: Level,
    /// Whether KS reached the KS threshold (false when there is none).
    pub ks_exceeded: bool,
    /// The thresholds passed: `psi_warn`, `psi_act`, `ks`.
    pub passed: Vec<String>,
    /// Whether this feature counts as drifted (`psi_act` or `ks` passed).
    pub drifted: bool,
}

impl FeatureScore {
    /// Scores `measures` of `profile` against `thresholds`.
    pub fn new(profile: &FeatureProfile, measures: &Measures, thresholds: &Thresholds) -> Self {
        let psi_level = if measures.psi >= thresholds.psi_act {
            Level::Act
        } else if measures.psi >= thresholds.psi_warn {
            Level::Warn
        } else {
            Level::None
        };
        let ks_exceeded = matches!((measures.ks, thresholds.ks), (Some(ks), Some(t)) if ks >= t);
        let mut passed = Vec::new();
        if psi_level != Level::None {
            passed.push("psi_warn".to_string());
        }
        if psi_level == Level::Act {
            passed.push("psi_act".to_string());
        }
        if ks_exceeded {
            passed.push("ks".to_string());
        }
        Self {
            feature: profile.name.clone(),
            kind: match profile.distribution {
                Distribution::Numeric(_) => "numeric",
                Distribution::Categorical(_) => "categorical",
            }
            .to_string(),
            rows: measures.rows,
            null_rate: measures.null_rate,
            baseline_null_rate: profile.null_rate,
            invalid_values: measures.invalid,
            psi: measures.psi,
            ks: measures.ks,
            psi_level,
            ks_exceeded,
            drifted: psi_level == Level::Act || ks_exceeded,
            passed,
        }
    }
}

/// The report of one monitor run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorReport {
    /// The model.
    pub model_name: String,
    /// The model version, when given.
    pub model_version: Option<String>,
    /// The baseline compared with.
    pub baseline_uri: String,
    /// The capture location.
    pub capture_prefix: String,
    /// First hour of the window (RFC 3339).
    pub window_start: String,
    /// End of the window, exclusive (RFC 3339).
    pub window_end: String,
    /// `ok` or `insufficient_data`.
    pub status: Status,
    /// Live input rows counted.
    pub rows: u64,
    /// The fewest rows for a verdict.
    pub min_rows: u64,
    /// Capture records (lines) read.
    pub records: u64,
    /// Lines that were not capture records or whose input could not be decoded.
    pub malformed_records: u64,
    /// Input rows that did not fit the features.
    pub malformed_rows: u64,
    /// Capture files read.
    pub files_read: u64,
    /// Hours of the window that had capture files.
    pub hours_with_data: u32,
    /// The thresholds applied.
    pub thresholds: Thresholds,
    /// One score per feature, in baseline order.
    pub features: Vec<FeatureScore>,
    /// The prediction's score, when the baseline has a prediction profile.
    pub prediction: Option<FeatureScore>,
    /// Whether any feature or the prediction drifted (never with `insufficient_data`).
    pub drift_detected: bool,
    /// Features (and the prediction) that drifted.
    pub drifted_features: Vec<String>,
    /// Features (and the prediction) at warning level only.
    pub warnings: Vec<String>,
    /// The drift event's id, when drift was detected.
    pub event_id: Option<String>,
    /// Whether the event was published to EventBridge by this run.
    pub event_published: bool,
    /// Whether the event was also produced to the Kafka topic (`DRIFT_KAFKA_*`) by this run.
    #[serde(default)]
    pub kafka_published: bool,
    /// Whether this run's summary was posted to the notifications topic (a failed post is
    /// logged and leaves this `false`; it never fails the run).
    #[serde(default)]
    pub summary_published: bool,
    /// Where this report is written.
    pub report_uri: String,
}

impl MonitorReport {
    /// Every score, features first, then the prediction.
    pub fn scores(&self) -> impl Iterator<Item = &FeatureScore> {
        self.features.iter().chain(self.prediction.iter())
    }

    /// Fills `drift_detected`, `drifted_features` and `warnings` from the scores and status.
    pub fn decide(&mut self) {
        let ok = self.status == Status::Ok;
        self.drifted_features = self
            .scores()
            .filter(|s| ok && s.drifted)
            .map(|s| s.feature.clone())
            .collect();
        self.warnings = self
            .scores()
            .filter(|s| ok && !s.drifted && s.psi_level == Level::Warn)
            .map(|s| s.feature.clone())
            .collect();
        self.drift_detected = !self.drifted_features.is_empty();
    }

    /// The score that says most about the drift: the largest PSI at `act` level, else the
    /// largest KS past its threshold. `(score, metric, value, threshold)`.
    pub fn headline(&self) -> Option<(&FeatureScore, &'static str, f64, f64)> {
        let by = |a: &f64, b: &f64| a.total_cmp(b);
        if let Some(s) = self
            .scores()
            .filter(|s| s.psi_level == Level::Act)
            .max_by(|a, b| by(&a.psi, &b.psi))
        {
            return Some((s, "psi", s.psi, self.thresholds.psi_act));
        }
        let threshold = self.thresholds.ks?;
        self.scores()
            .filter(|s| s.ks_exceeded)
            .max_by(|a, b| by(&a.ks.unwrap_or(0.0), &b.ks.unwrap_or(0.0)))
            .map(|s| (s, "ks", s.ks.unwrap_or(0.0), threshold))
    }
}
