//! Fault injection with `aws-smithy-mocks`: the Athena and SNS clients answer from rules, no
//! server; time is virtual (a manual clock whose sleeps move it), so nothing really waits.

mod common;

use aws_sdk_athena::error::ErrorMetadata;
use aws_sdk_athena::operation::get_query_execution::GetQueryExecutionOutput;
use aws_sdk_athena::operation::get_query_results::GetQueryResultsOutput;
use aws_sdk_athena::operation::start_query_execution::{
    StartQueryExecutionError, StartQueryExecutionOutput,
};
use aws_sdk_athena::operation::stop_query_execution::StopQueryExecutionOutput;
use aws_sdk_athena::types::{
    AthenaError, ColumnInfo, Datum, QueryExecution, QueryExecutionState, QueryExecutionStatus,
    ResultSet, ResultSetMetadata, Row,
};
use aws_sdk_sns::operation::publish::{PublishError, PublishOutput};
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use chrono::Duration;
use common::{at, results, rules, scheduled_event, CRITICAL, NOTIFICATIONS};
use data_quality::clock::{Clock, ManualClock};
use data_quality::evaluate::Status;
use data_quality::{handle_until, Deps, Settings};
use std::sync::{Arc, Mutex};

fn athena(rules: &[&Rule]) -> aws_sdk_athena::Client {
    mock_client!(aws_sdk_athena, RuleMode::MatchAny, rules, |c| c
        .retry_config(aws_sdk_athena::config::retry::RetryConfig::disabled()))
}

fn sns(rules: &[&Rule]) -> aws_sdk_sns::Client {
    mock_client!(aws_sdk_sns, RuleMode::MatchAny, rules, |c| c
        .retry_config(aws_sdk_sns::config::retry::RetryConfig::disabled()))
}

/// Dependencies on mock clients, the clock at 07:05:00 (the scheduled time).
fn deps(athena: aws_sdk_athena::Client, sns: aws_sdk_sns::Client) -> (Deps, Arc<ManualClock>) {
    shared::metrics::set_sink(shared::metrics::Sink::Discard);
    let clock = Arc::new(ManualClock::new(at("2026-11-27T07:05:00Z")));
    let deps = Deps::with_clients(
        athena,
        sns,
        Settings::new("data-quality", NOTIFICATIONS, CRITICAL),
        rules(),
    )
    .with_clock(clock.clone());
    (deps, clock)
}

/// The query id a started query gets: the check is recognised by its SQL.
fn id_for(sql: &str) -> &'static str {
    if sql.contains("information_schema") {
        "q-schema"
    } else if sql.contains("\"newest\"") {
        "q-fresh"
    } else if sql.contains("IS NULL") {
        "q-nulls"
    } else {
        "q-rows"
    }
}

fn started() -> Rule {
    mock!(aws_sdk_athena::Client::start_query_execution).then_compute_output(|input| {
        StartQueryExecutionOutput::builder()
            .query_execution_id(id_for(input.query_string().unwrap_or_default()))
            .build()
    })
}

fn execution(
    id: &str,
    state: QueryExecutionState,
    reason: Option<&str>,
) -> GetQueryExecutionOutput {
    let mut status = QueryExecutionStatus::builder().state(state);
    if let Some(reason) = reason {
        status = status.state_change_reason(reason).athena_error(
            AthenaError::builder()
                .error_category(2)
                .error_message(reason)
                .build(),
        );
    }
    GetQueryExecutionOutput::builder()
        .query_execution(
            QueryExecution::builder()
                .query_execution_id(id)
                .status(status.build())
                .build(),
        )
        .build()
}

fn succeeded() -> Rule {
    mock!(aws_sdk_athena::Client::get_query_execution).then_compute_output(|input| {
        execution(
            input.query_execution_id().unwrap_or_default(),
            QueryExecutionState::Succeeded,
            None,
        )
    })
}

fn result_output(result: &common::Result) -> GetQueryResultsOutput {
    let header = Row::builder()
        .set_data(Some(
            result
                .columns
                .iter()
                .map(|c| Datum::builder().var_char_value(*c).build())
                .collect(),
        ))
        .build();
    let mut rows = vec![header];
    rows.extend(result.rows.iter().map(|r| {
        Row::builder()
            .set_data(Some(
                r.iter()
                    .map(|v| Datum::builder().set_var_char_value(v.clone()).build())
                    .collect(),
            ))
            .build()
    }));
    let columns = result
        .columns
        .iter()
        .map(|c| {
            ColumnInfo::builder()
                .name(*c)
                .r#type("varchar")
                .build()
                .unwrap()
        })
        .collect();
    GetQueryResultsOutput::builder()
        .result_set(
            ResultSet::builder()
                .result_set_metadata(
                    ResultSetMetadata::builder()
                        .set_column_info(Some(columns))
                        .build(),
                )
                .set_rows(Some(rows))
                .build(),
        )
        .build()
}

/// Results per query id: every check passes.
fn passing_results() -> Rule {
    mock!(aws_sdk_athena::Client::get_query_results).then_compute_output(|input| {
        let all = results(0);
        let index = match input.query_execution_id().unwrap_or_default() {
            "q-rows" => 0,
            "q-fresh" => 1,
            "q-nulls" => 2,
            _ => 3,
        };
        result_output(&all[index])
    })
}

/// A publish rule that records the requests it sees.
fn recording_publish(seen: Arc<Mutex<Vec<aws_sdk_sns::operation::publish::PublishInput>>>) -> Rule {
    mock!(aws_sdk_sns::Client::publish).then_compute_output(move |input| {
        seen.lock().unwrap().push(input.clone());
        PublishOutput::builder().message_id("m-1").build()
    })
}

#[tokio::test]
async fn a_throttled_start_is_retried_with_back_off_and_the_check_passes() {
    let throttled = mock!(aws_sdk_athena::Client::start_query_execution)
        .match_requests(|input| {
            input
                .query_string()
                .is_some_and(|q| q.contains("\"observed\""))
        })
        .sequence()
        .error(|| {
            StartQueryExecutionError::generic(
                ErrorMetadata::builder()
                    .code("TooManyRequestsException")
                    .message("Rate exceeded")
                    .build(),
            )
        })
        .times(2)
        .output(|| {
            StartQueryExecutionOutput::builder()
                .query_execution_id("q-rows")
                .build()
        })
        .build();
    let others = started();
    let (get, results) = (succeeded(), passing_results());
    let (deps, clock) = deps(athena(&[&throttled, &others, &get, &results]), sns(&[]));
    let before = clock.now();
    let summary = handle_until(&deps, scheduled_event(), before + Duration::minutes(10))
        .await
        .unwrap();
    assert_eq!(
        (summary.passed, summary.failed, summary.errors),
        (4, 0, 0),
        "{summary:#?}"
    );
    assert_eq!(
        throttled.num_calls(),
        3,
        "two throttles, then the start that went through"
    );
    let rows = &summary.checks[0];
    assert_eq!(
        (rows.name.as_str(), rows.status),
        ("sales_events_min_rows", Status::Pass)
    );
    assert_eq!(rows.query_execution_id.as_deref(), Some("q-rows"));
    assert!(clock.now() > before, "the retries waited (in virtual time)");
    assert!(summary.alert.is_none());
}

#[tokio::test]
async fn a_query_stuck_running_is_stopped_at_the_deadline_and_reported_as_an_error() {
    let running = mock!(aws_sdk_athena::Client::get_query_execution).then_compute_output(|input| {
        execution(
            input.query_execution_id().unwrap_or_default(),
            QueryExecutionState::Running,
            None,
        )
    });
    let stopped: Arc<Mutex<Vec<String>>> = Arc::default();
    let stopped_ids = stopped.clone();
    let stop =
        mock!(aws_sdk_athena::Client::stop_query_execution).then_compute_output(move |input| {
            stopped_ids
                .lock()
                .unwrap()
                .push(input.query_execution_id().unwrap_or_default().to_string());
            StopQueryExecutionOutput::builder().build()
        });
    let never = passing_results();
    let seen = Arc::default();
    let publish = recording_publish(Arc::clone(&seen));
    let start = started();
    let (deps, clock) = deps(athena(&[&start, &running, &stop, &never]), sns(&[&publish]));
    let deadline = clock.now() + Duration::minutes(2);
    let wall = std::time::Instant::now();
    let summary = handle_until(&deps, scheduled_event(), deadline)
        .await
        .unwrap();
    assert!(
        wall.elapsed() < std::time::Duration::from_secs(5),
        "virtual time: no real waiting"
    );
    assert_eq!((summary.passed, summary.failed, summary.errors), (0, 0, 4));
    for check in &summary.checks {
        assert_eq!(check.status, Status::Error);
        assert!(
            check
                .message
                .as_deref()
                .unwrap_or_default()
                .contains("deadline passed"),
            "{check:?}"
        );
        assert!(check.query_execution_id.is_some());
    }
    let mut stopped = stopped.lock().unwrap().clone();
    stopped.sort();
    assert_eq!(stopped, ["q-fresh", "q-nulls", "q-rows", "q-schema"]);
    assert_eq!(
        never.num_calls(),
        0,
        "no result is read from a stopped query"
    );
    assert!(clock.now() >= deadline);
    assert!(
        clock.now() < deadline + Duration::seconds(30),
        "polling stopped at the deadline"
    );
    // One alert, to the critical topic: a critical check could not run.
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].topic_arn(), Some(CRITICAL));
    assert_eq!(seen[0].subject(), Some("[data-quality] 4 errors"));
    let attributes = seen[0].message_attributes().unwrap();
    assert_eq!(attributes["severity"].string_value(), Some("critical"));
    assert_eq!(attributes["errors"].data_type(), "Number");
    assert_eq!(summary.alert.as_ref().unwrap().message_id, "m-1");
}

#[tokio::test]
async fn a_failed_query_is_an_error_result_with_athenas_reason_and_the_run_goes_on() {
    let states = mock!(aws_sdk_athena::Client::get_query_execution).then_compute_output(|input| {
        match input.query_execution_id().unwrap_or_default() {
            "q-schema" => execution(
                "q-schema",
                QueryExecutionState::Failed,
                Some("TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.demand_forecast.sales_events' does not exist"),
            ),
            id => execution(id, QueryExecutionState::Succeeded, None),
        }
    });
    let (start, results) = (started(), passing_results());
    let seen = Arc::default();
    let publish = recording_publish(Arc::clone(&seen));
    let (deps, clock) = deps(athena(&[&start, &states, &results]), sns(&[&publish]));
    let summary = handle_until(
        &deps,
        scheduled_event(),
        clock.now() + Duration::minutes(10),
    )
    .await
    .unwrap();
    assert_eq!((summary.passed, summary.failed, summary.errors), (3, 0, 1));
    let schema = &summary.checks[3];
    assert_eq!(schema.status, Status::Error);
    assert_eq!(
        schema.message.as_deref(),
        Some("Athena query failed: TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.demand_forecast.sales_events' does not exist")
    );
    // The schema check is a warning: the alert goes to the notifications topic.
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].topic_arn(), Some(NOTIFICATIONS));
    assert_eq!(seen[0].subject(), Some("[data-quality] 1 error"));
}

#[tokio::test]
async fn a_refused_start_is_not_retried() {
    let refused = mock!(aws_sdk_athena::Client::start_query_execution).then_error(|| {
        StartQueryExecutionError::generic(
            ErrorMetadata::builder()
                .code("InvalidRequestException")
                .message("line 1:8: Column 'store_id' cannot be resolved")
                .build(),
        )
    });
    let seen = Arc::default();
    let publish = recording_publish(Arc::clone(&seen));
    let (deps, clock) = deps(athena(&[&refused]), sns(&[&publish]));
    let summary = handle_until(
        &deps,
        scheduled_event(),
        clock.now() + Duration::minutes(10),
    )
    .await
    .unwrap();
    assert_eq!(summary.errors, 4);
    assert_eq!(refused.num_calls(), 4, "one call per check, no retry");
    assert!(summary.checks[2]
        .message
        .as_deref()
        .unwrap()
        .contains("InvalidRequestException"));
}

#[tokio::test]
async fn an_alert_sns_refuses_fails_the_invocation_so_that_it_is_retried() {
    let refused = mock!(aws_sdk_athena::Client::start_query_execution).then_error(|| {
        StartQueryExecutionError::generic(
            ErrorMetadata::builder()
                .code("InvalidRequestException")
                .build(),
        )
    });
    let publish = mock!(aws_sdk_sns::Client::publish).then_error(|| {
        PublishError::generic(
            aws_sdk_sns::error::ErrorMetadata::builder()
                .code("AuthorizationError")
                .message("not authorized to perform SNS:Publish")
                .build(),
        )
    });
    let (deps, clock) = deps(athena(&[&refused]), sns(&[&publish]));
    let error = handle_until(
        &deps,
        scheduled_event(),
        clock.now() + Duration::minutes(10),
    )
    .await
    .unwrap_err();
    assert_eq!(shared::ErrorType::error_type(&error), "AlertNotPublished");
    assert!(error.to_string().contains("AuthorizationError"));
}

#[tokio::test]
async fn concurrency_is_bounded() {
    let in_flight = Arc::new(Mutex::new((0usize, 0usize)));
    let (a, b) = (in_flight.clone(), in_flight.clone());
    let start =
        mock!(aws_sdk_athena::Client::start_query_execution).then_compute_output(move |input| {
            let mut s = a.lock().unwrap();
            s.0 += 1;
            s.1 = s.1.max(s.0);
            StartQueryExecutionOutput::builder()
                .query_execution_id(id_for(input.query_string().unwrap_or_default()))
                .build()
        });
    // Each query is RUNNING on its first poll, SUCCEEDED on the next.
    let polls: Arc<Mutex<std::collections::HashMap<String, u32>>> = Arc::default();
    let get =
        mock!(aws_sdk_athena::Client::get_query_execution).then_compute_output(move |input| {
            let id = input.query_execution_id().unwrap_or_default().to_string();
            let mut polls = polls.lock().unwrap();
            let n = polls.entry(id.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                execution(&id, QueryExecutionState::Running, None)
            } else {
                b.lock().unwrap().0 -= 1;
                execution(&id, QueryExecutionState::Succeeded, None)
            }
        });
    let results = passing_results();
    let clock = Arc::new(ManualClock::new(at("2026-11-27T07:05:00Z")));
    let mut settings = Settings::new("data-quality", NOTIFICATIONS, CRITICAL);
    settings.max_concurrency = 2;
    let deps = Deps::with_clients(
        athena(&[&start, &get, &results]),
        sns(&[]),
        settings,
        rules(),
    )
    .with_clock(clock.clone());
    let summary = handle_until(
        &deps,
        scheduled_event(),
        clock.now() + Duration::minutes(10),
    )
    .await
    .unwrap();
    assert_eq!(summary.passed, 4);
    let (now, max) = *in_flight.lock().unwrap();
    assert_eq!(now, 0);
    assert!(max <= 2, "at most 2 queries at once, saw {max}");
}
