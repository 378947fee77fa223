//! `slack-notifier`: the Lambda subscribed to the pipelines' SNS topics (notifications and
//! critical). It recognises each message kind the project publishes ([`message`]), renders it as
//! Slack Block Kit with a plain-text fallback within Slack's limits ([`render`]), and posts it to
//! the on-call channel's incoming webhook with retries ([`slack`]).
//!
//! The webhook URL comes from Secrets Manager (`SLACK_WEBHOOK_SECRET_ARN`), read once per cold
//! start and never logged. When Slack stays down the invocation fails with a typed error, so SNS
//! retries it and the function's dead-letter queue keeps what could not be delivered.
//!
//! One failure, one Slack message: a failed execution reaches the critical topic twice, as the
//! state machine's own failure notice (with error and cause) and as EventBridge's status change.
//! The execution history ([`history`]) shows whether the notice was published; if it was, the
//! status change is counted (`SlackRepeatsSkipped`) and not posted. Timeouts, aborts and failures
//! without a notice are always posted.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod history;
pub mod message;
pub mod render;
pub mod slack;

use aws_lambda_events::sns::SnsEvent;
use error::NotifyError;
use message::Notification;
use serde::Serialize;
use shared::metrics::{MetricsLogger, Unit};
use slack::{RetryPolicy, SlackClient, WebhookUrl};

/// The function's name: the `Service` metric dimension.
pub const SERVICE: &str = "slack-notifier";
/// The environment variable naming the webhook secret (name or ARN).
pub const SECRET_ENV: &str = "SLACK_WEBHOOK_SECRET_ARN";

/// What the handler needs, built once per cold start: the Slack client holding the webhook URL.
#[derive(Debug, Clone)]
pub struct Deps {
    slack: SlackClient,
    sfn: Option<aws_sdk_sfn::Client>,
}

impl Deps {
    /// Reads the webhook secret named by `SLACK_WEBHOOK_SECRET_ARN` through the standard AWS
    /// configuration (honours `AWS_ENDPOINT_URL`), with the default retry policy.
    pub async fn from_env() -> Result<Self, NotifyError> {
        let secret_id = std::env::var(SECRET_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| NotifyError::MissingConfiguration(format!("{SECRET_ENV} is not set")))?;
        let config = shared::aws::load_config().await;
        let client = aws_sdk_secretsmanager::Client::new(&config);
        let deps = Self::from_secret(&client, &secret_id, RetryPolicy::default()).await?;
        Ok(deps.with_sfn(aws_sdk_sfn::Client::new(&config)))
    }

    /// Reads the webhook URL from the secret `secret_id` (its current version).
    pub async fn from_secret(
        client: &aws_sdk_secretsmanager::Client,
        secret_id: &str,
        policy: RetryPolicy,
    ) -> Result<Self, NotifyError> {
        let output = client
            .get_secret_value()
            .secret_id(secret_id)
            .send()
            .await
            .map_err(|e| NotifyError::SecretUnavailable {
                secret_id: secret_id.to_string(),
                detail: aws_sdk_secretsmanager::error::DisplayErrorContext(&e).to_string(),
            })?;
        let value = output
            .secret_string()
            .ok_or_else(|| NotifyError::InvalidWebhookUrl {
                secret_id: secret_id.to_string(),
                detail: "the secret has no string value".to_string(),
            })?;
        let url = WebhookUrl::parse(value).map_err(|detail| NotifyError::InvalidWebhookUrl {
            secret_id: secret_id.to_string(),
            detail,
        })?;
        tracing::info!(secret_id, "Slack webhook secret loaded");
        Self::with_webhook(url, policy)
    }

    /// Dependencies posting to `url` (tests, local runs), without execution-history lookups.
    pub fn with_webhook(url: WebhookUrl, policy: RetryPolicy) -> Result<Self, NotifyError> {
        Ok(Self {
            slack: SlackClient::new(url, policy)?,
            sfn: None,
        })
    }

    /// Looks up the failed state of executions with `sfn` (`states:GetExecutionHistory`).
    pub fn with_sfn(mut self, sfn: aws_sdk_sfn::Client) -> Self {
        self.sfn = Some(sfn);
        self
    }
}

/// What one invocation delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotifyOutput {
    /// One entry per SNS record, in order.
    pub delivered: Vec<Delivered>,
}

/// One SNS message posted to Slack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivered {
    /// The SNS message id.
    pub message_id: String,
    /// The recognised kind (see [`message::Kind::name`]).
    pub kind: &'static str,
    /// HTTP requests it took.
    pub attempts: u32,
    /// Whether Slack refused the blocks and got the plain text.
    pub text_only: bool,
    /// Not posted: a status-change alert for a failure the execution already reported itself.
    pub skipped: bool,
}

/// The Lambda entry point: decodes the SNS event and delivers each record.
pub async fn handle(deps: &Deps, event: serde_json::Value) -> Result<NotifyOutput, NotifyError> {
    let event: SnsEvent =
        serde_json::from_value(event).map_err(|e| NotifyError::InvalidEvent(e.to_string()))?;
    if event.records.is_empty() {
        return Err(NotifyError::InvalidEvent(
            "the event has no Records".to_string(),
        ));
    }
    let mut delivered = Vec::with_capacity(event.records.len());
    for record in &event.records {
        let mut notification = Notification::from_sns(&record.sns);
        let findings = enrich(deps, &mut notification).await;
        if notification.kind.is_failed_status() && findings.reported_itself {
            delivered.push(skip_repeat(&notification));
            continue;
        }
        delivered.push(notify(deps, &notification).await?);
    }
    Ok(NotifyOutput { delivered })
}

/// Adds what the message itself does not say, the state a failed execution failed in, and
/// returns what the execution history showed (nothing when it was not read).
pub async fn enrich(deps: &Deps, notification: &mut Notification) -> history::Findings {
    let (Some(sfn), Some(arn)) = (&deps.sfn, notification.kind.failed_execution()) else {
        return history::Findings::default();
    };
    let arn = arn.to_string();
    let findings = history::lookup(sfn, &arn).await.unwrap_or_default();
    if let Some(state) = &findings.failed_state {
        notification.kind.set_failed_state(state.clone());
    }
    findings
}

/// Records a status-change alert left out because the execution's own failure notice (sent on
/// the same topic, with the error and cause) already covers it: one Slack message per failure.
fn skip_repeat(notification: &Notification) -> Delivered {
    let kind = notification.kind.name();
    tracing::info!(
        kind,
        message_id = %notification.message_id,
        execution_arn = notification.kind.failed_execution().unwrap_or_default(),
        "not posted: the execution already reported this failure itself"
    );
    if let Ok(mut metrics) = MetricsLogger::new(SERVICE).dimension("Kind", kind) {
        metrics.put("SlackRepeatsSkipped", 1.0, Unit::Count);
        metrics.flush();
    }
    Delivered {
        message_id: notification.message_id.clone(),
        kind,
        attempts: 0,
        text_only: false,
        skipped: true,
    }
}

/// Renders and posts one notification, and records delivery metrics.
pub async fn notify(deps: &Deps, notification: &Notification) -> Result<Delivered, NotifyError> {
    let kind = notification.kind.name();
    let message = render::render(notification);
    let result = deps.slack.post(&message).await;
    let mut metrics = MetricsLogger::new(SERVICE).dimension("Kind", kind).ok();
    match &result {
        Ok(delivery) => {
            tracing::info!(
                kind,
                message_id = %notification.message_id,
                attempts = delivery.attempts,
                text_only = delivery.text_only,
                blocks = message.blocks.len(),
                "posted to Slack"
            );
            if let Some(m) = metrics.as_mut() {
                m.put("SlackMessagesDelivered", 1.0, Unit::Count);
                m.put(
                    "SlackDeliveryAttempts",
                    f64::from(delivery.attempts),
                    Unit::Count,
                );
            }
        }
        Err(error) => {
            tracing::warn!(kind, message_id = %notification.message_id, %error, "Slack delivery failed");
            if let Some(m) = metrics.as_mut() {
                m.put("SlackDeliveryFailures", 1.0, Unit::Count);
            }
        }
    }
    if let Some(m) = metrics.as_mut() {
        m.flush();
    }
    let delivery = result?;
    Ok(Delivered {
        message_id: notification.message_id.clone(),
        kind,
        attempts: delivery.attempts,
        text_only: delivery.text_only,
        skipped: false,
    })
}
