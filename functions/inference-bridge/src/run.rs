//! `StartSyncExecution` of the Express workflow for one request, and what its result means.
//!
//! The workflow's output contract (`state-machines/realtime-inference.asl.json`):
//! `{"request_id": "...", "outcome": "predicted" | "duplicate", ...}`.

use aws_sdk_sfn::operation::start_sync_execution::StartSyncExecutionError;
use aws_sdk_sfn::types::SyncExecutionStatus;
use aws_sdk_sfn::Client;

/// The error the workflow fails with when its own validation refuses the request.
pub const INVALID_REQUEST_ERROR: &str = "InvalidRequest";

/// What one synchronous execution came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    /// The prediction was written.
    Predicted,
    /// A prediction for this request id existed already.
    Duplicate,
    /// The request can never succeed (refused input or name, or the workflow's validation).
    Refused(String),
    /// The workflow failed or timed out, or the call failed: another delivery may succeed.
    Failed(String),
}

/// Runs the workflow `state_machine_arn` on `input` and waits for its end.
pub async fn run(client: &Client, state_machine_arn: &str, input: &str) -> RunOutcome {
    let result = client
        .start_sync_execution()
        .state_machine_arn(state_machine_arn)
        .input(input)
        .send()
        .await;
    let output = match result {
        Ok(output) => output,
        Err(error) => {
            let message = format!("states:StartSyncExecution failed: {error:?}");
            return match error.as_service_error() {
                Some(
                    StartSyncExecutionError::InvalidExecutionInput(_)
                    | StartSyncExecutionError::InvalidName(_),
                ) => RunOutcome::Refused(message),
                _ => RunOutcome::Failed(message),
            };
        }
    };
    match output.status() {
        SyncExecutionStatus::Succeeded => {
            let outcome = output
                .output()
                .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok())
                .and_then(|v| {
                    v.get("outcome")
                        .and_then(|o| o.as_str())
                        .map(str::to_string)
                });
            match outcome.as_deref() {
                Some("predicted") => RunOutcome::Predicted,
                Some("duplicate") => RunOutcome::Duplicate,
                other => RunOutcome::Failed(format!(
                    "the workflow succeeded without a known outcome ({other:?})"
                )),
            }
        }
        status => {
            let error = output.error().unwrap_or("(none)");
            let message = format!(
                "execution {status:?}: {error}: {}",
                output.cause().unwrap_or("")
            );
            if error == INVALID_REQUEST_ERROR {
                RunOutcome::Refused(message)
            } else {
                RunOutcome::Failed(message)
            }
        }
    }
}
