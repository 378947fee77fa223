//! Variable scopes and JSONata bounds, end to end through the engine.

use asl::{ExecutionOptions, StateMachine, Status};
use serde_json::{json, Value};

fn run(def: Value, input: Value) -> asl::ExecutionResult {
    let sm = StateMachine::from_value(&def).unwrap_or_else(|e| panic!("{e}"));
    sm.run_blocking(input, &ExecutionOptions::default())
}

#[test]
fn map_iterations_read_outer_variables_but_cannot_change_them() {
    let r = run(
        json!({"StartAt": "Init", "States": {
            "Init": {"Type": "Pass", "Assign": {"x": 1}, "Next": "M"},
            "M": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {"StartAt": "In",
                "States": {"In": {"Type": "Pass", "Parameters": {"seen.$": "$x"},
                    "Assign": {"x": 99}, "End": true}}}, "Next": "Out"},
            "Out": {"Type": "Pass", "Parameters": {"after.$": "$x", "inner.$": "$"}, "End": true}}}),
        json!({"items": [1, 2]}),
    );
    assert_eq!(r.status, Status::Succeeded, "{:?}", r.cause);
    assert_eq!(
        r.output,
        Some(json!({"after": 1, "inner": [{"seen": 1}, {"seen": 1}]}))
    );
}

#[test]
fn all_assignments_of_a_state_see_the_values_from_before_it() {
    let r = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "Assign": {"a": 1, "b": 2}, "Next": "B"},
            "B": {"Type": "Pass", "Assign": {"a": "{% $b %}", "b": "{% $a %}"},
                  "Output": "{% [$a, $b] %}", "Next": "C"},
            "C": {"Type": "Pass", "Output": "{% [$a, $b] %}", "End": true}}}),
        json!({}),
    );
    assert_eq!(r.output, Some(json!([2, 1])), "{:?}", r.cause);
}

#[test]
fn a_catchers_assign_sees_the_error_output() {
    let r = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "F", "States": {
            "F": {"Type": "Parallel", "Branches": [{"StartAt": "X", "States": {
                "X": {"Type": "Fail", "Error": "Boom", "Cause": "bad"}}}],
                "Catch": [{"ErrorEquals": ["States.ALL"],
                    "Assign": {"err": "{% $states.errorOutput.Error %}"}, "Next": "Done"}],
                "End": true},
            "Done": {"Type": "Pass", "Output": "{% $err %}", "End": true}}}),
        json!({}),
    );
    assert_eq!(r.output, Some(json!("Boom")), "{:?}", r.cause);
}

#[test]
fn a_runaway_expression_fails_the_state_instead_of_hanging() {
    let r = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "Output": "{% ($f := function($n){$n + $f($n + 1)}; $f(0)) %}",
                  "End": true}}}),
        json!({}),
    );
    assert_eq!(r.status, Status::Failed);
    assert_eq!(r.error.as_deref(), Some("States.QueryEvaluationError"));
}

#[test]
fn random_with_a_seed_is_javas_value() {
    let r = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "Output": "{% $random(42) %}", "End": true}}}),
        json!({}),
    );
    assert_eq!(r.output, Some(json!(0.7275636800328681)), "{:?}", r.cause);
}
