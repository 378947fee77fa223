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
    /// A client with no credentials and no network set-up (a local run without AWS): the
    /// catalogue action works, every SageMaker call fails at once with `RegistryUnavailable`.
    pub fn offline() -> Self {
        let config = aws_sdk_sagemaker::Config::builder()
            .behavior_version(aws_sdk_sagemaker::config::BehaviorVersion::latest())
            .region(aws_sdk_sagemaker::config::Region::new("us-east-1"))
            .build();
        Self {
            sagemaker: aws_sdk_sagemaker::Client::from_conf(config),
        }
    }

    /// Clients from the standard AWS configuration (honours `AWS_ENDPOINT_URL`).
    pub async fn from_env() -> Self {
        let config = shared::aws::load_config().await;
        Self {
            sagemaker: aws_sdk_sagemaker::Client::new(&config),
        }
    }
}

/// The catalogue entry of `model_name`, from the catalogue built into the function.
/// `overrides` (the execution input's `evaluation` object) replace the catalogue's fields one by
/// one; the result must be a valid evaluate-model-metrics request for the model's task (that
/// crate's own request type decides), so a bad override fails the run before it trains.
pub fn model_config(
    model_name: &str,
    overrides: Option<&serde_json::Value>,
) -> Result<output::ModelConfig, RegistryError> {
    static CATALOGUE: std::sync::OnceLock<Result<catalogue::Catalogue, String>> =
        std::sync::OnceLock::new();
    let catalogue = CATALOGUE
        .get_or_init(|| catalogue::Catalogue::embedded().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| RegistryError::RegistryRecordInvalid(e.clone()))?;
    let model = catalogue
        .model(model_name)
        .ok_or_else(|| RegistryError::ModelNotInCatalogue(model_name.to_string()))?;
    let evaluation = evaluation_request(model_name, model, overrides).map_err(|e| {
        RegistryError::InvalidInput(format!("the evaluation of {model_name} is invalid: {e}"))
    })?;
    Ok(output::ModelConfig {
        model_name: model_name.to_string(),
        task: model.task.clone(),
        evaluation,
        approval: match model.approval {
            catalogue::Approval::Auto => "auto".into(),
            catalogue::Approval::Manual => "manual".into(),
        },
        gate_metric: model.gate_metric().unwrap_or_default().to_string(),
        features_database: model.features.database.clone(),
        features_table: model.features.table.clone(),
        features_max_age_hours: model.features.max_age_hours,
        features_job: model.features.job.clone(),
        features_recheck_seconds: model.features.recheck_seconds,
        features_max_checks: model.features.max_checks,
        drift_categorical_features: model.drift_categorical_features(),
        deployment: (&model.deployment).into(),
    })
}

/// A catalogue model's evaluate-model-metrics request without the per-run fields, with
/// `overrides` (an object of request fields) applied one by one, checked by that function's own
/// request type (so a gate on a metric the task does not produce is refused here). `pipelines
/// validate` checks every catalogue entry through this too.
pub fn evaluation_request(
    model_name: &str,
    model: &catalogue::Model,
    overrides: Option<&serde_json::Value>,
) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    let mut evaluation = model.evaluation_request();
    match overrides {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::Object(fields)) => {
            if fields.contains_key("task") {
                return Err(format!(
                    "evaluation.task cannot be overridden: {model_name} is a {} model",
                    model.task
                ));
            }
            evaluation.extend(fields.clone());
        }
        Some(other) => {
            return Err(format!(
                "evaluation must be an object of evaluate-model-metrics request fields, got {other}"
            ))
        }
    }
    let mut check = evaluation.clone();
    check.insert("model_uri".into(), "s3://check/model.tar.gz".into());
    check.insert(
        "predictions_uri".into(),
        "s3://check/evaluation.jsonl.out".into(),
    );
    serde_json::from_value::<evaluate_model_metrics::input::EvaluateInput>(check.into())
        .map_err(|e| format!("not an evaluate-model-metrics request: {e}"))?
        .validate()?;
    Ok(evaluation)
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
        RegistryRequest::ModelConfig(r) => {
            let overrides = r.execution_input.as_ref().and_then(|i| i.get("evaluation"));
            RegistryOutput::ModelConfig(Box::new(model_config(&r.model_name, overrides)?))
        }
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
    tracing::info!(action = request.action(), "registry step done");
    Ok(output)
}
