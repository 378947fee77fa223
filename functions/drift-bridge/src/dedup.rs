//! The per-model claim in DynamoDB that makes the bridge start one retraining per drift episode.
//!
//! One item per model (partition key `model_name`):
//!
//! | attribute | type | meaning |
//! |---|---|---|
//! | `model_name` | S | key |
//! | `event_id` | S | the event that opened the episode |
//! | `execution_name` | S | the episode's deterministic execution name |
//! | `execution_input` | S | the exact StartExecution input (JSON), so any retry re-sends it unchanged |
//! | `detected_at`, `detected_at_ms` | S, N | when that drift was detected |
//! | `claimed_at`, `cooldown_until` | N | epoch seconds: the cooldown window |
//! | `status` | S | `pending` until StartExecution succeeded, then `started` |
//! | `execution_arn`, `started_at` | S, N | set with `started` |
//! | `expires_at` | N | TTL: `cooldown_until` + retention |
//!
//! A new episode is claimed with one conditional PutItem: no item yet, or the cooldown is over
//! *and* the new drift was detected after the one that opened the last episode (so a replay of
//! an old event never reopens anything). The claim is written *before* StartExecution, with the
//! execution name and input in it: a crash between the two leaves a `pending` claim that the
//! next delivery of any event of that model re-drives with the same name, which Step Functions
//! starts at most once.

use crate::aws_failure::AwsFailure;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// `status` of a claim whose execution was not confirmed started yet.
pub const STATUS_PENDING: &str = "pending";
/// `status` of a claim whose execution was started.
pub const STATUS_STARTED: &str = "started";

/// What a new episode would be.
#[derive(Debug, Clone)]
pub struct ClaimRequest<'a> {
    /// The model.
    pub model_name: &'a str,
    /// The event opening the episode.
    pub event_id: &'a str,
    /// When its drift was detected.
    pub detected_at: DateTime<Utc>,
    /// The execution name for the episode.
    pub execution_name: &'a str,
    /// The StartExecution input (JSON text).
    pub execution_input: &'a str,
    /// The current time.
    pub now: DateTime<Utc>,
    /// How long after a claim no other episode may open, in seconds.
    pub cooldown_seconds: i64,
    /// How long the item is kept after its cooldown (TTL), in seconds.
    pub retention_seconds: i64,
}

/// The claim already in the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingClaim {
    /// The event that opened it.
    pub event_id: String,
    /// Its execution name.
    pub execution_name: String,
    /// Its StartExecution input.
    pub execution_input: String,
    /// `pending` or `started`.
    pub status: String,
    /// End of its cooldown, epoch seconds.
    pub cooldown_until: i64,
}

impl ExistingClaim {
    /// Whether its execution may not have been started yet.
    pub fn is_pending(&self) -> bool {
        self.status != STATUS_STARTED
    }
}

/// The result of trying to open an episode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The caller opened a new episode and must start its execution.
    Opened,
    /// An episode is open (cooldown) or newer than this event.
    Existing(ExistingClaim),
}

/// Tries to open a new episode for the request's model.
pub async fn claim(
    client: &Client,
    table: &str,
    request: &ClaimRequest<'_>,
) -> Result<Claim, AwsFailure> {
    let now = request.now.timestamp();
    let cooldown_until = now + request.cooldown_seconds;
    let detected_ms = request.detected_at.timestamp_millis();
    let item = HashMap::from([
        ("model_name".to_string(), s(request.model_name)),
        ("event_id".to_string(), s(request.event_id)),
        ("execution_name".to_string(), s(request.execution_name)),
        ("execution_input".to_string(), s(request.execution_input)),
        (
            "detected_at".to_string(),
            s(&request
                .detected_at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        ),
        ("detected_at_ms".to_string(), n(detected_ms)),
        ("claimed_at".to_string(), n(now)),
        ("cooldown_until".to_string(), n(cooldown_until)),
        ("status".to_string(), s(STATUS_PENDING)),
        (
            "expires_at".to_string(),
            n(cooldown_until + request.retention_seconds),
        ),
    ]);
    let result = client
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(
            "attribute_not_exists(model_name) OR (cooldown_until <= :now AND detected_at_ms < :detected)",
        )
        .expression_attribute_values(":now", n(now))
        .expression_attribute_values(":detected", n(detected_ms))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await;
    let error = match result {
        Ok(_) => return Ok(Claim::Opened),
        Err(error) => error,
    };
    let returned = error
        .as_service_error()
        .filter(|e| e.is_conditional_check_failed_exception())
        .map(|e| match e {
            aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(c) => {
                c.item().cloned()
            }
            _ => None,
        });
    match returned {
        None => Err(AwsFailure::from_sdk("dynamodb:PutItem", &error)),
        Some(Some(old)) => parse_claim(&old).map(Claim::Existing),
        // Not every DynamoDB implementation returns the old item: read it.
        Some(None) => match read(client, table, request.model_name).await? {
            Some(existing) => Ok(Claim::Existing(existing)),
            None => Err(AwsFailure {
                operation: "dynamodb:GetItem",
                code: "ClaimVanished".into(),
                transient: true,
                message: format!(
                    "the claim of {} expired between two calls",
                    request.model_name
                ),
            }),
        },
    }
}

/// Reads the claim of `model_name` (strongly consistent).
pub async fn read(
    client: &Client,
    table: &str,
    model_name: &str,
) -> Result<Option<ExistingClaim>, AwsFailure> {
    let output = client
        .get_item()
        .table_name(table)
        .key("model_name", s(model_name))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| AwsFailure::from_sdk("dynamodb:GetItem", &e))?;
    output.item().map(parse_claim).transpose()
}

/// Marks the episode `execution_name` of `model_name` as started. A newer claim is left alone.
pub async fn mark_started(
    client: &Client,
    table: &str,
    model_name: &str,
    execution_name: &str,
    execution_arn: &str,
    now: DateTime<Utc>,
) -> Result<(), AwsFailure> {
    let result = client
        .update_item()
        .table_name(table)
        .key("model_name", s(model_name))
        .update_expression("SET #status = :started, execution_arn = :arn, started_at = :now")
        .condition_expression("execution_name = :name")
        .expression_attribute_names("#status", "status")
        .expression_attribute_values(":started", s(STATUS_STARTED))
        .expression_attribute_values(":arn", s(execution_arn))
        .expression_attribute_values(":now", n(now.timestamp()))
        .expression_attribute_values(":name", s(execution_name))
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
        {
            Ok(())
        }
        Err(e) => Err(AwsFailure::from_sdk("dynamodb:UpdateItem", &e)),
    }
}

fn parse_claim(item: &HashMap<String, AttributeValue>) -> Result<ExistingClaim, AwsFailure> {
    let text = |key: &str| item.get(key).and_then(|v| v.as_s().ok()).cloned();
    let number = |key: &str| {
        item.get(key)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse::<i64>().ok())
    };
    let corrupt = |what: &str| AwsFailure {
        operation: "dynamodb:PutItem",
        code: "CorruptClaim".into(),
        transient: false,
        message: format!("the claim item has no valid {what}"),
    };
    Ok(ExistingClaim {
        event_id: text("event_id").ok_or_else(|| corrupt("event_id"))?,
        execution_name: text("execution_name").ok_or_else(|| corrupt("execution_name"))?,
        execution_input: text("execution_input").ok_or_else(|| corrupt("execution_input"))?,
        status: text("status").unwrap_or_else(|| STATUS_PENDING.to_string()),
        cooldown_until: number("cooldown_until").ok_or_else(|| corrupt("cooldown_until"))?,
    })
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_string())
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}
