//! The evaluation result. The retraining state machine reads these field names
//! (`$.Payload.mape`, `$.Payload.beats_production`): they are API.

use crate::input::ProductionMetrics;
use serde::{Deserialize, Serialize};
use serde_json::Map;

/// Accuracy of a candidate model on its evaluation set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EvaluateOutput {
    /// The candidate's artifacts, as given.
    pub model_uri: String,
    /// The model's name, as given.
    pub model_name: Option<String>,
    /// The predictions that were read.
    pub predictions_uri: String,
    /// MAPE in percent over rows with a non-zero actual.
    pub mape: f64,
    /// WAPE in percent.
    pub wape: f64,
    /// sMAPE in percent.
    pub smape: f64,
    /// Mean absolute error.
    pub mae: f64,
    /// Root mean squared error.
    pub rmse: f64,
    /// Mean of predicted − actual.
    pub bias: f64,
    /// R²; null when the actuals do not vary.
    pub r2: Option<f64>,
    /// Row counts.
    pub rows: RowCounts,
    /// Per-segment results.
    pub segments: SegmentSummary,
    /// The production model's metrics, as given.
    pub production_metrics: Option<ProductionMetrics>,
    /// True when there is no production model, or the candidate's MAPE is lower than its.
    pub beats_production: bool,
}

/// How many rows were read and used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RowCounts {
    /// Data rows read.
    pub total: u64,
    /// Rows in MAPE (actual not 0).
    pub evaluated: u64,
    /// Rows whose actual is 0: in every metric but MAPE.
    pub zero_actual_skipped: u64,
}

/// Per-segment accuracy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SegmentSummary {
    /// The segment columns, as given.
    pub columns: Vec<String>,
    /// Number of distinct segments.
    pub count: u64,
    /// The worst segments by MAPE, worst first (segments without a defined MAPE come last).
    pub worst: Vec<SegmentMetrics>,
}

/// One segment's accuracy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SegmentMetrics {
    /// Segment column → value.
    pub key: Map<String, serde_json::Value>,
    /// MAPE in percent; null when all its actuals are 0.
    pub mape: Option<f64>,
    /// WAPE in percent; null when all its actuals are 0.
    pub wape: Option<f64>,
    /// Mean absolute error.
    pub mae: f64,
    /// Mean of predicted − actual.
    pub bias: f64,
    /// Rows in the segment.
    pub rows: u64,
}
