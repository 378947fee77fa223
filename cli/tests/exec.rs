//! `pipelines exec` end to end: the binary, real files, the JSON it prints and its exit codes.

use std::path::PathBuf;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pipelines"))
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pipelines-exec-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn exec_prints_the_output_as_json_and_exits_zero() {
    let d = tmpdir("ok");
    let def = write(
        &d,
        "sm.json",
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"n.$":"States.MathAdd($.n, 1)"},"End":true}}}"#,
    );
    let out = bin()
        .args(["exec", "--definition"])
        .arg(&def)
        .args(["--input", r#"{"n": 41}"#])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"status": "SUCCEEDED", "output": {"n": 42}})
    );
}

#[test]
fn a_project_machine_with_placeholders_gets_a_note_pointing_to_run() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = bin()
        .args(["exec", "--definition"])
        .arg(root.join("state-machines/ml-retraining.asl.json"))
        .args(["--input", r#"{"model_name": "demand-forecast"}"#])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("DefinitionSubstitutions placeholders such as ${")
            && stderr.contains("`pipelines run NAME`"),
        "{stderr}"
    );
    let d = tmpdir("no-note");
    let def = write(
        &d,
        "sm.json",
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Result":"$ {x}","End":true}}}"#,
    );
    let out = bin()
        .args(["exec", "--definition"])
        .arg(&def)
        .output()
        .unwrap();
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_failed_execution_still_exits_zero_with_error_and_cause() {
    let d = tmpdir("fail");
    let def = write(
        &d,
        "sm.json",
        r#"{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Boom","Cause":"why"}}}"#,
    );
    let out = bin()
        .args(["exec", "--definition"])
        .arg(&def)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"status": "FAILED", "error": "Boom", "cause": "why"})
    );
}

#[test]
fn an_invalid_definition_exits_two_with_the_bad_field() {
    let d = tmpdir("bad");
    let def = write(
        &d,
        "sm.json",
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nope"}}}"#,
    );
    let out = bin()
        .args(["exec", "--definition"])
        .arg(&def)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("$.States.A.Next"), "{err}");
}

#[test]
fn mock_config_answers_tasks_and_history_is_included_on_request() {
    let d = tmpdir("mock");
    let def = write(
        &d,
        "sm.json",
        r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","OutputPath":"$.Payload","End":true}}}"#,
    );
    let mocks = write(
        &d,
        "mocks.json",
        r#"{"StateMachines":{"sm":{"TestCases":{"Happy":{"T":"Ok"}}}},
            "MockedResponses":{"Ok":{"0":{"Return":{"StatusCode":200,"Payload":{"done":true}}}}}}"#,
    );
    let input = write(&d, "input.json", "{}");
    let out = bin()
        .args(["exec", "--definition"])
        .arg(&def)
        .arg("--input")
        .arg(&input)
        .arg("--mock-config")
        .arg(&mocks)
        .args(["--test-case", "Happy", "--history"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["output"], serde_json::json!({"done": true}));
    assert_eq!(v["history"][0]["type"], "ExecutionStarted");
    let missing = bin()
        .args(["exec", "--definition"])
        .arg(&def)
        .arg("--mock-config")
        .arg(&mocks)
        .args(["--test-case", "Nope"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn start_time_seeds_the_virtual_clock() {
    let d = tmpdir("start");
    let def = write(
        &d,
        "sm.json",
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"t.$":"$$.Execution.StartTime"},"End":true}}}"#,
    );
    let out = bin()
        .args(["exec", "--definition"])
        .arg(&def)
        .args(["--start-time", "2024-01-01T06:00:00Z"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["output"]["t"], "2024-01-01T06:00:00.000Z");
    let bad = bin()
        .args(["exec", "--definition"])
        .arg(&def)
        .args(["--start-time", "yesterday"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn help_shows_an_example() {
    let out = bin().args(["exec", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Examples:"), "{text}");
}
