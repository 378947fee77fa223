//! The mock configurations (`events/<machine>/mock-config.json`) against AWS's service models:
//! each `Return` of a mocked response must fit the result shape of the resource of every state
//! a test case maps it to, and each `Throw`'s `Error` must be one that resource can raise
//! (`asl::service_shapes`, shapes generated from botocore's models).

use crate::project::Project;
use crate::validate::{Finding, Severity};
use asl::service_shapes::{
    check_mock_error, validate_mock_result, FieldValidationMode, ShapeError, Unchecked, Validated,
};
use asl::states::Kind;
use asl::StateMachine;
use serde_json::Value;
use std::collections::BTreeMap;

/// Every state of `machine` by name, nested branches and item processors included, with its
/// `Resource` when it is a Task.
fn resources_by_state(machine: &StateMachine) -> BTreeMap<String, Option<&str>> {
    let mut out = BTreeMap::new();
    machine.graph.walk(&mut |state, _| {
        let resource = match &state.kind {
            Kind::Task(task) => Some(task.resource.as_str()),
            _ => None,
        };
        out.insert(state.name.to_string(), resource);
    });
    out
}

/// One use of a mocked response: the state it answers and its resource, with the test cases.
struct Use {
    state: String,
    resource: String,
    cases: Vec<String>,
}

/// Checks the mock configuration of `machine` (when it has one), whose parsed definition is
/// `definition`, in `mode`.
pub fn check(
    project: &Project,
    machine: &str,
    definition: &StateMachine,
    mode: FieldValidationMode,
    findings: &mut Vec<Finding>,
) {
    let Some(path) = project.event_file(machine, "mock-config.json") else {
        return;
    };
    let file = path
        .strip_prefix(&project.root)
        .unwrap_or(&path)
        .display()
        .to_string();
    let error = |state: Option<&str>, field: String, message: String| Finding {
        severity: Severity::Error,
        file: file.clone(),
        state: state.map(str::to_string),
        field,
        message,
    };
    let config: Value = match std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => {
            findings.push(error(None, "$".into(), format!("cannot read it: {e}")));
            return;
        }
    };
    if let Err(e) = asl::MockConfig::parse(&config) {
        findings.push(error(None, "$".into(), e.to_string()));
        return;
    }
    let states = resources_by_state(definition);
    // response name -> its uses, in a stable order
    let mut uses: BTreeMap<String, Vec<Use>> = BTreeMap::new();
    let cases = config
        .pointer(&format!(
            "/StateMachines/{}/TestCases",
            machine.replace('~', "~0").replace('/', "~1")
        ))
        .and_then(Value::as_object);
    for (case, mapping) in cases.into_iter().flatten() {
        for (state, response) in mapping.as_object().into_iter().flatten() {
            let Some(response) = response.as_str() else {
                continue;
            };
            let field = format!("StateMachines.{machine}.TestCases.{case}.{state}");
            let Some(resource) = states.get(state).copied().flatten() else {
                let message = if states.contains_key(state) {
                    format!(
                        "test case {case} mocks state {state}, which is not a Task with a Resource"
                    )
                } else {
                    format!("test case {case} mocks state {state}, which {machine} does not have")
                };
                findings.push(error(Some(state), field, message));
                continue;
            };
            let list = uses.entry(response.to_string()).or_default();
            match list
                .iter_mut()
                .find(|u| u.state == *state && u.resource == resource)
            {
                Some(u) => u.cases.push(case.clone()),
                None => list.push(Use {
                    state: state.clone(),
                    resource: resource.to_string(),
                    cases: vec![case.clone()],
                }),
            }
        }
    }
    let responses = config.get("MockedResponses").and_then(Value::as_object);
    for (name, ranges) in responses.into_iter().flatten() {
        let Some(uses) = uses.get(name) else {
            continue;
        };
        for (range, outcome) in ranges.as_object().into_iter().flatten() {
            for u in uses {
                let cases = format!(
                    "test case{} {}",
                    if u.cases.len() > 1 { "s" } else { "" },
                    u.cases.join(", ")
                );
                if let Some(result) = outcome.get("Return") {
                    match validate_mock_result(&u.resource, result, mode) {
                        Ok(Validated::Checked { .. })
                        | Ok(Validated::Unchecked(
                            Unchecked::ModeNone
                            | Unchecked::FunctionOutput
                            | Unchecked::CallbackOutput
                            | Unchecked::ActivityOutput,
                        )) => {}
                        Ok(Validated::Unchecked(why @ Unchecked::UnknownIntegration(_))) => {
                            findings.push(Finding {
                                severity: Severity::Warning,
                                ..error(
                                    Some(&u.state),
                                    format!("MockedResponses.{name}.{range}.Return"),
                                    format!("{cases}: not checked: {why}"),
                                )
                            })
                        }
                        Err(ShapeError::Invalid { problems, .. }) => {
                            for p in problems {
                                let inner = p.path.strip_prefix('$').unwrap_or(&p.path);
                                findings.push(error(
                                    Some(&u.state),
                                    format!("MockedResponses.{name}.{range}.Return{inner}"),
                                    format!(
                                        "{cases}: {} (shape {} of {}, {mode})",
                                        p.message, p.shape, u.resource
                                    ),
                                ));
                            }
                        }
                        Err(e) => findings.push(error(
                            Some(&u.state),
                            format!("MockedResponses.{name}.{range}.Return"),
                            e.to_string(),
                        )),
                    }
                }
                if let Some(thrown) = outcome
                    .get("Throw")
                    .and_then(|t| t.get("Error"))
                    .and_then(Value::as_str)
                {
                    if let Err(message) = check_mock_error(&u.resource, thrown) {
                        findings.push(error(
                            Some(&u.state),
                            format!("MockedResponses.{name}.{range}.Throw.Error"),
                            format!("{cases}: {message}"),
                        ));
                    }
                }
            }
        }
    }
}
