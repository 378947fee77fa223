//! What each action returns. The retraining state machine reads these field names
//! (`$.Payload.has_production`, `$.Payload.metrics`, `$.Payload.model_package_arn`): they are API.

use crate::request::ApprovalStatus;
use serde::Serialize;
use serde_json::{Map, Value};

/// The result of any action.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum RegistryOutput {
    /// `model_config`.
    ModelConfig(Box<ModelConfig>),
    /// `production`.
    Production(ProductionModel),
    /// `register`.
    Registered(RegisteredPackage),
    /// `promote` and `rollback`.
    Recorded(RecordedDeployment),
}

/// A model's catalogue entry, as the pipeline uses it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ModelConfig {
    /// The model.
    pub model_name: String,
    /// `regression`, `multiclass` or `binary`.
    pub task: String,
    /// evaluate-model-metrics' request for this model without the per-run fields
    /// (`task`, columns, classes, `gate`, ...).
    pub evaluation: Map<String, Value>,
    /// `auto` or `manual`.
    pub approval: String,
    /// The gate's metric, for messages.
    pub gate_metric: String,
    /// The feature table's Glue database.
    pub features_database: String,
    /// The feature table.
    pub features_table: String,
    /// How old the newest feature partition may be, in hours.
    pub features_max_age_hours: f64,
    /// The Glue job that fills the feature table.
    pub features_job: String,
    /// Seconds to wait before checking stale features again.
    pub features_recheck_seconds: u32,
    /// Feature checks in all before the run fails with `FeaturesStale`.
    pub features_max_checks: u32,
    /// The features the drift baseline profiles as categories (always present, maybe empty:
    /// the pipeline passes it to drift-monitor's `categorical_features`).
    pub drift_categorical_features: Vec<String>,
    /// How model-deployment validates a candidate on live traffic (the catalogue's
    /// `deployment` section, as the state machine reads it).
    pub deployment: DeploymentPlan,
}

/// The catalogue's `deployment` section as model-deployment reads it (`$.config.deployment`).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct DeploymentPlan {
    /// `ab` or `shadow`.
    pub mode: String,
    /// The challenger's traffic shares in percent, in order (A/B).
    pub shares: Vec<u32>,
    /// The champion's weight beside each share (`100 - share`).
    pub champion_weights: Vec<u32>,
    /// The index of the last share: passing it promotes the challenger to 100 %.
    pub last_step_index: usize,
    /// The observation window after each change, in seconds.
    pub window_seconds: u64,
    /// Extra windows the guard may ask for before the candidate is rolled back.
    pub max_waits: u32,
    /// The deployment-guard's guardrails (its `Guardrails` type).
    pub guardrails: serde_json::Map<String, serde_json::Value>,
}

impl From<&catalogue::Deployment> for DeploymentPlan {
    fn from(d: &catalogue::Deployment) -> Self {
        let shares = d.shares();
        Self {
            mode: match d.mode {
                catalogue::DeploymentMode::Ab => "ab".into(),
                catalogue::DeploymentMode::Shadow => "shadow".into(),
            },
            champion_weights: d.champion_weights(),
            last_step_index: shares.len().saturating_sub(1),
            shares,
            window_seconds: d.window_seconds,
            max_waits: d.max_waits,
            guardrails: d.guardrails.clone(),
        }
    }
}

/// The version the model's endpoint serves, or none.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ProductionModel {
    /// The package group searched.
    pub model_package_group_name: String,
    /// False when no approved version is marked serving (the model was never deployed).
    pub has_production: bool,
    /// The serving version's ARN.
    pub model_package_arn: Option<String>,
    /// Its version number in the group.
    pub model_package_version: Option<i64>,
    /// Its metrics, name → number; null without a serving version.
    pub metrics: Option<Map<String, Value>>,
    /// The run that produced it.
    pub run_id: Option<String>,
    /// The endpoint it was deployed to.
    pub endpoint_name: Option<String>,
    /// Approved versions looked at before finding it.
    pub versions_scanned: u32,
}

/// A new version.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct RegisteredPackage {
    /// Its ARN (`arn:aws:sagemaker:REGION:ACCOUNT:model-package/GROUP/VERSION`).
    pub model_package_arn: String,
    /// Its version number (the ARN's last part).
    pub model_package_version: Option<i64>,
    /// The status it was registered with.
    pub approval_status: ApprovalStatus,
}

/// A recorded promotion or rollback.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct RecordedDeployment {
    /// The version recorded.
    pub model_package_arn: String,
    /// Its deployment status now: `serving` or `rolled-back`.
    pub deployment_status: String,
    /// The version marked `superseded`, when there was one.
    pub superseded_model_package_arn: Option<String>,
    /// When it was recorded (RFC 3339, UTC).
    pub recorded_at: String,
}

/// The version number at the end of a model package ARN.
pub fn version_of(arn: &str) -> Option<i64> {
    arn.rsplit('/').next()?.parse().ok()
}
