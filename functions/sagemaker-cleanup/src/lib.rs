//! `sagemaker-cleanup`: deletes the SageMaker models and endpoint configurations the retraining
//! pipeline created and nothing needs any more (see [`plan`] for the rules), weekly. `dry_run`
//! lists what would go without deleting.
#![forbid(unsafe_code)]

pub mod error;
pub mod inventory;
pub mod plan;

use error::{sagemaker, CleanupError};
use plan::{Doomed, Kept, Kind};
use serde::{Deserialize, Serialize};
use shared::clock::{Clock, SystemClock};
use shared::metrics::{MetricsLogger, Unit};
use std::sync::Arc;

/// The function's name: the `Service` metric dimension.
pub const SERVICE: &str = "sagemaker-cleanup";
/// Default retention: resources younger than this many days stay.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;

/// What the handler needs, built once per cold start.
#[derive(Debug, Clone)]
pub struct Deps {
    /// The SageMaker client.
    pub sagemaker: aws_sdk_sagemaker::Client,
    /// The stack's `EnvironmentName`: only resources tagged `environment = <this>` are touched.
    pub environment: String,
    /// The time source (tests move it).
    pub clock: Arc<dyn Clock>,
}

impl Deps {
    /// Clients from the standard AWS configuration (honours `AWS_ENDPOINT_URL`) and the
    /// environment from `ENVIRONMENT_NAME`.
    pub async fn from_env() -> Result<Self, CleanupError> {
        let environment = std::env::var("ENVIRONMENT_NAME")
            .ok()
            .filter(|e| !e.is_empty())
            .ok_or_else(|| CleanupError::Configuration("ENVIRONMENT_NAME is not set".into()))?;
        let config = shared::aws::load_config().await;
        Ok(Self {
            sagemaker: aws_sdk_sagemaker::Client::new(&config),
            environment,
            clock: Arc::new(SystemClock),
        })
    }
}

/// The input (the schedule's `Input`); both fields optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CleanupInput {
    /// Resources younger than this many days stay (default 30, at least 1).
    #[serde(default)]
    pub retention_days: Option<u32>,
    /// List only, delete nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CleanupOutput {
    /// Whether it only listed.
    pub dry_run: bool,
    /// The environment it looked at.
    pub environment: String,
    /// The retention applied, in days.
    pub retention_days: u32,
    /// Resources created before this instant (RFC 3339) were old enough to go.
    pub cutoff: String,
    /// What stays, with the reason.
    pub kept: Vec<Kept>,
    /// What was selected for deletion (in a dry run: what would go).
    pub to_delete: Vec<Doomed>,
    /// What was deleted (empty in a dry run).
    pub deleted: Vec<Doomed>,
}

/// The Lambda entry point: reads, decides, deletes (unless `dry_run`), reports.
/// Deletion failures do not stop the others; the run then fails with `DeletionsFailed`.
pub async fn handle(deps: &Deps, event: serde_json::Value) -> Result<CleanupOutput, CleanupError> {
    let input: CleanupInput = match event {
        serde_json::Value::Null => CleanupInput::default(),
        event => {
            serde_json::from_value(event).map_err(|e| CleanupError::InvalidInput(e.to_string()))?
        }
    };
    let retention_days = input.retention_days.unwrap_or(DEFAULT_RETENTION_DAYS);
    if retention_days == 0 {
        return Err(CleanupError::InvalidInput(
            "retention_days must be at least 1 (0 would delete what a running pipeline just created)".into(),
        ));
    }
    let now = deps.clock.now();
    let cutoff = now - chrono::Duration::days(i64::from(retention_days));
    let client = &deps.sagemaker;
    let (resources, protection) = inventory::read(client, &deps.environment).await?;
    let plan = plan::plan(&resources, &protection, &deps.environment, cutoff, now);
    let mut deleted = Vec::new();
    let mut failures = Vec::new();
    if !input.dry_run {
        for doomed in &plan.to_delete {
            match delete(client, doomed).await {
                Ok(()) => deleted.push(doomed.clone()),
                Err(error) => {
                    tracing::error!(kind = ?doomed.kind, name = %doomed.name, %error, "deletion failed");
                    failures.push(error.to_string());
                }
            }
        }
    }
    let mut metrics = MetricsLogger::new(SERVICE);
    metrics.put("ResourcesKept", plan.kept.len() as f64, Unit::Count);
    metrics.put("ResourcesDeleted", deleted.len() as f64, Unit::Count);
    metrics.put("DeletionsFailed", failures.len() as f64, Unit::Count);
    metrics.flush();
    let output = CleanupOutput {
        dry_run: input.dry_run,
        environment: deps.environment.clone(),
        retention_days,
        cutoff: cutoff.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        kept: plan.kept,
        to_delete: plan.to_delete,
        deleted,
    };
    tracing::info!(report = %serde_json::to_string(&output).unwrap_or_default(), "clean-up done");
    match failures.first() {
        Some(first) => Err(CleanupError::DeletionsFailed {
            failed: failures.len(),
            attempted: output.to_delete.len(),
            first: first.clone(),
        }),
        None => Ok(output),
    }
}

/// Deletes one resource; one that is already gone counts as deleted.
async fn delete(client: &aws_sdk_sagemaker::Client, doomed: &Doomed) -> Result<(), CleanupError> {
    let failure = match doomed.kind {
        Kind::EndpointConfig => client
            .delete_endpoint_config()
            .endpoint_config_name(&doomed.name)
            .send()
            .await
            .err()
            .and_then(|e| sagemaker("DeleteEndpointConfig", &e)),
        Kind::Model => client
            .delete_model()
            .model_name(&doomed.name)
            .send()
            .await
            .err()
            .and_then(|e| sagemaker("DeleteModel", &e)),
    };
    failure.map_or(Ok(()), Err)
}
