//! Task dispatch for local runs. Mocked states (Step Functions Local mock configuration) are
//! answered first; what the test case does not mock falls through to [`LocalDispatcher`]: a
//! `lambda:invoke` (or bare Lambda ARN) of a project function runs its real handler in-process
//! (or, with `--lambda-endpoint`, over HTTP); anything else fails with a message naming the
//! state and the resource.

use crate::functions::{FunctionError, LocalFunction};
use asl::{BoxFuture, Resource, TaskError, TaskHandler, TaskRequest};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Where Lambda steps go.
#[derive(Debug, Clone)]
pub enum LambdaTarget {
    /// The handlers, in this process.
    InProcess,
    /// A Lambda-Invoke-compatible endpoint (e.g. `cargo lambda watch`), by base URL.
    Endpoint(String),
}

/// Resolves function names and ARNs to the project's functions.
pub struct LocalDispatcher {
    /// Function name or ARN (as the template resolves them) → the local function.
    functions: HashMap<String, &'static LocalFunction>,
    target: LambdaTarget,
    http: Option<reqwest::Client>,
}

impl LocalDispatcher {
    /// A dispatcher for `functions` (name or ARN → function).
    pub fn new(functions: HashMap<String, &'static LocalFunction>, target: LambdaTarget) -> Self {
        let http = matches!(target, LambdaTarget::Endpoint(_)).then(reqwest::Client::new);
        Self {
            functions,
            target,
            http,
        }
    }

    fn lookup(&self, name: &str) -> Option<&'static LocalFunction> {
        if let Some(f) = self.functions.get(name) {
            return Some(f);
        }
        // A qualified ARN or name (`...:function:NAME:alias`) resolves to the unqualified one.
        let unqualified = match name.split(':').collect::<Vec<_>>().as_slice() {
            ["arn", _, "lambda", _, _, "function", function, ..] => (*function).to_string(),
            [function, _qualifier] => (*function).to_string(),
            _ => name.to_string(),
        };
        self.functions
            .iter()
            .find(|(key, _)| {
                key.as_str() == unqualified || key.rsplit(':').next() == Some(unqualified.as_str())
            })
            .map(|(_, f)| *f)
    }

    async fn invoke(
        &self,
        function: &'static LocalFunction,
        payload: Value,
    ) -> Result<Value, FunctionError> {
        match (&self.target, &self.http) {
            (LambdaTarget::Endpoint(base), Some(http)) => {
                invoke_http(http, base, function.binary, payload).await
            }
            _ => (function.invoke)(payload).await,
        }
    }
}

/// What Step Functions reports for a failed Lambda invocation: the `errorType` as the error and
/// the Lambda error document as the cause.
fn task_error(error: FunctionError) -> TaskError {
    let cause = json!({"errorMessage": error.message, "errorType": error.error_type});
    TaskError::new(error.error_type, cause.to_string())
}

fn no_handler(request: &TaskRequest<'_>, what: &str) -> TaskError {
    TaskError::new(
        "States.Runtime",
        format!(
            "No local handler for state '{}' (resource {}): {what}. Mock it (a run: in the test case of the mock configuration; test-state: with mock.result or --mock-result), or point it at a function of this workspace.",
            request.state_name, request.resource
        ),
    )
}

impl TaskHandler for LocalDispatcher {
    fn call<'a>(&'a self, request: TaskRequest<'a>) -> BoxFuture<'a, Result<Value, TaskError>> {
        Box::pin(async move {
            match request.target {
                Resource::Service {
                    service, action, ..
                } if service == "lambda" && action == "invoke" => {
                    let name = request
                        .input
                        .get("FunctionName")
                        .and_then(Value::as_str)
                        .ok_or_else(|| {
                            no_handler(&request, "the parameters have no FunctionName")
                        })?;
                    let function = self.lookup(name).ok_or_else(|| {
                        no_handler(
                            &request,
                            &format!("{name} is not a function of this workspace"),
                        )
                    })?;
                    let payload = request.input.get("Payload").cloned().unwrap_or(json!({}));
                    let output = self.invoke(function, payload).await.map_err(task_error)?;
                    Ok(invoke_result(output))
                }
                Resource::Lambda { function: name, .. } => {
                    let function = self
                        .lookup(request.resource)
                        .or_else(|| self.lookup(name))
                        .ok_or_else(|| {
                            no_handler(
                                &request,
                                &format!("{name} is not a function of this workspace"),
                            )
                        })?;
                    self.invoke(function, request.input.clone())
                        .await
                        .map_err(task_error)
                }
                _ => Err(no_handler(&request, "the test case does not mock it")),
            }
        })
    }
}

/// The `lambda:invoke` integration's result shape around a function's output.
pub fn invoke_result(payload: Value) -> Value {
    json!({
        "ExecutedVersion": "$LATEST",
        "Payload": payload,
        "SdkHttpMetadata": {
            "HttpHeaders": {"Content-Type": "application/json", "X-Amz-Executed-Version": "$LATEST"},
            "HttpStatusCode": 200
        },
        "SdkResponseMetadata": {"RequestId": "local"},
        "StatusCode": 200
    })
}

async fn invoke_http(
    http: &reqwest::Client,
    base: &str,
    name: &str,
    payload: Value,
) -> Result<Value, FunctionError> {
    let url = format!(
        "{}/2015-03-31/functions/{name}/invocations",
        base.trim_end_matches('/')
    );
    let unavailable = |message: String| FunctionError {
        error_type: "Lambda.ServiceException".into(),
        message,
    };
    let response = http
        .post(&url)
        .json(&payload)
        .send()
        .await
        .map_err(|e| unavailable(format!("POST {url}: {e}")))?;
    // Real Lambda flags function errors with X-Amz-Function-Error; cargo lambda watch answers 500.
    let function_error = response.headers().contains_key("x-amz-function-error")
        || response.status().is_server_error();
    let body: Value = response
        .json()
        .await
        .map_err(|e| unavailable(format!("{url} did not answer JSON: {e}")))?;
    if function_error {
        return Err(FunctionError {
            error_type: body
                .get("errorType")
                .and_then(Value::as_str)
                .unwrap_or("Unhandled")
                .to_string(),
            message: body
                .get("errorMessage")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        });
    }
    Ok(body)
}
