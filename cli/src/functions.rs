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
    /// The JSON schema of a successful result.
    pub output_schema: fn() -> Value,
    /// Calls the real handler with an event.
    pub invoke: fn(Value) -> BoxFuture<'static, Result<Value, FunctionError>>,
}

/// Every function that can run in-process.
pub fn registry() -> &'static [LocalFunction] {
    static FUNCTIONS: [LocalFunction; 2] = [
        LocalFunction {
            binary: "evaluate-model-metrics",
            output_schema: schema::<evaluate_model_metrics::output::EvaluateOutput>,
            invoke: |event| Box::pin(invoke_evaluate(event)),
        },
        LocalFunction {
            binary: "model-registry",
            output_schema: schema::<model_registry::output::RegistryOutput>,
            invoke: |event| Box::pin(invoke_model_registry(event)),
        },
    ];
    &FUNCTIONS
}

fn schema<T: schemars::JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(T)).unwrap_or(Value::Null)
}

/// A handler's result as Lambda reports it: the output, or the error's stable `errorType`.
fn reported<O: serde::Serialize, E: shared::ErrorType + std::fmt::Display>(
    result: Result<O, E>,
) -> Result<Value, FunctionError> {
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

/// The function whose binary is `binary`.
pub fn find(binary: &str) -> Option<&'static LocalFunction> {
    registry().iter().find(|f| f.binary == binary)
}

async fn invoke_evaluate(event: Value) -> Result<Value, FunctionError> {
    static DEPS: tokio::sync::OnceCell<evaluate_model_metrics::Deps> =
        tokio::sync::OnceCell::const_new();
    let deps = DEPS.get_or_init(local_deps).await;
    reported(evaluate_model_metrics::handle(deps, event).await)
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
    fn the_evaluate_schema_declares_mape_as_a_number() {
        let schema = (find("evaluate-model-metrics").unwrap().output_schema)();
        assert_eq!(schema["properties"]["mape"]["type"], "number");
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

    #[tokio::test]
    async fn a_bad_event_is_a_typed_error() {
        let f = find("evaluate-model-metrics").unwrap();
        let err = (f.invoke)(serde_json::json!({"nope": 1}))
            .await
            .unwrap_err();
        assert_eq!(err.error_type, "InvalidInput");
    }
}
