//! The sample events of `events/data-quality/` do what their README table says: the window they
//! check, the tables they select, and the `InvalidEvent`s (which start no query).

use aws_sdk_athena::operation::start_query_execution::StartQueryExecutionOutput;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use chrono::{DateTime, Utc};
use data_quality::clock::ManualClock;
use data_quality::rules::Rules;
use data_quality::{handle, select_tables, window_of, Deps, RunRequest, Settings, BUNDLED_RULES};
use integration_tests::workspace_root;
use serde_json::Value;
use std::sync::Arc;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn event(name: &str) -> Value {
    let path = workspace_root().join("events/data-quality").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn rules() -> Rules {
    data_quality::rules::parse(BUNDLED_RULES).unwrap()
}

/// The window and the table names an event selects, at 08:00 on 2026-11-27.
fn plan(name: &str) -> ((String, String), Vec<String>) {
    let request: RunRequest = serde_json::from_value(event(name)).unwrap();
    let rules = rules();
    let window = window_of(&request, at("2026-11-27T08:00:00Z"), rules.time_zone).unwrap();
    let tables = select_tables(&rules, request.tables.as_deref()).unwrap();
    (
        (
            data_quality::window::text(window.start),
            data_quality::window::text(window.end),
        ),
        tables.iter().map(|t| t.name.clone()).collect(),
    )
}

fn s(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

#[test]
fn the_scheduled_events_check_the_hour_before_their_scheduled_time() {
    let all = vec!["sales_events".to_string(), "forecasts".to_string()];
    assert_eq!(
        plan("scheduled.json"),
        (
            s("2026-11-27T06:00:00Z", "2026-11-27T07:00:00Z"),
            all.clone()
        )
    );
    assert_eq!(
        plan("scheduled-across-midnight.json"),
        (s("2026-11-26T23:00:00Z", "2026-11-27T00:00:00Z"), all)
    );
}

#[test]
fn the_explicit_windows_and_subsets_are_taken_as_given() {
    assert_eq!(
        plan("backfill-day.json").0,
        s("2026-11-26T00:00:00Z", "2026-11-27T00:00:00Z")
    );
    assert_eq!(
        plan("rerun-hour-forecasts.json"),
        (
            s("2026-11-27T05:00:00Z", "2026-11-27T06:00:00Z"),
            vec!["forecasts".to_string()]
        )
    );
    assert_eq!(
        plan("etl-after-load.json"),
        (
            s("2026-11-27T05:00:00Z", "2026-11-27T06:00:00Z"),
            vec!["sales_events".to_string()]
        )
    );
}

#[tokio::test]
async fn the_invalid_events_fail_before_any_query() {
    shared::metrics::set_sink(shared::metrics::Sink::Discard);
    let start = mock!(aws_sdk_athena::Client::start_query_execution).then_output(|| {
        StartQueryExecutionOutput::builder()
            .query_execution_id("never")
            .build()
    });
    let athena = mock_client!(aws_sdk_athena, RuleMode::MatchAny, [&start]);
    let sns = mock_client!(aws_sdk_sns, RuleMode::MatchAny, []);
    let settings = Settings::new(
        "data-quality",
        "arn:aws:sns:us-east-1:123456789012:notifications",
        "arn:aws:sns:us-east-1:123456789012:critical",
    );
    let deps = Deps::with_clients(athena, sns, settings, rules())
        .with_clock(Arc::new(ManualClock::new(at("2026-11-27T08:00:00Z"))));
    for (name, needle) in [
        ("invalid-window.json", "must be after window_start"),
        ("unknown-table.json", "demand_forecast.inventory"),
    ] {
        let error = handle(&deps, event(name)).await.unwrap_err();
        assert_eq!(
            shared::ErrorType::error_type(&error),
            "InvalidEvent",
            "{name}"
        );
        assert!(error.to_string().contains(needle), "{name}: {error}");
    }
    assert_eq!(start.num_calls(), 0);
}
