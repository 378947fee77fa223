//! The two requests the function accepts, told apart by `mode`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Default quantile bins per numeric feature.
pub const DEFAULT_BINS: usize = 10;
/// Default CDF grid size kept for the KS statistic.
pub const DEFAULT_KS_GRID: usize = 1000;
/// Default values sampled per numeric feature while building a baseline.
pub const DEFAULT_SAMPLE_SIZE: usize = 200_000;
/// Default smallest share of rows for a category to keep its own bin.
pub const DEFAULT_MIN_CATEGORY_SHARE: f64 = 0.01;
/// Default most categories kept per feature.
pub const DEFAULT_MAX_CATEGORIES: usize = 50;
/// Default PSI at which a feature is reported as a warning (a moderate shift).
pub const DEFAULT_PSI_WARN: f64 = 0.1;
/// Default PSI at which a feature counts as drifted (a significant shift): publishes the event.
pub const DEFAULT_PSI_ACT: f64 = 0.25;
/// Default window: the last 24 hours.
pub const DEFAULT_WINDOW_HOURS: u32 = 24;
/// Default fewest live rows for a meaningful comparison.
pub const DEFAULT_MIN_ROWS: u64 = 1000;

/// A request: `{"mode": "baseline", ...}` or `{"mode": "monitor", ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Request {
    /// Build a baseline profile from training data.
    Baseline(BaselineRequest),
    /// Compare a window of live capture with a baseline.
    Monitor(MonitorRequest),
}

pub use shared::storage::Format;

/// Baseline mode: profile the training data of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineRequest {
    /// The model (`^[a-z0-9](-?[a-z0-9])*$`, at most 21 characters: the retraining contract).
    pub model_name: String,
    /// The model version, recorded in the profile.
    #[serde(default)]
    pub model_version: Option<String>,
    /// `s3://bucket/key` or `file://path` of the training data (CSV with a header, or JSON Lines;
    /// gzip when the name ends in `.gz`).
    pub training_data_uri: String,
    /// The layout; inferred from the name when absent.
    #[serde(default)]
    pub format: Option<Format>,
    /// The features, in the order live CSV requests list them; default: every column but the
    /// excluded ones and the prediction column, in file order.
    #[serde(default)]
    pub feature_columns: Option<Vec<String>>,
    /// Columns that are not features (the label, ids, timestamps).
    #[serde(default)]
    pub exclude_columns: Vec<String>,
    /// Features to profile as categories (every other feature is numeric).
    #[serde(default)]
    pub categorical_features: Vec<String>,
    /// A column holding the model's output on this data, profiled as the prediction baseline.
    #[serde(default)]
    pub prediction_column: Option<String>,
    /// Whether the prediction is a category (a class label) rather than a number.
    #[serde(default)]
    pub categorical_prediction: bool,
    /// Where to write the profile: `s3://bucket/key.json` or `file://path`.
    pub output_uri: String,
    /// Quantile bins per numeric feature (2–100, default 10).
    #[serde(default = "default_bins")]
    pub bins: usize,
    /// CDF grid size for KS (10–100000, default 1000).
    #[serde(default = "default_ks_grid")]
    pub ks_grid: usize,
    /// Values sampled per numeric feature (1000–5000000, default 200000).
    #[serde(default = "default_sample_size")]
    pub sample_size: usize,
    /// Smallest share of rows for a category's own bin (0–0.5, default 0.01).
    #[serde(default = "default_min_category_share")]
    pub min_category_share: f64,
    /// Most categories kept per feature (1–1000, default 50).
    #[serde(default = "default_max_categories")]
    pub max_categories: usize,
}

/// Drift thresholds of a model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// PSI from which a feature is a warning (default 0.1).
    #[serde(default = "default_psi_warn")]
    pub psi_warn: f64,
    /// PSI from which a feature has drifted (default 0.25).
    #[serde(default = "default_psi_act")]
    pub psi_act: f64,
    /// KS statistic from which a numeric feature has drifted (none: KS is reported only).
    #[serde(default)]
    pub ks: Option<f64>,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            psi_warn: DEFAULT_PSI_WARN,
            psi_act: DEFAULT_PSI_ACT,
            ks: None,
        }
    }
}

/// Monitor mode: compare a window of SageMaker Data Capture with the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorRequest {
    /// The model (the retraining contract's name).
    pub model_name: String,
    /// The model version being served, carried into the event.
    #[serde(default)]
    pub model_version: Option<String>,
    /// The baseline profile (`s3://` or `file://`).
    pub baseline_uri: String,
    /// Data Capture location up to the hour folders: `s3://bucket/<prefix>/<endpoint>/<variant>`
    /// (the files are under `<capture_prefix>/yyyy/mm/dd/hh/`), or a `file://` directory.
    pub capture_prefix: String,
    /// End of the window (exclusive), truncated to the hour; default: the current hour's start.
    #[serde(default)]
    pub window_end: Option<DateTime<Utc>>,
    /// Hours in the window (1–744, default 24).
    #[serde(default = "default_window_hours")]
    pub window_hours: u32,
    /// Where reports go: `<report_prefix>/<model>/<window end yyyymmddThhZ>.json`.
    pub report_prefix: String,
    /// Thresholds (defaults: PSI 0.1 warn, 0.25 act, no KS threshold).
    #[serde(default)]
    pub thresholds: Thresholds,
    /// Fewest live rows for a verdict (default 1000); fewer gives `insufficient_data`.
    #[serde(default = "default_min_rows")]
    pub min_rows: u64,
    /// Whether to publish `model.drift_detected` when drift is found (default true).
    #[serde(default = "default_true")]
    pub publish: bool,
}

fn default_bins() -> usize {
    DEFAULT_BINS
}
fn default_ks_grid() -> usize {
    DEFAULT_KS_GRID
}
fn default_sample_size() -> usize {
    DEFAULT_SAMPLE_SIZE
}
fn default_min_category_share() -> f64 {
    DEFAULT_MIN_CATEGORY_SHARE
}
fn default_max_categories() -> usize {
    DEFAULT_MAX_CATEGORIES
}
fn default_psi_warn() -> f64 {
    DEFAULT_PSI_WARN
}
fn default_psi_act() -> f64 {
    DEFAULT_PSI_ACT
}
fn default_window_hours() -> u32 {
    DEFAULT_WINDOW_HOURS
}
fn default_min_rows() -> u64 {
    DEFAULT_MIN_ROWS
}
fn default_true() -> bool {
    true
}

impl BaselineRequest {
    /// Checks ranges and names.
    pub fn validate(&self) -> Result<(), String> {
        catalogue::check_model_name(&self.model_name)?;
        let within = |name: &str, v: usize, lo: usize, hi: usize| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(format!("{name} must be within {lo}-{hi}, got {v}"))
            }
        };
        within("bins", self.bins, 2, 100)?;
        within("ks_grid", self.ks_grid, 10, 100_000)?;
        within("sample_size", self.sample_size, 1000, 5_000_000)?;
        within("max_categories", self.max_categories, 1, 1000)?;
        if !(0.0..=0.5).contains(&self.min_category_share) {
            return Err(format!(
                "min_category_share must be within 0-0.5, got {}",
                self.min_category_share
            ));
        }
        Ok(())
    }
}

impl MonitorRequest {
    /// Checks ranges and names.
    pub fn validate(&self) -> Result<(), String> {
        catalogue::check_model_name(&self.model_name)?;
        if !(1..=744).contains(&self.window_hours) {
            return Err(format!(
                "window_hours must be within 1-744, got {}",
                self.window_hours
            ));
        }
        let t = &self.thresholds;
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if !positive(t.psi_warn) || !positive(t.psi_act) || t.psi_warn > t.psi_act {
            return Err(format!(
                "thresholds need 0 < psi_warn <= psi_act, got {} and {}",
                t.psi_warn, t.psi_act
            ));
        }
        if let Some(ks) = t.ks {
            if !(ks > 0.0 && ks <= 1.0) {
                return Err(format!("thresholds.ks must be within (0, 1], got {ks}"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_minimal_monitor_request_gets_the_usual_defaults() {
        let request: Request = serde_json::from_value(json!({
            "mode": "monitor", "model_name": "demand-forecast",
            "baseline_uri": "s3://b/baseline.json", "capture_prefix": "s3://b/capture/ep/AllTraffic",
            "report_prefix": "s3://b/reports"
        }))
        .unwrap();
        let Request::Monitor(m) = request else {
            panic!("not monitor")
        };
        assert_eq!(m.thresholds, Thresholds::default());
        assert_eq!((m.window_hours, m.min_rows, m.publish), (24, 1000, true));
        assert!(m.validate().is_ok());
    }

    #[test]
    fn typos_and_bad_ranges_are_refused() {
        let typo = serde_json::from_value::<Request>(json!({
            "mode": "baseline", "model_name": "m", "training_data_uri": "file://t.csv",
            "output_uri": "file://b.json", "binz": 10
        }));
        assert!(typo.is_err());
        let Request::Baseline(mut b) = serde_json::from_value(json!({
            "mode": "baseline", "model_name": "m", "training_data_uri": "file://t.csv",
            "output_uri": "file://b.json"
        }))
        .unwrap() else {
            panic!("not baseline")
        };
        assert!(b.validate().is_ok());
        b.bins = 1;
        assert!(b.validate().is_err());
    }

    #[test]
    fn formats_are_inferred_from_the_name() {
        assert_eq!(Format::infer("train.CSV.gz"), Some(Format::Csv));
        assert_eq!(Format::infer("train.jsonl"), Some(Format::Jsonl));
        assert_eq!(Format::infer("train.parquet"), None);
    }
}
