//! Posting to a Slack incoming webhook: 429 waits for `Retry-After`, 5xx and connection errors
//! back off exponentially, a refused block payload is resent as plain text once, and when Slack
//! stays down the call fails with a typed error (so SNS retries and the DLQ catches).
//!
//! The webhook URL is a secret: it lives in a [`WebhookUrl`] whose `Debug` hides it, and errors
//! are formatted without it (`reqwest::Error::without_url`).

use crate::error::NotifyError;
use crate::render::SlackMessage;
use std::time::Duration;

/// A Slack webhook URL. `Debug` prints `WebhookUrl(<redacted>)`; there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl(reqwest::Url);

impl std::fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookUrl(<redacted>)")
    }
}

impl WebhookUrl {
    /// Reads a secret's value: the URL itself, or a JSON object with `webhook_url` (or `url`).
    /// Only `https://` URLs are accepted, and `http://` to a loopback address (local tests).
    /// The error text never contains the value.
    pub fn parse(secret_value: &str) -> Result<Self, String> {
        let value = secret_value.trim();
        let text = if value.starts_with('{') {
            let json: serde_json::Value = serde_json::from_str(value)
                .map_err(|_| "the secret looks like JSON but does not parse".to_string())?;
            ["webhook_url", "url", "slack_webhook_url"]
                .iter()
                .find_map(|k| json.get(k).and_then(|v| v.as_str()).map(str::to_string))
                .ok_or_else(|| "the secret's JSON has no string webhook_url".to_string())?
        } else {
            value.to_string()
        };
        let url = reqwest::Url::parse(text.trim()).map_err(|e| format!("not a URL ({e})"))?;
        let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']);
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        match url.scheme() {
            "https" => Ok(Self(url)),
            "http" if loopback => Ok(Self(url)),
            scheme => Err(format!("scheme {scheme:?} is not allowed: use https://")),
        }
    }
}

/// How hard to try. Delays are injectable so tests run in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all (the first one included).
    pub max_attempts: u32,
    /// The first back-off after a 5xx or a connection error; doubles each time.
    pub initial_backoff: Duration,
    /// The longest back-off.
    pub max_backoff: Duration,
    /// What one second of `Retry-After` means (1 s in production; shorter in tests).
    pub retry_after_unit: Duration,
    /// The most waiting, in all, that one delivery may do; past it the delivery fails at once
    /// (the invocation's timeout must leave room for it plus the requests).
    pub max_total_wait: Duration,
    /// Timeout of one HTTP request.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    /// Five attempts, 1 s doubling to 8 s, at most 40 s of waiting, 10 s per request: within
    /// the function's 120 s timeout in the worst case (5 × 10 s + 40 s).
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(8),
            retry_after_unit: Duration::from_secs(1),
            max_total_wait: Duration::from_secs(40),
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// The outcome of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// HTTP requests made.
    pub attempts: u32,
    /// Whether the plain-text fallback was sent because Slack refused the blocks.
    pub text_only: bool,
}

/// A Slack webhook client.
#[derive(Debug, Clone)]
pub struct SlackClient {
    http: reqwest::Client,
    url: WebhookUrl,
    policy: RetryPolicy,
}

enum Attempt {
    Done,
    RateLimited(u64),
    Unavailable(String),
    Rejected(u16, String),
}

impl SlackClient {
    /// A client for `url` with `policy`.
    pub fn new(url: WebhookUrl, policy: RetryPolicy) -> Result<Self, NotifyError> {
        let http = reqwest::Client::builder()
            .timeout(policy.request_timeout)
            .connect_timeout(policy.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!(
                "ml-pipelines-slack-notifier/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|e| {
                NotifyError::MissingConfiguration(format!("HTTP client: {}", e.without_url()))
            })?;
        Ok(Self { http, url, policy })
    }

    /// The retry policy in force.
    pub fn policy(&self) -> RetryPolicy {
        self.policy
    }

    /// Posts `message`, retrying as the policy allows.
    pub async fn post(&self, message: &SlackMessage) -> Result<Delivery, NotifyError> {
        let mut payload = message.payload();
        let mut text_only = false;
        let mut waited = Duration::ZERO;
        let backoff = shared::retry::Backoff {
            base: self.policy.initial_backoff,
            cap: self.policy.max_backoff,
            max_attempts: self.policy.max_attempts,
        };
        let mut retries = 0;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let outcome = self.attempt(&payload).await;
            let last = attempts >= self.policy.max_attempts;
            let wait = match outcome {
                Attempt::Done => {
                    return Ok(Delivery {
                        attempts,
                        text_only,
                    })
                }
                Attempt::Rejected(status, body) => {
                    // A 400 about the blocks (invalid_blocks, ...): the text alone still informs.
                    if status == 400 && !text_only && !last {
                        tracing::warn!(status, slack_error = %body, "Slack refused the blocks; sending the plain text");
                        payload = message.text_only_payload();
                        text_only = true;
                        continue;
                    }
                    return Err(NotifyError::SlackRejected { status, body });
                }
                Attempt::RateLimited(seconds) => {
                    let wait = self
                        .policy
                        .retry_after_unit
                        .saturating_mul(seconds.min(3600) as u32);
                    if last || waited + wait > self.policy.max_total_wait {
                        return Err(NotifyError::SlackRateLimited {
                            attempts,
                            retry_after_seconds: seconds,
                        });
                    }
                    tracing::warn!(
                        attempt = attempts,
                        retry_after_seconds = seconds,
                        "Slack rate limit: waiting"
                    );
                    wait
                }
                Attempt::Unavailable(reason) => {
                    let wait = backoff.ceiling(retries);
                    if last || waited + wait > self.policy.max_total_wait {
                        return Err(NotifyError::SlackUnavailable {
                            attempts,
                            last: reason,
                        });
                    }
                    tracing::warn!(attempt = attempts, reason = %reason, backoff_ms = wait.as_millis() as u64, "Slack unavailable: backing off");
                    retries += 1;
                    wait
                }
            };
            tokio::time::sleep(wait).await;
            waited += wait;
        }
    }

    async fn attempt(&self, payload: &serde_json::Value) -> Attempt {
        let response = match self
            .http
            .post(self.url.0.clone())
            .json(payload)
            .send()
            .await
        {
            Ok(response) => response,
            Err(error) => return Attempt::Unavailable(error.without_url().to_string()),
        };
        let status = response.status();
        if status.is_success() {
            return Attempt::Done;
        }
        if status.as_u16() == 429 {
            let seconds = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(1);
            return Attempt::RateLimited(seconds);
        }
        let body = response.text().await.unwrap_or_default();
        let body: String = body.chars().take(200).collect();
        if status.is_server_error() {
            Attempt::Unavailable(format!("HTTP {}: {body}", status.as_u16()))
        } else {
            Attempt::Rejected(status.as_u16(), body)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_url_never_shows_in_debug_output() {
        let url = WebhookUrl::parse("https://hooks.slack.com/services/T000/B000/SECRET").unwrap();
        assert_eq!(format!("{url:?}"), "WebhookUrl(<redacted>)");
    }

    #[test]
    fn the_secret_may_be_the_url_or_json() {
        assert!(WebhookUrl::parse(" https://hooks.slack.com/services/x \n").is_ok());
        assert!(
            WebhookUrl::parse(r#"{"webhook_url": "https://hooks.slack.com/services/x"}"#).is_ok()
        );
        assert!(WebhookUrl::parse("http://127.0.0.1:8080/hook").is_ok());
    }

    #[test]
    fn the_template_placeholder_is_refused() {
        assert!(
            WebhookUrl::parse(r#"{"webhook_url": "REPLACE_WITH_THE_SLACK_WEBHOOK_URL"}"#).is_err()
        );
    }

    #[test]
    fn plain_http_to_a_remote_host_is_refused_without_echoing_the_value() {
        let error = WebhookUrl::parse("http://hooks.example.com/SECRET").unwrap_err();
        assert!(!error.contains("SECRET"), "{error}");
        let error = WebhookUrl::parse(r#"{"other": "SECRET"}"#).unwrap_err();
        assert!(!error.contains("SECRET"), "{error}");
        let error = WebhookUrl::parse("SECRET not a url").unwrap_err();
        assert!(!error.contains("SECRET"), "{error}");
    }
}
