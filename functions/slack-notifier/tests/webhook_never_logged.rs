//! The webhook URL is a secret: through a cold start (Secrets Manager in moto), a delivery with
//! retries and a delivery that fails, no log line carries it. Its own test binary, so that the
//! thread-local log capture sees every event (no other test thread shares tracing's callsite cache).

mod common;

use common::{FakeSlack, Reply};
use integration_tests::{workspace_root, LocalAws};
use slack_notifier::slack::RetryPolicy;
use slack_notifier::{handle, Deps};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
        retry_after_unit: Duration::from_millis(1),
        max_total_wait: Duration::from_secs(1),
        request_timeout: Duration::from_secs(5),
    }
}

fn event(name: &str) -> serde_json::Value {
    let path = workspace_root().join("events/slack-notifier").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

async fn secret_with(client: &aws_sdk_secretsmanager::Client, value: &str) -> String {
    let name = LocalAws::unique_name("slack-webhook");
    client
        .create_secret()
        .name(&name)
        .secret_string(value)
        .send()
        .await
        .expect("create secret in moto");
    name
}

/// Captures this thread's log lines (the test runtime is single-threaded).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn the_webhook_url_never_reaches_the_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let config = LocalAws::shared().sdk_config().await;
    let client = aws_sdk_secretsmanager::Client::new(&config);
    let slack = FakeSlack::start(
        vec![Reply::RateLimited(1), Reply::Status(500, "oops")],
        Reply::Ok,
    );
    let name = secret_with(&client, &slack.url).await;
    let deps = Deps::from_secret(&client, &name, fast()).await.unwrap();
    handle(&deps, event("execution-failed.json")).await.unwrap();
    let down = FakeSlack::start(vec![], Reply::Status(502, "bad gateway"));
    let name = secret_with(&client, &down.url).await;
    let deps = Deps::from_secret(&client, &name, fast()).await.unwrap();
    let error = handle(&deps, event("execution-failed.json"))
        .await
        .unwrap_err();
    let _ = lambda_runtime::Diagnostic::from(error); // logs the failure, as the runtime would

    let logs = captured.text();
    assert!(
        logs.contains("Slack webhook secret loaded"),
        "the capture misses the notifier's lines"
    );
    assert!(logs.contains("Slack unavailable") && logs.contains("invocation failed"));
    for secret in [slack.secret_part(), down.secret_part()] {
        assert!(
            !logs.contains(secret),
            "the webhook URL leaked into the logs:\n{logs}"
        );
    }
}
