//! An Athena query cancelled while it runs, on moto. This test changes moto's state manager
//! (queries stay QUEUED/RUNNING for several polls), which is global to the server: it lives in
//! its own test binary, so it has its own moto server.

mod common;

use common::{moto_preset, results, rules, scheduled_event};
use data_quality::athena::Backoff;
use data_quality::evaluate::Status;
use data_quality::{handle, Deps, Settings};
use integration_tests::LocalAws;
use serde_json::{json, Value};
use std::time::Duration;

async fn post(path: &str, body: Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", LocalAws::shared().endpoint()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
}

#[tokio::test]
async fn a_query_cancelled_in_athena_is_an_error_result_and_the_other_checks_still_run() {
    let region = "ap-southeast-2";
    let common::LocalAccount {
        config,
        athena,
        workgroup,
        notifications,
        critical,
        ..
    } = common::local_account(region).await;
    // Each query needs 5 polls to move QUEUED → RUNNING and 5 more to SUCCEEDED.
    post(
        "/moto-api/state-manager/set-transition",
        json!({"model_name": "athena::execution", "transition": {"progression": "manual", "times": 5}}),
    )
    .await;
    post(
        "/moto-api/static/athena/query-results",
        json!({"region": region, "results": results(0).iter().map(moto_preset).collect::<Vec<_>>()}),
    )
    .await;
    let mut settings = Settings::new(&workgroup, &notifications, &critical);
    settings.max_concurrency = 1;
    let deps = Deps::new(&config, settings, rules()).with_backoff(Backoff {
        base: Duration::from_millis(20),
        cap: Duration::from_millis(20),
        max_attempts: u32::MAX,
    });
    // An operator cancels the second query (the freshness check) while it is queued.
    let operator = {
        let athena = athena.clone();
        let workgroup = workgroup.clone();
        tokio::spawn(async move {
            loop {
                let ids = athena
                    .list_query_executions()
                    .work_group(&workgroup)
                    .send()
                    .await
                    .unwrap()
                    .query_execution_ids
                    .unwrap_or_default();
                if let Some(second) = ids.get(1) {
                    athena
                        .stop_query_execution()
                        .query_execution_id(second)
                        .send()
                        .await
                        .unwrap();
                    return second.clone();
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
    };
    let summary = handle(&deps, scheduled_event()).await.unwrap();
    let cancelled = operator.await.unwrap();
    post(
        "/moto-api/state-manager/set-transition",
        json!({"model_name": "athena::execution", "transition": {"progression": "immediate"}}),
    )
    .await;
    assert_eq!(
        (summary.passed, summary.failed, summary.errors),
        (3, 0, 1),
        "{summary:#?}"
    );
    let fresh = &summary.checks[1];
    assert_eq!(
        (fresh.name.as_str(), fresh.status),
        ("sales_events_fresh", Status::Error)
    );
    assert_eq!(
        fresh.query_execution_id.as_deref(),
        Some(cancelled.as_str())
    );
    assert!(
        fresh
            .message
            .as_deref()
            .unwrap()
            .starts_with("Athena query was cancelled"),
        "{fresh:?}"
    );
    // The checks after the cancelled one ran and passed (their results follow in moto's queue).
    assert_eq!(summary.checks[3].status, Status::Pass);
    // A warning check could not run: the alert goes to the notifications topic.
    assert_eq!(summary.alert.as_ref().unwrap().topic_arn, notifications);
}
