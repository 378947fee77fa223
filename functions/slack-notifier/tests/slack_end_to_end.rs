//! `slack-notifier` end to end: the handler as Lambda calls it, the real HTTP client, a local
//! HTTP server standing in for Slack, and the webhook secret in moto's Secrets Manager.

mod common;

use common::{texts, FakeSlack, Reply};
use integration_tests::{workspace_root, LocalAws};
use serde_json::Value;
use shared::ErrorType;
use slack_notifier::slack::{RetryPolicy, WebhookUrl};
use slack_notifier::{handle, Deps};
use std::time::{Duration, Instant};

/// Milliseconds instead of seconds: a test never sleeps for long.
fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(4),
        retry_after_unit: Duration::from_millis(1),
        max_total_wait: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
    }
}

fn deps_for(slack: &FakeSlack) -> Deps {
    let url = WebhookUrl::parse(&slack.url).expect("fake Slack URL");
    Deps::with_webhook(url, fast()).expect("deps")
}

fn event(name: &str) -> Value {
    let path = workspace_root().join("events/slack-notifier").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn header(payload: &Value) -> String {
    payload["blocks"][0]["text"]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn all_text(payload: &Value) -> String {
    texts(payload).join("\n")
}

fn button_urls(payload: &Value) -> Vec<String> {
    payload["blocks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["type"] == "actions")
        .flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default())
        .filter_map(|e| e["url"].as_str().map(str::to_string))
        .collect()
}

/// Slack's limits, checked on every payload a test sees.
fn assert_within_slack_limits(payload: &Value, file: &str) {
    let blocks = payload["blocks"].as_array().expect("blocks");
    assert!(
        !blocks.is_empty() && blocks.len() <= 50,
        "{file}: {} blocks",
        blocks.len()
    );
    let fallback = payload["text"].as_str().expect("a text fallback");
    assert!(
        !fallback.is_empty() && fallback.chars().count() <= 3000,
        "{file}: fallback"
    );
    for text in texts(payload) {
        assert!(
            text.chars().count() <= 3000,
            "{file}: a text of {} chars",
            text.chars().count()
        );
        assert!(
            !text.contains('<') && !text.contains('>'),
            "{file}: unescaped markup in {text:?}"
        );
    }
    if blocks[0]["type"] == "header" {
        assert!(
            header(payload).chars().count() <= 150,
            "{file}: header too long"
        );
    }
}

/// What each sample event must produce: its kind, words in the header, words anywhere, and
/// whether it links to an execution or an alarm.
struct Expect {
    file: &'static str,
    kind: &'static str,
    header: &'static [&'static str],
    body: &'static [&'static str],
    link: Option<&'static str>,
}

const SAMPLES: &[Expect] = &[
    Expect {
        file: "execution-failed.json",
        kind: "execution_status",
        header: &[":red_circle:", "MlRetrainingStateMachine-Ab12Cd34Ef56", "failed"],
        body: &["FAILED", "States.TaskFailed", "AlgorithmError", "weekly-demand-forecast-2026-11-22", "redrive", "47 min 13 s"],
        link: Some("/states/home?region=eu-west-1#/v2/executions/details/arn%3Aaws%3Astates%3Aeu-west-1%3A123456789012%3Aexecution%3AMlRetrainingStateMachine-Ab12Cd34Ef56%3Aweekly-demand-forecast-2026-11-22"),
    },
    Expect {
        file: "execution-timed-out.json",
        kind: "execution_status",
        header: &[":red_circle:", "timed out"],
        body: &["TIMED_OUT", "TimeoutSeconds", "weekly-demand-forecast-2026-11-15"],
        link: Some("/v2/executions/details/"),
    },
    Expect {
        file: "execution-aborted.json",
        kind: "execution_status",
        header: &[":warning:", "was aborted"],
        body: &["ABORTED", "StopExecution", "manual-demand-forecast-rerun"],
        link: Some("/v2/executions/details/"),
    },
    Expect {
        file: "model-deployed.json",
        kind: "model_deployed",
        header: &[":white_check_mark:", "demand-forecast: new model deployed"],
        body: &["8.47", "prod-demand-forecast", "wape 7.91", "r2 0.93", "Threshold"],
        link: Some("/v2/executions/details/"),
    },
    Expect {
        file: "model-rejected.json",
        kind: "model_rejected",
        header: &[":warning:", "candidate rejected"],
        body: &["24.83", "*Beats production*\nfalse", "production keeps serving"],
        link: Some("/v2/executions/details/"),
    },
    Expect {
        file: "approval-requested.json",
        kind: "approval_requested",
        header: &[":white_check_mark:", "demand-forecast: version 8 waits for your approval"],
        body: &[
            "mape 8.47 (production 14.5)",
            "r2 0.93 (production 0.81)",
            "--model-package-arn arn:aws:sagemaker:eu-west-1:123456789012:model-package/prod-demand-forecast/8 --model-approval-status Approved",
            "172800 s",
        ],
        link: Some("manual-demand-forecast-2026-11-29"),
    },
    Expect {
        file: "pipeline-failed.json",
        kind: "pipeline_failed",
        header: &[":red_circle:", "ml-retraining failed for demand-forecast"],
        body: &["PredictionsNotFound", "evaluation.jsonl.out", "What to do"],
        link: Some("/v2/executions/details/"),
    },
    Expect {
        file: "data-quality-failed.json",
        kind: "data_quality",
        header: &[":red_circle:", "Data quality: 2 failed, 1 could not run"],
        body: &[
            "orders_min_rows",
            "fail · critical · lake.orders · row_count",
            "observed 1204, threshold 50000",
            "owner data-eng",
            "TABLE_NOT_FOUND",
            "Athena query 7c2e1a4b-0d3f-4a5e-9b6c-1d2e3f4a5b6c",
            "2026-11-27T06:00:00Z → 2026-11-27T07:00:00Z",
            "*Passed*\n2",
        ],
        link: None,
    },
    Expect {
        file: "platform-report.json",
        kind: "platform_report",
        header: &[":white_check_mark:", "Platform report prod, week 2026-11-23 to 2026-11-29"],
        body: &[
            "*Workflows*\n- *ml-retraining*: 2 started, 1 succeeded, 1 failed, no data timed out",
            "*lakehouse-etl*: no data started",
            "*Data quality*\n- 22 checks run, 3 failed",
            "gate failed (mape threshold 15)",
        ],
        link: Some("reports/platform/prod/2026-11-23/report.html"),
    },
    Expect {
        file: "drift-detected.json",
        kind: "drift_trigger",
        header: &[":warning:", "Drift detected for demand-forecast"],
        body: &["psi 0.31 over 0.2", "2026-11-02", "mon-eb-0001", "2026-11-27T06:00:00Z"],
        link: None,
    },
    Expect {
        file: "drift-retraining-started.json",
        kind: "drift_trigger",
        header: &[":warning:", "Drift detected for demand-forecast"],
        body: &["psi 0.31 over 0.2", "*Retraining*\nstarted"],
        link: Some("drift-demand-forecast-mon-eb-0001"),
    },
    Expect {
        file: "cloudwatch-alarm.json",
        kind: "cloudwatch_alarm",
        header: &[":red_circle:", "ALARM: ml-pipelines-MlRetrainingExecutionsFailed"],
        body: &["OK → ALARM", "AWS/States ExecutionsFailed", "sum &gt; 0 for 1 × 300 s", "Threshold Crossed"],
        link: Some("/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/ml-pipelines-MlRetrainingExecutionsFailed"),
    },
    Expect {
        file: "unknown-message.json",
        kind: "unknown",
        header: &["cache warm-up"],
        body: &["1,204,331 forecasts loaded", "source: ops-script"],
        link: None,
    },
];

#[tokio::test]
async fn every_sample_event_renders_its_expected_blocks() {
    for expect in SAMPLES {
        let slack = FakeSlack::ok();
        let output = handle(&deps_for(&slack), event(expect.file))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", expect.file));
        assert_eq!(output.delivered.len(), 1, "{}", expect.file);
        assert_eq!(output.delivered[0].kind, expect.kind, "{}", expect.file);
        assert_eq!(output.delivered[0].attempts, 1, "{}", expect.file);
        let received = slack.received();
        assert_eq!(received.len(), 1, "{}", expect.file);
        assert!(
            received[0].path.starts_with("/services/"),
            "{}",
            expect.file
        );
        let payload = &received[0].json;
        assert_within_slack_limits(payload, expect.file);
        let head = header(payload);
        for word in expect.header {
            assert!(
                head.contains(word),
                "{}: header {head:?} lacks {word:?}",
                expect.file
            );
        }
        let text = all_text(payload);
        for word in expect.body {
            assert!(
                text.contains(word),
                "{}: {word:?} not in\n{text}",
                expect.file
            );
        }
        let links = button_urls(payload);
        match expect.link {
            Some(part) => assert!(
                links.iter().any(
                    |l| l.starts_with("https://eu-west-1.console.aws.amazon.com/")
                        && l.contains(part)
                ),
                "{}: no link with {part:?} in {links:?}",
                expect.file
            ),
            None => assert!(links.is_empty(), "{}: {links:?}", expect.file),
        }
        assert_eq!(payload["link_names"], false);
        let fallback = payload["text"].as_str().unwrap_or_default();
        assert!(
            fallback.contains(head.split_whitespace().nth(1).unwrap_or_default()),
            "{}: {fallback}",
            expect.file
        );
    }
}

#[tokio::test]
async fn broadcast_mentions_and_markup_in_an_error_arrive_escaped() {
    let slack = FakeSlack::ok();
    handle(&deps_for(&slack), event("error-with-mentions.json"))
        .await
        .unwrap();
    let received = slack.received();
    let payload = &received[0].json;
    assert_within_slack_limits(payload, "error-with-mentions.json");
    let raw = &received[0].raw;
    assert!(!raw.contains("<!channel>"), "{raw}");
    assert!(!raw.contains("<https://evil.example|click>"), "{raw}");
    let text = all_text(payload);
    assert!(text.contains("&lt;!channel&gt;"), "{text}");
    assert!(
        text.contains("@\u{200B}channel") && text.contains("@\u{200B}here"),
        "{text}"
    );
    assert!(
        !text.contains("@channel") && !text.contains("@here"),
        "{text}"
    );
    assert!(
        text.contains("&lt;https://evil.example|click&gt; &amp; \"quotes\" &gt; 3 &lt; 5"),
        "{text}"
    );
}

#[tokio::test]
async fn an_oversized_cause_is_truncated_with_a_note() {
    let slack = FakeSlack::ok();
    handle(&deps_for(&slack), event("oversized-cause.json"))
        .await
        .unwrap();
    let payload = &slack.received()[0].json;
    assert_within_slack_limits(payload, "oversized-cause.json");
    let cause = texts(payload)
        .into_iter()
        .find(|t| t.starts_with("*Cause*"))
        .expect("a Cause section");
    assert!(
        cause.chars().count() > 2500,
        "the cut keeps as much as fits"
    );
    assert!(
        cause.contains("_(truncated: ") && cause.contains(" more characters)_"),
        "{cause}"
    );
    assert!(
        cause.contains("stage failed &amp; retried &lt;4 times&gt;"),
        "{cause}"
    );
}

#[tokio::test]
async fn eighty_failed_checks_are_cut_to_fifty_blocks_with_a_note() {
    let slack = FakeSlack::ok();
    handle(&deps_for(&slack), event("oversized-data-quality.json"))
        .await
        .unwrap();
    let payload = &slack.received()[0].json;
    assert_within_slack_limits(payload, "oversized-data-quality.json");
    let blocks = payload["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), 50);
    let last = blocks[49]["elements"][0]["text"].as_str().unwrap();
    assert!(last.contains("more blocks not shown"), "{last}");
    assert!(all_text(payload).contains("column_000_not_null"));
    assert!(
        all_text(payload).contains("*Failed*\n100"),
        "the publisher's counts, not the listed checks"
    );
}

#[tokio::test]
async fn rate_limited_then_delivered_after_retry_after() {
    let slack = FakeSlack::start(
        vec![Reply::RateLimited(3), Reply::RateLimited(1)],
        Reply::Ok,
    );
    let started = Instant::now();
    let output = handle(&deps_for(&slack), event("pipeline-failed.json"))
        .await
        .unwrap();
    assert_eq!(output.delivered[0].attempts, 3);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the injected unit keeps waits short"
    );
    let received = slack.received();
    assert_eq!(received.len(), 3);
    assert_eq!(
        received[0].json, received[2].json,
        "the same message is resent"
    );
}

#[tokio::test]
async fn rate_limited_on_every_attempt_fails_as_slack_rate_limited() {
    let slack = FakeSlack::start(vec![], Reply::RateLimited(1));
    let error = handle(&deps_for(&slack), event("pipeline-failed.json"))
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "SlackRateLimited", "{error}");
    assert_eq!(slack.received().len(), 4);
}

#[tokio::test]
async fn a_retry_after_longer_than_the_budget_fails_at_once() {
    let slack = FakeSlack::start(vec![], Reply::RateLimited(3600));
    let error = handle(&deps_for(&slack), event("pipeline-failed.json"))
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "SlackRateLimited", "{error}");
    assert_eq!(
        slack.received().len(),
        1,
        "no point waiting past the invocation's budget"
    );
}

#[tokio::test]
async fn server_errors_then_success_is_delivered() {
    let slack = FakeSlack::start(
        vec![
            Reply::Status(500, "internal_error"),
            Reply::Status(503, "service unavailable"),
        ],
        Reply::Ok,
    );
    let output = handle(&deps_for(&slack), event("model-deployed.json"))
        .await
        .unwrap();
    assert_eq!(output.delivered[0].attempts, 3);
}

#[tokio::test]
async fn server_errors_until_the_last_attempt_fail_the_invocation() {
    let slack = FakeSlack::start(vec![], Reply::Status(503, "service unavailable"));
    let error = handle(&deps_for(&slack), event("execution-failed.json"))
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "SlackUnavailable", "{error}");
    assert!(
        error.to_string().contains("after 4 attempts") && error.to_string().contains("HTTP 503"),
        "{error}"
    );
    assert_eq!(slack.received().len(), 4);
    let diagnostic = lambda_runtime::Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "SlackUnavailable");
    assert!(!diagnostic.error_message.contains(slack.secret_part()));
}

#[tokio::test]
async fn an_unreachable_slack_fails_without_showing_the_url() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("http://127.0.0.1:{port}/services/T/B/NeverShowThisToken");
    let deps = Deps::with_webhook(WebhookUrl::parse(&url).unwrap(), fast()).unwrap();
    let error = handle(&deps, event("execution-failed.json"))
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "SlackUnavailable", "{error}");
    assert!(!error.to_string().contains("NeverShowThisToken"), "{error}");
    assert!(
        !format!("{error:?}").contains("NeverShowThisToken"),
        "{error:?}"
    );
    assert!(!format!("{deps:?}").contains("NeverShowThisToken"));
}

#[tokio::test]
async fn refused_blocks_are_resent_as_plain_text() {
    let slack = FakeSlack::start(vec![Reply::Status(400, "invalid_blocks")], Reply::Ok);
    let output = handle(&deps_for(&slack), event("data-quality-failed.json"))
        .await
        .unwrap();
    assert!(output.delivered[0].text_only);
    let received = slack.received();
    assert_eq!(received.len(), 2);
    assert!(received[0].json.get("blocks").is_some());
    assert!(received[1].json.get("blocks").is_none());
    assert!(received[1].json["text"]
        .as_str()
        .unwrap()
        .contains("Data quality"));
}

#[tokio::test]
async fn a_gone_webhook_is_slack_rejected_without_retries() {
    let slack = FakeSlack::start(vec![], Reply::Status(404, "no_service"));
    let error = handle(&deps_for(&slack), event("model-rejected.json"))
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "SlackRejected", "{error}");
    assert!(error.to_string().contains("no_service"));
    assert_eq!(slack.received().len(), 1);
}

#[tokio::test]
async fn an_event_that_is_not_sns_is_invalid_event() {
    let slack = FakeSlack::ok();
    let error = handle(&deps_for(&slack), serde_json::json!({"model_name": "x"}))
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "InvalidEvent");
    assert!(slack.received().is_empty());
}

// ------------------------------------------------------------------ Secrets Manager (moto)

async fn secrets() -> aws_sdk_secretsmanager::Client {
    let config = LocalAws::shared().sdk_config().await;
    aws_sdk_secretsmanager::Client::new(&config)
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

#[tokio::test]
async fn the_webhook_is_read_from_secrets_manager_once_per_cold_start() {
    let client = secrets().await;
    let slack = FakeSlack::ok();
    let name = secret_with(&client, &format!(r#"{{"webhook_url": "{}"}}"#, slack.url)).await;
    let deps = Deps::from_secret(&client, &name, fast()).await.unwrap();
    handle(&deps, event("model-deployed.json")).await.unwrap();
    // The secret is gone, yet the warm function still delivers: it read the value once.
    client
        .delete_secret()
        .secret_id(&name)
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    handle(&deps, event("model-rejected.json")).await.unwrap();
    assert_eq!(slack.received().len(), 2);
    // A new cold start now fails, typed.
    let error = Deps::from_secret(&client, &name, fast()).await.unwrap_err();
    assert_eq!(error.error_type(), "SecretUnavailable", "{error}");
}

#[tokio::test]
async fn a_secret_holding_the_bare_url_works_too() {
    let client = secrets().await;
    let slack = FakeSlack::ok();
    let name = secret_with(&client, &slack.url).await;
    let deps = Deps::from_secret(&client, &name, fast()).await.unwrap();
    handle(&deps, event("cloudwatch-alarm.json")).await.unwrap();
    assert_eq!(slack.received().len(), 1);
}

#[tokio::test]
async fn a_secret_that_is_not_a_webhook_url_is_invalid_webhook_url_without_its_value() {
    let client = secrets().await;
    let name = secret_with(&client, "ftp://hooks.example/SuperSecretValue").await;
    let error = Deps::from_secret(&client, &name, fast()).await.unwrap_err();
    assert_eq!(error.error_type(), "InvalidWebhookUrl", "{error}");
    assert!(!error.to_string().contains("SuperSecretValue"), "{error}");
}
