//! `pipelines run`: runs one of the project's state machines locally, in virtual time, with the
//! real Rust handlers for Lambda steps and the mock configuration for every other service step,
//! showing each state as it starts and ends.

use crate::dispatch::{LambdaTarget, LocalDispatcher};
use crate::nested::NestedDispatcher;
use crate::project::{parse_overrides, Project};
use crate::report;
use crate::summary::{human_duration, shorten, RunSummary};
use crate::template::StateMachineResource;
use anyhow::{bail, Context, Result};
use asl::history::Details;
use asl::{
    EventType, ExecutionOptions, HistoryEvent, MockConfig, SeededRng, StateMachine, Status,
    TaskHandler, VirtualClock,
};
use serde_json::Value;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Exit status: the execution succeeded.
pub const EXIT_SUCCEEDED: u8 = 0;
/// Exit status: the execution ran and failed, timed out or was aborted.
pub const EXIT_FAILED: u8 = 1;
/// Exit status: the project, state machine, input or mocks could not be used.
pub const EXIT_UNUSABLE: u8 = 2;

/// Run one of the project's state machines locally (virtual time: Waits and retries never sleep).
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  pipelines run ml-retraining                                  # HappyPath of events/ml-retraining/mock-config.json
  pipelines run ml-retraining --test-case ModelNotGoodEnough
  pipelines run ml-retraining#TrainingJobFails --history /tmp/h.json --report /tmp/run.html
  pipelines run ml-retraining --output json | jq .summary           # the machine-readable result
  pipelines run ml-retraining --lambda-endpoint http://127.0.0.1:9000   # Lambda steps via `cargo lambda watch`

Defaults: the input is the test case's own (its input file in events/NAME/expected-outcomes.json),
else events/NAME/input.json, and the mocks events/NAME/mock-config.json
(test case HappyPath) when they exist. Lambda steps of the project's functions run the real
handlers in-process; every other Task must be mocked by the test case.

The run ends with a summary (status, virtual duration, the path, the key results declared in
state-machines/NAME.summary.json); the full output, the history and the HTML report go to
target/pipelines/NAME-CASE.{output.json,history.json,html}.

Exit status: 0 the execution succeeded, 1 it failed (or timed out), 2 it could not be run.")]
pub struct Args {
    /// The state machine: its definition's name (ml-retraining) or logical id; NAME#TestCase
    /// selects a test case as Step Functions Local does.
    name: String,
    /// The execution input (JSON file, or JSON text).
    #[arg(long, value_name = "FILE_OR_JSON")]
    input: Option<String>,
    /// The mock configuration's test case.
    #[arg(long, value_name = "NAME")]
    test_case: Option<String>,
    /// The mock configuration (Step Functions Local format).
    #[arg(long, value_name = "FILE")]
    mock_config: Option<PathBuf>,
    /// Run without any mock configuration (only Lambda steps can then run).
    #[arg(long, conflicts_with_all = ["mock_config", "test_case"])]
    no_mocks: bool,
    /// Where to write the full history (GetExecutionHistory shape).
    /// Default: target/pipelines/NAME-CASE.history.json.
    #[arg(long, value_name = "FILE")]
    history: Option<PathBuf>,
    /// Where to write the HTML report (graph, path, timeline, each state's data).
    /// Default: target/pipelines/NAME-CASE.html.
    #[arg(long, value_name = "FILE.html")]
    report: Option<PathBuf>,
    /// Send Lambda steps to a Lambda-Invoke-compatible endpoint instead of running them in-process.
    #[arg(long, value_name = "URL")]
    lambda_endpoint: Option<String>,
    /// Override a template parameter (repeatable), e.g. --parameter MapeThreshold=10.
    #[arg(long = "parameter", value_name = "KEY=VALUE")]
    parameters: Vec<String>,
    /// Seed for UUIDs, random numbers and retry jitter (default: 1, for reproducible runs).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// `text`: progress, then a short summary; `json`: only the machine-readable result
    /// (status, output, error, cause, path, summary, files) on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    output: OutputFormat,
    /// Same as `--output json`.
    #[arg(long, hide = true)]
    json: bool,
    /// The project folder (default: found upwards from the working directory).
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,
}

/// What `pipelines run` prints on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Progress on stderr, a short summary on stdout.
    Text,
    /// The result as one JSON document on stdout, nothing else.
    Json,
}

/// The async runtime the engine runs on.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Runs the subcommand; returns the exit code.
pub fn run(args: Args) -> u8 {
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pipelines run: {e:#}");
            return EXIT_UNUSABLE;
        }
    };
    match runtime.block_on(execute(&args)) {
        Ok(result) => match result.status {
            Status::Succeeded => EXIT_SUCCEEDED,
            _ => EXIT_FAILED,
        },
        Err(e) => {
            eprintln!("pipelines run: {e:#}");
            EXIT_UNUSABLE
        }
    }
}

fn read_json(path: &Path, what: &str) -> Result<Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the {what} {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("the {what} {} is not valid JSON", path.display()))
}

/// Runs the state machine as `args` say.
pub async fn execute(args: &Args) -> Result<asl::ExecutionResult> {
    let json_output = args.json || args.output == OutputFormat::Json;
    let overrides = parse_overrides(&args.parameters)?;
    let project = Project::discover(args.project.as_deref(), &overrides)?;
    let (name, case_from_name) = match args.name.split_once('#') {
        Some((n, c)) => (n.to_string(), Some(c.to_string())),
        None => (args.name.clone(), None),
    };
    // Mock configurations and sample events name files relative to the project (file://events/...),
    // so those resolve against its root; paths given on the command line stay relative to where
    // it was typed.
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let from_cwd = |p: &Path| {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            cwd.join(p)
        }
    };
    let input_arg = args.input.as_ref().map(|arg| {
        let path = from_cwd(Path::new(arg));
        if path.is_file() {
            path.display().to_string()
        } else {
            arg.clone()
        }
    });
    let mock_config = args.mock_config.as_deref().map(from_cwd);
    let history_arg = args.history.as_deref().map(from_cwd);
    let report_arg = args.report.as_deref().map(from_cwd);
    shared::storage::set_local_root(Some(project.root.clone()));
    let input = match &input_arg {
        Some(arg) if Path::new(arg).is_file() => Some(read_json(Path::new(arg), "input")?),
        Some(arg) => Some(
            serde_json::from_str(arg)
                .with_context(|| format!("--input is neither a file nor JSON: {arg}"))?,
        ),
        None => None,
    };
    let setup = RunSetup {
        input,
        mock_config,
        no_mocks: args.no_mocks,
        test_case: args.test_case.clone().or(case_from_name),
        lambda: match &args.lambda_endpoint {
            Some(url) => LambdaTarget::Endpoint(url.clone()),
            None => LambdaTarget::InProcess,
        },
        seed: args.seed,
        progress: Some(Progress::new(!json_output)),
    };
    if !project.template.placeholder_parameters.is_empty() && !json_output {
        eprintln!(
            "note: template parameters without a default run with placeholders: {} (set them with --parameter KEY=VALUE)",
            project.template.placeholder_parameters.join(", ")
        );
    }
    let declared = crate::key_results::load(&project.root, &name)?;
    let progress = setup.progress.clone();
    let run = run_local(&project, &name, setup).await?;
    let files = RunFiles::under(&project.root, &run.resource.name, &run.test_case)
        .with_history(history_arg)
        .with_report(report_arg);
    let summary = save_run(&run, declared.as_ref(), &files)?;
    if json_output {
        let mut json = run.result.to_json(false);
        json["path"] = Value::from(report::path_taken(&run.result.history));
        json["summary"] = serde_json::to_value(&summary)?;
        json["history_file"] = Value::from(files.history.display().to_string());
        json["output_file"] = Value::from(files.output.display().to_string());
        json["report_file"] = Value::from(files.report.display().to_string());
        say!("{json}");
    } else if let Some(progress) = progress {
        progress.summary(&summary, &run.result, &files);
    }
    Ok(run.result)
}

/// Where a run's files go.
pub struct RunFiles {
    /// The full history (GetExecutionHistory shape).
    pub history: PathBuf,
    /// The execution output, error and cause.
    pub output: PathBuf,
    /// The summary (JSON), read by `pipelines report`.
    pub summary: PathBuf,
    /// The HTML report.
    pub report: PathBuf,
}

impl RunFiles {
    /// The default files of `machine`'s `case` under `root/target/pipelines/`.
    pub fn under(root: &Path, machine: &str, case: &str) -> RunFiles {
        let dir = root.join("target/pipelines");
        let file = |suffix: &str| dir.join(format!("{machine}-{case}.{suffix}"));
        RunFiles {
            history: file("history.json"),
            output: file("output.json"),
            summary: file("summary.json"),
            report: file("html"),
        }
    }

    fn with_history(mut self, path: Option<PathBuf>) -> Self {
        if let Some(path) = path {
            self.history = path;
        }
        self
    }

    fn with_report(mut self, path: Option<PathBuf>) -> Self {
        if let Some(path) = path {
            self.report = path;
        }
        self
    }
}

/// Writes a finished run's history, output, summary and report; returns the summary.
pub fn save_run(
    run: &LocalRun,
    declared: Option<&crate::key_results::KeyResults>,
    files: &RunFiles,
) -> Result<RunSummary> {
    let summary = RunSummary::of(&run.resource.name, &run.test_case, &run.result, declared);
    write_history(&files.history, &run.result)?;
    let output = serde_json::json!({
        "status": run.result.status.as_str(),
        "output": run.result.output,
        "error": run.result.error,
        "cause": run.result.cause,
    });
    write_file(
        &files.output,
        serde_json::to_string_pretty(&output)?.as_bytes(),
    )?;
    write_file(
        &files.summary,
        serde_json::to_string_pretty(&summary)?.as_bytes(),
    )?;
    let html = report::html(&run.machine, &run.result, &summary);
    write_file(&files.report, html.as_bytes())?;
    Ok(summary)
}

/// How to run a state machine locally, beyond the project and its name.
pub struct RunSetup {
    /// The execution input (default: `events/NAME/input.json`, else `{}`).
    pub input: Option<Value>,
    /// The mock configuration (default: `events/NAME/mock-config.json` when it exists).
    pub mock_config: Option<PathBuf>,
    /// Run without any mock configuration.
    pub no_mocks: bool,
    /// The test case (default: `HappyPath`).
    pub test_case: Option<String>,
    /// Where Lambda steps run.
    pub lambda: LambdaTarget,
    /// Seed for UUIDs, random numbers and jitter.
    pub seed: u64,
    /// Live progress on stderr; `None` runs quietly.
    pub progress: Option<Progress>,
}

impl RunSetup {
    /// A quiet run of the default test case with in-process handlers and seed 1.
    pub fn quiet() -> RunSetup {
        RunSetup {
            input: None,
            mock_config: None,
            no_mocks: false,
            test_case: None,
            lambda: LambdaTarget::InProcess,
            seed: 1,
            progress: None,
        }
    }
}

/// A finished local run.
pub struct LocalRun {
    /// The state machine.
    pub resource: StateMachineResource,
    /// Its definition, substitutions applied, as the engine parsed and ran it.
    pub machine: StateMachine,
    /// The test case run (`no-mocks` without a mock configuration).
    pub test_case: String,
    /// The execution: status, output, transitions, history.
    pub result: asl::ExecutionResult,
}

/// The input file a test case is written for: its `input` in `events/NAME/expected-outcomes.json`
/// (a case like `ApprovedByAPerson` only means something with its own input), else `input.json`.
fn case_input(project: &Project, machine: &str, case: &str) -> String {
    project
        .event_file(machine, "expected-outcomes.json")
        .and_then(|path| std::fs::read_to_string(path).ok())
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .and_then(|outcomes| {
            outcomes
                .get(case)?
                .get("input")?
                .as_str()
                .map(str::to_string)
        })
        .unwrap_or_else(|| "input.json".to_string())
}

/// Runs the state machine `name` of `project` in the engine, in virtual time. Relative
/// `file://` paths in the mock configuration are read under the folder
/// `shared::storage::set_local_root` set (the commands set the project root).
pub async fn run_local(project: &Project, name: &str, setup: RunSetup) -> Result<LocalRun> {
    let project = Arc::new(Project {
        root: project.root.clone(),
        template: project.template.clone(),
    });
    run_machine(
        project,
        name,
        setup,
        Arc::new(VirtualClock::starting_now()),
        0,
        None,
    )
    .await
}

/// Runs `name` on `clock` (shared with the parent when it is a nested execution, `depth` > 0)
/// as execution `execution_name` (default `local-<test case>`). Nested executions of the
/// template's state machines run for real ([`crate::nested`]).
pub async fn run_machine(
    project: Arc<Project>,
    name: &str,
    setup: RunSetup,
    clock: Arc<dyn asl::Clock>,
    depth: u32,
    execution_name: Option<String>,
) -> Result<LocalRun> {
    shared::metrics::set_sink(shared::metrics::Sink::Discard);
    let resource = project.machine(name)?;
    let machine = project.load_machine(&resource)?;
    if !machine.unsupplied.is_empty() {
        bail!(
            "{} uses {} but DefinitionSubstitutions of {} does not supply them",
            machine.path.display(),
            machine
                .unsupplied
                .iter()
                .map(|n| format!("${{{n}}}"))
                .collect::<Vec<_>>()
                .join(", "),
            resource.logical_id
        );
    }
    let state_machine = machine.state_machine()?;
    let input = match setup.input {
        Some(input) => input,
        None => {
            let case = setup.test_case.as_deref().unwrap_or("HappyPath");
            match project.event_file(&resource.name, &case_input(&project, &resource.name, case)) {
                Some(path) => read_json(&path, "input")?,
                None => Value::Object(Default::default()),
            }
        }
    };
    let mock_path = match (setup.mock_config, setup.no_mocks) {
        (_, true) => None,
        (Some(p), _) => Some(p),
        (None, _) => project.event_file(&resource.name, "mock-config.json"),
    };
    let case = match mock_path {
        Some(_) => setup.test_case.unwrap_or_else(|| "HappyPath".into()),
        None => "no-mocks".to_string(),
    };
    let local: Arc<dyn TaskHandler> = Arc::new(NestedDispatcher {
        local: LocalDispatcher::new(project.local_functions(), setup.lambda.clone()),
        project: project.clone(),
        clock: clock.clone(),
        machine: resource.name.clone(),
        test_case: case.clone(),
        lambda: setup.lambda,
        seed: setup.seed,
        depth,
    });
    let (handler, test_case): (Arc<dyn TaskHandler>, String) = match mock_path {
        Some(path) => {
            let config = MockConfig::parse(&read_json(&path, "mock configuration")?)
                .with_context(|| format!("the mock configuration {} is invalid", path.display()))?;
            let mocks = config
                .handler(&resource.name, &case, Some(local))
                .with_context(|| format!("in {}", path.display()))?;
            (Arc::new(mocks), case)
        }
        None => (local, case),
    };
    let observer: Option<asl::Observer> = setup.progress.as_ref().map(|progress| {
        progress.header(&resource.name, &test_case);
        let progress = progress.clone();
        Arc::new(move |event: &HistoryEvent| progress.event(event)) as _
    });
    let options = ExecutionOptions {
        handler,
        clock,
        rng: Arc::new(SeededRng::new(setup.seed)),
        observer,
        record_history: true,
        execution_name: execution_name.unwrap_or_else(|| format!("local-{test_case}")),
        state_machine_name: resource.name.clone(),
        ..ExecutionOptions::default()
    };
    let result = state_machine.run(input, &options).await;
    Ok(LocalRun {
        resource,
        machine: state_machine,
        test_case,
        result,
    })
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

fn write_history(path: &Path, result: &asl::ExecutionResult) -> Result<()> {
    let events: Vec<Value> = result.history.iter().map(HistoryEvent::to_json).collect();
    let text = serde_json::to_string_pretty(&serde_json::json!({"events": events}))?;
    write_file(path, text.as_bytes())
}

/// Live progress on stderr: each state as it starts and ends, task failures and retries,
/// stamped with virtual time since the start.
#[derive(Clone)]
pub struct Progress {
    enabled: bool,
    colour: bool,
    state: Arc<Mutex<ProgressState>>,
}

#[derive(Default)]
struct ProgressState {
    start_ms: Option<i64>,
    attempts: std::collections::HashMap<String, u32>,
    current: Vec<String>,
    /// When each open state was entered, and when its task last failed (virtual ms).
    entered: std::collections::HashMap<String, i64>,
    failed: std::collections::HashMap<String, i64>,
}

impl Progress {
    fn new(enabled: bool) -> Self {
        Self {
            enabled,
            colour: enabled
                && std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none(),
            state: Arc::default(),
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn header(&self, name: &str, case: &str) {
        if self.enabled {
            eprintln!(
                "{} {name} (test case {case}), virtual time",
                self.paint("1", "pipelines run")
            );
        }
    }

    fn event(&self, event: &HistoryEvent) {
        if !self.enabled {
            return;
        }
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        let start = *st.start_ms.get_or_insert(event.timestamp_ms);
        let clock = format_offset(event.timestamp_ms - start);
        let line = match (&event.event_type, &event.details) {
            (t, Details::StateEntered { name, .. }) if t.as_str().ends_with("StateEntered") => {
                st.current.push(name.to_string());
                st.entered.insert(name.to_string(), event.timestamp_ms);
                Some(format!(
                    "{clock}  {} {name} {}",
                    self.paint("36", "▶"),
                    self.paint(
                        "2",
                        &format!("({})", t.as_str().trim_end_matches("StateEntered"))
                    )
                ))
            }
            (t, Details::StateExited { name, .. }) if t.as_str().ends_with("StateExited") => {
                st.current.retain(|n| n.as_str() != &**name);
                let waited = (*t == EventType::WaitStateExited)
                    .then(|| st.entered.get(&**name).copied())
                    .flatten()
                    .map(|entered| {
                        self.paint(
                            "2",
                            &format!(" (waited {})", human_duration(event.timestamp_ms - entered)),
                        )
                    })
                    .unwrap_or_default();
                Some(format!("{clock}  {} {name}{waited}", self.paint("32", "✔")))
            }
            (
                EventType::TaskScheduled,
                Details::TaskScheduled {
                    resource_type,
                    resource,
                    ..
                },
            ) => {
                let state = st.current.last().cloned().unwrap_or_default();
                let attempt = st.attempts.entry(state.clone()).or_insert(0);
                *attempt += 1;
                let attempt = *attempt;
                let delay = st
                    .failed
                    .get(&state)
                    .map(|failed| format!(" after {}", human_duration(event.timestamp_ms - failed)))
                    .unwrap_or_default();
                (attempt > 1).then(|| {
                    format!(
                        "{clock}    {} {state}: attempt {attempt} of {resource_type}:{resource}{delay}",
                        self.paint("33", "↻"),
                    )
                })
            }
            (_, Details::TaskFailed { error, cause, .. })
            | (_, Details::LambdaFailed { error, cause }) => {
                if let Some(state) = st.current.last().cloned() {
                    st.failed.insert(state, event.timestamp_ms);
                }
                Some(format!(
                    "{clock}    {} {}: {}",
                    self.paint("31", "✖"),
                    error.as_deref().unwrap_or("error"),
                    shorten(cause.as_deref().unwrap_or(""), 160)
                ))
            }
            (EventType::FailStateEntered, _) => None,
            _ => None,
        };
        if let Some(line) = line {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "{line}");
        }
    }

    fn summary(&self, summary: &RunSummary, result: &asl::ExecutionResult, files: &RunFiles) {
        for line in summary.lines(&|code, text| self.paint(code, text)) {
            say!("{line}");
        }
        say!("output:  {}", files.output.display());
        say!(
            "history: {} ({} events)",
            files.history.display(),
            result.history.len()
        );
        say!("report:  {}", files.report.display());
    }
}

fn format_offset(ms: i64) -> String {
    let ms = ms.max(0);
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    format!(
        "+{h:02}:{:02}:{:02}.{:03}",
        rest / 60_000,
        (rest % 60_000) / 1000,
        rest % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_read_as_hours_minutes_seconds() {
        assert_eq!(format_offset(3_723_004), "+01:02:03.004");
        assert_eq!(format_offset(-5), "+00:00:00.000");
    }
}
