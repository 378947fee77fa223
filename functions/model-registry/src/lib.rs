//! `model-registry`: the retraining pipeline's steps on the SageMaker Model Registry, the
//! system of record for model versions. One package group per model (`<env>-<model>`); each
//! evaluated candidate becomes a version with its metrics, quality gate, lineage and approval
//! status; the version the endpoint serves is marked in its metadata, so the next candidate is
//! compared with what really serves. See [`request::RegistryRequest`] for the actions and
//! [`metadata`] for what is stored on a version.
#![forbid(unsafe_code)]

pub mod error;
pub mod metadata;
pub mod output;
pub mod registry;
pub mod request;
pub mod sdk_error;

use error::RegistryError;
use output::RegistryOutput;
use request::RegistryRequest;

/// The function's name: the `Service` metric dimension.
pub const SERVICE: &str = "model-registry";

/// What the handler needs, built once per cold start.
#[derive(Debug, Clone)]
pub struct Deps {
    /// The SageMaker client.
    pub sagemaker: aws_sdk_sagemaker::Client,
}

impl Deps {
    /// Clients from the standard AWS configuration (honours `AWS_ENDPOINT_URL`).
    pub async fn from_env() -> Self {
        let config = shared::aws::load_config().await;
        Self {
            sagemaker: aws_sdk_sagemaker::Client::new(&config),
        }
    }
}

/// The Lambda entry point: decodes the request and runs its action.
pub async fn handle(
    deps: &Deps,
    event: serde_json::Value,
) -> Result<RegistryOutput, RegistryError> {
    let request: RegistryRequest =
        serde_json::from_value(event).map_err(|e| RegistryError::InvalidInput(e.to_string()))?;
    request.validate().map_err(RegistryError::InvalidInput)?;
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let client = &deps.sagemaker;
    let output = match &request {
        RegistryRequest::Production(r) => RegistryOutput::Production(
            registry::production(client, &r.model_package_group_name).await?,
        ),
        RegistryRequest::Register(r) => {
            RegistryOutput::Registered(registry::register(client, r).await?)
        }
        RegistryRequest::Promote(r) => {
            RegistryOutput::Recorded(registry::promote(client, r, &now).await?)
        }
        RegistryRequest::Rollback(r) => {
            RegistryOutput::Recorded(registry::rollback(client, r, &now).await?)
        }
    };
    tracing::info!(action = ?std::mem::discriminant(&request), "registry step done");
    Ok(output)
}
