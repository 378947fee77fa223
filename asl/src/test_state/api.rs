//! The `TestState` API's request and response shapes, as the Step Functions API defines them
//! (<https://docs.aws.amazon.com/step-functions/latest/apireference/API_TestState.html>):
//! JSON members in camelCase, every JSON document (definition, input, output, ...) as text.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// A `TestState` request.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TestStateRequest {
    /// The ASL of one state, or of a whole state machine (with `stateName`). JSON text.
    pub definition: String,
    /// The role the state would run as (optional, as in the API since 2025).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// The state's input, JSON text (default `{}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// `INFO` (default), `DEBUG` or `TRACE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspection_level: Option<InspectionLevel>,
    /// Reveal secrets of HTTP Tasks in TRACE data (HTTP Tasks do not run locally: ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reveal_secrets: Option<bool>,
    /// Workflow variables in scope before the state: a JSON object as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variables: Option<String>,
    /// The state to test when `definition` is a whole state machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_name: Option<String>,
    /// A mocked service result or error instead of calling the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mock: Option<MockInput>,
    /// Fields of the context object (`$$`) to use instead of the generated ones: JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// Retry attempt, Map failure count and the like.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_configuration: Option<StateConfiguration>,
}

/// `inspectionLevel`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum InspectionLevel {
    /// The output or the error only.
    #[default]
    Info,
    /// Also `inspectionData`: each step of the data flow.
    Debug,
    /// DEBUG, plus the raw HTTP request and response of an HTTP Task.
    Trace,
}

/// `mock`: exactly one of `result` and `errorOutput`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MockInput {
    /// The service's (or the Map/Parallel state's) result: JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// A failure instead of a result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_output: Option<MockErrorOutput>,
    /// `STRICT` (default), `PRESENT` or `NONE`: how `result` is checked against the
    /// service's response shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_validation_mode: Option<String>,
}

/// `mock.errorOutput`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MockErrorOutput {
    /// The error name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The cause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

/// `stateConfiguration`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StateConfiguration {
    /// Retries already made by the retrier that applies to the mocked error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retrier_retry_count: Option<u32>,
    /// The state inside a Map or Parallel where the mocked error comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_caused_by_state: Option<String>,
    /// Map iterations that failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_iteration_failure_count: Option<u64>,
    /// What a Map's ItemReader reads: a JSON array (text). The ItemReader itself does not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_item_reader_data: Option<String>,
}

/// `status` of a `TestState` response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TestExecutionStatus {
    /// The state completed.
    Succeeded,
    /// The state failed and nothing handles the error.
    Failed,
    /// The state failed and a retrier would retry it.
    Retriable,
    /// The state failed and a catcher took the error.
    CaughtError,
}

/// A `TestState` response.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestStateResponse {
    /// The state's output, JSON text (also for CAUGHT_ERROR: the catcher's output).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// The error name, when the state failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The cause, when the state failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// At DEBUG and TRACE: `input`, `afterInputPath`, `afterParameters`, `result`,
    /// `afterResultSelector`, `afterResultPath` (JSONPath) or `afterArguments` (JSONata),
    /// `variables`, Map's `afterItemsPath`, `maxConcurrency`, `toleratedFailureCount`,
    /// `toleratedFailurePercentage`, and `errorDetails` (`retryIndex`,
    /// `retryBackoffIntervalSeconds` or `catchIndex`). Documents are JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspection_data: Option<Map<String, Value>>,
    /// The state to go to next (absent at an end, a failure or a retry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_state: Option<String>,
    /// How the state ended.
    pub status: TestExecutionStatus,
}

/// Why a request was refused, as the API refuses it (HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestStateError {
    /// The API's exception name.
    pub kind: TestStateErrorKind,
    /// What is wrong.
    pub message: String,
}

/// The API's exceptions for `TestState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestStateErrorKind {
    /// `ValidationException`: a request field is wrong.
    Validation,
    /// `InvalidDefinition`: the ASL does not parse or validate.
    InvalidDefinition,
    /// `InvalidExecutionInput`: the input is not JSON.
    InvalidExecutionInput,
}

impl TestStateErrorKind {
    /// The exception's name (`__type` in the JSON protocol, without the namespace).
    pub fn name(self) -> &'static str {
        match self {
            TestStateErrorKind::Validation => "ValidationException",
            TestStateErrorKind::InvalidDefinition => "InvalidDefinition",
            TestStateErrorKind::InvalidExecutionInput => "InvalidExecutionInput",
        }
    }
}

impl TestStateError {
    pub(crate) fn validation(message: impl Into<String>) -> TestStateError {
        TestStateError {
            kind: TestStateErrorKind::Validation,
            message: message.into(),
        }
    }

    pub(crate) fn definition(message: impl Into<String>) -> TestStateError {
        TestStateError {
            kind: TestStateErrorKind::InvalidDefinition,
            message: message.into(),
        }
    }
}

impl fmt::Display for TestStateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.name(), self.message)
    }
}

impl std::error::Error for TestStateError {}
