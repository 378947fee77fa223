//! `pipelines list` shows what the template defines with next fire times; `pipelines graph`
//! draws the checked-in state machines in both formats.

mod support;

use serde_json::Value;
use support::{pipelines, root, scratch_project, text};

#[test]
fn list_shows_machines_functions_and_the_weekly_schedule_with_its_next_sunday() {
    let output = pipelines(&root(), &["list", "--json", "--fires", "2"]);
    assert!(output.status.success(), "{}", text(&output));
    let listing: Value = serde_json::from_slice(&output.stdout).unwrap();
    let machines: Vec<&str> = listing["state_machines"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    assert!(machines.contains(&"ml-retraining"), "{listing}");
    let binaries: Vec<&str> = listing["functions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["binary"].as_str())
        .collect();
    assert!(binaries.contains(&"evaluate-model-metrics"), "{listing}");
    let weekly = listing["schedules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["logical_id"] == "WeeklyRetrainingSchedule")
        .expect("the weekly retraining schedule is listed");
    assert!(
        weekly["target"]
            .as_str()
            .unwrap()
            .contains(":stateMachine:"),
        "{weekly}"
    );
    let fires = weekly["next_fires"].as_array().unwrap();
    assert_eq!(fires.len(), 2);
    for fire in fires {
        let at = chrono::DateTime::parse_from_rfc3339(fire.as_str().unwrap()).unwrap();
        assert_eq!(
            chrono::Datelike::weekday(&at),
            chrono::Weekday::Sun,
            "{fire}"
        );
        assert_eq!(chrono::Timelike::hour(&at), 2, "{fire}");
    }
}

#[test]
fn graph_draws_every_state_in_mermaid_and_dot() {
    let definition: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("state-machines/ml-retraining.asl.json")).unwrap(),
    )
    .unwrap();
    for format in ["mermaid", "dot"] {
        let output = pipelines(&root(), &["graph", "ml-retraining", "--format", format]);
        assert!(output.status.success(), "{}", text(&output));
        let diagram = String::from_utf8_lossy(&output.stdout);
        for state in definition["States"].as_object().unwrap().keys() {
            assert!(diagram.contains(state.as_str()), "{format} lacks {state}");
        }
    }
    let dot = String::from_utf8_lossy(
        &pipelines(&root(), &["graph", "ml-retraining", "--format", "dot"]).stdout,
    )
    .to_string();
    assert!(dot.contains("style=dashed"), "Catch edges are dashed");
}

#[test]
fn graph_draws_what_the_engine_runs_and_refuses_what_it_would_refuse() {
    let dir = scratch_project(|file, text| {
        if file == "state-machines/ml-retraining.asl.json" {
            text.replacen(
                "\"Next\": \"TrainCandidateModel\"",
                "\"Next\": \"TrainModel\"",
                1,
            )
        } else {
            text
        }
    });
    let output = pipelines(dir.path(), &["graph", "ml-retraining"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("is not a valid state machine")
            && err.contains("the state 'TrainModel' does not exist"),
        "{err}"
    );
}
