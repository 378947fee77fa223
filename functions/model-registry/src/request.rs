//! The requests the retraining state machine sends, one per `action`.

use serde::Deserialize;
use serde_json::{Map, Value};

/// One registry step.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum RegistryRequest {
    /// The model's entry of the model catalogue (`config/models.yaml`, built in).
    ModelConfig(ModelConfigRequest),
    /// Find the version the model's endpoint serves, with its metrics.
    Production(ProductionRequest),
    /// Register an evaluated candidate as a new version of the model's package group.
    Register(Box<RegisterRequest>),
    /// Record that a version now serves (and that the previous one no longer does).
    Promote(PromoteRequest),
    /// Record that a version's deployment was rolled back; it is marked `Rejected`.
    Rollback(RollbackRequest),
}

/// `{"action": "model_config", "model_name": ...}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfigRequest {
    /// The catalogue name of the model.
    pub model_name: String,
    /// The run's execution input: its `evaluation` object, when present, overrides the
    /// catalogue's fields and is checked here, before anything is trained.
    #[serde(default)]
    pub execution_input: Option<serde_json::Value>,
}

/// `{"action": "production", ...}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductionRequest {
    /// The model's package group (`<env>-<model>`).
    pub model_package_group_name: String,
}

/// `{"action": "register", ...}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// The model's package group.
    pub model_package_group_name: String,
    /// The catalogue name of the model.
    pub model_name: String,
    /// The run that trained it (also the SageMaker training job and model name).
    pub run_id: String,
    /// The Step Functions execution that trained and evaluated it.
    pub execution_arn: String,
    /// The serving container image (ECR URI).
    pub image: String,
    /// The model artefact (`s3://.../model.tar.gz`).
    pub model_data_url: String,
    /// The evaluation report (evaluate-model-metrics' output as JSON) on S3: attached as the
    /// version's model quality statistics.
    pub evaluation_report_uri: String,
    /// The evaluation's metrics, name → number (nulls are skipped).
    pub metrics: Map<String, Value>,
    /// The quality gate applied and its outcome.
    pub gate: GateRecord,
    /// `Approved`, `PendingManualApproval` or `Rejected`.
    pub approval_status: ApprovalStatus,
    /// Content types the model accepts and returns (default `application/jsonlines`).
    #[serde(default)]
    pub content_types: Option<Vec<String>>,
    /// Free text shown in Studio (at most 1,024 characters; longer is cut).
    #[serde(default)]
    pub description: Option<String>,
}

/// The gate as recorded on the version.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateRecord {
    /// The metric gated on, e.g. `mape`.
    pub metric: String,
    /// `lower_is_better` or `higher_is_better`.
    pub direction: String,
    /// The threshold.
    pub threshold: f64,
    /// Whether the candidate passed (threshold and, where required, production).
    pub passed: bool,
}

/// A model package's approval status, as SageMaker names it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema,
)]
pub enum ApprovalStatus {
    /// Deployable.
    Approved,
    /// Waits for a person.
    PendingManualApproval,
    /// Not to be deployed.
    Rejected,
}

impl ApprovalStatus {
    /// The SDK's value.
    pub fn sdk(self) -> aws_sdk_sagemaker::types::ModelApprovalStatus {
        use aws_sdk_sagemaker::types::ModelApprovalStatus as S;
        match self {
            ApprovalStatus::Approved => S::Approved,
            ApprovalStatus::PendingManualApproval => S::PendingManualApproval,
            ApprovalStatus::Rejected => S::Rejected,
        }
    }
}

/// `{"action": "promote", ...}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromoteRequest {
    /// The version that now serves.
    pub model_package_arn: String,
    /// The endpoint serving it.
    pub endpoint_name: String,
    /// The endpoint configuration serving it.
    pub endpoint_config_name: String,
    /// The execution that deployed it.
    pub execution_arn: String,
    /// The version that served before, if any (marked `superseded`).
    #[serde(default)]
    pub previous_model_package_arn: Option<String>,
}

/// `{"action": "rollback", ...}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollbackRequest {
    /// The version whose deployment was rolled back.
    pub model_package_arn: String,
    /// Why (kept as the version's approval description).
    pub reason: String,
    /// The execution that tried to deploy it.
    pub execution_arn: String,
}

impl RegistryRequest {
    /// The `action` value, for logs.
    pub fn action(&self) -> &'static str {
        match self {
            RegistryRequest::ModelConfig(_) => "model_config",
            RegistryRequest::Production(_) => "production",
            RegistryRequest::Register(_) => "register",
            RegistryRequest::Promote(_) => "promote",
            RegistryRequest::Rollback(_) => "rollback",
        }
    }

    /// Checks what serde cannot: non-empty names and ARNs of the right kind.
    pub fn validate(&self) -> Result<(), String> {
        let non_empty = |field: &str, value: &str| {
            if value.trim().is_empty() {
                Err(format!("{field} is empty"))
            } else {
                Ok(())
            }
        };
        let package_arn = |field: &str, value: &str| {
            if value.contains(":model-package/") {
                Ok(())
            } else {
                Err(format!(
                    "{field} {value:?} is not a model package ARN (arn:aws:sagemaker:REGION:ACCOUNT:model-package/GROUP/VERSION)"
                ))
            }
        };
        match self {
            RegistryRequest::ModelConfig(r) => non_empty("model_name", &r.model_name),
            RegistryRequest::Production(r) => {
                non_empty("model_package_group_name", &r.model_package_group_name)
            }
            RegistryRequest::Register(r) => {
                non_empty("model_package_group_name", &r.model_package_group_name)?;
                non_empty("model_name", &r.model_name)?;
                non_empty("run_id", &r.run_id)?;
                non_empty("image", &r.image)?;
                for (field, uri) in [
                    ("model_data_url", &r.model_data_url),
                    ("evaluation_report_uri", &r.evaluation_report_uri),
                ] {
                    if !uri.starts_with("s3://") {
                        return Err(format!("{field} {uri:?} is not an s3:// URI"));
                    }
                }
                if !r.gate.threshold.is_finite() {
                    return Err("gate.threshold is not a finite number".into());
                }
                Ok(())
            }
            RegistryRequest::Promote(r) => {
                package_arn("model_package_arn", &r.model_package_arn)?;
                non_empty("endpoint_name", &r.endpoint_name)?;
                non_empty("endpoint_config_name", &r.endpoint_config_name)?;
                match &r.previous_model_package_arn {
                    Some(previous) => package_arn("previous_model_package_arn", previous),
                    None => Ok(()),
                }
            }
            RegistryRequest::Rollback(r) => {
                package_arn("model_package_arn", &r.model_package_arn)?;
                non_empty("reason", &r.reason)
            }
        }
    }
}
