//! The project's Lambda functions, callable in-process: each is known by the binary name the
//! SAM template's `BuildProperties.Binary` gives, with its handler and the JSON schema of its
//! output (derived from the Rust type, the one source of truth for what ASL may read from it).

use asl::BoxFuture;
use serde_json::Value;
use std::sync::OnceLock;

/// A failed invocation as Lambda reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionError {
    /// The stable `errorType`.
    pub error_type: String,
    /// The `errorMessage`.
    pub message: String,
}

/// One function of the workspace.
pub struct LocalFunction {
    /// The crate's binary name (e.g. `evaluate-model-metrics`).
    pub binary: &'static str,
    /// Every `errorType` its handler can fail with (its error enum's variants).
    pub errors: &'static [&'static str],
    /// The JSON schema of a successful result.
    pub output_schema: fn() -> Value,
    /// Calls the real handler with an event.
    pub invoke: fn(Value) -> BoxFuture<'static, Result<Value, FunctionError>>,
    /// What the function sends to a state waiting on a task token, when it completes one.
    pub callback: Option<Callback>,
}

/// A function's side of the callback pattern: it completes `.waitForTaskToken` states (those
/// its template resource names under `Metadata.Callbacks`).
pub struct Callback {
    /// The JSON schema of its `SendTaskSuccess` output.
    pub output_schema: fn() -> Value,
    /// The error names of its `SendTaskFailure` calls.
    pub errors: &'static [&'static str],
}

/// Every function that can run in-process.
pub fn registry() -> &'static [LocalFunction] {
    static FUNCTIONS: [LocalFunction; 8] = [
        LocalFunction {
            binary: "evaluate-model-metrics",
            errors:
                <evaluate_model_metrics::error::EvaluateError as shared::ErrorTypes>::ERROR_TYPES,
            output_schema: schema_of::<evaluate_model_metrics::output::EvaluateOutput>,
            invoke: |event| Box::pin(invoke_evaluate(event)),
            callback: None,
        },
        LocalFunction {
            binary: "model-registry",
            errors: <model_registry::error::RegistryError as shared::ErrorTypes>::ERROR_TYPES,
            output_schema: schema_of::<model_registry::output::RegistryOutput>,
            invoke: |event| Box::pin(invoke_model_registry(event)),
            callback: None,
        },
        LocalFunction {
            binary: "model-approval",
            errors: <model_approval::error::ApprovalError as shared::ErrorTypes>::ERROR_TYPES,
            output_schema: schema_of::<model_approval::ApprovalOutcome>,
            invoke: |event| Box::pin(invoke_model_approval(event)),
            callback: Some(Callback {
                output_schema: schema_of::<model_approval::ApprovalDecision>,
                errors: model_approval::CALLBACK_ERRORS,
            }),
        },
        LocalFunction {
            binary: "deployment-guard",
            errors: <deployment_guard::error::GuardError as shared::ErrorTypes>::ERROR_TYPES,
            output_schema: schema_of::<deployment_guard::GuardOutput>,
            invoke: |event| Box::pin(invoke_deployment_guard(event)),
            callback: None,
        },
        LocalFunction {
            binary: "cache-warmup",
            errors: <cache_warmup::error::CacheWarmupError as shared::ErrorTypes>::ERROR_TYPES,
            output_schema: schema_of::<cache_warmup::WarmupOutput>,
            invoke: |event| Box::pin(invoke_cache_warmup(event)),
            callback: None,
        },
        LocalFunction {
            binary: "feature-freshness",
            errors: <feature_freshness::error::FreshnessError as shared::ErrorTypes>::ERROR_TYPES,
            output_schema: schema_of::<feature_freshness::Freshness>,
            invoke: |event| Box::pin(invoke_feature_freshness(event)),
            callback: None,
        },
        LocalFunction {
            // The state machines call it in baseline mode only (the daily schedules call it
            // directly), so the baseline summary is the output they may read.
            binary: "drift-monitor",
            errors: <drift_monitor::error::DriftMonitorError as shared::ErrorTypes>::ERROR_TYPES,
            output_schema: schema_of::<drift_monitor::baseline::BaselineOutput>,
            invoke: |event| Box::pin(invoke_drift_monitor(event)),
            callback: None,
        },
        LocalFunction {
            binary: "data-quality",
            errors: <data_quality::error::DataQualityError as shared::ErrorTypes>::ERROR_TYPES,
            output_schema: schema_of::<data_quality::Summary>,
            invoke: |event| Box::pin(invoke_data_quality(event)),
            callback: None,
        },
    ];
    &FUNCTIONS
}

/// The JSON schema of `T`, the one source of truth for what ASL may read from a result.
fn schema_of<T: schemars::JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(T)).unwrap_or(Value::Null)
}

/// The function whose binary is `binary`.
pub fn find(binary: &str) -> Option<&'static LocalFunction> {
    registry().iter().find(|f| f.binary == binary)
}

/// A handler's result as Lambda reports it: the output as JSON, or the typed error's
/// `errorType` and message.
fn reported<T, E>(result: Result<T, E>) -> Result<Value, FunctionError>
where
    T: serde::Serialize,
    E: shared::ErrorType + std::fmt::Display,
{
    match result {
        Ok(output) => serde_json::to_value(output).map_err(|e| FunctionError {
            error_type: "Runtime.SerializationError".into(),
            message: e.to_string(),
        }),
        Err(error) => Err(FunctionError {
            error_type: error.error_type().to_string(),
            message: error.to_string(),
        }),
    }
}

/// The registry steps: `model_config` answers from the built-in catalogue; the others call
/// SageMaker, at `AWS_ENDPOINT_URL` when one is set, and otherwise fail fast (no credentials)
/// with the function's typed error: mock those states in the test case.
async fn invoke_model_registry(event: Value) -> Result<Value, FunctionError> {
    static DEPS: tokio::sync::OnceCell<model_registry::Deps> = tokio::sync::OnceCell::const_new();
    let deps = DEPS
        .get_or_init(|| async {
            if aws_configured() {
                model_registry::Deps::from_env().await
            } else {
                model_registry::Deps::offline()
            }
        })
        .await;
    reported(model_registry::handle(deps, event).await)
}

async fn invoke_evaluate(event: Value) -> Result<Value, FunctionError> {
    static DEPS: tokio::sync::OnceCell<evaluate_model_metrics::Deps> =
        tokio::sync::OnceCell::const_new();
    let deps = DEPS.get_or_init(local_deps).await;
    reported(evaluate_model_metrics::handle(deps, event).await)
}

/// cache-warmup writes to DynamoDB even for `file://` forecasts, and data-quality queries
/// Athena: both need an AWS endpoint (a local moto server or an account) and their settings in
/// the environment. Without one the step fails with `Configuration` at once, naming what to
/// set, instead of waiting on the EC2 metadata service; the state machines' test cases mock
/// these steps.
fn needs_aws(binary: &str, settings: &str) -> Result<(), FunctionError> {
    if aws_configured() {
        return Ok(());
    }
    Err(FunctionError {
        error_type: "Configuration".into(),
        message: format!(
            "{binary} needs an AWS endpoint: set AWS_ENDPOINT_URL (e.g. a moto server on 127.0.0.1) \
             and AWS_REGION, plus {settings}, or mock this step in the test case"
        ),
    })
}

/// The guard reads SageMaker and CloudWatch: it needs an AWS endpoint (the state machine's
/// test cases mock its step).
async fn invoke_deployment_guard(event: Value) -> Result<Value, FunctionError> {
    needs_aws("deployment-guard", "nothing else")?;
    static DEPS: tokio::sync::OnceCell<deployment_guard::Deps> = tokio::sync::OnceCell::const_new();
    let deps = DEPS.get_or_init(deployment_guard::Deps::from_env).await;
    reported(deployment_guard::handle(deps, event).await)
}

async fn invoke_model_approval(event: Value) -> Result<Value, FunctionError> {
    needs_aws("model-approval", "APPROVAL_TABLE_NAME")?;
    match model_approval::Deps::from_env().await {
        Ok(deps) => reported(model_approval::handle(&deps, event).await),
        Err(error) => reported::<(), _>(Err(error)),
    }
}

async fn invoke_cache_warmup(event: Value) -> Result<Value, FunctionError> {
    needs_aws("cache-warmup", "CACHE_TABLE_NAME")?;
    match cache_warmup::Deps::from_env().await {
        Ok(deps) => reported(cache_warmup::handle(&deps, event).await),
        Err(error) => reported::<(), _>(Err(error)),
    }
}

/// feature-freshness reads the Glue Data Catalog: it needs an AWS endpoint (a local moto
/// server or an account); the retraining test cases mock `CheckFeatures`.
async fn invoke_feature_freshness(event: Value) -> Result<Value, FunctionError> {
    needs_aws("feature-freshness", "nothing else")?;
    let deps = feature_freshness::Deps::from_env().await;
    reported(feature_freshness::handle(&deps, event).await)
}

/// drift-monitor's clients need an AWS configuration even for `file://` data; the retraining
/// test cases mock `WriteDriftBaseline` (its training sample is in S3).
async fn invoke_drift_monitor(event: Value) -> Result<Value, FunctionError> {
    needs_aws("drift-monitor", "EVENT_BUS_NAME")?;
    let deps = match drift_monitor::Deps::from_env().await {
        Ok(deps) => deps,
        Err(error) => return reported::<Value, _>(Err(error)),
    };
    reported(drift_monitor::handle(&deps, event).await)
}

async fn invoke_data_quality(event: Value) -> Result<Value, FunctionError> {
    needs_aws(
        "data-quality",
        "ATHENA_WORKGROUP, NOTIFICATIONS_TOPIC_ARN and CRITICAL_TOPIC_ARN",
    )?;
    // The handler's future is not `Send` (rustc cannot prove it for the closures over borrowed
    // rules it streams), so it runs on a current-thread runtime of its own.
    let run = move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| FunctionError {
                error_type: "Runtime.Unavailable".into(),
                message: format!("cannot start a runtime for data-quality: {e}"),
            })?;
        runtime.block_on(async {
            match data_quality::Deps::from_env().await {
                Ok(deps) => reported(data_quality::handle(&deps, event).await),
                Err(error) => reported::<(), _>(Err(error)),
            }
        })
    };
    tokio::task::spawn_blocking(run)
        .await
        .map_err(|e| FunctionError {
            error_type: "Runtime.ExitError".into(),
            message: format!("data-quality stopped: {e}"),
        })?
}

/// AWS clients only when a local AWS endpoint or a region is configured: a laptop without
/// either would otherwise wait on the EC2 metadata service while resolving a region.
async fn local_deps() -> evaluate_model_metrics::Deps {
    if aws_configured() {
        evaluate_model_metrics::Deps::from_env().await
    } else {
        evaluate_model_metrics::Deps::local()
    }
}

fn aws_configured() -> bool {
    static CONFIGURED: OnceLock<bool> = OnceLock::new();
    *CONFIGURED.get_or_init(|| {
        ["AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION"]
            .iter()
            .any(|v| std::env::var_os(v).is_some())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_evaluate_schema_declares_mape_as_a_nullable_number() {
        let schema = (find("evaluate-model-metrics").unwrap().output_schema)();
        assert_eq!(
            schema["properties"]["mape"]["type"],
            serde_json::json!(["number", "null"])
        );
    }

    #[test]
    fn the_registry_schema_declares_what_the_pipeline_reads() {
        let schema = (find("model-registry").unwrap().output_schema)().to_string();
        for field in [
            "has_production",
            "metrics",
            "model_package_arn",
            "approval_status",
        ] {
            assert!(schema.contains(field), "{field}");
        }
    }

    #[test]
    fn the_schemas_of_the_warm_up_and_the_quality_summary_declare_what_the_workflows_read() {
        let warmup = (find("cache-warmup").unwrap().output_schema)();
        assert_eq!(warmup["properties"]["items_written"]["type"], "integer");
        assert_eq!(warmup["properties"]["items_failed"]["type"], "integer");
        let summary = (find("data-quality").unwrap().output_schema)();
        for count in ["passed", "failed", "errors"] {
            assert_eq!(summary["properties"][count]["type"], "integer", "{count}");
        }
        assert!(summary["properties"].get("nope").is_none());
    }

    #[tokio::test]
    async fn a_bad_event_is_a_typed_error() {
        let f = find("evaluate-model-metrics").unwrap();
        let err = (f.invoke)(serde_json::json!({"nope": 1}))
            .await
            .unwrap_err();
        assert_eq!(err.error_type, "InvalidInput");
    }
}
