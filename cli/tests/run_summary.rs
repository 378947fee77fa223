//! What a person sees after `pipelines run`: a short summary (status, virtual duration, the
//! path in one line, the error on failure, the key results that
//! `state-machines/NAME.summary.json` declares), the full output in a file whose path is
//! printed, and with `--output json` the machine-readable result instead. Every test case of
//! every state machine is run as a person would run it; the key results each must show are in
//! `tests/fixtures/run-summaries.json`.

mod support;

use serde_json::Value;
use std::path::Path;
use support::{pipelines, root, scratch_project, text};

/// The summary lines after the progress (stdout only: progress goes to stderr).
fn summary_lines(stdout: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn expected_summaries() -> Value {
    let path = root().join("cli/tests/fixtures/run-summaries.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn run_text(machine: &str, case: &Value, case_name: &str, dir: &Path) -> std::process::Output {
    let test_case = case["test_case"].as_str().unwrap_or(case_name);
    let input = root()
        .join("events")
        .join(machine)
        .join(case["input"].as_str().unwrap_or("input.json"));
    pipelines(
        &root(),
        &[
            "run",
            machine,
            "--test-case",
            test_case,
            "--input",
            input.to_str().unwrap(),
            "--history",
            dir.join("h.json").to_str().unwrap(),
            "--report",
            dir.join("r.html").to_str().unwrap(),
        ],
    )
}

#[test]
fn every_test_case_ends_with_a_short_summary_of_its_key_results() {
    let expected = expected_summaries();
    let mut problems = Vec::new();
    let mut cases = 0;
    for entry in std::fs::read_dir(root().join("state-machines")).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().to_string();
        let Some(machine) = file.strip_suffix(".asl.json") else {
            continue;
        };
        let outcomes: Value = serde_json::from_str(
            &std::fs::read_to_string(
                root()
                    .join("events")
                    .join(machine)
                    .join("expected-outcomes.json"),
            )
            .unwrap(),
        )
        .unwrap();
        for (case_name, case) in outcomes.as_object().unwrap() {
            cases += 1;
            let dir = tempfile::tempdir().unwrap();
            let output = run_text(machine, case, case_name, dir.path());
            let lines = summary_lines(&output.stdout);
            let all = text(&output);
            let status = case["status"].as_str().unwrap();
            if !lines
                .first()
                .is_some_and(|l| l.starts_with(&format!("status: {status} after ")))
            {
                problems.push(format!(
                    "{machine}#{case_name}: no status line first: {all}"
                ));
                continue;
            }
            // A few lines: status, error and cause on failure, path, key results, three files.
            if lines.len() > 14 {
                problems.push(format!(
                    "{machine}#{case_name}: {} summary lines, expected at most 14:\n{}",
                    lines.len(),
                    lines.join("\n")
                ));
            }
            if lines.iter().any(|l| l.trim_start().starts_with('{')) {
                problems.push(format!("{machine}#{case_name}: JSON in the summary"));
            }
            let path_lines: Vec<&String> =
                lines.iter().filter(|l| l.starts_with("path:")).collect();
            if path_lines.len() != 1 {
                problems.push(format!("{machine}#{case_name}: the path is not one line"));
            }
            if let Some(final_state) = case["final_state"].as_str() {
                if !path_lines
                    .first()
                    .is_some_and(|l| l.ends_with(&format!(" {final_state}")))
                {
                    problems.push(format!(
                        "{machine}#{case_name}: the path line does not end in {final_state}: {path_lines:?}"
                    ));
                }
            }
            if status != "SUCCEEDED" && !lines.iter().any(|l| l.starts_with("error:")) {
                problems.push(format!(
                    "{machine}#{case_name}: a failed run shows no error"
                ));
            }
            let output_file = lines
                .iter()
                .find_map(|l| l.strip_prefix("output:"))
                .map(|p| p.trim().to_string());
            match output_file.map(|p| std::fs::read_to_string(&p)) {
                Some(Ok(full)) => {
                    let full: Value = serde_json::from_str(&full).unwrap_or_default();
                    if full["status"] != status {
                        problems.push(format!(
                            "{machine}#{case_name}: the output file says {}",
                            full["status"]
                        ));
                    }
                }
                _ => problems.push(format!("{machine}#{case_name}: no readable output file")),
            }
            let Some(want) = expected
                .get(machine)
                .and_then(|m| m.get(case_name))
                .and_then(Value::as_object)
            else {
                problems.push(format!(
                    "{machine}#{case_name}: cli/tests/fixtures/run-summaries.json says nothing of \
                     its key results: add what its summary must show"
                ));
                continue;
            };
            for (label, value) in want {
                let line = format!("{label}:");
                let shown = lines
                    .iter()
                    .find(|l| l.starts_with(&line))
                    .map(|l| l[line.len()..].trim());
                if shown != value.as_str() {
                    problems.push(format!(
                        "{machine}#{case_name}: {label} shows {shown:?}, expected {value}"
                    ));
                }
            }
        }
    }
    assert!(cases >= 40, "only {cases} test cases ran");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_retraining_loop_is_folded_in_the_path_and_a_retry_shows_its_delay() {
    let output = pipelines(&root(), &["run", "ml-retraining#FeaturesLateThenFresh"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", text(&output));
    // The feature check runs, waits and runs again: one folded loop, not the states twice.
    let path = stdout.lines().find(|l| l.starts_with("path:")).unwrap();
    assert!(path.contains(") ×"), "{path}");
    assert_eq!(path.matches("WaitForFeatures").count(), 1, "{path}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("✔ WaitForFeatures (waited 30 min 00 s)"),
        "{stderr}"
    );
    let retried = pipelines(&root(), &["run", "ml-retraining#TransientGlueFailure"]);
    let stderr = String::from_utf8_lossy(&retried.stderr);
    assert!(
        stderr.contains("↻ PrepareTrainingData: attempt 2 of") && stderr.contains(" after "),
        "{stderr}"
    );
}

#[test]
fn output_json_prints_only_the_machine_readable_result() {
    let dir = tempfile::tempdir().unwrap();
    let output = pipelines(
        &root(),
        &[
            "run",
            "ml-retraining#ModelNotGoodEnough",
            "--output",
            "json",
            "--history",
            dir.path().join("h.json").to_str().unwrap(),
            "--report",
            dir.path().join("r.html").to_str().unwrap(),
        ],
    );
    assert!(output.stderr.is_empty(), "{}", text(&output));
    let result: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("stdout is not one JSON document: {}", text(&output)));
    assert_eq!(result["status"], "SUCCEEDED");
    assert_eq!(
        result["output"]["evaluation"]["Payload"]["gate"]["passed"],
        false
    );
    let shown: Vec<(&str, &str)> = result["summary"]["key_results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["label"].as_str().unwrap(), r["value"].as_str().unwrap()))
        .collect();
    assert!(
        shown.contains(&("endpoint action", "not deployed")),
        "{shown:?}"
    );
    assert!(
        shown
            .iter()
            .any(|(l, v)| *l == "quality gate" && v.starts_with("failed (mape ")),
        "{shown:?}"
    );
    let path = result["path"].as_array().unwrap();
    assert_eq!(path.last().unwrap(), "ModelRejected");
    for file in ["history_file", "output_file", "report_file"] {
        let path = result[file].as_str().unwrap();
        assert!(Path::new(path).is_file(), "{file} {path} was not written");
    }
}

#[test]
fn a_malformed_key_results_declaration_is_a_usage_error_naming_the_file() {
    let project = scratch_project(|_, text| text);
    std::fs::write(
        project
            .path()
            .join("state-machines/ml-retraining.summary.json"),
        r#"{"key_results": [{"label": "gate", "text": "no placeholder here"}]}"#,
    )
    .unwrap();
    let output = pipelines(
        project.path(),
        &["run", "ml-retraining", "--output", "json"],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let all = text(&output);
    assert!(
        all.contains("ml-retraining.summary.json") && all.contains("reads no value"),
        "{all}"
    );
}

#[test]
fn every_state_machine_declares_key_results_that_its_happy_path_fills() {
    for entry in std::fs::read_dir(root().join("state-machines")).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().to_string();
        let Some(machine) = file.strip_suffix(".asl.json") else {
            continue;
        };
        assert!(
            root()
                .join(format!("state-machines/{machine}.summary.json"))
                .is_file(),
            "state-machines/{machine}.summary.json is missing: declare the run's key results"
        );
        let output = pipelines(&root(), &["run", machine, "--output", "json"]);
        let result: Value =
            serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{}", text(&output)));
        let results = result["summary"]["key_results"].as_array().unwrap();
        assert!(!results.is_empty(), "{machine} declares no key results");
        for shown in results {
            assert_eq!(
                shown["found"], true,
                "{machine}'s HappyPath has no value for {shown}: a pointer in its summary.json is wrong"
            );
        }
    }
}

#[test]
fn a_run_from_another_folder_reads_the_projects_sample_files() {
    // The HappyPath's evaluation reads `file://events/...` predictions: relative to the
    // project root, wherever the command is typed (the process keeps its working directory).
    let elsewhere = tempfile::tempdir().expect("a temporary folder");
    let project = root();
    let out = pipelines(
        elsewhere.path(),
        &[
            "run",
            "ml-retraining",
            "--project",
            project.to_str().expect("a UTF-8 path"),
            "--output",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["status"], "SUCCEEDED", "{v}");
}
