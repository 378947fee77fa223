//! The evaluation request, as the retraining state machine sends it.

use crate::classes::MULTICLASS_METRICS;
use crate::scores::BINARY_METRICS;
use crate::stats::REGRESSION_METRICS;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use shared::storage::Compression;
use std::collections::BTreeMap;

/// Default number of worst segments reported.
pub const DEFAULT_WORST_SEGMENTS: usize = 10;
/// Most worst segments a request may ask for (keeps the result far below Step Functions' 256 KiB).
pub const MAX_WORST_SEGMENTS: usize = 100;

pub use shared::storage::Format;

/// What kind of model is evaluated.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// Numeric predictions (forecasts): MAPE, WAPE, sMAPE, MAE, RMSE, bias, R².
    #[default]
    Regression,
    /// One label out of the declared `classes`, optionally with class probabilities.
    Multiclass,
    /// A score in [0, 1] for the positive label.
    Binary,
}

pub use shared::direction::Direction;

/// The quality gate a candidate must pass to be deployed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Gate {
    /// The metric, by its name in the result's `metrics`.
    pub metric: String,
    /// Which way is better.
    pub direction: Direction,
    /// The value the candidate must reach (inclusive).
    pub threshold: f64,
    /// Whether the candidate must also be strictly better than production (default true).
    #[serde(default = "default_true")]
    pub must_beat_production: bool,
}

fn default_true() -> bool {
    true
}

/// Default decision threshold of a binary score.
pub const DEFAULT_THRESHOLD: f64 = 0.5;
/// Default positive label of a binary task.
pub const DEFAULT_POSITIVE_LABEL: &str = "1";

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
    /// What kind of model: `regression` (the default), `multiclass` or `binary`.
    #[serde(default)]
    pub task: Task,
    /// The column holding the actual (observed) value, or the actual label.
    pub actual_column: String,
    /// The column holding the model's prediction: required for regression; for multiclass the
    /// predicted label, optional when `probability_columns` are given (the most probable
    /// class is then the prediction); unused for binary.
    #[serde(default)]
    pub predicted_column: Option<String>,
    /// Multiclass: the declared class labels. Labels in the data are compared by their text
    /// (a number `3` is the class `"3"`).
    #[serde(default)]
    pub classes: Option<Vec<String>>,
    /// Multiclass: class → the column holding its probability, for every declared class.
    #[serde(default)]
    pub probability_columns: Option<BTreeMap<String, String>>,
    /// Multiclass with probabilities: report `top_k_accuracy` for this k.
    #[serde(default)]
    pub top_k: Option<usize>,
    /// Binary: the column holding the score in [0, 1] of the positive label.
    #[serde(default)]
    pub score_column: Option<String>,
    /// Binary: the positive label (default `"1"`; with `"1"`/`"true"`, labels must be
    /// 1/0/true/false in any case, numbers like `1.0` included).
    #[serde(default)]
    pub positive_label: Option<String>,
    /// Binary: rows with `score ≥ threshold` are predicted positive (default 0.5).
    #[serde(default)]
    pub threshold: Option<f64>,
    /// The quality gate; without one, `beats_production` compares MAPE.
    #[serde(default)]
    pub gate: Option<Gate>,
    /// Columns whose values together name a segment (e.g. `store_id`).
    #[serde(default)]
    pub segment_columns: Vec<String>,
    /// The current production model's metrics, to compare against.
    #[serde(default)]
    pub production_metrics: Option<ProductionMetrics>,
    /// How many of the worst segments to report.
    #[serde(default)]
    pub worst_segments: Option<usize>,
}

/// Metrics of the model in production: metric name → value. JSON numbers or numeric strings
/// (DynamoDB `N` values arrive as strings through the Step Functions integration); `null`
/// values count as absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct ProductionMetrics(pub BTreeMap<String, f64>);

impl ProductionMetrics {
    /// Production's value of `metric`, if it has one.
    pub fn get(&self, metric: &str) -> Option<f64> {
        self.0.get(metric).copied()
    }
}

impl<'de> Deserialize<'de> for ProductionMetrics {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = BTreeMap::<String, Value>::deserialize(deserializer)?;
        let mut metrics = BTreeMap::new();
        for (name, value) in raw {
            if value.is_null() {
                continue;
            }
            let number = number_or_numeric_string(value).map_err(|e| {
                serde::de::Error::custom(format!("production metric {name:?}: {e}"))
            })?;
            metrics.insert(name, number);
        }
        Ok(Self(metrics))
    }
}

fn number_or_numeric_string(value: Value) -> Result<f64, String> {
    let number = match &value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    number
        .filter(|n| n.is_finite())
        .ok_or_else(|| format!("expected a number, found {value}"))
}

impl EvaluateInput {
    /// Checks what serde cannot: non-empty and distinct column names, each task's required
    /// fields, bounds, and that the gate names a metric the task produces.
    pub fn validate(&self) -> Result<(), String> {
        if self.model_uri.trim().is_empty() {
            return Err("model_uri is empty".into());
        }
        self.validate_task()?;
        let mut used: Vec<(&str, &str)> = vec![("actual_column", &self.actual_column)];
        used.extend(
            self.predicted_column
                .as_deref()
                .map(|c| ("predicted_column", c)),
        );
        used.extend(self.score_column.as_deref().map(|c| ("score_column", c)));
        for (field, column) in self.probability_columns.iter().flatten() {
            used.push((field, column));
        }
        for (field, value) in &used {
            if value.is_empty() {
                return Err(format!("{field} is empty"));
            }
        }
        for (i, (field, value)) in used.iter().enumerate() {
            if let Some((other, _)) = used[..i].iter().find(|(_, v)| v == value) {
                return Err(format!("{other} and {field} are both {value:?}"));
            }
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
        if let Some(gate) = &self.gate {
            let produced = self.produced_metrics();
            if !produced.contains(&gate.metric.as_str()) {
                return Err(format!(
                    "the gate's metric {:?} is not produced by this {} evaluation; it produces: {}",
                    gate.metric,
                    self.task_name(),
                    produced.join(", ")
                ));
            }
            if !gate.threshold.is_finite() {
                return Err("the gate's threshold is not a finite number".into());
            }
        }
        Ok(())
    }

    fn task_name(&self) -> &'static str {
        match self.task {
            Task::Regression => "regression",
            Task::Multiclass => "multiclass",
            Task::Binary => "binary",
        }
    }

    /// The fields each task requires, and those it does not use.
    fn validate_task(&self) -> Result<(), String> {
        let task = self.task_name();
        let unused = |present: bool, field: &str| {
            if present {
                Err(format!("{field} is not used by a {task} evaluation"))
            } else {
                Ok(())
            }
        };
        match self.task {
            Task::Regression => {
                if self.predicted_column.is_none() {
                    return Err("predicted_column is required for a regression evaluation".into());
                }
                unused(self.classes.is_some(), "classes")?;
                unused(self.probability_columns.is_some(), "probability_columns")?;
                unused(self.top_k.is_some(), "top_k")?;
                unused(self.score_column.is_some(), "score_column")?;
                unused(self.positive_label.is_some(), "positive_label")?;
                unused(self.threshold.is_some(), "threshold")?;
            }
            Task::Multiclass => {
                let classes = self.classes.as_deref().unwrap_or_default();
                if classes.is_empty() {
                    return Err("classes (the declared class labels) are required for a multiclass evaluation".into());
                }
                for (i, class) in classes.iter().enumerate() {
                    if classes[..i].contains(class) {
                        return Err(format!("classes holds {class:?} twice"));
                    }
                }
                match &self.probability_columns {
                    Some(columns) => {
                        let missing: Vec<&str> = classes
                            .iter()
                            .filter(|c| !columns.contains_key(*c))
                            .map(String::as_str)
                            .collect();
                        if !missing.is_empty() {
                            return Err(format!(
                                "probability_columns has no column for the classes {}",
                                missing.join(", ")
                            ));
                        }
                        if let Some(extra) = columns.keys().find(|c| !classes.contains(c)) {
                            return Err(format!(
                                "probability_columns names {extra:?}, which is not among the classes"
                            ));
                        }
                    }
                    None if self.predicted_column.is_none() => {
                        return Err(
                            "a multiclass evaluation needs predicted_column or probability_columns"
                                .into(),
                        )
                    }
                    None => {}
                }
                match self.top_k {
                    Some(k) if self.probability_columns.is_none() => {
                        return Err(format!("top_k ({k}) needs probability_columns"))
                    }
                    Some(0) => return Err("top_k must be at least 1".into()),
                    _ => {}
                }
                unused(self.score_column.is_some(), "score_column")?;
                unused(self.positive_label.is_some(), "positive_label")?;
                unused(self.threshold.is_some(), "threshold")?;
            }
            Task::Binary => {
                if self.score_column.is_none() {
                    return Err("score_column is required for a binary evaluation".into());
                }
                if self
                    .positive_label
                    .as_deref()
                    .is_some_and(|l| l.trim().is_empty())
                {
                    return Err("positive_label is empty".into());
                }
                if let Some(t) = self.threshold {
                    if !(0.0..=1.0).contains(&t) {
                        return Err(format!("threshold is {t}, outside [0, 1]"));
                    }
                }
                unused(self.predicted_column.is_some(), "predicted_column")?;
                unused(self.classes.is_some(), "classes")?;
                unused(self.probability_columns.is_some(), "probability_columns")?;
                unused(self.top_k.is_some(), "top_k")?;
            }
        }
        Ok(())
    }

    /// The scalar metrics this request's evaluation produces, by name.
    pub fn produced_metrics(&self) -> Vec<&'static str> {
        match self.task {
            Task::Regression => REGRESSION_METRICS.to_vec(),
            Task::Binary => BINARY_METRICS.to_vec(),
            Task::Multiclass => MULTICLASS_METRICS
                .iter()
                .copied()
                .filter(|&m| match m {
                    "log_loss" => self.probability_columns.is_some(),
                    "top_k_accuracy" => self.top_k.is_some(),
                    _ => true,
                })
                .collect(),
        }
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
            serde_json::from_value(json!({"mape": "14.5", "wape": 9, "r2": null})).unwrap();
        assert_eq!(p.get("mape"), Some(14.5));
        assert_eq!(p.get("wape"), Some(9.0));
        assert_eq!(p.get("r2"), None);
        assert!(serde_json::from_value::<ProductionMetrics>(json!({}))
            .unwrap()
            .0
            .is_empty());
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

    fn input(extra: Value) -> EvaluateInput {
        let mut event = json!({
            "model_uri": "s3://b/m", "predictions_uri": "s3://b/p.csv", "actual_column": "y"
        });
        if let (Some(event), Some(extra)) = (event.as_object_mut(), extra.as_object()) {
            event.extend(extra.clone());
        }
        serde_json::from_value(event).unwrap()
    }

    #[test]
    fn each_task_names_what_it_lacks() {
        let cases = [
            (json!({}), "predicted_column is required"),
            (
                json!({"task": "multiclass", "predicted_column": "p"}),
                "classes",
            ),
            (
                json!({"task": "multiclass", "classes": ["a"]}),
                "needs predicted_column or probability_columns",
            ),
            (
                json!({"task": "multiclass", "classes": ["a", "b"], "probability_columns": {"a": "pa"}}),
                "no column for the classes b",
            ),
            (
                json!({"task": "multiclass", "classes": ["a"], "predicted_column": "p", "top_k": 2}),
                "needs probability_columns",
            ),
            (json!({"task": "binary"}), "score_column is required"),
            (
                json!({"task": "binary", "score_column": "s", "threshold": 1.5}),
                "outside [0, 1]",
            ),
            (json!({"task": "binary", "score_column": "y"}), "both \"y\""),
        ];
        for (extra, expected) in cases {
            let err = input(extra.clone()).validate().unwrap_err();
            assert!(err.contains(expected), "{extra}: {err}");
        }
    }

    #[test]
    fn a_gate_on_a_metric_the_task_does_not_produce_names_the_ones_it_does() {
        let gate = json!({"metric": "roc_auc", "direction": "higher_is_better", "threshold": 0.8});
        let err = input(
            json!({"task": "multiclass", "classes": ["a"], "predicted_column": "p", "gate": gate}),
        )
        .validate()
        .unwrap_err();
        assert!(
            err.contains("\"roc_auc\"") && err.contains("accuracy, macro_f1"),
            "{err}"
        );
        assert!(!err.contains("log_loss"), "{err}");
        let ok = input(json!({"task": "binary", "score_column": "s", "gate": gate}));
        assert_eq!(ok.validate(), Ok(()));
        assert_eq!(ok.gate.map(|g| g.must_beat_production), Some(true));
    }
}
