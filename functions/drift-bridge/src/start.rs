//! StartExecution of the retraining state machine, idempotent by execution name.

use crate::aws_failure::AwsFailure;
use aws_sdk_sfn::operation::start_execution::StartExecutionError;
use aws_sdk_sfn::Client;

/// What StartExecution did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Started {
    /// A new execution, with its ARN.
    New(String),
    /// An execution of that name exists already (started by an earlier attempt): success.
    AlreadyExists(String),
}

impl Started {
    /// The execution's ARN.
    pub fn arn(&self) -> &str {
        match self {
            Started::New(arn) | Started::AlreadyExists(arn) => arn,
        }
    }
}

/// Why StartExecution failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartFailure {
    /// The input or name was refused: retrying the same request cannot help.
    Refused(AwsFailure),
    /// Anything else (throttling, 5xx, missing state machine, access): retry the record.
    Failed(AwsFailure),
}

/// Starts execution `name` of `state_machine_arn` with `input`.
pub async fn start(
    client: &Client,
    state_machine_arn: &str,
    name: &str,
    input: &str,
) -> Result<Started, StartFailure> {
    let result = client
        .start_execution()
        .state_machine_arn(state_machine_arn)
        .name(name)
        .input(input)
        .send()
        .await;
    match result {
        Ok(output) => Ok(Started::New(output.execution_arn().to_string())),
        Err(error) => match error.as_service_error() {
            Some(StartExecutionError::ExecutionAlreadyExists(_)) => Ok(Started::AlreadyExists(
                crate::naming::execution_arn(state_machine_arn, name),
            )),
            Some(
                StartExecutionError::InvalidExecutionInput(_) | StartExecutionError::InvalidName(_),
            ) => Err(StartFailure::Refused(AwsFailure::from_sdk(
                "states:StartExecution",
                &error,
            ))),
            _ => Err(StartFailure::Failed(AwsFailure::from_sdk(
                "states:StartExecution",
                &error,
            ))),
        },
    }
}
