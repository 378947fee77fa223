//! The evaluation result. The retraining state machine reads these field names
//! (`$.Payload.mape`, `$.Payload.metrics.<name>`, `$.Payload.gate.passed`,
//! `$.Payload.beats_production`): they are API.

use crate::input::{Direction, ProductionMetrics, Task};
use serde::{Deserialize, Serialize};
use serde_json::Map;
use std::collections::BTreeMap;

/// Scalar metrics by name; `null` where undefined for the data (e.g. ROC-AUC of a file with one
/// class).
pub type NamedMetrics = BTreeMap<String, Option<f64>>;

/// Accuracy of a candidate model on its evaluation set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EvaluateOutput {
    /// The candidate's artifacts, as given.
    pub model_uri: String,
    /// The model's name, as given.
    pub model_name: Option<String>,
    /// The predictions that were read.
    pub predictions_uri: String,
    /// The task evaluated.
    pub task: Task,
    /// MAPE in percent over rows with a non-zero actual (regression; null otherwise).
    pub mape: Option<f64>,
    /// WAPE in percent (regression; null otherwise).
    pub wape: Option<f64>,
    /// sMAPE in percent (regression; null otherwise).
    pub smape: Option<f64>,
    /// Mean absolute error (regression; null otherwise).
    pub mae: Option<f64>,
    /// Root mean squared error (regression; null otherwise).
    pub rmse: Option<f64>,
    /// Mean of predicted − actual (regression; null otherwise).
    pub bias: Option<f64>,
    /// R²; null when the actuals do not vary, and for classification.
    pub r2: Option<f64>,
    /// Every scalar metric of the task by name: regression `mape`, `wape`, `smape`, `mae`,
    /// `rmse`, `bias`, `r2`; multiclass `accuracy`, `macro_f1`, `weighted_f1`,
    /// `macro_precision`, `macro_recall`, `log_loss` (with probabilities), `top_k_accuracy`
    /// (with `top_k`); binary `precision`, `recall`, `f1`, `accuracy`, `roc_auc`,
    /// `average_precision`, `best_f1`, `best_f1_threshold`.
    pub metrics: NamedMetrics,
    /// Multiclass detail: per-class scores and the confusion matrix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification: Option<ClassificationDetail>,
    /// Binary detail: counts at the threshold and the error bounds of the curve metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary: Option<BinaryDetail>,
    /// The quality gate's verdict, when the request has a gate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<GateResult>,
    /// Row counts.
    pub rows: RowCounts,
    /// Per-segment results.
    pub segments: SegmentSummary,
    /// The production model's metrics, as given.
    pub production_metrics: Option<ProductionMetrics>,
    /// Whether the candidate beats production: on the gate's metric in its direction when
    /// there is a gate, else on MAPE (lower); true when production has no such metric.
    pub beats_production: bool,
}

/// Multiclass detail (definitions in [`crate::classes`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClassificationDetail {
    /// The declared classes: the order of `per_class` and of the matrix's rows and columns.
    pub classes: Vec<String>,
    /// Precision, recall, F1 and support of each class.
    pub per_class: Vec<ClassDetail>,
    /// `confusion_matrix[actual][predicted]`: row counts.
    pub confusion_matrix: Vec<Vec<u64>>,
    /// The k of `top_k_accuracy`, when asked.
    pub top_k: Option<usize>,
}

/// One class's scores (0 where undefined, as scikit-learn's `zero_division=0`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClassDetail {
    /// The class label.
    pub class: String,
    /// TP / rows predicted as the class.
    pub precision: f64,
    /// TP / rows of the class.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Rows whose actual label is the class.
    pub support: u64,
}

/// Binary detail (definitions and error bounds in [`crate::scores`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BinaryDetail {
    /// The label counted as positive.
    pub positive_label: String,
    /// Rows with `score ≥ threshold` are predicted positive.
    pub threshold: f64,
    /// Positive rows predicted positive.
    pub true_positives: u64,
    /// Negative rows predicted positive.
    pub false_positives: u64,
    /// Negative rows predicted negative.
    pub true_negatives: u64,
    /// Positive rows predicted negative.
    pub false_negatives: u64,
    /// Largest possible |reported − exact| ROC-AUC; 0 when exact.
    pub roc_auc_error_bound: f64,
    /// Largest possible |reported − exact| average precision; 0 when exact.
    pub average_precision_error_bound: f64,
    /// Score bins counted.
    pub score_bins: u64,
    /// Bins holding more than one distinct score (the only source of error).
    pub merged_score_bins: u64,
    /// Low bits dropped from the scores' IEEE-754 bit patterns to fit the bins (0: exact).
    pub dropped_score_bits: u32,
}

/// The quality gate's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GateResult {
    /// The metric gated on.
    pub metric: String,
    /// Which way is better.
    pub direction: Direction,
    /// The bound the candidate must reach (inclusive).
    pub threshold: f64,
    /// The candidate's value; null when undefined for the data (the gate then fails).
    pub value: Option<f64>,
    /// Production's value of the metric; null when there is none.
    pub production_value: Option<f64>,
    /// Whether the value reaches the threshold (≤ when lower is better, ≥ when higher).
    pub passed_threshold: bool,
    /// Whether the value is strictly better than production's (true when there is none).
    pub beats_production: bool,
    /// `passed_threshold`, and `beats_production` when the gate requires it.
    pub passed: bool,
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
    /// The worst segments, worst first, by the gate's metric when there is a gate, else by
    /// MAPE (regression), accuracy (multiclass) or F1 (binary); segments without the metric
    /// come last.
    pub worst: Vec<SegmentMetrics>,
}

/// One segment's accuracy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SegmentMetrics {
    /// Segment column → value.
    pub key: Map<String, serde_json::Value>,
    /// MAPE in percent; null when all its actuals are 0, and for classification.
    pub mape: Option<f64>,
    /// WAPE in percent; null when all its actuals are 0, and for classification.
    pub wape: Option<f64>,
    /// Mean absolute error (regression; null otherwise).
    pub mae: Option<f64>,
    /// Mean of predicted − actual (regression; null otherwise).
    pub bias: Option<f64>,
    /// Rows in the segment.
    pub rows: u64,
    /// The segment's scalar metrics by name, as the overall `metrics` (a binary segment's
    /// ROC-AUC and average precision from a coarser histogram, see [`crate::scores`]).
    pub metrics: NamedMetrics,
}
