//! How Task states reach the outside world: a [`TaskHandler`] trait keyed by the resource
//! ARN, a [`Router`] that dispatches on it, and the parsed [`Resource`].
//!
//! Handlers are asynchronous and executor-agnostic (a boxed `Send` future), so a caller can run
//! real async Lambda handlers in-process; the engine drives them with whatever executor runs
//! [`crate::Execution::run`] (or the built-in [`crate::block_on`]).

use crate::clock::Clock;
use serde_json::Value;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A boxed, `Send` future (as `futures::future::BoxFuture`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The integration pattern of a service-integration ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// No suffix: call and go on.
    RequestResponse,
    /// `.sync`: run a job and wait for it.
    Sync,
    /// `.sync:2`: like `.sync`, with JSON output.
    SyncV2,
    /// `.waitForTaskToken`: wait for a callback with the task token.
    WaitForTaskToken,
}

/// A parsed `Resource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// `arn:aws:states:::SERVICE:ACTION[.sync|.sync:2|.waitForTaskToken]`.
    Service {
        /// e.g. `lambda`, `sns`, `sagemaker`, `aws-sdk:s3`.
        service: String,
        /// e.g. `invoke`, `publish`, `createTrainingJob`.
        action: String,
        /// The suffix.
        pattern: Pattern,
    },
    /// `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]` (the legacy direct form).
    Lambda {
        /// The function name.
        function: String,
        /// Region.
        region: String,
        /// Account id.
        account: String,
    },
    /// `arn:aws:states:REGION:ACCOUNT:activity:NAME`.
    Activity {
        /// The activity name.
        name: String,
    },
    /// Anything else (for example an unresolved `${Name}` substitution).
    Other(String),
}

impl Resource {
    /// Parses a resource string; never fails (unknown shapes are [`Resource::Other`]).
    pub fn parse(s: &str) -> Resource {
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        if parts.len() >= 6 && parts[0] == "arn" {
            let (svc, region, account, rest) = (parts[2], parts[3], parts[4], parts[5]);
            if svc == "states" && region.is_empty() && account.is_empty() {
                // rest = SERVICE:ACTION[.suffix] ; SERVICE may itself hold a colon (aws-sdk:s3).
                let (service, action_full) = match rest.rsplit_once(':') {
                    Some((a, b)) if b.starts_with('2') && a.contains(".sync") => {
                        // `.sync:2`
                        match a.rsplit_once(':') {
                            Some((svc, act)) => (svc.to_string(), format!("{act}:{b}")),
                            None => return Resource::Other(s.to_string()),
                        }
                    }
                    Some((a, b)) => (a.to_string(), b.to_string()),
                    None => return Resource::Other(s.to_string()),
                };
                let (action, pattern) = if let Some(a) = action_full.strip_suffix(".sync:2") {
                    (a, Pattern::SyncV2)
                } else if let Some(a) = action_full.strip_suffix(".sync") {
                    (a, Pattern::Sync)
                } else if let Some(a) = action_full.strip_suffix(".waitForTaskToken") {
                    (a, Pattern::WaitForTaskToken)
                } else {
                    (action_full.as_str(), Pattern::RequestResponse)
                };
                return Resource::Service {
                    service,
                    action: action.to_string(),
                    pattern,
                };
            }
            if svc == "lambda" {
                if let Some(f) = rest.strip_prefix("function:") {
                    let function = f.split(':').next().unwrap_or(f).to_string();
                    return Resource::Lambda {
                        function,
                        region: region.to_string(),
                        account: account.to_string(),
                    };
                }
            }
            if svc == "states" {
                if let Some(a) = rest.strip_prefix("activity:") {
                    return Resource::Activity {
                        name: a.to_string(),
                    };
                }
            }
        }
        Resource::Other(s.to_string())
    }

    /// The `resourceType` of history events (`lambda`, `sns`, ...).
    pub fn resource_type(&self) -> &str {
        match self {
            Resource::Service { service, .. } => service,
            Resource::Lambda { .. } => "lambda",
            Resource::Activity { .. } => "activity",
            Resource::Other(_) => "other",
        }
    }

    /// The `resource` of history events (`invoke`, `publish`, ... or the ARN).
    pub fn resource_name(&self) -> String {
        match self {
            Resource::Service {
                action, pattern, ..
            } => match pattern {
                Pattern::RequestResponse => action.clone(),
                Pattern::Sync => format!("{action}.sync"),
                Pattern::SyncV2 => format!("{action}.sync:2"),
                Pattern::WaitForTaskToken => format!("{action}.waitForTaskToken"),
            },
            Resource::Lambda { function, .. } => function.clone(),
            Resource::Activity { name } => name.clone(),
            Resource::Other(s) => s.clone(),
        }
    }
}

/// What a Task asks its handler to do.
pub struct TaskRequest<'a> {
    /// The Task state's name.
    pub state_name: &'a str,
    /// The `Resource` string as written.
    pub resource: &'a str,
    /// The parsed resource.
    pub target: &'a Resource,
    /// The effective input: the state input after `InputPath` and `Parameters`.
    pub input: Value,
    /// 0 for the first attempt, then 1, 2, ... for retries.
    pub retry_count: u32,
    /// The task token, for `.waitForTaskToken` integrations.
    pub task_token: Option<String>,
    /// The virtual clock: a handler that models a slow call advances it (the engine then
    /// applies `TimeoutSeconds` and `HeartbeatSeconds`).
    pub clock: &'a dyn Clock,
}

/// A task failure, as a Lambda function or a service reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskError {
    /// The error name (`errorType` of a Lambda error, `States.TaskFailed`, ...).
    pub error: String,
    /// The cause text.
    pub cause: Option<String>,
}

impl TaskError {
    /// A failure with a name and a cause.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> TaskError {
        TaskError {
            error: error.into(),
            cause: Some(cause.into()),
        }
    }
}

/// Something that can run Task states. Implement it for your Lambda handlers, service mocks
/// or anything else; the engine calls it once per attempt.
pub trait TaskHandler: Send + Sync {
    /// Runs one attempt of a task.
    fn call<'a>(&'a self, request: TaskRequest<'a>) -> BoxFuture<'a, Result<Value, TaskError>>;
}

/// Any `Fn(TaskRequest) -> Result<Value, TaskError>` is a (synchronous) handler.
impl<F> TaskHandler for F
where
    F: for<'a> Fn(TaskRequest<'a>) -> Result<Value, TaskError> + Send + Sync,
{
    fn call<'a>(&'a self, request: TaskRequest<'a>) -> BoxFuture<'a, Result<Value, TaskError>> {
        let r = self(request);
        Box::pin(std::future::ready(r))
    }
}

/// Dispatches tasks to handlers by resource string, with an optional fallback.
#[derive(Default, Clone)]
pub struct Router {
    routes: HashMap<String, Arc<dyn TaskHandler>>,
    fallback: Option<Arc<dyn TaskHandler>>,
}

impl Router {
    /// An empty router: every task fails until routes are added.
    pub fn new() -> Router {
        Router::default()
    }

    /// Routes the exact resource string `resource` to `handler`.
    pub fn route(mut self, resource: impl Into<String>, handler: Arc<dyn TaskHandler>) -> Router {
        self.routes.insert(resource.into(), handler);
        self
    }

    /// Handles every resource without a route.
    pub fn fallback(mut self, handler: Arc<dyn TaskHandler>) -> Router {
        self.fallback = Some(handler);
        self
    }
}

impl TaskHandler for Router {
    fn call<'a>(&'a self, request: TaskRequest<'a>) -> BoxFuture<'a, Result<Value, TaskError>> {
        match self.routes.get(request.resource).or(self.fallback.as_ref()) {
            Some(h) => h.call(request),
            None => {
                let msg = format!(
                    "No task handler is registered for the resource '{}'",
                    request.resource
                );
                Box::pin(std::future::ready(Err(TaskError::new(
                    crate::error::names::TASK_FAILED,
                    msg,
                ))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_integration_arns_expose_service_action_and_pattern() {
        assert_eq!(
            Resource::parse("arn:aws:states:::lambda:invoke"),
            Resource::Service {
                service: "lambda".into(),
                action: "invoke".into(),
                pattern: Pattern::RequestResponse
            }
        );
        assert_eq!(
            Resource::parse("arn:aws:states:::sagemaker:createTrainingJob.sync"),
            Resource::Service {
                service: "sagemaker".into(),
                action: "createTrainingJob".into(),
                pattern: Pattern::Sync
            }
        );
        assert_eq!(
            Resource::parse("arn:aws:states:::states:startExecution.sync:2"),
            Resource::Service {
                service: "states".into(),
                action: "startExecution".into(),
                pattern: Pattern::SyncV2
            }
        );
        assert_eq!(
            Resource::parse("arn:aws:states:::sqs:sendMessage.waitForTaskToken"),
            Resource::Service {
                service: "sqs".into(),
                action: "sendMessage".into(),
                pattern: Pattern::WaitForTaskToken
            }
        );
        assert_eq!(
            Resource::parse("arn:aws:states:::aws-sdk:s3:getObject"),
            Resource::Service {
                service: "aws-sdk:s3".into(),
                action: "getObject".into(),
                pattern: Pattern::RequestResponse
            }
        );
    }

    #[test]
    fn lambda_and_other_arns_parse() {
        assert_eq!(
            Resource::parse("arn:aws:lambda:us-east-1:111111111111:function:f:$LATEST"),
            Resource::Lambda {
                function: "f".into(),
                region: "us-east-1".into(),
                account: "111111111111".into()
            }
        );
        assert_eq!(Resource::parse("${Fn}"), Resource::Other("${Fn}".into()));
    }
}
