//! `model-approval`: resumes the retraining run that waits for a person's approval of a model
//! version. The run stores its task token in the approvals table, keyed by the model package
//! ARN, and waits (`dynamodb:putItem.waitForTaskToken`). When the version is approved or
//! rejected in SageMaker (Studio, the console or `aws sagemaker update-model-package`),
//! SageMaker's state-change event reaches this function through an EventBridge rule; it finds
//! the token and calls `SendTaskSuccess` (approved) or `SendTaskFailure` with the error
//! [`REJECTED_ERROR`] (rejected), then deletes the item.
//!
//! Events with nothing waiting (auto-approved versions, rollbacks, repeated deliveries) are
//! ignored; a token whose run already ended (timed out, stopped) is cleaned up as `stale`.
#![forbid(unsafe_code)]

pub mod error;
pub mod event;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sfn::error::{ProvideErrorMetadata, SdkError};
use error::ApprovalError;
use serde::Serialize;

/// The function's name: the `Service` metric dimension.
pub const SERVICE: &str = "model-approval";
/// The error a rejected version ends the waiting task with (the state machine catches it).
pub const REJECTED_ERROR: &str = "ModelPackageRejected";
/// The approvals table's key attribute.
pub const KEY: &str = "model_package_arn";
/// The attribute holding the task token.
pub const TOKEN: &str = "task_token";

/// What the handler needs, built once per cold start.
#[derive(Debug, Clone)]
pub struct Deps {
    /// DynamoDB, for the approvals table.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// Step Functions, for the task token callbacks.
    pub sfn: aws_sdk_sfn::Client,
    /// The approvals table (`APPROVAL_TABLE_NAME`).
    pub table: String,
}

impl Deps {
    /// Clients from the standard AWS configuration and the table from `APPROVAL_TABLE_NAME`.
    pub async fn from_env() -> Result<Self, ApprovalError> {
        let table = std::env::var("APPROVAL_TABLE_NAME")
            .ok()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApprovalError::Configuration("APPROVAL_TABLE_NAME is not set".into()))?;
        let config = shared::aws::load_config().await;
        Ok(Self {
            dynamodb: aws_sdk_dynamodb::Client::new(&config),
            sfn: aws_sdk_sfn::Client::new(&config),
            table,
        })
    }
}

/// What the waiting state receives when a version is approved (the `SendTaskSuccess` output,
/// at the state's `ResultPath`). `pipelines validate` checks the state machine's reads of it
/// against this type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ApprovalDecision {
    /// `Approved`.
    pub approval_status: String,
    /// The approver's note, if any.
    pub approval_description: Option<String>,
    /// Who approved it, when SageMaker says.
    pub approved_by: Option<String>,
    /// The version approved.
    pub model_package_arn: String,
}

/// The errors a waiting state can receive from this function (`SendTaskFailure`).
pub const CALLBACK_ERRORS: &[&str] = &[REJECTED_ERROR];

/// What happened to one state change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Approved: the waiting run goes on to deploy.
    Resumed,
    /// Rejected: the waiting run ends with a notice.
    Rejected,
    /// Nothing waits for this version, or it is still pending.
    Ignored,
    /// A token was found but its run had already ended; the item was removed.
    Stale,
}

/// The function's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ApprovalOutcome {
    /// What happened.
    pub outcome: Outcome,
    /// The version.
    pub model_package_arn: String,
    /// Its approval status in the event.
    pub approval_status: String,
    /// The run that waited, when one did.
    pub execution_arn: Option<String>,
    /// Why it was ignored or stale.
    pub reason: Option<String>,
}

fn delivery<E: ProvideErrorMetadata + std::fmt::Debug>(
    operation: &str,
    error: &SdkError<E>,
) -> ApprovalError {
    let detail = match error.code() {
        Some(code) => format!("{code}: {}", error.message().unwrap_or_default()),
        None => format!("{error:?}").chars().take(300).collect(),
    };
    ApprovalError::ApprovalDeliveryFailed(format!("{operation}: {detail}"))
}

/// Step Functions' answers for a token whose task is closed or unknown.
fn is_stale(code: Option<&str>) -> bool {
    matches!(
        code,
        Some("TaskTimedOut" | "TaskDoesNotExist" | "InvalidToken")
    )
}

/// The Lambda entry point.
pub async fn handle(
    deps: &Deps,
    event: serde_json::Value,
) -> Result<ApprovalOutcome, ApprovalError> {
    let change = event::decode(&event).map_err(ApprovalError::InvalidEvent)?;
    let mut outcome = ApprovalOutcome {
        outcome: Outcome::Ignored,
        model_package_arn: change.model_package_arn.clone(),
        approval_status: change.approval_status.clone(),
        execution_arn: None,
        reason: None,
    };
    let approved = match change.approval_status.as_str() {
        "Approved" => true,
        "Rejected" => false,
        other => {
            outcome.reason = Some(format!("status {other}: nothing to decide yet"));
            return Ok(outcome);
        }
    };
    let item = deps
        .dynamodb
        .get_item()
        .table_name(&deps.table)
        .key(KEY, AttributeValue::S(change.model_package_arn.clone()))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| delivery("dynamodb:GetItem", &e))?;
    let Some(item) = item.item() else {
        outcome.reason = Some("no run waits for this version's approval".into());
        return Ok(outcome);
    };
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    outcome.execution_arn = text("execution_arn");
    let Some(token) = text(TOKEN) else {
        return Err(ApprovalError::ApprovalDeliveryFailed(format!(
            "the approval item of {} has no string {TOKEN}",
            change.model_package_arn
        )));
    };
    let sent = if approved {
        let output = ApprovalDecision {
            approval_status: change.approval_status.clone(),
            approval_description: change.approval_description.clone(),
            approved_by: change.modified_by.clone(),
            model_package_arn: change.model_package_arn.clone(),
        };
        let output = serde_json::to_string(&output).map_err(|e| {
            ApprovalError::ApprovalDeliveryFailed(format!("cannot encode the decision: {e}"))
        })?;
        deps.sfn
            .send_task_success()
            .task_token(&token)
            .output(output)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                (
                    e.code().map(str::to_string),
                    delivery("states:SendTaskSuccess", &e),
                )
            })
    } else {
        let cause = format!(
            "Model package {} was rejected{}{}",
            change.model_package_arn,
            change
                .modified_by
                .as_deref()
                .map(|who| format!(" by {who}"))
                .unwrap_or_default(),
            change
                .approval_description
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        );
        deps.sfn
            .send_task_failure()
            .task_token(&token)
            .error(REJECTED_ERROR)
            .cause(cause.chars().take(32_768).collect::<String>())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                (
                    e.code().map(str::to_string),
                    delivery("states:SendTaskFailure", &e),
                )
            })
    };
    outcome.outcome = match sent {
        Ok(()) if approved => Outcome::Resumed,
        Ok(()) => Outcome::Rejected,
        Err((code, _)) if is_stale(code.as_deref()) => {
            outcome.reason = Some(format!(
                "the waiting run already ended ({})",
                code.unwrap_or_default()
            ));
            Outcome::Stale
        }
        Err((_, error)) => return Err(error),
    };
    deps.dynamodb
        .delete_item()
        .table_name(&deps.table)
        .key(KEY, AttributeValue::S(change.model_package_arn.clone()))
        .condition_expression("#t = :t")
        .expression_attribute_names("#t", TOKEN)
        .expression_attribute_values(":t", AttributeValue::S(token))
        .send()
        .await
        .map(|_| ())
        .or_else(|e| match e.code() {
            // Already removed by an earlier delivery of the same event: nothing left to do.
            Some("ConditionalCheckFailedException") => Ok(()),
            _ => Err(delivery("dynamodb:DeleteItem", &e)),
        })?;
    tracing::info!(outcome = ?outcome.outcome, model_package_arn = %outcome.model_package_arn, "approval event handled");
    Ok(outcome)
}
