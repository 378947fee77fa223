//! `pipelines validate`: the checks that `sam validate` and `cfn-lint` do not make, before a
//! deploy: every state machine passes the engine's static checks; every `${Name}` is supplied;
//! every function a definition calls is in the template and in the workspace; every schedule
//! and rule target exists; every schedule expression and time zone is valid; and every JSONPath
//! a state reads from a Lambda step's result exists in that function's output type with a
//! fitting JSON type; and every mock configuration (`events/<machine>/mock-config.json`) mocks
//! only results and errors the called service can return, checked against AWS's service models
//! (`STRICT` by default, as the TestState API's `fieldValidationMode`).

use crate::project::{parse_overrides, Project};
use crate::scheduler;
use crate::template::Template;

use asl::choice::Op;
use asl::jsonata::Template as JsonataTemplate;
use asl::payload::Template as PayloadTemplate;
use asl::service_shapes::FieldValidationMode;
use asl::states::task::Task;
use asl::states::{Assign, Graph, Kind, QueryLanguage, ResultPathSpec, State};
use asl::StateMachine;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Check the template, the state machines and the functions against each other.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  pipelines validate
  pipelines validate --project path/to/checkout --json
  pipelines validate --mock-validation PRESENT     # unknown fields in mocked results allowed

Exit status: 0 when every check passes (warnings allowed), 1 when any check fails, 2 when the
project cannot be read.")]
pub struct Args {
    /// The project folder (default: found upwards from the working directory).
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,
    /// Override a template parameter (repeatable).
    #[arg(long = "parameter", value_name = "KEY=VALUE")]
    parameters: Vec<String>,
    /// Print findings as JSON.
    #[arg(long)]
    json: bool,
    /// How mocked results are checked against the service's response shape: STRICT (unknown
    /// fields, wrong types and missing required members are errors), PRESENT (only the fields
    /// present are type-checked) or NONE (as the TestState API's `mock.fieldValidationMode`).
    #[arg(long, value_name = "MODE", default_value = "STRICT")]
    mock_validation: FieldValidationMode,
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails validation.
    Error,
    /// Worth a look; does not fail.
    Warning,
}

/// One problem, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// The file.
    pub file: String,
    /// The state, when there is one.
    pub state: Option<String>,
    /// The field (template path or ASL field).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{severity}: {}", self.file)?;
        if let Some(state) = &self.state {
            write!(f, ": state {state}")?;
        }
        write!(f, ": {}: {}", self.field, self.message)
    }
}

/// Runs the subcommand; returns the exit code.
pub fn run(args: Args) -> u8 {
    let project = match parse_overrides(&args.parameters)
        .and_then(|o| Project::discover(args.project.as_deref(), &o))
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!("pipelines validate: {e:#}");
            return 2;
        }
    };
    let findings = validate(&project, args.mock_validation);
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    if args.json {
        say!(
            "{}",
            serde_json::json!({"errors": errors, "findings": findings})
        );
    } else {
        for finding in &findings {
            say!("{finding}");
        }
        let machines = project.template.state_machines().len();
        let mock_configs = project
            .template
            .state_machines()
            .iter()
            .filter(|m| project.event_file(&m.name, "mock-config.json").is_some())
            .count();
        say!(
            "{} state machine(s), {} function(s), {} schedule(s), {mock_configs} mock configuration(s) ({}) checked: {errors} error(s), {} warning(s)",
            machines,
            project.template.functions().len(),
            project.template.schedules().map(|s| s.len()).unwrap_or(0),
            args.mock_validation,
            findings.len() - errors
        );
    }
    u8::from(errors > 0)
}

/// Every finding for `project`, mocked results checked in `mock_mode`.
pub fn validate(project: &Project, mock_mode: FieldValidationMode) -> Vec<Finding> {
    let mut findings = Vec::new();
    let template_file = relative(project, &project.template.path);
    check_functions(project, &template_file, &mut findings);
    check_schedules(&project.template, &template_file, &mut findings);
    check_rules(&project.template, &template_file, &mut findings);
    crate::catalogue_check::check(project, &mut findings);
    for resource in project.template.state_machines() {
        // (a definition that cannot be loaded or parsed is reported by check_state_machine)
        if let Some(machine) =
            check_state_machine(project, &resource, &template_file, &mut findings)
        {
            crate::mock_check::check(project, &resource.name, &machine, mock_mode, &mut findings);
        }
        check_key_results(project, &resource.name, &mut findings);
    }
    findings.sort_by_key(|f| f.severity);
    findings
}

/// The state machine's key-results declaration (`state-machines/NAME.summary.json`) must be
/// well formed; a machine without one gets a warning, since its run summary shows no results.
fn check_key_results(project: &Project, machine: &str, findings: &mut Vec<Finding>) {
    let file = relative(
        project,
        &crate::key_results::declaration_path(&project.root, machine),
    );
    match crate::key_results::load(&project.root, machine) {
        Ok(Some(_)) => {}
        Ok(None) => findings.push(Finding {
            severity: Severity::Warning,
            file,
            state: None,
            field: "key_results".into(),
            message: format!(
                "{machine} declares no key results: `pipelines run` shows only its status and path"
            ),
        }),
        Err(e) => findings.push(error(&file, None, "key_results", e.to_string())),
    }
}

fn relative(project: &Project, path: &std::path::Path) -> String {
    path.strip_prefix(&project.root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn error(
    file: &str,
    state: Option<&str>,
    field: impl Into<String>,
    message: impl Into<String>,
) -> Finding {
    Finding {
        severity: Severity::Error,
        file: file.into(),
        state: state.map(str::to_string),
        field: field.into(),
        message: message.into(),
    }
}

/// The error contract of a Lambda step: each `ErrorEquals` name of its `Retry` and `Catch`
/// must be one its function can raise (its error enum's variants), a `States.*` name, a
/// runtime error (`Runtime.*`) or a Lambda service error (`Lambda.*`, checked against the
/// service model); and when the step has Catchers, the function errors none of them handles
/// are reported (a warning: they fail the execution).
fn check_error_contract(
    file: &str,
    state_name: &str,
    state: &Kind,
    function: &crate::functions::LocalFunction,
    findings: &mut Vec<Finding>,
) {
    let mut catches_all = false;
    let mut caught: Vec<&str> = Vec::new();
    for (field, entries) in error_equals(state) {
        for (i, names) in entries.iter().enumerate() {
            for name in names.iter().map(String::as_str) {
                let unknown = match name {
                    // `States.*` names are checked on every state (`check_states_error_names`).
                    n if n.starts_with("States.") || n.starts_with("Runtime.") => None,
                    n if n.starts_with("Lambda.") => {
                        asl::service_shapes::check_mock_error(LAMBDA_INVOKE, n).err()
                    }
                    n if function.errors.contains(&n) => None,
                    n => Some(format!(
                        "{n} is not an error {} can raise (a typo or a renamed variant?); its errorTypes: {}",
                        function.binary,
                        function.errors.join(", ")
                    )),
                };
                if let Some(reason) = unknown {
                    findings.push(error(
                        file,
                        Some(state_name),
                        format!("{field}[{i}].ErrorEquals"),
                        reason,
                    ));
                }
                if field == "Catch" {
                    match name {
                        "States.ALL" | "States.TaskFailed" => catches_all = true,
                        other => caught.push(other),
                    }
                }
            }
        }
    }
    if !state.catchers().is_empty() && !catches_all {
        let uncaught: Vec<&str> = function
            .errors
            .iter()
            .copied()
            .filter(|e| !caught.contains(e))
            .collect();
        if !uncaught.is_empty() {
            findings.push(Finding {
                severity: Severity::Warning,
                file: file.into(),
                state: Some(state_name.to_string()),
                field: "Catch".into(),
                message: format!(
                    "no Catch handles these errors of {}: {} (they fail the execution)",
                    function.binary,
                    uncaught.join(", ")
                ),
            });
        }
    }
}

/// `ErrorEquals` names of the reserved `States.` family must be ones Step Functions defines:
/// any other (`States.Timout`) is a typo that never matches, on any state with Retry or Catch.
fn check_states_error_names(
    file: &str,
    state_name: &str,
    state: &Kind,
    findings: &mut Vec<Finding>,
) {
    for (field, entries) in error_equals(state) {
        for (i, names) in entries.iter().enumerate() {
            let reserved = names
                .iter()
                .filter(|n| n.starts_with("States.") && n.as_str() != asl::error::names::ALL);
            for name in reserved {
                if let Err(reason) = asl::service_shapes::check_states_error(name) {
                    findings.push(error(
                        file,
                        Some(state_name),
                        format!("{field}[{i}].ErrorEquals"),
                        format!("{reason}: a typo never matches"),
                    ));
                }
            }
        }
    }
}

/// The `ErrorEquals` lists of a state's retriers and catchers, by field: `Retry`, then `Catch`.
fn error_equals(state: &Kind) -> [(&'static str, Vec<&[String]>); 2] {
    [
        (
            "Retry",
            state
                .retriers()
                .iter()
                .map(|r| r.error_equals.as_slice())
                .collect(),
        ),
        (
            "Catch",
            state
                .catchers()
                .iter()
                .map(|c| c.error_equals.as_slice())
                .collect(),
        ),
    ]
}

fn check_functions(project: &Project, file: &str, findings: &mut Vec<Finding>) {
    for function in project.template.functions() {
        let field = format!(
            "Resources.{}.Metadata.BuildProperties.Binary",
            function.logical_id
        );
        match function.binary.as_deref() {
            None => findings.push(error(file, None, field, "no binary named: set Metadata.BuildProperties.Binary to the function crate's binary")),
            Some(binary) if !project.root.join("functions").join(binary).join("Cargo.toml").is_file() => findings.push(error(
                file,
                None,
                field,
                format!("{binary} is not a crate of this workspace (no functions/{binary}/Cargo.toml)"),
            )),
            Some(_) => {}
        }
    }
}

fn check_target(
    template: &Template,
    target: &Value,
    file: &str,
    field: &str,
    findings: &mut Vec<Finding>,
) {
    let referenced = match target {
        Value::Object(m) => m.get("Ref").and_then(Value::as_str).or_else(|| {
            m.get("Fn::GetAtt")
                .and_then(|a| a.get(0))
                .and_then(Value::as_str)
        }),
        _ => None,
    };
    match referenced {
        Some(name) if template.resource_type(name).is_none() => {
            findings.push(error(
                file,
                None,
                field,
                format!("the target {name} is not a resource of the template"),
            ));
        }
        Some(_) => {}
        None => {
            if let Err(e) = template.resolve(target, field) {
                findings.push(error(file, None, field, e.to_string()));
            }
        }
    }
}

fn check_schedules(template: &Template, file: &str, findings: &mut Vec<Finding>) {
    let schedules = match template.schedules() {
        Ok(s) => s,
        Err(e) => {
            findings.push(error(file, None, "Resources", e.to_string()));
            return;
        }
    };
    let now = chrono::Utc::now();
    let year_on = now + chrono::Duration::days(365);
    for s in schedules {
        let at = |field: &str| format!("Resources.{}.Properties.{field}", s.logical_id);
        match scheduler::Schedule::new(
            &s.expression,
            &s.timezone,
            s.start_date.as_deref(),
            s.end_date.as_deref(),
        ) {
            Ok(schedule) => {
                if s.state == "ENABLED" && schedule.fires(now).next().is_none() {
                    findings.push(Finding {
                        severity: Severity::Warning,
                        ..error(file, None, at("ScheduleExpression"), "no fire time from now on (at() in the past, EndDate passed, or years over): the schedule never fires again")
                    });
                }
                for note in schedule.dst_notes(now, year_on) {
                    findings.push(Finding {
                        severity: Severity::Warning,
                        ..error(file, None, at("ScheduleExpression"), note.to_string())
                    });
                }
            }
            Err(e) => {
                let field = match &e {
                    scheduler::ScheduleError::InvalidExpression { .. } => "ScheduleExpression",
                    scheduler::ScheduleError::UnknownTimeZone(_) => "ScheduleExpressionTimezone",
                    scheduler::ScheduleError::InvalidDate { field, .. } => field,
                    scheduler::ScheduleError::StartNotBeforeEnd { .. } => "StartDate",
                };
                findings.push(error(file, None, at(field), e.to_string()));
            }
        }
        if let Some(properties) = template
            .resource(&s.logical_id)
            .and_then(|r| r.get("Properties"))
        {
            for (field, problem) in scheduler::property_problems(properties) {
                findings.push(error(file, None, at(&field), problem));
            }
        }
        match s.target.get("Arn") {
            Some(target) => check_target(template, target, file, &at("Target.Arn"), findings),
            None => findings.push(error(file, None, at("Target.Arn"), "missing")),
        }
    }
    // SAM function events of the schedule kinds carry expressions too.
    for (id, resource) in template.resources() {
        for (event, spec) in resource
            .pointer("/Properties/Events")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if matches!(
                spec.get("Type").and_then(Value::as_str),
                Some("Schedule" | "ScheduleV2")
            ) {
                if let Some(expression) = spec
                    .pointer("/Properties/Schedule")
                    .or_else(|| spec.pointer("/Properties/ScheduleExpression"))
                {
                    let field =
                        format!("Resources.{id}.Properties.Events.{event}.Properties.Schedule");
                    match template.resolve_text(expression, &field) {
                        Ok(text) => {
                            if let Err(e) = scheduler::parse(&text) {
                                findings.push(error(file, None, field, e.to_string()));
                            }
                        }
                        Err(e) => findings.push(error(file, None, field, e.to_string())),
                    }
                }
            }
        }
    }
}

fn check_rules(template: &Template, file: &str, findings: &mut Vec<Finding>) {
    for rule in template.rules() {
        for (i, target) in rule.targets.iter().enumerate() {
            check_target(
                template,
                target,
                file,
                &format!("Resources.{}.Properties.Targets[{i}].Arn", rule.logical_id),
                findings,
            );
        }
    }
}

/// Checks one state machine; returns its parsed definition when the engine accepts it (the
/// checks of its states, functions and callbacks run only then: they read the engine's model).
fn check_state_machine(
    project: &Project,
    resource: &crate::template::StateMachineResource,
    template_file: &str,
    findings: &mut Vec<Finding>,
) -> Option<StateMachine> {
    let machine = match project.load_machine(resource) {
        Ok(m) => m,
        Err(e) => {
            findings.push(error(
                template_file,
                None,
                format!("Resources.{}", resource.logical_id),
                format!("{e:#}"),
            ));
            return None;
        }
    };
    let file = relative(project, &machine.path);
    for name in &machine.unsupplied {
        findings.push(error(&file, None, format!("${{{name}}}"), format!("used by the definition but not supplied by Resources.{}.Properties.DefinitionSubstitutions", resource.logical_id)));
    }
    let parsed = match StateMachine::from_value(&machine.definition) {
        Ok(parsed) => parsed,
        Err(errors) => {
            for e in errors.0 {
                let state = state_from_path(&e.path);
                findings.push(error(
                    &file,
                    state.as_deref(),
                    e.path.clone(),
                    e.message.clone(),
                ));
            }
            return None;
        }
    };
    let functions = project.local_functions();
    let template_functions: BTreeSet<String> = project.local_functions().keys().cloned().collect();
    let callbacks = callback_states(project, resource, template_file, findings);
    let mut seen_callbacks = BTreeSet::new();
    parsed.graph.walk(&mut |state, list| {
        let state_name: &str = &state.name;
        check_states_error_names(&file, state_name, &state.kind, findings);
        if let Some((binary, callback)) = callbacks.get(state_name) {
            seen_callbacks.insert(state_name.to_string());
            check_callback_state(&file, state, list, binary, callback, findings);
        }
        let Kind::Task(task) = &state.kind else {
            return;
        };
        let resource_arn = task.resource.as_str();
        let function_name = if resource_arn == LAMBDA_INVOKE
            || resource_arn == "arn:aws:states:::lambda:invoke.waitForTaskToken"
        {
            match task.literal_parameter("FunctionName").and_then(Value::as_str) {
                Some(name) => name.to_string(),
                None => return, // dynamic (FunctionName.$, {% %}): only known at run time
            }
        } else if resource_arn.starts_with("arn:aws:lambda:") {
            resource_arn.to_string()
        } else {
            return;
        };
        let known = template_functions
            .iter()
            .any(|k| k == &function_name || function_name.starts_with(&format!("{k}:")));
        let any_template_function = project
            .template
            .functions()
            .iter()
            .any(|f| function_name.contains(&f.function_name));
        let Some(function) = functions.get(&function_name).copied().filter(|_| known) else {
            let message = if any_template_function {
                format!("{function_name} is a function of the template with no handler in this workspace's `pipelines` registry")
            } else {
                format!("{function_name} is not a function of the template")
            };
            findings.push(error(
                &file,
                Some(state_name),
                "Parameters.FunctionName",
                message,
            ));
            return;
        };
        check_error_contract(&file, state_name, &state.kind, function, findings);
        if resource_arn != LAMBDA_INVOKE {
            return;
        }
        if state.language == QueryLanguage::Jsonata {
            let schema = (function.output_schema)();
            for (other_name, field, path, rest) in jsonata_result_reads(state, list) {
                let detail = match check_schema_path(&schema, &rest, None) {
                    SchemaCheck::Missing(detail) => detail,
                    _ => continue,
                };
                findings.push(error(&file, Some(&other_name), field, format!("{path}: {detail} in the output of {} (read from the result of state {state_name})", function.binary)));
            }
            return;
        }
        let Some(result_path) = result_path(task) else {
            return;
        };
        let schema = (function.output_schema)();
        let mut report = |other_name: &str,
                          field: String,
                          path: &str,
                          schema_rest: &str,
                          expected: Option<&'static str>| {
            match check_schema_path(&schema, schema_rest, expected) {
                SchemaCheck::Ok => {}
                SchemaCheck::Missing(detail) => findings.push(error(&file, Some(other_name), field, format!("{path}: {detail} in the output of {} (read from the result of state {state_name})", function.binary))),
                SchemaCheck::WrongType(found) => findings.push(error(&file, Some(other_name), field, format!("{path} is {found} in the output of {}, but this field needs {}", function.binary, expected.unwrap_or("a value")))),
                SchemaCheck::Nullable => findings.push(Finding { severity: Severity::Warning, file: file.clone(), state: Some(other_name.to_string()), field, message: format!("{path} can be null in the output of {}; {} fails on null", function.binary, expected.unwrap_or("this field")) }),
            }
        };
        // Where the function's output lands for later states: (path prefix, path inside the output).
        let mut mappings: Vec<(String, String)> = Vec::new();
        match &task.result_selector {
            None => mappings.push((format!("{result_path}.Payload"), String::new())),
            Some(selector) => {
                for (name, source) in selector_paths(selector) {
                    let Some(inner) = source.strip_prefix("$.Payload") else {
                        continue;
                    };
                    if !(inner.is_empty() || inner.starts_with('.') || inner.starts_with('[')) {
                        continue;
                    }
                    report(
                        state_name,
                        format!("ResultSelector.{name}.$"),
                        source,
                        inner,
                        None,
                    );
                    mappings.push((format!("{result_path}.{name}"), inner.to_string()));
                }
            }
        }
        for other in &list.states {
            for read in other.json_paths() {
                let path = read.path.as_str();
                let expected = read.op.and_then(operand_type);
                for (prefix, base) in &mappings {
                    let Some(rest) = path.strip_prefix(prefix.as_str()) else {
                        continue;
                    };
                    if !(rest.starts_with('.') || rest.starts_with('[')) {
                        continue;
                    }
                    report(
                        &other.name,
                        read.field.clone(),
                        path,
                        &format!("{base}{rest}"),
                        expected,
                    );
                }
            }
        }
    });
    for missing in callbacks
        .keys()
        .filter(|name| !seen_callbacks.contains(*name))
    {
        findings.push(error(
            template_file,
            None,
            "Metadata.Callbacks",
            format!("state {missing} of {} does not exist", resource.logical_id),
        ));
    }
    Some(parsed)
}

/// `arn:aws:states:::lambda:invoke`, the request-response Lambda integration.
const LAMBDA_INVOKE: &str = "arn:aws:states:::lambda:invoke";

/// A Task's `ResultPath` when it puts the result below the input (not `$`, not `null`).
fn result_path(task: &Task) -> Option<&str> {
    match &task.result_path {
        ResultPathSpec::Path(p) => Some(p.as_str()).filter(|p| *p != "$"),
        ResultPathSpec::Default | ResultPathSpec::Discard => None,
    }
}

/// The `"name.$": "$.path"` entries of a `ResultSelector`, as (name, path).
fn selector_paths(selector: &PayloadTemplate) -> Vec<(&str, &str)> {
    match selector {
        PayloadTemplate::Object(entries) => entries
            .iter()
            .filter_map(|(name, t)| match t {
                PayloadTemplate::Path(p) => Some((name.as_str(), p.as_str())),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The JSON type a Choice comparison needs its `Variable` (and `...Path` operand) to have.
fn operand_type(op: Op) -> Option<&'static str> {
    let name = op.as_str();
    if name.starts_with("Numeric") {
        Some("number")
    } else if name.starts_with("Boolean") {
        Some("boolean")
    } else if name.starts_with("String") || name.starts_with("Timestamp") {
        Some("string")
    } else {
        None
    }
}

/// The states of `resource` that a function of the template completes through a task token:
/// `Metadata.Callbacks: [{StateMachine: <logical id>, State: <name>}]` on the function.
fn callback_states(
    project: &Project,
    resource: &crate::template::StateMachineResource,
    template_file: &str,
    findings: &mut Vec<Finding>,
) -> std::collections::BTreeMap<String, (&'static str, &'static crate::functions::Callback)> {
    let mut out = std::collections::BTreeMap::new();
    for function in project.template.functions() {
        let Some(declared) = project
            .template
            .resource(&function.logical_id)
            .and_then(|r| r.pointer("/Metadata/Callbacks"))
            .and_then(Value::as_array)
        else {
            continue;
        };
        let field = format!("Resources.{}.Metadata.Callbacks", function.logical_id);
        let local = function
            .binary
            .as_deref()
            .and_then(crate::functions::find)
            .and_then(|f| f.callback.as_ref().map(|c| (f.binary, c)));
        let Some((binary, callback)) = local else {
            findings.push(error(template_file, None, field, "the function declares callback states but its crate has no callback contract in the `pipelines` registry"));
            continue;
        };
        for entry in declared {
            if entry.get("StateMachine").and_then(Value::as_str)
                != Some(resource.logical_id.as_str())
            {
                continue;
            }
            match entry.get("State").and_then(Value::as_str) {
                Some(state) => {
                    out.insert(state.to_string(), (binary, callback));
                }
                None => findings.push(error(
                    template_file,
                    None,
                    field.clone(),
                    "each entry needs StateMachine and State",
                )),
            }
        }
    }
    out
}

/// A state a function completes by task token: it must wait for one, catch only errors the
/// function can send (besides `States.*` and the integration's own), and read only fields of
/// its success output.
fn check_callback_state(
    file: &str,
    state: &State,
    list: &Graph,
    binary: &str,
    callback: &crate::functions::Callback,
    findings: &mut Vec<Finding>,
) {
    let state_name: &str = &state.name;
    let task = match &state.kind {
        Kind::Task(task) if task.resource.ends_with(".waitForTaskToken") => task,
        other => {
            let resource = match other {
                Kind::Task(task) => task.resource.as_str(),
                _ => "",
            };
            findings.push(error(file, Some(state_name), "Resource", format!("{binary} completes this state by task token, but {resource:?} does not wait for one (.waitForTaskToken)")));
            return;
        }
    };
    let [retry, catch] = error_equals(&state.kind);
    for (kind, handlers) in [catch, retry] {
        for (i, names) in handlers.iter().enumerate() {
            for name in names.iter().map(String::as_str) {
                // `States.*` and the integration's own errors (`DynamoDB.ThrottlingException`)
                // have a dot; a function's errorType has none.
                if !name.contains('.') && !callback.errors.contains(&name) {
                    findings.push(error(
                        file,
                        Some(state_name),
                        format!("{kind}[{i}].ErrorEquals"),
                        format!(
                            "{name} is not an error {binary} sends (it sends: {})",
                            callback.errors.join(", ")
                        ),
                    ));
                }
            }
        }
    }
    let Some(result_path) = result_path(task) else {
        return;
    };
    let schema = (callback.output_schema)();
    for other in &list.states {
        for read in other.json_paths() {
            let path = read.path.as_str();
            let expected = read.op.and_then(operand_type);
            let Some(rest) = path.strip_prefix(result_path) else {
                continue;
            };
            if !(rest.starts_with('.') || rest.starts_with('[')) {
                continue;
            }
            let (other_name, field) = (&*other.name, read.field);
            match check_schema_path(&schema, rest, expected) {
                SchemaCheck::Ok | SchemaCheck::Nullable => {}
                SchemaCheck::Missing(detail) => findings.push(error(file, Some(other_name), field, format!("{path}: {detail} in what {binary} sends to {state_name}"))),
                SchemaCheck::WrongType(found) => findings.push(error(file, Some(other_name), field, format!("{path} is {found} in what {binary} sends to {state_name}, but this field needs {}", expected.unwrap_or("a value")))),
            }
        }
    }
}

fn state_from_path(path: &str) -> Option<String> {
    let rest = path.strip_prefix("$.States.").or_else(|| {
        path.split(".States.")
            .last()
            .filter(|_| path.contains(".States."))
    })?;
    Some(rest.split(['.', '[']).next()?.to_string())
}

/// The reads of a JSONata Lambda state's `Payload` that can be resolved statically, as
/// (state, field, path as written, path inside the function's output): `$states.result.Payload…`
/// in the state's own `Output`/`Assign`, and `$var…` anywhere for a variable the state assigns
/// `{% $states.result.Payload… %}` to.
fn jsonata_result_reads(state: &State, list: &Graph) -> Vec<(String, String, String, String)> {
    const PAYLOAD: &str = "$states.result.Payload";
    let mut out = Vec::new();
    let mut vars: Vec<(String, String)> = Vec::new();
    if let Some(Assign::Jsonata(JsonataTemplate::Object(entries))) = &state.assign {
        for (var, value) in entries {
            let JsonataTemplate::Expr(expr) = value else {
                continue;
            };
            if let Some(rest) = expr
                .as_field_path()
                .and_then(|p| p.strip_prefix(PAYLOAD).map(str::to_string))
            {
                vars.push((format!("${var}"), rest));
            }
        }
    }
    for (field, path) in jsonata_paths(state) {
        if let Some(rest) = path.strip_prefix(PAYLOAD).filter(|r| r.starts_with('.')) {
            out.push((
                state.name.to_string(),
                field,
                path.clone(),
                rest.to_string(),
            ));
        }
    }
    for other in &list.states {
        for (field, path) in jsonata_paths(other) {
            for (var, base) in &vars {
                if let Some(rest) = path
                    .strip_prefix(var.as_str())
                    .filter(|r| r.starts_with('.'))
                {
                    out.push((
                        other.name.to_string(),
                        field.clone(),
                        path.clone(),
                        format!("{base}{rest}"),
                    ));
                }
            }
        }
    }
    out
}

/// The `$name.a.b` field paths read in a state's JSONata fields, as (field, path).
fn jsonata_paths(state: &State) -> Vec<(String, String)> {
    state
        .jsonata_expressions()
        .into_iter()
        .flat_map(|(field, expr)| {
            expr.field_paths()
                .into_iter()
                .map(move |r| (field.clone(), r))
        })
        .collect()
}

/// The outcome of looking a path up in a JSON schema.
#[derive(Debug, PartialEq, Eq)]
pub enum SchemaCheck {
    /// The path exists with a fitting type.
    Ok,
    /// A segment does not exist.
    Missing(String),
    /// It exists with a type that does not fit.
    WrongType(String),
    /// It fits but may be null.
    Nullable,
}

/// Looks `rest` (e.g. `.rows.total` or `.segments.worst[0].mape`) up in `schema`.
pub fn check_schema_path(schema: &Value, rest: &str, expected: Option<&str>) -> SchemaCheck {
    let mut node = schema;
    let mut walked = String::new();
    for segment in segments(rest) {
        node = deref(schema, node);
        match segment {
            Segment::Field(name) => {
                let object = variants(schema, node)
                    .into_iter()
                    .find_map(|v| v.get("properties").and_then(|p| p.get(&name)));
                match object {
                    Some(child) => node = child,
                    None => {
                        let open = variants(schema, node).iter().any(|v| {
                            v.get("additionalProperties")
                                .is_some_and(|a| a != &Value::Bool(false))
                                || v.get("type").and_then(Value::as_str) == Some("object")
                                    && v.get("properties").is_none()
                        });
                        if open {
                            return SchemaCheck::Ok;
                        }
                        let known: Vec<String> = variants(schema, node)
                            .iter()
                            .filter_map(|v| v.get("properties").and_then(Value::as_object))
                            .flat_map(|p| p.keys().cloned())
                            .collect();
                        let at = if walked.is_empty() {
                            "the result".to_string()
                        } else {
                            walked.clone()
                        };
                        return SchemaCheck::Missing(format!(
                            "{at} has no field {name:?} (it has: {})",
                            known.join(", ")
                        ));
                    }
                }
                walked.push('.');
                walked.push_str(&name);
            }
            Segment::Index => {
                match variants(schema, node)
                    .into_iter()
                    .find_map(|v| v.get("items"))
                {
                    Some(items) => node = items,
                    None => return SchemaCheck::Missing(format!("{walked} is not an array")),
                }
                walked.push_str("[]");
            }
        }
    }
    let Some(expected) = expected else {
        return SchemaCheck::Ok;
    };
    let types = types_of(schema, node);
    if types.is_empty() {
        return SchemaCheck::Ok;
    }
    let fits = types
        .iter()
        .any(|t| t == expected || (expected == "number" && t == "integer"));
    if !fits {
        return SchemaCheck::WrongType(types.join(" or "));
    }
    if types.iter().any(|t| t == "null") {
        SchemaCheck::Nullable
    } else {
        SchemaCheck::Ok
    }
}

enum Segment {
    Field(String),
    Index,
}

fn segments(rest: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    for part in rest.split('.').filter(|p| !p.is_empty()) {
        let (name, indexes) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !name.is_empty() {
            out.push(Segment::Field(name.to_string()));
        }
        for _ in indexes.matches('[') {
            out.push(Segment::Index);
        }
    }
    out
}

fn deref<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    let mut node = node;
    for _ in 0..16 {
        match node
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
        {
            Some(pointer) => match root.pointer(pointer) {
                Some(target) => node = target,
                None => break,
            },
            None => break,
        }
    }
    node
}

fn variants<'a>(root: &'a Value, node: &'a Value) -> Vec<&'a Value> {
    let node = deref(root, node);
    let mut out = vec![node];
    for key in ["anyOf", "oneOf", "allOf"] {
        for v in node
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            out.extend(variants(root, v));
        }
    }
    out
}

fn types_of(root: &Value, node: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for v in variants(root, node) {
        match v.get("type") {
            Some(Value::String(t)) => out.push(t.clone()),
            Some(Value::Array(ts)) => {
                out.extend(ts.iter().filter_map(Value::as_str).map(str::to_string))
            }
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions;

    fn schema() -> Value {
        (functions::find("evaluate-model-metrics")
            .unwrap()
            .output_schema)()
    }

    #[test]
    fn schema_paths_are_checked_for_presence_and_type() {
        let s = schema();
        assert_eq!(
            check_schema_path(&s, ".mape", Some("number")),
            SchemaCheck::Nullable,
            "mape is null for classification tasks"
        );
        assert_eq!(
            check_schema_path(&s, ".gate.passed", Some("boolean")),
            SchemaCheck::Ok
        );
        assert_eq!(
            check_schema_path(&s, ".rows.total", Some("number")),
            SchemaCheck::Ok
        );
        assert_eq!(
            check_schema_path(&s, ".beats_production", Some("boolean")),
            SchemaCheck::Ok
        );
        assert_eq!(
            check_schema_path(&s, ".segments.worst[0].rows", None),
            SchemaCheck::Ok
        );
        assert_eq!(
            check_schema_path(&s, ".r2", Some("number")),
            SchemaCheck::Nullable
        );
        assert!(
            matches!(check_schema_path(&s, ".mape_percent", None), SchemaCheck::Missing(m) if m.contains("\"mape_percent\"") && m.contains("mape"))
        );
        assert!(
            matches!(check_schema_path(&s, ".model_uri", Some("number")), SchemaCheck::WrongType(t) if t == "string")
        );
    }

    #[test]
    fn jsonata_reads_of_a_lambda_result_are_resolved_through_variables() {
        let def: Value =
            serde_json::from_str(include_str!("../tests/fixtures/jsonata/evaluate.asl.json"))
                .unwrap();
        let machine =
            asl::StateMachine::from_value(&def).expect("the example is a valid JSONata machine");
        let graph = &machine.graph;
        let evaluate = graph.get("Evaluate").unwrap();
        let reads = jsonata_result_reads(evaluate, graph);
        let mut got: Vec<(&str, &str, &str)> = reads
            .iter()
            .map(|(s, f, _, rest)| (s.as_str(), f.as_str(), rest.as_str()))
            .collect();
        got.sort();
        assert_eq!(
            got,
            vec![
                ("Gate", "Choices[0].Condition", ".mape"),
                ("Promote", "Output.mape", ".mape")
            ]
        );
        assert_eq!(graph.get("Gate").unwrap().language, QueryLanguage::Jsonata);
    }
}
