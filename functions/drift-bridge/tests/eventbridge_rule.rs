//! The EventBridge path: the template's drift rule turns a `model.drift_detected` event into the
//! state machine input itself (no Lambda). Its input transformer is checked here against the
//! sample event, so that both paths give the state machine the same contract.

use drift_bridge::event::{decode_value, Decoded};
use drift_bridge::{execution_input, Origin};
use integration_tests::workspace_root;
use serde_json::Value;

/// The folded (`>-`) `InputTemplate` and the `InputPathsMap` of the `DriftRetrainingRule`.
fn rule_transformer() -> (String, Vec<(String, String)>) {
    let template = std::fs::read_to_string(workspace_root().join("sam-template.yaml")).unwrap();
    let rule = template
        .split("\n  DriftRetrainingRule:\n")
        .nth(1)
        .expect("the template has a DriftRetrainingRule");
    let block = |key: &str| -> Vec<String> {
        let mut lines = rule
            .lines()
            .skip_while(|l| !l.trim_start().starts_with(key));
        let head = lines.next().expect(key);
        let indent = head.len() - head.trim_start().len();
        lines
            .take_while(|l| l.len() - l.trim_start().len() > indent)
            .map(|l| l.trim().to_string())
            .collect()
    };
    let paths = block("InputPathsMap:")
        .into_iter()
        .filter_map(|l| {
            l.split_once(": ")
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect();
    (block("InputTemplate:").join(" "), paths)
}

/// EventBridge's substitution: a placeholder outside quotes becomes the JSON value at its path.
fn transform(event: &Value, template: &str, paths: &[(String, String)]) -> String {
    let mut out = template.to_string();
    for (name, path) in paths {
        let pointer = path.trim_start_matches('$').replace('.', "/");
        let value = event.pointer(&pointer).unwrap_or(&Value::Null);
        out = out.replace(&format!("<{name}>"), &value.to_string());
    }
    out
}

#[test]
fn the_rule_gives_the_state_machine_the_same_trigger_as_the_bridge() {
    let event: Value = serde_json::from_str(
        &std::fs::read_to_string(
            workspace_root().join("events/drift-bridge/eventbridge-drift.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let (template, paths) = rule_transformer();
    let input: Value =
        serde_json::from_str(&transform(&event, &template, &paths)).unwrap_or_else(|e| {
            panic!("the rule's InputTemplate is not JSON once filled: {e}\n{template}")
        });

    let Ok(Decoded::Drift(drift)) = decode_value(event["detail"].clone()) else {
        panic!("the sample's detail is not a valid drift event");
    };
    let id = event["id"].as_str().map(str::to_string);
    let bridge = execution_input(&drift, &Origin::EventBridge(id), "unused");

    assert_eq!(input["model_name"], bridge["model_name"]);
    for field in [
        "source",
        "event_id",
        "event_type",
        "metric",
        "value",
        "threshold",
        "origin",
    ] {
        assert_eq!(
            input["trigger"][field], bridge["trigger"][field],
            "trigger.{field}"
        );
    }
    // The rule passes detected_at through as sent; the bridge normalises it to UTC milliseconds.
    assert_eq!(
        input["trigger"]["detected_at"],
        event["detail"]["detected_at"]
    );
}
