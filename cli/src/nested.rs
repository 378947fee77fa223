//! Nested executions in local runs: a Task `arn:aws:states:::states:startExecution.sync:2` (or
//! `.sync`) whose `StateMachineArn` is one of the template's state machines (the parent's
//! `DefinitionSubstitutions` resolve it, e.g. `!Ref ModelDeploymentStateMachine`) runs that
//! child's checked-in definition for real, in this process, on the parent's virtual clock.
//!
//! The child's mocks come from its own mock configuration (`events/<child>/mock-config.json`):
//! the test case named `<parent>.<ParentCase>` (e.g. `ml-retraining.HappyPath`) when it has
//! one, else its `HappyPath`. A parent test case that mocks the nested state itself is answered
//! by that mock first, as any mocked state.
//!
//! The result has StartExecution.sync's shape (DescribeExecution's fields): with `.sync:2`
//! `Input` and `Output` are JSON, with `.sync` JSON text. A child that does not succeed fails the
//! task with `States.TaskFailed` and the DescribeExecution document (with the child's `Error`
//! and `Cause`) as the cause, as Step Functions reports it.

use crate::dispatch::{LambdaTarget, LocalDispatcher};
use crate::project::Project;
use crate::run::{run_machine, RunSetup};
use asl::{BoxFuture, Clock, Pattern, Resource, Status, TaskError, TaskHandler, TaskRequest};
use serde_json::{json, Value};
use std::sync::Arc;

/// How deep executions may nest locally (a definition that starts itself stops here).
pub const MAX_DEPTH: u32 = 4;

/// Task dispatch for one execution: nested executions of the template's state machines, then
/// everything else through [`LocalDispatcher`].
pub struct NestedDispatcher {
    /// The functions.
    pub local: LocalDispatcher,
    /// The project (template, definitions, events).
    pub project: Arc<Project>,
    /// The virtual clock the whole run shares.
    pub clock: Arc<dyn Clock>,
    /// This execution's state machine name.
    pub machine: String,
    /// This execution's test case.
    pub test_case: String,
    /// Where Lambda steps go (children inherit it).
    pub lambda: LambdaTarget,
    /// The seed (children inherit it).
    pub seed: u64,
    /// 0 for the top-level execution.
    pub depth: u32,
}

/// The test case a child runs with: `<parent>.<ParentCase>` when the child's mock
/// configuration has it, else `HappyPath`.
pub fn child_test_case(project: &Project, child: &str, parent: &str, parent_case: &str) -> String {
    let wanted = format!("{parent}.{parent_case}");
    let has = project
        .event_file(child, "mock-config.json")
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .is_some_and(|c| {
            c.pointer(&format!("/StateMachines/{child}/TestCases"))
                .and_then(|cases| cases.get(&wanted))
                .is_some()
        });
    if has {
        wanted
    } else {
        "HappyPath".to_string()
    }
}

fn failed(request: &TaskRequest<'_>, message: String) -> TaskError {
    TaskError::new(
        "States.Runtime",
        format!("state '{}': {message}", request.state_name),
    )
}

impl NestedDispatcher {
    async fn start_execution(
        &self,
        request: &TaskRequest<'_>,
        json_output: bool,
    ) -> Result<Value, TaskError> {
        let arn = request
            .input
            .get("StateMachineArn")
            .and_then(Value::as_str)
            .ok_or_else(|| failed(request, "the parameters have no StateMachineArn".into()))?;
        let child = self
            .project
            .template
            .state_machines()
            .into_iter()
            .find(|m| crate::workflows::arn_of(&self.project.template, &m.logical_id).iter().any(|a| a == arn))
            .ok_or_else(|| {
                failed(
                    request,
                    format!("{arn} is not a state machine of the template: mock this state in the test case"),
                )
            })?;
        if self.depth >= MAX_DEPTH {
            return Err(failed(
                request,
                format!("executions nest deeper than {MAX_DEPTH} levels"),
            ));
        }
        let input = match request.input.get("Input") {
            Some(Value::String(text)) => serde_json::from_str(text)
                .map_err(|e| failed(request, format!("Input is not JSON: {e}")))?,
            Some(value) => value.clone(),
            None => json!({}),
        };
        let case = child_test_case(&self.project, &child.name, &self.machine, &self.test_case);
        let name = request
            .input
            .get("Name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("local-{}-{case}", child.name).replace('.', "-"));
        let setup = RunSetup {
            input: Some(input.clone()),
            mock_config: None,
            no_mocks: false,
            test_case: Some(case),
            lambda: self.lambda.clone(),
            seed: self.seed,
            progress: None,
        };
        let run = Box::pin(run_machine(
            self.project.clone(),
            &child.name,
            setup,
            self.clock.clone(),
            self.depth + 1,
            Some(name.clone()),
        ))
        .await
        .map_err(|e| {
            failed(
                request,
                format!("the nested {} cannot run: {e:#}", child.name),
            )
        })?;
        let result = run.result;
        let status = match result.status {
            Status::Succeeded => "SUCCEEDED",
            Status::Failed => "FAILED",
            Status::TimedOut => "TIMED_OUT",
            Status::Aborted => "ABORTED",
        };
        let as_field = |value: Value| {
            if json_output {
                value
            } else {
                Value::String(value.to_string())
            }
        };
        let iso = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                .unwrap_or_default()
        };
        let mut description = json!({
            "ExecutionArn": format!("{}:{name}", arn.replacen(":stateMachine:", ":execution:", 1)),
            "StateMachineArn": arn,
            "Name": name,
            "Status": status,
            "StartDate": iso(result.start_ms),
            "StopDate": iso(result.end_ms),
            "Input": as_field(input),
            "InputDetails": {"Included": true},
        });
        if result.status == Status::Succeeded {
            description["Output"] = as_field(result.output.unwrap_or(Value::Null));
            description["OutputDetails"] = json!({"Included": true});
            return Ok(description);
        }
        if let Some(error) = &result.error {
            description["Error"] = Value::from(error.clone());
        }
        if let Some(cause) = &result.cause {
            description["Cause"] = Value::from(cause.clone());
        }
        Err(TaskError::new("States.TaskFailed", description.to_string()))
    }
}

impl TaskHandler for NestedDispatcher {
    fn call<'a>(&'a self, request: TaskRequest<'a>) -> BoxFuture<'a, Result<Value, TaskError>> {
        Box::pin(async move {
            match request.target {
                Resource::Service {
                    service,
                    action,
                    pattern,
                    ..
                } if service == "states" && action == "startExecution" => match pattern {
                    Pattern::SyncV2 => self.start_execution(&request, true).await,
                    Pattern::Sync => self.start_execution(&request, false).await,
                    _ => self.local.call(request).await,
                },
                _ => self.local.call(request).await,
            }
        })
    }
}
