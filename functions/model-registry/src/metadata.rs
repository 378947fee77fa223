//! What the pipeline keeps on a model package version, in its `CustomerMetadataProperties`
//! (a string map: at most 50 entries, keys 1–128 and values 1–256 characters matching
//! `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`, per the SageMaker API reference of `CreateModelPackage`).
//! Pure code: encoding and decoding only.
//!
//! | key | value |
//! |---|---|
//! | `metric:<name>` | a metric of the evaluation, as its shortest decimal text |
//! | `gate:metric`, `gate:direction`, `gate:threshold`, `gate:passed` | the quality gate applied |
//! | `pipeline:model_name`, `pipeline:run_id`, `pipeline:execution_arn` | the run that produced it |
//! | `deployment:status` | `candidate`, `serving`, `superseded` or `rolled-back` |
//! | `deployment:endpoint`, `deployment:endpoint_config`, `deployment:at`, `deployment:execution_arn` | where and when it was deployed |
//! | `deployment:superseded_by`, `deployment:superseded_at` | the version that replaced it |
//! | `deployment:rolled_back_at` | when its deployment was rolled back |

use serde_json::{Map, Number, Value};
use std::collections::HashMap;

/// Most entries `CustomerMetadataProperties` may hold.
pub const MAX_ENTRIES: usize = 50;
/// Longest key.
pub const MAX_KEY_CHARS: usize = 128;
/// Longest value.
pub const MAX_VALUE_CHARS: usize = 256;
/// Prefix of metric entries.
pub const METRIC_PREFIX: &str = "metric:";
/// The deployment status entry.
pub const DEPLOYMENT_STATUS: &str = "deployment:status";

/// Where a version stands in deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeploymentStatus {
    /// Registered, never deployed.
    Candidate,
    /// The version the model's endpoint serves.
    Serving,
    /// Served once, replaced by a newer version.
    Superseded,
    /// Its deployment failed and the endpoint kept the previous version.
    RolledBack,
}

impl DeploymentStatus {
    /// The value stored under [`DEPLOYMENT_STATUS`].
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentStatus::Candidate => "candidate",
            DeploymentStatus::Serving => "serving",
            DeploymentStatus::Superseded => "superseded",
            DeploymentStatus::RolledBack => "rolled-back",
        }
    }
}

/// Makes `text` a valid metadata value: characters outside the allowed set become `_`,
/// and the text is cut to [`MAX_VALUE_CHARS`]. An empty text becomes `-` (values are 1+ chars).
pub fn sanitize(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(MAX_VALUE_CHARS)
        .collect();
    if cleaned.is_empty() {
        "-".into()
    } else {
        cleaned
    }
}

/// The metric entries for `metrics` (name → JSON number; nulls and non-numbers are skipped,
/// as a metric that is undefined for this data, e.g. R² of constant actuals). Names are
/// sanitised like values. Errors when the metrics alone would exceed `room` entries.
pub fn metric_entries(
    metrics: &Map<String, Value>,
    room: usize,
) -> Result<Vec<(String, String)>, String> {
    let entries: Vec<(String, String)> = metrics
        .iter()
        .filter_map(|(name, value)| {
            let number = value.as_f64().filter(|n| n.is_finite())?;
            let key: String = format!("{METRIC_PREFIX}{}", sanitize(name))
                .chars()
                .take(MAX_KEY_CHARS)
                .collect();
            Some((key, format_number(number)))
        })
        .collect();
    if entries.len() > room {
        return Err(format!(
            "{} metrics do not fit in the {room} metadata entries left (CustomerMetadataProperties holds {MAX_ENTRIES})",
            entries.len()
        ));
    }
    Ok(entries)
}

/// The shortest decimal text that reads back as `n`.
pub fn format_number(n: f64) -> String {
    format!("{n}")
}

/// The metrics stored on a version: every `metric:<name>` entry whose value parses as a finite
/// number, as a JSON object of numbers. Entries that do not parse are returned as errors.
pub fn read_metrics(properties: &HashMap<String, String>) -> (Map<String, Value>, Vec<String>) {
    let mut metrics = Map::new();
    let mut bad = Vec::new();
    let mut names: Vec<&String> = properties
        .keys()
        .filter(|k| k.starts_with(METRIC_PREFIX))
        .collect();
    names.sort();
    for key in names {
        let text = &properties[key];
        let name = &key[METRIC_PREFIX.len()..];
        match text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .and_then(Number::from_f64)
        {
            Some(n) => {
                metrics.insert(name.to_string(), Value::Number(n));
            }
            None => bad.push(format!("{key} = {text:?}")),
        }
    }
    (metrics, bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metrics_round_trip_through_metadata_entries() {
        let metrics = json!({"mape": 8.431, "r2": null, "rows": "x", "rmse": 12.0});
        let entries = metric_entries(metrics.as_object().unwrap(), 10).unwrap();
        assert_eq!(
            entries,
            [
                ("metric:mape".to_string(), "8.431".to_string()),
                ("metric:rmse".to_string(), "12".to_string())
            ]
        );
        let properties: HashMap<String, String> = entries.into_iter().collect();
        let (read, bad) = read_metrics(&properties);
        assert_eq!(Value::Object(read), json!({"mape": 8.431, "rmse": 12.0}));
        assert!(bad.is_empty());
    }

    #[test]
    fn unreadable_metric_entries_are_reported_not_dropped() {
        let properties = HashMap::from([
            ("metric:mape".to_string(), "n/a".to_string()),
            ("metric:wape".to_string(), "3.5".to_string()),
        ]);
        let (read, bad) = read_metrics(&properties);
        assert_eq!(Value::Object(read), json!({"wape": 3.5}));
        assert_eq!(bad, ["metric:mape = \"n/a\""]);
    }

    #[test]
    fn too_many_metrics_is_an_error_naming_the_limit() {
        let metrics: Map<String, Value> = (0..5).map(|i| (format!("m{i}"), json!(i))).collect();
        let err = metric_entries(&metrics, 4).unwrap_err();
        assert!(err.contains("5 metrics") && err.contains("50"), "{err}");
    }

    #[test]
    fn values_are_sanitised_to_the_allowed_characters_and_length() {
        assert_eq!(
            sanitize("timed out (after 3 days), see #42"),
            "timed out _after 3 days__ see _42"
        );
        assert_eq!(sanitize(""), "-");
        assert_eq!(sanitize(&"x".repeat(300)).len(), MAX_VALUE_CHARS);
        assert_eq!(
            sanitize("arn:aws:states:us-east-1:123456789012:execution:ml:run-1"),
            "arn:aws:states:us-east-1:123456789012:execution:ml:run-1"
        );
    }
}
