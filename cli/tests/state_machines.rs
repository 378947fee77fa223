//! Every state machine in state-machines/ runs locally through each test case of its mock
//! configuration, with the real Lambda handlers; `events/<name>/expected-outcomes.json` says
//! what each case must do (status, final state, error, states that must or must not run, task
//! invocation counts, output values). The checks are on the path and the output, not just the
//! status.

mod support;

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use support::{pipelines, root, text};

/// One test case of `events/<machine>/expected-outcomes.json`. Unknown keys are errors, so a
/// misspelt expectation fails instead of asserting nothing.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expectation {
    /// The mock configuration's test case; the case's own name when absent.
    test_case: Option<String>,
    /// The input file under `events/<machine>/` (default `input.json`).
    input: Option<String>,
    status: String,
    final_state: String,
    error: Option<String>,
    #[serde(default)]
    path_includes: Vec<String>,
    #[serde(default)]
    path_excludes: Vec<String>,
    /// Whether a failed run published its own failure notice (default true).
    reports_failure_itself: Option<bool>,
    task_invocations: Option<BTreeMap<String, u64>>,
    #[serde(default)]
    output_checks: Vec<OutputCheck>,
}

/// A check of one value of the run's output, found by JSON pointer. `equals` compares
/// (`equals: null` needs the field present and null); `min` and `max` bound a number (either or
/// both). A check with none of them is rejected when the file is read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutputCheck {
    pointer: String,
    #[serde(default, deserialize_with = "present")]
    equals: Option<Value>,
    min: Option<f64>,
    max: Option<f64>,
}

/// `Some(value)` for any value that is present, `null` included (serde's `Option` reads `null`
/// as absent).
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

impl OutputCheck {
    /// What is wrong with `value` (the output at `pointer`, `None` when absent), if anything.
    fn problem(&self, value: Option<&Value>) -> Option<String> {
        let pointer = &self.pointer;
        if let Some(want) = &self.equals {
            if value != Some(want) {
                return Some(format!("output{pointer} is {value:?}, expected {want}"));
            }
        }
        if self.min.is_some() || self.max.is_some() {
            let number = value.and_then(Value::as_f64);
            let low = self.min.unwrap_or(f64::NEG_INFINITY);
            let high = self.max.unwrap_or(f64::INFINITY);
            if !number.is_some_and(|v| v >= low && v <= high) {
                return Some(format!(
                    "output{pointer} is {value:?}, expected {low}..={high}"
                ));
            }
        }
        None
    }
}

fn history_invocations(history: &Value) -> HashMap<String, u64> {
    let mut counts = HashMap::new();
    let mut current = String::new();
    for event in history["events"].as_array().into_iter().flatten() {
        if let Some(name) = event
            .pointer("/stateEnteredEventDetails/name")
            .and_then(Value::as_str)
        {
            current = name.to_string();
        }
        if matches!(
            event["type"].as_str(),
            Some("TaskScheduled" | "LambdaFunctionScheduled")
        ) {
            *counts.entry(current.clone()).or_insert(0) += 1;
        }
    }
    counts
}

/// The notifier's own test of a failed execution's history (newest first), on the history
/// the local engine recorded: did the failure path publish its notice? Every failure that the
/// pipeline detects must; a failure it cannot detect (invalid input at the first Choice) is left
/// to the EventBridge status-change alert.
fn failure_reported_itself(history: &Value) -> bool {
    let events: Vec<slack_notifier::history::Event> = history["events"]
        .as_array()
        .into_iter()
        .flatten()
        .rev()
        .map(|event| slack_notifier::history::Event {
            kind: event["type"].as_str().unwrap_or_default().to_string(),
            state: event
                .pointer("/stateEnteredEventDetails/name")
                .and_then(Value::as_str)
                .map(str::to_string),
            resource: event
                .get("taskSucceededEventDetails")
                .or_else(|| event.get("taskScheduledEventDetails"))
                .map(|details| {
                    format!(
                        "{}:{}",
                        details["resourceType"].as_str().unwrap_or_default(),
                        details["resource"].as_str().unwrap_or_default()
                    )
                }),
            parameters: event
                .pointer("/taskScheduledEventDetails/parameters")
                .and_then(Value::as_str)
                .map(str::to_string),
        })
        .collect();
    slack_notifier::history::reported_itself(&events)
}

fn check_case(machine: &str, case_name: &str, expected: &Expectation) -> Vec<String> {
    let mut problems = Vec::new();
    let test_case = expected.test_case.as_deref().unwrap_or(case_name);
    let input = root()
        .join("events")
        .join(machine)
        .join(expected.input.as_deref().unwrap_or("input.json"));
    let history = tempfile::NamedTempFile::new().unwrap();
    let output = pipelines(
        &root(),
        &[
            "run",
            machine,
            "--test-case",
            test_case,
            "--input",
            input.to_str().unwrap(),
            "--json",
            "--history",
            history.path().to_str().unwrap(),
        ],
    );
    let Ok(result) = serde_json::from_slice::<Value>(&output.stdout) else {
        return vec![format!("{case_name}: no JSON result: {}", text(&output))];
    };
    let status = result["status"].as_str().unwrap_or_default();
    let expected_code = if status == "SUCCEEDED" {
        Some(0)
    } else {
        Some(1)
    };
    if output.status.code() != expected_code {
        problems.push(format!(
            "{case_name}: exit {:?} for status {status}",
            output.status.code()
        ));
    }
    if status != expected.status {
        problems.push(format!(
            "{case_name}: status {status}, expected {} ({:?}: {:?})",
            expected.status, result["error"], result["cause"]
        ));
    }
    let path: Vec<&str> = result["path"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if path.last().copied() != Some(expected.final_state.as_str()) {
        problems.push(format!(
            "{case_name}: ended in {:?}, expected {}",
            path.last(),
            expected.final_state
        ));
    }
    if let Some(error) = &expected.error {
        if result["error"].as_str() != Some(error.as_str()) {
            problems.push(format!(
                "{case_name}: error {}, expected {error}",
                result["error"]
            ));
        }
    }
    for state in &expected.path_includes {
        if !path.contains(&state.as_str()) {
            problems.push(format!("{case_name}: {state} did not run; path {path:?}"));
        }
    }
    for state in &expected.path_excludes {
        if path.contains(&state.as_str()) {
            problems.push(format!("{case_name}: {state} ran but must not"));
        }
    }
    // A run that wrote no history (or an unreadable one) is a failure, not an empty history.
    let history = match std::fs::read_to_string(history.path())
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str::<Value>(&text).map_err(|e| e.to_string()))
    {
        Ok(history) if history["events"].is_array() => history,
        Ok(_) => {
            problems.push(format!("{case_name}: the history has no events array"));
            return problems;
        }
        Err(e) => {
            problems.push(format!("{case_name}: no readable history: {e}"));
            return problems;
        }
    };
    let reports_itself = expected.reports_failure_itself.unwrap_or(true);
    if status == "FAILED" && failure_reported_itself(&history) != reports_itself {
        problems.push(format!(
            "{case_name}: published its own failure notice: {}, expected {reports_itself} (the \
             Slack notifier posts the status-change alert only for failures without one)",
            !reports_itself
        ));
    }
    if let Some(expected_counts) = &expected.task_invocations {
        let counts = history_invocations(&history);
        let total: u64 = counts.values().sum();
        if expected_counts.is_empty() && total != 0 {
            problems.push(format!("{case_name}: {total} task(s) ran, expected none"));
        }
        for (state, count) in expected_counts {
            let got = counts.get(state).copied().unwrap_or(0);
            if got != *count {
                problems.push(format!(
                    "{case_name}: {state} invoked {got} time(s), expected {count}"
                ));
            }
        }
    }
    for check in &expected.output_checks {
        if let Some(problem) = check.problem(result["output"].pointer(&check.pointer)) {
            problems.push(format!("{case_name}: {problem}"));
        }
    }
    problems
}

/// The test cases of one `expected-outcomes.json`, or a panic naming the file and the bad key.
fn read_expectations(path: &std::path::Path) -> BTreeMap<String, Expectation> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let cases: BTreeMap<String, Expectation> =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for (name, case) in &cases {
        for check in &case.output_checks {
            assert!(
                check.equals.is_some() || check.min.is_some() || check.max.is_some(),
                "{}: {name}: the output check of {} has no equals, min or max: it asserts nothing",
                path.display(),
                check.pointer
            );
        }
    }
    cases
}

#[test]
fn output_checks_fail_on_an_absent_field_a_misspelt_key_and_one_sided_bounds() {
    let check = |json: &str| serde_json::from_str::<OutputCheck>(json);
    let null = check(r#"{"pointer": "/a", "equals": null}"#).unwrap();
    assert!(
        null.problem(None).is_some(),
        "equals: null passed on an absent field"
    );
    assert!(null.problem(Some(&Value::Null)).is_none());
    let at_least = check(r#"{"pointer": "/a", "min": 2}"#).unwrap();
    assert!(at_least.problem(Some(&serde_json::json!(1))).is_some());
    assert!(at_least.problem(None).is_some());
    assert!(at_least.problem(Some(&serde_json::json!(3))).is_none());
    let at_most = check(r#"{"pointer": "/a", "max": 2}"#).unwrap();
    assert!(at_most.problem(Some(&serde_json::json!(3))).is_some());
    assert!(
        check(r#"{"pointer": "/a", "equal": 1}"#).is_err(),
        "a misspelt key was accepted"
    );
    assert!(
        serde_json::from_str::<Expectation>(
            r#"{"status": "SUCCEEDED", "final_state": "Done", "path_include": ["A"]}"#
        )
        .is_err(),
        "a misspelt expectation was accepted"
    );
}

#[test]
fn every_state_machine_runs_each_test_case_as_expected() {
    let mut problems = Vec::new();
    let mut cases = 0;
    for entry in std::fs::read_dir(root().join("state-machines")).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().to_string();
        let Some(machine) = file.strip_suffix(".asl.json") else {
            continue;
        };
        let expectations = root()
            .join("events")
            .join(machine)
            .join("expected-outcomes.json");
        assert!(
            expectations.is_file(),
            "state-machines/{file} has no events/{machine}/expected-outcomes.json: every state machine needs its test cases"
        );
        let expected = read_expectations(&expectations);
        for (case_name, case) in &expected {
            cases += 1;
            problems.extend(check_case(machine, case_name, case));
        }
    }
    assert!(cases >= 5, "only {cases} test cases ran");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_happy_path_shows_progress_and_writes_history_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("h.json");
    let report = dir.path().join("r.html");
    let output = pipelines(
        &root(),
        &[
            "run",
            "ml-retraining",
            "--history",
            history.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ],
    );
    let all = text(&output);
    assert!(output.status.success(), "{all}");
    assert!(all.contains("▶ EvaluateCandidateModel (Task)"), "{all}");
    assert!(all.contains("status: SUCCEEDED"), "{all}");
    assert!(all.contains("path:   ValidateExecutionInput →"), "{all}");
    // The nested model-deployment runs on the parent's virtual clock: two observation windows
    // of an hour and six endpoint polls 30 s apart move it 2 h 3 min; the run did not sleep.
    assert!(all.contains("+02:03:00.000  ✔ DeployCandidate"), "{all}");
    let history: Value = serde_json::from_str(&std::fs::read_to_string(&history).unwrap()).unwrap();
    assert_eq!(history["events"][0]["type"], "ExecutionStarted");
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(
        html.contains("<svg")
            && html.contains("EvaluateCandidateModel")
            && html.contains("SUCCEEDED")
    );
}

#[test]
fn a_retried_task_shows_its_attempts() {
    let output = pipelines(&root(), &["run", "ml-retraining#TransientGlueFailure"]);
    let all = text(&output);
    assert!(output.status.success(), "{all}");
    assert!(all.contains("↻ PrepareTrainingData: attempt 3"), "{all}");
    assert!(
        all.contains("✖ Glue.ConcurrentRunsExceededException"),
        "{all}"
    );
}

#[test]
fn an_unmocked_service_step_names_the_state_and_resource() {
    let output = pipelines(&root(), &["run", "ml-retraining", "--no-mocks", "--json"]);
    let result: Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{}", text(&output)));
    assert_eq!(output.status.code(), Some(1));
    let cause = result["cause"].as_str().unwrap_or_default();
    // CheckFeatures (a workspace function that needs AWS) fails without an endpoint, and the
    // failure path's SNS notice is the first service step without a handler.
    assert!(
        cause.contains("No local handler for state 'NotifyPipelineFailure'")
            && cause.contains("sns:publish"),
        "{result}"
    );
}

#[test]
fn an_unknown_test_case_or_machine_is_a_usage_error() {
    let output = pipelines(&root(), &["run", "ml-retraining", "--test-case", "Nope"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output).contains("no test case 'Nope'"),
        "{}",
        text(&output)
    );
    let output = pipelines(&root(), &["run", "no-such-machine"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output).contains("no state machine \"no-such-machine\""),
        "{}",
        text(&output)
    );
}

#[test]
fn a_test_case_runs_with_its_own_input_by_default() {
    // ApprovedByAPerson is written for input-manual-approval.json (approval: manual); run bare,
    // it must still wait for the person rather than take the automatic path of input.json.
    let output = pipelines(
        &root(),
        &["run", "ml-retraining#ApprovedByAPerson", "--json"],
    );
    let result: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("no JSON result: {}", text(&output)));
    let path: Vec<&str> = result["path"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(path.contains(&"WaitForApproval"), "{result}");
    assert!(!path.contains(&"MarkCandidateApproved"), "{result}");
}
