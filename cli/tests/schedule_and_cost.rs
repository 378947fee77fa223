//! `pipelines schedule` and `pipelines cost` on a small fixture template
//! (`tests/fixtures/cost/`) whose fire times and bill are computed by hand.

mod support;

use serde_json::Value;
use std::path::PathBuf;
use support::{pipelines, root, text};

fn fixture() -> PathBuf {
    root().join("cli/tests/fixtures/cost")
}

fn json_of(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(output)))
}

fn close(actual: &Value, expected: f64) -> bool {
    actual.as_f64().is_some_and(|a| (a - expected).abs() < 1e-9)
}

#[test]
fn an_expression_prints_exactly_its_fires_in_utc() {
    let output = pipelines(
        &root(),
        &[
            "schedule",
            "--expression",
            "cron(0 2 ? * SUN *)",
            "--timezone",
            "Europe/Berlin",
            "--from",
            "2027-03-20",
            "--count",
            "3",
            "--json",
        ],
    );
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        r#"{"expression":"cron(0 2 ? * SUN *)","timezone":"Europe/Berlin","fires":["2027-03-21T01:00:00Z","2027-04-04T00:00:00Z","2027-04-11T00:00:00Z"]}"#
    );
}

#[test]
fn an_invalid_expression_exits_2_with_aws_rule() {
    let output = pipelines(
        &root(),
        &[
            "schedule",
            "--expression",
            "cron(0 9 ? * 2#1,4 *)",
            "--json",
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("you can define only one expression in the day-of-week field"),
        "{}",
        text(&output)
    );
    let output = pipelines(
        &root(),
        &[
            "schedule",
            "--expression",
            "cron(0/15 * * * ? *)",
            "--from",
            "2027-01-01T00:07:00Z",
            "--count",
            "2",
            "--json",
        ],
    );
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(
        json_of(&output)["fires"],
        serde_json::json!(["2027-01-01T00:15:00Z", "2027-01-01T00:30:00Z"])
    );
}

#[test]
fn the_template_schedules_show_fires_dst_and_overlaps() {
    let dir = fixture();
    let project = dir.to_str().unwrap();
    let output = pipelines(
        &root(),
        &[
            "schedule",
            "--project",
            project,
            "--from",
            "2027-02-01",
            "--count",
            "2",
            "--json",
        ],
    );
    assert!(output.status.success(), "{}", text(&output));
    let listing = json_of(&output);
    let schedule = |id: &str| {
        listing["schedules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["logical_id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no {id} in {listing}"))
    };
    let nightly = schedule("NightlySchedule");
    assert_eq!(nightly["target"]["name"], "nightly");
    assert_eq!(nightly["fires"][0]["utc"], "2027-02-01T02:00:00Z");
    let disabled = schedule("DisabledSchedule");
    let dst: Vec<(&str, &str)> = disabled["dst"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["kind"].as_str().unwrap(), n["date"].as_str().unwrap()))
        .collect();
    assert_eq!(dst, [("skipped", "2027-03-28"), ("repeated", "2027-10-31")]);
    // Nightly runs 02:00-03:30 (RunMinutes 90) and shares DataBucket with the hourly function:
    // the 02:00 and 03:00 hourly runs, on each of the 7 days.
    let overlaps = listing["overlaps"].as_array().unwrap();
    let shared = overlaps
        .iter()
        .find(|o| o["reason"].as_str().unwrap().contains("DataBucket"))
        .unwrap_or_else(|| panic!("{overlaps:?}"));
    assert_eq!(
        shared["schedules"],
        serde_json::json!(["NightlySchedule", "HourlySchedule"])
    );
    assert_eq!(shared["count"], 14);
    // Every 10 minutes with 30-minute runs: a run still going when the next starts.
    assert!(
        overlaps
            .iter()
            .any(|o| o["reason"] == "both start frequent"),
        "{overlaps:?}"
    );
    // Disabled schedules are not in the week.
    assert!(!overlaps
        .iter()
        .any(|o| o.to_string().contains("DisabledSchedule")));

    let output = pipelines(
        &root(),
        &[
            "schedule",
            "--project",
            project,
            "--from",
            "2027-02-01",
            "--count",
            "1",
        ],
    );
    let shown = text(&output);
    assert!(
        shown.contains("week (UTC)") && shown.contains("Mon 02-01"),
        "{shown}"
    );
    assert!(
        shown.contains("warning: overlap: NightlySchedule and HourlySchedule"),
        "{shown}"
    );
    assert!(shown.contains("does not exist on 2027-03-28"), "{shown}");
}

/// February 2027 (28 days), by hand:
/// - nightly (Standard): cron(0 2 * * ? *) = 28 runs x 3 transitions (Prepare, CallWorker, Done) = 84
/// - frequent (Standard): rate(10 minutes) = 28 x 144 = 4,032 runs x 2 transitions = 8,064
///   -> 8,148 transitions: $0.2037 list; 4,000 free -> 4,148 x $0.000025 = $0.1037
/// - ingest (Express): 1,000,000 events; 250 ms -> 300 ms billed, 100 MB -> 128 MB billed:
///   $1.00 requests + 1e6 x 0.3 s x 0.125 GB = 37,500 GB-s x $0.00001667 = $0.625125
/// - worker: 28 calls (one per nightly run) x 2 s x 0.5 GB = 28 GB-s; hourly: cron(0 * * * ? *)
///   = 672 runs x 0.5 s (--lambda-duration-ms) x 1 GB (Globals) = 336 GB-s -> 364 GB-s arm64
///   = $0.0048533576, 700 requests = $0.00014: all inside Lambda's free tier
/// - Scheduler: 28 + 4,032 + 672 = 4,732 invocations = $0.004732, inside its free tier
///
/// Total: $1.728825 with free tiers, $1.8385503576 without.
#[test]
fn cost_matches_the_bill_computed_by_hand() {
    let dir = fixture();
    let project = dir.to_str().unwrap();
    let args = [
        "cost",
        "--project",
        project,
        "--month",
        "2027-02",
        "--lambda-duration-ms",
        "500",
        "--json",
    ];
    let output = pipelines(&root(), &args);
    assert!(output.status.success(), "{}", text(&output));
    let bill = json_of(&output);
    let workflow = |name: &str| {
        bill["workflows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {bill}"))
    };
    assert_eq!(workflow("nightly")["runs"], 28.0);
    assert_eq!(workflow("nightly")["transitions_per_run"], 3);
    assert_eq!(workflow("frequent")["runs"], 4032.0);
    assert_eq!(workflow("frequent")["transitions_per_run"], 2);
    assert_eq!(
        workflow("hourly")["runs"],
        672.0,
        "the disabled schedule is not counted"
    );
    assert!(close(&workflow("ingest")["step_functions_usd"], 1.625125));
    let service = |name: &str| {
        bill["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["service"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(service("Step Functions Standard")["quantity"], 8148.0);
    assert!(close(
        &service("Step Functions Standard")["net_usd"],
        0.1037
    ));
    assert!(close(&service("Lambda compute (arm64)")["quantity"], 364.0));
    assert_eq!(service("Lambda requests")["quantity"], 700.0);
    assert_eq!(service("EventBridge Scheduler")["quantity"], 4732.0);
    assert!(close(&bill["total_usd"], 1.728825), "{}", bill["total_usd"]);
    assert_eq!(bill["within_budget"], true);
    assert_eq!(bill["free_tiers_applied"], true);

    let mut list_prices = args.to_vec();
    list_prices.push("--no-free-tier");
    let bill = json_of(&pipelines(&root(), &list_prices));
    assert!(
        close(&bill["total_usd"], 1.8385503576),
        "{}",
        bill["total_usd"]
    );
}

#[test]
fn a_prices_file_replaces_prices_and_over_budget_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let prices = dir.path().join("prices.json");
    std::fs::write(
        &prices,
        r#"{"budget_usd": 1.5, "express_request_usd": 0.000002}"#,
    )
    .unwrap();
    let fixture = fixture();
    let output = pipelines(
        &root(),
        &[
            "cost",
            "--project",
            fixture.to_str().unwrap(),
            "--month",
            "2027-02",
            "--lambda-duration-ms",
            "500",
            "--prices",
            prices.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let shown = text(&output);
    // $2.00 of Express requests now, the rest as before: $2.728825 against $1.50.
    assert!(
        shown.contains("Total: $2.73 per month; budget $1.50: OVER"),
        "{shown}"
    );
    assert!(shown.contains("Free tiers applied"), "{shown}");

    std::fs::write(&prices, r#"{"budget": 1.5}"#).unwrap();
    let output = pipelines(
        &root(),
        &[
            "cost",
            "--project",
            fixture.to_str().unwrap(),
            "--prices",
            prices.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("unknown field"), "{}", text(&output));
}

#[test]
fn cost_runs_on_the_project_itself() {
    let output = pipelines(&root(), &["cost", "--month", "2027-02", "--json"]);
    assert!(output.status.success(), "{}", text(&output));
    let bill = json_of(&output);
    assert_eq!(bill["failed_runs"], serde_json::json!([]));
    assert!(bill["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w["transitions_per_run"].as_u64().is_some_and(|t| t > 0)));
}
