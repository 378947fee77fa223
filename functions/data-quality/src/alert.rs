//! The run's one alert: the summary JSON (the shape slack-notifier renders as a data-quality
//! summary), to the critical topic when a critical check failed or could not run, else to the
//! notifications topic, with message attributes for subscription filters.

use crate::evaluate::Status;
use crate::rules::Severity;
use crate::{Settings, Summary};
use serde_json::Value;

/// The `event_type` attribute the notifier matches (`data_quality*`).
pub const EVENT_TYPE: &str = "data_quality_failed";
pub use shared::notify::MAX_MESSAGE_BYTES;

/// An alert ready to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// The topic.
    pub topic_arn: String,
    /// The highest severity among the problems.
    pub severity: Severity,
    /// The subject (e-mail subscriptions show it).
    pub subject: String,
    /// The summary JSON.
    pub message: String,
    /// `(name, data type, value)` message attributes.
    pub attributes: Vec<shared::notify::Attribute>,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The subject: `[data-quality] 2 checks failed, 1 error`.
pub fn subject(failed: usize, errors: usize) -> String {
    let parts: Vec<String> = [
        (failed > 0).then(|| format!("{} failed", plural(failed, "check", "checks"))),
        (errors > 0).then(|| plural(errors, "error", "errors")),
    ]
    .into_iter()
    .flatten()
    .collect();
    format!("[data-quality] {}", parts.join(", "))
}

/// The alert for `summary`, or `None` when every check passed.
pub fn build(summary: &Summary, settings: &Settings) -> Option<Alert> {
    if summary.failed + summary.errors == 0 {
        return None;
    }
    let severity = summary
        .checks
        .iter()
        .filter(|c| c.status != Status::Pass)
        .map(|c| c.severity)
        .max()
        .unwrap_or(Severity::Warning);
    let topic_arn = match severity {
        Severity::Critical => settings.critical_topic_arn.clone(),
        Severity::Warning => settings.notifications_topic_arn.clone(),
    };
    use shared::notify::{number, text};
    let attributes = vec![
        text("event_type", EVENT_TYPE),
        text("severity", severity.as_str()),
        text("environment", &settings.environment),
        text("source", crate::SERVICE),
        number("failed", summary.failed),
        number("errors", summary.errors),
    ];
    Some(Alert {
        topic_arn,
        severity,
        subject: subject(summary.failed, summary.errors),
        message: message(summary, MAX_MESSAGE_BYTES),
        attributes,
    })
}

/// The summary as JSON within `limit` bytes: passing checks are left out first (their count
/// stays in `passed`), then the last problems (`omitted_checks` says how many).
pub fn message(summary: &Summary, limit: usize) -> String {
    let mut value = serde_json::to_value(summary).unwrap_or(Value::Null);
    if let Some(map) = value.as_object_mut() {
        map.remove("alert");
    }
    let mut text = value.to_string();
    if text.len() <= limit {
        return text;
    }
    let total = summary.checks.len();
    if let Some(checks) = value.get_mut("checks").and_then(Value::as_array_mut) {
        checks.retain(|c| c.get("status").and_then(Value::as_str) != Some("pass"));
    }
    loop {
        let kept = value
            .get("checks")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        value["omitted_checks"] = Value::from(total - kept);
        text = value.to_string();
        if text.len() <= limit || kept == 0 {
            return text;
        }
        if let Some(checks) = value.get_mut("checks").and_then(Value::as_array_mut) {
            checks.truncate(kept / 2);
        }
    }
}

/// Publishes `alert`; returns SNS's message id.
pub async fn publish(sns: &aws_sdk_sns::Client, alert: &Alert) -> Result<String, String> {
    shared::notify::publish(
        sns,
        &alert.topic_arn,
        &alert.subject,
        &alert.message,
        &alert.attributes,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::Window;
    use crate::CheckResult;
    use chrono::{DateTime, Utc};

    fn check(name: &str, status: Status, severity: Severity) -> CheckResult {
        CheckResult {
            name: name.into(),
            table: "demand_forecast.sales_events".into(),
            kind: "row_count",
            status,
            severity,
            observed: Some(1.0),
            threshold: Some(2.0),
            owner: Some("retail-data".into()),
            message: (status != Status::Pass).then(|| "row count 1 is below the minimum 2".into()),
            query_execution_id: Some("q-1".into()),
            duration_ms: 10,
        }
    }

    fn summary(checks: Vec<CheckResult>) -> Summary {
        let at = |t: &str| DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc);
        let count = |s: Status| checks.iter().filter(|c| c.status == s).count();
        Summary {
            checked_at: "2026-11-27T07:05:12Z".into(),
            window: Window {
                start: at("2026-11-27T06:00:00Z"),
                end: at("2026-11-27T07:00:00Z"),
            },
            time_zone: "UTC".into(),
            passed: count(Status::Pass),
            failed: count(Status::Fail),
            errors: count(Status::Error),
            checks,
            alert: None,
        }
    }

    fn settings() -> Settings {
        Settings::new(
            "dq",
            "arn:aws:sns:us-east-1:1:notifications",
            "arn:aws:sns:us-east-1:1:critical",
        )
    }

    #[test]
    fn no_alert_when_everything_passed() {
        let s = summary(vec![check("a", Status::Pass, Severity::Critical)]);
        assert_eq!(build(&s, &settings()), None);
    }

    #[test]
    fn a_critical_problem_goes_to_the_critical_topic() {
        let s = summary(vec![
            check("a", Status::Fail, Severity::Warning),
            check("b", Status::Error, Severity::Critical),
            check("c", Status::Pass, Severity::Critical),
        ]);
        let alert = build(&s, &settings()).unwrap();
        assert_eq!(alert.topic_arn, "arn:aws:sns:us-east-1:1:critical");
        assert_eq!(alert.subject, "[data-quality] 1 check failed, 1 error");
        assert!(alert.attributes.contains(&(
            "severity".into(),
            "String".into(),
            "critical".into()
        )));
        assert!(alert.attributes.contains(&(
            "event_type".into(),
            "String".into(),
            "data_quality_failed".into()
        )));
    }

    #[test]
    fn warnings_only_go_to_the_notifications_topic() {
        let s = summary(vec![
            check("a", Status::Fail, Severity::Warning),
            check("b", Status::Pass, Severity::Critical),
        ]);
        let alert = build(&s, &settings()).unwrap();
        assert_eq!(alert.topic_arn, "arn:aws:sns:us-east-1:1:notifications");
        assert_eq!(alert.severity, Severity::Warning);
        assert_eq!(alert.subject, "[data-quality] 1 check failed");
    }

    #[test]
    fn the_message_is_the_summary_in_the_notifiers_shape() {
        let s = summary(vec![check("a", Status::Fail, Severity::Warning)]);
        let alert = build(&s, &settings()).unwrap();
        let json: Value = serde_json::from_str(&alert.message).unwrap();
        assert_eq!(
            json["window"],
            serde_json::json!({"start": "2026-11-27T06:00:00Z", "end": "2026-11-27T07:00:00Z"})
        );
        assert_eq!(json["failed"], 1);
        assert_eq!(json["errors"], 0);
        let c = &json["checks"][0];
        for key in [
            "name",
            "table",
            "kind",
            "status",
            "severity",
            "observed",
            "threshold",
            "owner",
            "message",
        ] {
            assert!(!c[key].is_null(), "{key} missing in {c}");
        }
        assert_eq!(c["status"], "fail");
        assert!(json.get("alert").is_none());
    }

    #[test]
    fn an_oversized_message_drops_passing_checks_then_halves_the_rest() {
        let mut checks: Vec<CheckResult> = (0..50)
            .map(|i| check(&format!("p{i}"), Status::Pass, Severity::Warning))
            .collect();
        checks.extend((0..50).map(|i| check(&format!("f{i}"), Status::Fail, Severity::Warning)));
        let s = summary(checks);
        let full = message(&s, usize::MAX);
        let text = message(&s, full.len() / 2);
        let json: Value = serde_json::from_str(&text).unwrap();
        assert!(text.len() <= full.len() / 2);
        assert_eq!(json["passed"], 50);
        assert!(json["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"] == "fail"));
        assert!(json["omitted_checks"].as_u64().unwrap() >= 50);
    }

    #[test]
    fn subjects_count_in_words() {
        assert_eq!(subject(2, 1), "[data-quality] 2 checks failed, 1 error");
        assert_eq!(subject(0, 3), "[data-quality] 3 errors");
    }
}
