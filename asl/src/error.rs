//! Errors: runtime failures as AWS names them, and definition problems with their location.

use std::fmt;

/// Well-known error names of the `States.` family.
pub mod names {
    /// Matches any error (in `ErrorEquals`, alone and last).
    pub const ALL: &str = "States.ALL";
    /// A Task failed.
    pub const TASK_FAILED: &str = "States.TaskFailed";
    /// A Task ran longer than `TimeoutSeconds`.
    pub const TIMEOUT: &str = "States.Timeout";
    /// A Task did not heartbeat within `HeartbeatSeconds`.
    pub const HEARTBEAT_TIMEOUT: &str = "States.HeartbeatTimeout";
    /// A generic runtime error (bad path, bad value).
    pub const RUNTIME: &str = "States.Runtime";
    /// A payload above 256 KiB.
    pub const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
    /// `ResultPath` could not be applied to the input.
    pub const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
    /// A `.$` field of `Parameters` could not be resolved.
    pub const PARAMETER_PATH_FAILURE: &str = "States.ParameterPathFailure";
    /// An intrinsic function failed.
    pub const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
    /// A Choice state matched nothing and has no `Default`.
    pub const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
    /// A branch of a Parallel state failed.
    pub const BRANCH_FAILED: &str = "States.BranchFailed";
    /// A Map state exceeded its tolerated failures.
    pub const EXCEED_TOLERATED_FAILURE_THRESHOLD: &str = "States.ExceedToleratedFailureThreshold";
    /// The task lacked permissions.
    pub const PERMISSIONS: &str = "States.Permissions";
    /// The item reader failed.
    pub const ITEM_READER_FAILED: &str = "States.ItemReaderFailed";
    /// The result writer failed.
    pub const RESULT_WRITER_FAILED: &str = "States.ResultWriterFailed";
    /// A JSONata expression failed.
    pub const QUERY_EVALUATION_ERROR: &str = "States.QueryEvaluationError";
    /// An HTTP Task's connection failed (timed out after 60 s).
    pub const HTTP_SOCKET: &str = "States.Http.Socket";
}

/// A runtime failure: the AWS error name and cause text, as data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatesError {
    /// The error name (`States.Runtime`, `States.TaskFailed`, or a task's own name).
    pub error: String,
    /// The cause text, when there is one.
    pub cause: Option<String>,
    /// Whether the engine must prefix the cause with
    /// `An error occurred while executing the state '..' (entered at the event id #..).`
    pub(crate) state_prefix: bool,
}

impl StatesError {
    /// An error with an exact cause text (as a task or a Fail state gives it).
    pub fn new(error: impl Into<String>, cause: Option<String>) -> StatesError {
        StatesError {
            error: error.into(),
            cause,
            state_prefix: false,
        }
    }

    /// An engine-detected failure whose cause AWS prefixes with the state name and the id of
    /// its entered event.
    pub fn in_state(error: &str, detail: impl Into<String>) -> StatesError {
        StatesError {
            error: error.to_string(),
            cause: Some(detail.into()),
            state_prefix: true,
        }
    }

    /// `States.Runtime` with a state-prefixed cause.
    pub fn runtime(detail: impl Into<String>) -> StatesError {
        StatesError::in_state(names::RUNTIME, detail)
    }

    /// Adds the state prefix to the cause if this error asks for it.
    pub(crate) fn resolve(mut self, state: &str, entered_event_id: u64) -> StatesError {
        if self.state_prefix {
            let detail = self.cause.take().unwrap_or_default();
            self.cause = Some(format!(
                "An error occurred while executing the state '{state}' (entered at the event id #{entered_event_id}). {detail}"
            ));
            self.state_prefix = false;
        }
        self
    }
}

impl fmt::Display for StatesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Some(c) => write!(f, "{}: {}", self.error, c),
            None => write!(f, "{}", self.error),
        }
    }
}

impl std::error::Error for StatesError {}

/// A problem in a state machine definition, found while parsing or validating it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionError {
    /// JSON path of the offending field, e.g. `$.States.Check.Choices[0].Next`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl DefinitionError {
    /// Builds an error at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> DefinitionError {
        DefinitionError {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for DefinitionError {}

/// All problems found in a definition (validation does not stop at the first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionErrors(pub Vec<DefinitionError>);

impl fmt::Display for DefinitionErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for DefinitionErrors {}
