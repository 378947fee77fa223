//! `deployment-guard`: the guardrail step of the `model-deployment` state machine. It reads the
//! endpoint (`DescribeEndpoint`: status, production and shadow variants, weights), both
//! variants' CloudWatch metrics over the observation window ([`metrics`]) and decides
//! `promote`, `continue`, `rollback` or `wait` ([`decision`]); the output names the decision
//! and the numbers behind it. See [`GuardRequest`] for the input.
#![forbid(unsafe_code)]

pub mod decision;
pub mod endpoint;
pub mod error;
pub mod metrics;
pub mod stats;

use decision::{Decision, Guardrails, VariantStats, Verdict};
use endpoint::VariantRole;
use error::GuardError;
use serde::{Deserialize, Serialize};

/// The function's name: the `Service` metric dimension.
pub const SERVICE: &str = "deployment-guard";
/// The longest observation window (CloudWatch keeps 1-minute data for 15 days; a day is plenty).
pub const MAX_WINDOW_SECONDS: u64 = 86_400;

/// What the handler needs, built once per cold start.
#[derive(Debug, Clone)]
pub struct Deps {
    /// The SageMaker client (`DescribeEndpoint`).
    pub sagemaker: aws_sdk_sagemaker::Client,
    /// The CloudWatch client (`GetMetricData`).
    pub cloudwatch: aws_sdk_cloudwatch::Client,
}

impl Deps {
    /// Clients from one AWS configuration.
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            sagemaker: aws_sdk_sagemaker::Client::new(config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(config),
        }
    }

    /// Clients from the standard AWS configuration (honours `AWS_ENDPOINT_URL`).
    pub async fn from_env() -> Self {
        Self::new(&shared::aws::load_config().await)
    }
}

/// The guard's input: which endpoint and variants, the window, the guardrails.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GuardRequest {
    /// The SageMaker endpoint.
    pub endpoint_name: String,
    /// The serving model's production variant.
    pub champion_variant: String,
    /// The candidate's variant: a production variant (A/B) or a shadow variant.
    pub challenger_variant: String,
    /// The observation window's length in seconds, ending at `window_end` (60 to 86,400).
    pub window_seconds: u64,
    /// The window's end (RFC 3339); default: now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_end: Option<String>,
    /// Whether the challenger already has its final share: passing promotes instead of
    /// continuing. A shadow challenger always counts as the last step.
    #[serde(default)]
    pub last_step: bool,
    /// The limits.
    pub guardrails: Guardrails,
}

/// One variant in the output.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct VariantReport {
    /// `VariantName`.
    pub variant_name: String,
    /// Production or shadow.
    pub role: VariantRole,
    /// Its share of production traffic (0–1), `None` for a shadow variant.
    pub traffic_share: Option<f64>,
    /// The window's counts and latency.
    #[serde(flatten)]
    pub stats: VariantStats,
    /// (4xx + 5xx) / invocations, `None` without invocations.
    pub error_rate: Option<f64>,
}

/// The decision, the numbers behind it, and what was observed.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct GuardOutput {
    /// The decision, its reason and the derived numbers.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// The endpoint.
    pub endpoint_name: String,
    /// The endpoint configuration it serves.
    pub endpoint_config_name: String,
    /// The window's start (RFC 3339).
    pub window_start: String,
    /// The window's end (RFC 3339).
    pub window_end: String,
    /// The champion's numbers.
    pub champion: VariantReport,
    /// The challenger's numbers.
    pub challenger: VariantReport,
}

impl GuardRequest {
    /// Checks the fields' ranges.
    pub fn validate(&self) -> Result<(), String> {
        for (field, value) in [
            ("endpoint_name", &self.endpoint_name),
            ("champion_variant", &self.champion_variant),
            ("challenger_variant", &self.challenger_variant),
        ] {
            if value.trim().is_empty() {
                return Err(format!("{field} must not be empty"));
            }
        }
        if self.champion_variant == self.challenger_variant {
            return Err("champion_variant and challenger_variant must differ".into());
        }
        if !(60..=MAX_WINDOW_SECONDS).contains(&self.window_seconds) {
            return Err(format!(
                "window_seconds must be 60 to {MAX_WINDOW_SECONDS}, got {}",
                self.window_seconds
            ));
        }
        decision::validate(&self.guardrails)
    }

    /// The window as epoch seconds, ending at `window_end` or `now`.
    pub fn window(&self, now: chrono::DateTime<chrono::Utc>) -> Result<metrics::Window, String> {
        let end = match &self.window_end {
            Some(text) => chrono::DateTime::parse_from_rfc3339(text)
                .map_err(|e| format!("window_end {text:?} is not RFC 3339: {e}"))?
                .timestamp(),
            None => now.timestamp(),
        };
        let length = i64::try_from(self.window_seconds).map_err(|e| e.to_string())?;
        Ok(metrics::Window {
            start: end - length,
            end,
        })
    }
}

fn rfc3339(epoch: i64) -> String {
    chrono::DateTime::from_timestamp(epoch, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Observes and decides for `request` at `now`.
pub async fn guard(
    deps: &Deps,
    request: &GuardRequest,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<GuardOutput, GuardError> {
    request.validate().map_err(GuardError::InvalidInput)?;
    let window = request.window(now).map_err(GuardError::InvalidInput)?;
    let endpoint = endpoint::describe(&deps.sagemaker, &request.endpoint_name).await?;
    if endpoint.status != "InService" {
        return Err(GuardError::EndpointNotInService {
            endpoint: endpoint.endpoint_name,
            status: endpoint.status,
        });
    }
    let champion = endpoint.variant(&request.champion_variant)?.clone();
    let challenger = endpoint.variant(&request.challenger_variant)?.clone();
    let stats = metrics::variant_stats(
        &deps.cloudwatch,
        &endpoint.endpoint_name,
        &[&champion.variant_name, &challenger.variant_name],
        window,
    )
    .await?;
    let (champion_stats, challenger_stats) = match stats.as_slice() {
        [a, b] => (a.clone(), b.clone()),
        _ => (VariantStats::default(), VariantStats::default()),
    };
    let last_step = request.last_step || challenger.role == VariantRole::Shadow;
    let verdict = decision::decide(
        &champion_stats,
        &challenger_stats,
        &request.guardrails,
        last_step,
    );
    let report = |variant: &endpoint::Variant, stats: VariantStats| VariantReport {
        traffic_share: endpoint.traffic_share(&variant.variant_name),
        variant_name: variant.variant_name.clone(),
        role: variant.role,
        error_rate: stats.error_rate(),
        stats,
    };
    let output = GuardOutput {
        champion: report(&champion, champion_stats),
        challenger: report(&challenger, challenger_stats),
        verdict,
        endpoint_name: endpoint.endpoint_name.clone(),
        endpoint_config_name: endpoint.endpoint_config_name.clone(),
        window_start: rfc3339(window.start),
        window_end: rfc3339(window.end),
    };
    Ok(output)
}

/// The Lambda entry point: decodes the request, decides, logs the decision.
pub async fn handle(deps: &Deps, event: serde_json::Value) -> Result<GuardOutput, GuardError> {
    let request: GuardRequest =
        serde_json::from_value(event).map_err(|e| GuardError::InvalidInput(e.to_string()))?;
    let output = guard(deps, &request, chrono::Utc::now()).await?;
    let decision: &str = match output.verdict.decision {
        Decision::Promote => "promote",
        Decision::Continue => "continue",
        Decision::Rollback => "rollback",
        Decision::Wait => "wait",
    };
    tracing::info!(
        endpoint = %output.endpoint_name,
        decision,
        reason = %output.verdict.reason,
        "guard decided"
    );
    Ok(output)
}
