//! AWS prices for `pipelines cost` and the weekly platform report, as constants with the region and the date they were read,
//! overridable (any subset of the fields) by a JSON file.
//!
//! Read 2026-11-30 from the AWS pricing pages for us-east-1: Step Functions
//! (aws.amazon.com/step-functions/pricing), Lambda (aws.amazon.com/lambda/pricing), EventBridge
//! Scheduler (aws.amazon.com/eventbridge/pricing). Free tiers are monthly and per account.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// A prices file that could not be used.
#[derive(Debug, thiserror::Error, strum::IntoStaticStr)]
pub enum PricesError {
    /// The file could not be read.
    #[error("cannot read the prices file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a JSON object of known price fields.
    #[error(
        "the prices file {path} is not a JSON object of price fields ({message}); fields: {fields}"
    )]
    Invalid {
        /// The file.
        path: String,
        /// The parser's message.
        message: String,
        /// The fields it may set.
        fields: String,
    },
}

/// Unit prices in USD and monthly free tiers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    /// The region the prices are for.
    pub region: String,
    /// When they were read (YYYY-MM-DD).
    pub read_on: String,
    /// Step Functions Standard: per state transition ($0.025 per 1,000).
    pub standard_transition_usd: f64,
    /// Step Functions Standard: free state transitions per month.
    pub standard_free_transitions: f64,
    /// Step Functions Express: per request ($1.00 per 1M).
    pub express_request_usd: f64,
    /// Step Functions Express: per GB-second.
    pub express_gb_second_usd: f64,
    /// Step Functions Express: memory is billed in steps of this many MB.
    pub express_memory_step_mb: f64,
    /// Step Functions Express: duration is billed in steps of this many ms.
    pub express_duration_step_ms: f64,
    /// Lambda: per request ($0.20 per 1M).
    pub lambda_request_usd: f64,
    /// Lambda arm64: per GB-second.
    pub lambda_gb_second_arm64_usd: f64,
    /// Lambda x86_64: per GB-second.
    pub lambda_gb_second_x86_64_usd: f64,
    /// Lambda: free requests per month.
    pub lambda_free_requests: f64,
    /// Lambda: free GB-seconds per month.
    pub lambda_free_gb_seconds: f64,
    /// EventBridge Scheduler: per invocation ($1.00 per 1M).
    pub scheduler_invocation_usd: f64,
    /// EventBridge Scheduler: free invocations per month.
    pub scheduler_free_invocations: f64,
    /// The monthly budget the total is held against (the design's $200).
    pub budget_usd: f64,
}

impl Default for Prices {
    fn default() -> Self {
        Prices {
            region: "us-east-1".into(),
            read_on: "2026-11-30".into(),
            standard_transition_usd: 0.000025,
            standard_free_transitions: 4_000.0,
            express_request_usd: 0.000001,
            express_gb_second_usd: 0.00001667,
            express_memory_step_mb: 64.0,
            express_duration_step_ms: 100.0,
            lambda_request_usd: 0.0000002,
            lambda_gb_second_arm64_usd: 0.0000133334,
            lambda_gb_second_x86_64_usd: 0.0000166667,
            lambda_free_requests: 1_000_000.0,
            lambda_free_gb_seconds: 400_000.0,
            scheduler_invocation_usd: 0.000001,
            scheduler_free_invocations: 14_000_000.0,
            budget_usd: 200.0,
        }
    }
}

impl Prices {
    /// The defaults, with the fields `path` sets replaced.
    pub fn load(path: &Path) -> Result<Prices, PricesError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| PricesError::Read {
            path: shown.clone(),
            source,
        })?;
        Prices::with_overrides(&text).map_err(|message| PricesError::Invalid {
            path: shown,
            message,
            fields: Prices::field_names().join(", "),
        })
    }

    /// The defaults, with the fields of the JSON object `text` replaced.
    pub fn with_overrides(text: &str) -> Result<Prices, String> {
        let overrides: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let serde_json::Value::Object(overrides) = overrides else {
            return Err("not an object".into());
        };
        let mut merged = serde_json::to_value(Prices::default()).map_err(|e| e.to_string())?;
        for (key, value) in overrides {
            merged[key] = value;
        }
        serde_json::from_value(merged).map_err(|e| e.to_string())
    }

    fn field_names() -> Vec<String> {
        serde_json::to_value(Prices::default())
            .ok()
            .and_then(|v| v.as_object().map(|m| m.keys().cloned().collect()))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_overrides_only_the_fields_it_names_and_typos_are_refused() {
        let p = Prices::with_overrides(r#"{"budget_usd": 50, "region": "eu-west-1"}"#).unwrap();
        assert_eq!(p.budget_usd, 50.0);
        assert_eq!(p.region, "eu-west-1");
        assert_eq!(p.standard_transition_usd, 0.000025);
        assert!(Prices::with_overrides(r#"{"budget": 50}"#)
            .unwrap_err()
            .contains("unknown field"));
        assert!(Prices::with_overrides("[1]").is_err());
    }
}
