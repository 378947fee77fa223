//! Which way an ML metric is better: shared by the quality gate (evaluate-model-metrics) and the
//! live-traffic guardrails (deployment-guard), which read the same catalogue values.

use serde::{Deserialize, Serialize};

/// Which way a metric is better; JSON `lower_is_better` / `higher_is_better`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Errors and losses (MAPE, RMSE, log loss).
    LowerIsBetter,
    /// Scores (accuracy, F1, ROC-AUC).
    HigherIsBetter,
}
