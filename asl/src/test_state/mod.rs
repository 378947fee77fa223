//! AWS Step Functions' `TestState`, locally: one state runs on one input, with a mocked
//! service result or error, a chosen retry attempt or Map failure count, and every step of its
//! data flow reported
//! (<https://docs.aws.amazon.com/step-functions/latest/dg/test-state-isolation.html>).
//!
//! ```
//! use asl::test_state::{test_state, TestExecutionStatus, TestStateRequest};
//! use asl::ExecutionOptions;
//!
//! let req = TestStateRequest {
//!     definition: r#"{"Type":"Pass","Parameters":{"n.$":"$.x"},"Next":"After"}"#.into(),
//!     input: Some(r#"{"x":1}"#.into()),
//!     ..Default::default()
//! };
//! let res = asl::block_on(test_state(&req, &ExecutionOptions::default())).unwrap();
//! assert_eq!(res.status, TestExecutionStatus::Succeeded);
//! assert_eq!(res.output.as_deref(), Some(r#"{"n":1}"#));
//! assert_eq!(res.next_state.as_deref(), Some("After"));
//! ```

mod api;
mod context;

pub use api::{
    InspectionLevel, MockErrorOutput, MockInput, StateConfiguration, TestExecutionStatus,
    TestStateError, TestStateErrorKind, TestStateRequest, TestStateResponse,
};

use crate::engine::probe::{Decision, Probe};
use crate::engine::{run_probe, ExecutionOptions, Status};
use crate::intrinsics::json_text;
use crate::machine::StateMachine;
use crate::mock::MockOutcome;
use crate::service_shapes::{validate_mock_result, FieldValidationMode, UnknownMode};
use crate::states::{Graph, Kind, State};
use crate::task::{BoxFuture, Pattern, Resource, TaskError, TaskHandler, TaskRequest};
use crate::variables::Variables;
use serde_json::{Map, Value};
use std::sync::Arc;

/// The name a lone state gets (`$$.State.Name`, unless the request's `context` sets one);
/// `stateName` is for a state of a whole machine, as in the API.
pub const DEFAULT_STATE_NAME: &str = "TestState";

/// Runs the state a [`TestStateRequest`] describes. Task states without a mock go to
/// `options.handler` (as an execution's would); everything else about the run comes from the
/// request. Refusals are the API's: [`TestStateErrorKind::Validation`] for a bad field,
/// [`TestStateErrorKind::InvalidDefinition`] for ASL that does not parse.
pub async fn test_state(
    req: &TestStateRequest,
    options: &ExecutionOptions,
) -> Result<TestStateResponse, TestStateError> {
    let input =
        parse_json(req.input.as_deref().unwrap_or("{}"), "input").map_err(|m| TestStateError {
            kind: TestStateErrorKind::InvalidExecutionInput,
            message: m,
        })?;
    let reader_items = reader_items(req)?;
    let machine = machine_of(req, reader_items.is_some())?;
    let (graph, index) = find_state(&machine.graph, &machine.start_name).ok_or_else(|| {
        TestStateError::validation(format!(
            "State '{}' not found in the state machine definition",
            machine.start_name
        ))
    })?;
    let state = &graph.states[index];
    let mock = mock_outcome(req, state)?;
    check_configuration(req, state, mock.is_some())?;
    let context = match &req.context {
        Some(text) => {
            let v = parse_json(text, "context").map_err(TestStateError::validation)?;
            context::check(&v, state)?;
            Some(v)
        }
        None => None,
    };
    let vars = variables(req)?;

    let level = req.inspection_level.unwrap_or_default();
    let record = level != InspectionLevel::Info;
    let cfg = req.state_configuration.clone().unwrap_or_default();
    let mut probe = Box::new(Probe {
        record,
        retry_count: cfg.retrier_retry_count.unwrap_or(0),
        map_failures: cfg.map_iteration_failure_count,
        map_items: reader_items,
        context,
        ..Probe::default()
    });
    if record {
        probe
            .data
            .insert("input".into(), Value::String(json_text(&input)));
    }
    let mut opts = options.clone();
    opts.record_history = false;
    opts.observer = None;
    if let Some(role) = &req.role_arn {
        opts.role_arn = role.clone();
    }
    match (&state.kind, mock) {
        (Kind::Task(_), Some(m)) => opts.handler = Arc::new(Mocked(m)),
        (_, m) => probe.mock = m,
    }
    let done = run_probe(graph, index, input, vars, &opts, probe).await;
    Ok(respond(done.result, *done.probe, record))
}

/// `stateConfiguration.mapItemReaderData`, parsed: a JSON array.
fn reader_items(req: &TestStateRequest) -> Result<Option<Value>, TestStateError> {
    let cfg = req.state_configuration.as_ref();
    let Some(text) = cfg.and_then(|c| c.map_item_reader_data.as_deref()) else {
        return Ok(None);
    };
    match parse_json(text, "mapItemReaderData").map_err(TestStateError::validation)? {
        v @ Value::Array(_) => Ok(Some(v)),
        _ => Err(TestStateError::validation(
            "mapItemReaderData must be a JSON array (the items the ItemReader reads)",
        )),
    }
}

/// The request's `variables`, in scope before the state (AWS's size limits apply).
fn variables(req: &TestStateRequest) -> Result<Variables, TestStateError> {
    let mut vars = Variables::new();
    let Some(text) = &req.variables else {
        return Ok(vars);
    };
    match parse_json(text, "variables").map_err(TestStateError::validation)? {
        Value::Object(m) => vars.assign(m).map_err(|e| {
            TestStateError::validation(format!("variables: {}", e.cause.unwrap_or(e.error)))
        })?,
        _ => {
            return Err(TestStateError::validation(
                "variables must be a JSON object",
            ))
        }
    }
    Ok(vars)
}

/// The response for how the run ended.
fn respond(r: crate::ExecutionResult, probe: Probe, record: bool) -> TestStateResponse {
    let inspection_data = record.then_some(probe.data);
    let base = TestStateResponse {
        output: None,
        error: None,
        cause: None,
        inspection_data,
        next_state: None,
        status: TestExecutionStatus::Succeeded,
    };
    match (r.status, probe.decision) {
        (Status::Succeeded, Some(Decision::Catch { .. })) => {
            let (error, cause) = probe.caught.unwrap_or_default();
            TestStateResponse {
                output: r.output.as_ref().map(json_text),
                error: Some(error),
                cause,
                next_state: probe.next.map(|n| n.to_string()),
                status: TestExecutionStatus::CaughtError,
                ..base
            }
        }
        (Status::Succeeded, _) => TestStateResponse {
            output: r.output.as_ref().map(json_text),
            next_state: probe.next.map(|n| n.to_string()),
            ..base
        },
        (_, Some(Decision::Retry { .. })) => TestStateResponse {
            error: r.error,
            cause: r.cause,
            status: TestExecutionStatus::Retriable,
            ..base
        },
        _ => TestStateResponse {
            error: r.error,
            cause: r.cause,
            status: TestExecutionStatus::Failed,
            ..base
        },
    }
}

/// Answers every Task call with the mock.
struct Mocked(MockOutcome);

impl TaskHandler for Mocked {
    fn call<'a>(&'a self, _r: TaskRequest<'a>) -> BoxFuture<'a, Result<Value, TaskError>> {
        let out = match &self.0 {
            MockOutcome::Return(v) => Ok(v.clone()),
            MockOutcome::Throw(e) => Err(e.clone()),
        };
        Box::pin(async move { out })
    }
}

fn parse_json(text: &str, what: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("{what} is not valid JSON: {e}"))
}

/// The parsed machine and the name of the state to test.
struct Machine {
    graph: Graph,
    start_name: String,
}

/// A whole machine (`StartAt` and `States`) as it is; a lone state inside a machine of its
/// own, with a `Succeed` state for each state it can go to, so that its transitions parse.
fn machine_of(req: &TestStateRequest, reader_data: bool) -> Result<Machine, TestStateError> {
    let mut def = parse_json(&req.definition, "definition").map_err(TestStateError::definition)?;
    if reader_data {
        drop_item_reader(&mut def, req.state_name.as_deref())?;
    }
    let Value::Object(m) = &def else {
        return Err(TestStateError::definition(
            "the definition must be a JSON object",
        ));
    };
    let bad = |e: crate::DefinitionErrors| TestStateError::definition(e.to_string());
    if m.contains_key("States") {
        let sm = StateMachine::from_value(&def).map_err(bad)?;
        let Some(start_name) = req.state_name.clone() else {
            return Err(TestStateError::validation(
                "stateName is required when the definition is a whole state machine: name the state to test",
            ));
        };
        return Ok(Machine {
            graph: sm.graph,
            start_name,
        });
    }
    if !m.contains_key("Type") {
        return Err(TestStateError::definition(
            "the definition must be a state (with a Type) or a state machine (with States)",
        ));
    }
    if let Some(n) = &req.state_name {
        return Err(TestStateError::validation(format!(
            "stateName '{n}' is given, so the definition must be a whole state machine (StartAt and States), not one state"
        )));
    }
    let name = DEFAULT_STATE_NAME.to_string();
    let mut states = Map::new();
    for target in transition_targets(m) {
        if target != name {
            states.insert(target, serde_json::json!({"Type": "Succeed"}));
        }
    }
    states.insert(name.clone(), def.clone());
    let wrapper = serde_json::json!({"StartAt": name, "States": states});
    let sm = StateMachine::from_value(&wrapper).map_err(bad)?;
    Ok(Machine {
        graph: sm.graph,
        start_name: name,
    })
}

/// With `mapItemReaderData`, the tested Map's `ItemReader` is not run (the local engine has
/// none): the data stands for what it reads. Refuses the data for a state without one.
fn drop_item_reader(def: &mut Value, name: Option<&str>) -> Result<(), TestStateError> {
    let start = def
        .get("StartAt")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let removed = match name.map(str::to_owned).or(start) {
        Some(n) if def.get("States").is_some() => remove_item_reader(def, &n),
        _ => def
            .as_object_mut()
            .is_some_and(|m| m.remove("ItemReader").is_some()),
    };
    if removed {
        Ok(())
    } else {
        Err(TestStateError::validation(
            "mapItemReaderData needs a Map state with an ItemReader",
        ))
    }
}

/// Removes the `ItemReader` of the state called `name` in a machine's JSON (at the top or
/// nested in a Map or Parallel); whether there was one.
fn remove_item_reader(machine: &mut Value, name: &str) -> bool {
    let Some(states) = machine.get_mut("States").and_then(Value::as_object_mut) else {
        return false;
    };
    for (n, s) in states.iter_mut() {
        if n == name {
            return s
                .as_object_mut()
                .is_some_and(|m| m.remove("ItemReader").is_some());
        }
        let ty = s.get("Type").and_then(Value::as_str).map(str::to_owned);
        let Some(m) = s.as_object_mut() else { continue };
        let found = match ty.as_deref() {
            Some("Map") => m
                .iter_mut()
                .filter(|(k, _)| k.as_str() == "ItemProcessor" || k.as_str() == "Iterator")
                .any(|(_, g)| remove_item_reader(g, name)),
            Some("Parallel") => m
                .get_mut("Branches")
                .and_then(Value::as_array_mut)
                .is_some_and(|bs| bs.iter_mut().any(|b| remove_item_reader(b, name))),
            _ => false,
        };
        if found {
            return true;
        }
    }
    false
}

/// The state names a lone state's `Next`, `Default`, `Choices` and `Catch` fields name.
fn transition_targets(m: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |v: Option<&Value>| {
        if let Some(Value::String(s)) = v {
            if !out.contains(s) {
                out.push(s.clone());
            }
        }
    };
    push(m.get("Next"));
    push(m.get("Default"));
    for list in ["Choices", "Catch"] {
        if let Some(Value::Array(items)) = m.get(list) {
            for item in items {
                push(item.get("Next"));
            }
        }
    }
    out
}

/// The graph holding the state called `name` (at the top or nested in a Map or Parallel)
/// and the state's index in it.
fn find_state<'g>(g: &'g Graph, name: &str) -> Option<(&'g Graph, usize)> {
    if let Some(&i) = g.index.get(name) {
        return Some((g, i));
    }
    g.states.iter().find_map(|s| {
        nested(s)
            .into_iter()
            .find_map(|inner| find_state(inner, name))
    })
}

/// The state lists inside a Map or Parallel state.
fn nested(s: &State) -> Vec<&Graph> {
    match &s.kind {
        Kind::Map(m) => vec![&m.processor],
        Kind::Parallel(p) => p.branches.iter().collect(),
        _ => Vec::new(),
    }
}

/// The request's mock, checked against the state it is for.
fn mock_outcome(
    req: &TestStateRequest,
    state: &State,
) -> Result<Option<MockOutcome>, TestStateError> {
    let kind = state.kind.type_name();
    let Some(mock) = &req.mock else {
        return match &state.kind {
            Kind::Map(_) | Kind::Parallel(_) => Err(TestStateError::validation(format!(
                "A mock is required to test a {kind} state (its iterations or branches do not run in TestState)"
            ))),
            Kind::Task(t) if needs_mock(&t.target) => Err(TestStateError::validation(
                "A mock is required to test an Activity task or a .sync or .waitForTaskToken service integration",
            )),
            _ => Ok(None),
        };
    };
    if !matches!(state.kind, Kind::Task(_) | Kind::Map(_) | Kind::Parallel(_)) {
        return Err(TestStateError::validation(format!(
            "State type '{kind}' is not supported when a mock is specified"
        )));
    }
    let mode = match mock.field_validation_mode.as_deref() {
        None => FieldValidationMode::Strict,
        Some(s) => s
            .parse()
            .map_err(|e: UnknownMode| TestStateError::validation(e.to_string()))?,
    };
    match (&mock.result, &mock.error_output) {
        (Some(text), None) => {
            let v = parse_json(text, "mock.result").map_err(TestStateError::validation)?;
            match &state.kind {
                Kind::Task(t) => {
                    validate_mock_result(&t.resource, &v, mode)
                        .map_err(|e| TestStateError::validation(e.to_string()))?;
                }
                // A Map's result is the array of its iterations' outputs; a Parallel's has one
                // entry per branch: a mock that is neither could never happen.
                Kind::Map(_) if !v.is_array() && mode != FieldValidationMode::None => {
                    return Err(TestStateError::validation(
                        "Mock result schema validation error: a Map state's result is an array (one output per item)",
                    ))
                }
                Kind::Parallel(p)
                    if mode != FieldValidationMode::None
                        && v.as_array().map(Vec::len) != Some(p.branches.len()) =>
                {
                    return Err(TestStateError::validation(format!(
                        "Mock result schema validation error: a Parallel state's result is an array with one output per branch ({})",
                        p.branches.len()
                    )))
                }
                _ => {}
            }
            Ok(Some(MockOutcome::Return(v)))
        }
        (None, Some(e)) => match &e.error {
            Some(error) if !error.is_empty() => Ok(Some(MockOutcome::Throw(TaskError {
                error: error.clone(),
                cause: e.cause.clone(),
            }))),
            _ => Err(TestStateError::validation(
                "mock.errorOutput.error is required: the name of the mocked error",
            )),
        },
        _ => Err(TestStateError::validation(
            "mock must have exactly one of result and errorOutput",
        )),
    }
}

/// Activities and the `.sync` / `.waitForTaskToken` patterns only run against a mock.
fn needs_mock(r: &Resource) -> bool {
    matches!(
        r,
        Resource::Activity { .. }
            | Resource::Service {
                pattern: Pattern::Sync | Pattern::SyncV2 | Pattern::WaitForTaskToken,
                ..
            }
    )
}

/// `stateConfiguration` fields that do not fit the state.
fn check_configuration(
    req: &TestStateRequest,
    state: &State,
    mocked: bool,
) -> Result<(), TestStateError> {
    let Some(cfg) = &req.state_configuration else {
        return Ok(());
    };
    let kind = state.kind.type_name();
    if cfg.map_iteration_failure_count.is_some() && !matches!(state.kind, Kind::Map(_)) {
        return Err(TestStateError::validation(format!(
            "mapIterationFailureCount applies to Map states only, not to a {kind} state"
        )));
    }
    if cfg.map_item_reader_data.is_some() && !matches!(state.kind, Kind::Map(_)) {
        return Err(TestStateError::validation(format!(
            "mapItemReaderData applies to Map states only, not to a {kind} state"
        )));
    }
    if let Some(inner) = &cfg.error_caused_by_state {
        let errs = req.mock.as_ref().is_some_and(|m| m.error_output.is_some());
        if !mocked || !errs {
            return Err(TestStateError::validation(
                "errorCausedByState needs a mock with errorOutput",
            ));
        }
        let found = nested(state)
            .into_iter()
            .any(|g| find_state(g, inner).is_some());
        if !found {
            return Err(TestStateError::validation(format!(
                "errorCausedByState '{inner}' is not a state inside the {kind} state '{}'",
                state.name
            )));
        }
    }
    if cfg.retrier_retry_count.is_some() {
        let retriers = match &state.kind {
            Kind::Task(t) => t.retry.len(),
            Kind::Map(m) => m.retry.len(),
            Kind::Parallel(p) => p.retry.len(),
            _ => 0,
        };
        if retriers == 0 {
            return Err(TestStateError::validation(format!(
                "retrierRetryCount needs a state with a Retry field; the {kind} state '{}' has none",
                state.name
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
