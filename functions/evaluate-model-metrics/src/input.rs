//! The evaluation request, as the retraining state machine sends it.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use shared::storage::Compression;

/// Default number of worst segments reported.
pub const DEFAULT_WORST_SEGMENTS: usize = 10;
/// Most worst segments a request may ask for (keeps the result far below Step Functions' 256 KiB).
pub const MAX_WORST_SEGMENTS: usize = 100;

/// How the predictions file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Comma-separated values with a header row (RFC 4180 quoting).
    Csv,
    /// One JSON object per line; columns may be dotted paths into nested objects.
    Jsonl,
}

impl Format {
    /// Infers the format from a file name, ignoring a trailing `.gz`.
    pub fn infer(file_name: &str) -> Option<Self> {
        let lower = file_name.to_ascii_lowercase();
        let stem = lower
            .strip_suffix(".gz")
            .or_else(|| lower.strip_suffix(".gzip"))
            .unwrap_or(&lower);
        if stem.ends_with(".csv") {
            Some(Format::Csv)
        } else if stem.ends_with(".jsonl") || stem.ends_with(".ndjson") || stem.ends_with(".json") {
            Some(Format::Jsonl)
        } else {
            None
        }
    }
}

/// What to evaluate and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateInput {
    /// The trained candidate model's artifacts (echoed in the result).
    pub model_uri: String,
    /// The model's name (echoed in the result and used as a metric dimension).
    #[serde(default)]
    pub model_name: Option<String>,
    /// Where the evaluation predictions are: `s3://bucket/key` or `file://path`.
    pub predictions_uri: String,
    /// The file's layout; inferred from the name (`.csv`, `.jsonl`, `.json`, `.ndjson`).
    #[serde(default)]
    pub format: Option<Format>,
    /// The file's compression; inferred from the name (`.gz`).
    #[serde(default)]
    pub compression: Option<Compression>,
    /// The column holding the actual (observed) value.
    pub actual_column: String,
    /// The column holding the model's prediction.
    pub predicted_column: String,
    /// Columns whose values together name a segment (e.g. `store_id`).
    #[serde(default)]
    pub segment_columns: Vec<String>,
    /// The current production model's metrics, to compare against.
    #[serde(default)]
    pub production_metrics: Option<ProductionMetrics>,
    /// How many of the worst segments (by MAPE) to report.
    #[serde(default)]
    pub worst_segments: Option<usize>,
}

/// Metrics of the model in production. `mape` is required; anything else is carried along.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProductionMetrics {
    /// Production MAPE in percent. A JSON number or a numeric string (DynamoDB `N` values
    /// arrive as strings through the Step Functions integration).
    #[serde(deserialize_with = "number_or_numeric_string")]
    #[schemars(with = "f64")]
    pub mape: f64,
    /// Other metrics, passed through unchanged.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

fn number_or_numeric_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    let value = Value::deserialize(deserializer)?;
    let number = match &value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    number
        .filter(|n| n.is_finite())
        .ok_or_else(|| serde::de::Error::custom(format!("expected a number, found {value}")))
}

impl EvaluateInput {
    /// Checks what serde cannot: non-empty and distinct column names, bounds.
    pub fn validate(&self) -> Result<(), String> {
        if self.model_uri.trim().is_empty() {
            return Err("model_uri is empty".into());
        }
        for (field, value) in [
            ("actual_column", &self.actual_column),
            ("predicted_column", &self.predicted_column),
        ] {
            if value.is_empty() {
                return Err(format!("{field} is empty"));
            }
        }
        if self.actual_column == self.predicted_column {
            return Err(format!(
                "actual_column and predicted_column are both {:?}",
                self.actual_column
            ));
        }
        if let Some(empty) = self.segment_columns.iter().position(|c| c.is_empty()) {
            return Err(format!("segment_columns[{empty}] is empty"));
        }
        if let Some(n) = self.worst_segments {
            if n > MAX_WORST_SEGMENTS {
                return Err(format!(
                    "worst_segments is {n}; at most {MAX_WORST_SEGMENTS} are reported"
                ));
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
    fn format_is_inferred_through_gzip_suffixes() {
        assert_eq!(Format::infer("a/preds.csv.gz"), Some(Format::Csv));
        assert_eq!(Format::infer("PREDS.JSONL"), Some(Format::Jsonl));
        assert_eq!(Format::infer("evaluation.jsonl.out"), None);
    }

    #[test]
    fn production_mape_may_be_a_dynamodb_number_string() {
        let p: ProductionMetrics =
            serde_json::from_value(json!({"mape": "14.5", "wape": 9})).unwrap();
        assert_eq!(p.mape, 14.5);
        assert_eq!(p.other["wape"], 9);
        assert!(serde_json::from_value::<ProductionMetrics>(json!({"mape": "x"})).is_err());
        assert!(serde_json::from_value::<ProductionMetrics>(json!({"mape": "NaN"})).is_err());
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let err = serde_json::from_value::<EvaluateInput>(json!({
            "model_uri": "s3://b/m", "predictions_uri": "s3://b/p.csv",
            "actual_column": "a", "predicted_column": "p", "acutal": 1
        }))
        .unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }

    #[test]
    fn same_actual_and_predicted_column_is_invalid() {
        let input: EvaluateInput = serde_json::from_value(json!({
            "model_uri": "s3://b/m", "predictions_uri": "s3://b/p.csv",
            "actual_column": "y", "predicted_column": "y"
        }))
        .unwrap();
        assert!(input.validate().unwrap_err().contains("both"));
    }
}
