//! `pipelines test-state`: AWS Step Functions' `TestState` API, locally. Takes the API's
//! request (as JSON, like `aws stepfunctions test-state --cli-input-json`, or as flags) and
//! prints the API's response.

use crate::dispatch::{LambdaTarget, LocalDispatcher};
use crate::project::Project;
use anyhow::{bail, Context, Result};
use asl::test_state::{
    test_state, InspectionLevel, MockErrorOutput, MockInput, StateConfiguration, TestStateRequest,
};
use asl::{ExecutionOptions, Router, SeededRng, TaskHandler, VirtualClock};
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// Exit code when the request is refused (as the API answers 400) or cannot be read.
const EXIT_REFUSED: u8 = 2;

/// Test one state as AWS's TestState API does: a mocked result or error, a chosen retry
/// attempt or Map failure count, and every step of the data flow at `--inspection-level DEBUG`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  pipelines test-state --definition '{\"Type\":\"Pass\",\"Parameters\":{\"a.$\":\"$.x\"},\"End\":true}' \\
      --input '{\"x\":1}' --inspection-level DEBUG
  pipelines test-state --machine ml-retraining --state-name CheckQualityGate \\
      --input '{\"evaluation\":{\"Payload\":{\"gate\":{\"passed\":true}}}}'
  pipelines test-state --machine ml-retraining --state-name CreateCandidateModel \\
      --input '{\"run\":{\"run_id\":\"r1\"},\"config\":{\"model_name\":\"demand-forecast\"},\"training\":{\"ModelArtifacts\":{\"S3ModelArtifacts\":\"s3://b/m.tar.gz\"}}}' \\
      --mock-error SageMaker.ThrottlingException --retrier-retry-count 1 --inspection-level DEBUG
  pipelines test-state --request request.json     # the API's request, as for --cli-input-json

Unmocked Lambda steps of the project's functions run their real handlers in-process.
Exit status: 0 when the state ran (whatever its status), 2 when the request is refused
(ValidationException, InvalidDefinition, InvalidExecutionInput) or cannot be read.")]
pub struct Args {
    /// The whole request as the API takes it (JSON file or text); flags override its fields.
    #[arg(long, value_name = "FILE_OR_JSON")]
    request: Option<String>,
    /// `definition`: one state, or a state machine with --state-name (JSON file or text).
    #[arg(long, value_name = "FILE_OR_JSON", conflicts_with = "machine")]
    definition: Option<String>,
    /// Take the definition from the project's state machine NAME (substitutions applied).
    #[arg(long, value_name = "NAME")]
    machine: Option<String>,
    /// `stateName`: the state to test in a state machine definition.
    #[arg(long, value_name = "NAME")]
    state_name: Option<String>,
    /// `input` (JSON file or text).
    #[arg(long, value_name = "FILE_OR_JSON")]
    input: Option<String>,
    /// `variables`: a JSON object (file or text).
    #[arg(long, value_name = "FILE_OR_JSON")]
    variables: Option<String>,
    /// `context`: fields of the context object (JSON file or text).
    #[arg(long, value_name = "FILE_OR_JSON")]
    context: Option<String>,
    /// `mock.result` (JSON file or text).
    #[arg(long, value_name = "FILE_OR_JSON", conflicts_with = "mock_error")]
    mock_result: Option<String>,
    /// `mock.errorOutput.error`.
    #[arg(long, value_name = "ERROR")]
    mock_error: Option<String>,
    /// `mock.errorOutput.cause`.
    #[arg(long, value_name = "TEXT", requires = "mock_error")]
    mock_cause: Option<String>,
    /// `mock.fieldValidationMode`: STRICT (default), PRESENT or NONE.
    #[arg(long, value_name = "MODE")]
    field_validation_mode: Option<String>,
    /// `stateConfiguration.retrierRetryCount`.
    #[arg(long, value_name = "N")]
    retrier_retry_count: Option<u32>,
    /// `stateConfiguration.errorCausedByState`.
    #[arg(long, value_name = "STATE")]
    error_caused_by_state: Option<String>,
    /// `stateConfiguration.mapIterationFailureCount`.
    #[arg(long, value_name = "N")]
    map_iteration_failure_count: Option<u64>,
    /// `inspectionLevel`: INFO (default), DEBUG or TRACE.
    #[arg(long, value_name = "LEVEL", value_parser = ["INFO", "DEBUG", "TRACE"])]
    inspection_level: Option<String>,
    /// `roleArn`.
    #[arg(long, value_name = "ARN")]
    role_arn: Option<String>,
    /// The project folder (default: found upwards from here; without one, only mocked tasks run).
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,
}

/// Runs the subcommand; returns the exit code.
pub fn run(args: Args) -> u8 {
    let outcome = request_of(&args).and_then(|req| {
        let options = options_for(args.project.as_deref());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        Ok(rt.block_on(test_state(&req, &options)))
    });
    match outcome {
        Ok(Ok(res)) => {
            let mut text = serde_json::to_string_pretty(&res).unwrap_or_default();
            text.push('\n');
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            0
        }
        Ok(Err(refused)) => {
            eprintln!("pipelines test-state: {refused}");
            EXIT_REFUSED
        }
        Err(e) => {
            eprintln!("pipelines test-state: {e:#}");
            EXIT_REFUSED
        }
    }
}

/// Execution options for TestState: virtual time, a fixed seed, and the project's functions
/// for unmocked Lambda steps when there is a project.
pub fn options_for(project: Option<&std::path::Path>) -> ExecutionOptions {
    let handler: Arc<dyn TaskHandler> = match Project::discover(project, &Default::default()) {
        Ok(p) => Arc::new(LocalDispatcher::new(
            p.local_functions(),
            LambdaTarget::InProcess,
        )),
        Err(_) => Arc::new(Router::new()),
    };
    ExecutionOptions {
        handler,
        clock: Arc::new(VirtualClock::new(chrono::Utc::now().timestamp_millis())),
        rng: Arc::new(SeededRng::new(0x5EED)),
        record_history: false,
        execution_name: "test-state".into(),
        state_machine_name: "TestStateMachine".into(),
        ..ExecutionOptions::default()
    }
}

/// A JSON argument: a file's text when it names a file, else the text itself (checked).
fn json_text(arg: &str, what: &str) -> Result<String> {
    let path = std::path::Path::new(arg);
    let looks_like_json =
        arg.trim_start().starts_with(['{', '[', '"']) || serde_json::from_str::<Value>(arg).is_ok();
    let text = if !looks_like_json && path.is_file() {
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the {what} file {}", path.display()))?
    } else if !looks_like_json && what != "input" {
        bail!("the {what} is neither JSON text nor a file: no such file {arg}");
    } else {
        arg.to_string()
    };
    if serde_json::from_str::<Value>(&text).is_err() && what != "input" {
        bail!("the {what} is neither a JSON file nor JSON text: {arg}");
    }
    Ok(text)
}

fn request_of(args: &Args) -> Result<TestStateRequest> {
    let mut req: TestStateRequest = match &args.request {
        Some(r) => serde_json::from_str(&json_text(r, "request")?)
            .context("the request does not have the TestState API's shape")?,
        None => TestStateRequest::default(),
    };
    if let Some(d) = &args.definition {
        req.definition = json_text(d, "definition")?;
    }
    if let Some(m) = &args.machine {
        let project = Project::discover(args.project.as_deref(), &Default::default())?;
        let loaded = project.load_machine(&project.machine(m)?)?;
        req.definition = loaded.definition.to_string();
    }
    if req.definition.is_empty() {
        bail!("give the state to test: --definition, --machine NAME, or --request");
    }
    let set = |slot: &mut Option<String>, arg: &Option<String>, what: &str| -> Result<()> {
        if let Some(a) = arg {
            *slot = Some(json_text(a, what)?);
        }
        Ok(())
    };
    set(&mut req.input, &args.input, "input")?;
    set(&mut req.variables, &args.variables, "variables")?;
    set(&mut req.context, &args.context, "context")?;
    if args.state_name.is_some() {
        req.state_name = args.state_name.clone();
    }
    if args.role_arn.is_some() {
        req.role_arn = args.role_arn.clone();
    }
    if let Some(level) = &args.inspection_level {
        req.inspection_level = Some(match level.as_str() {
            "DEBUG" => InspectionLevel::Debug,
            "TRACE" => InspectionLevel::Trace,
            _ => InspectionLevel::Info,
        });
    }
    if args.mock_result.is_some()
        || args.mock_error.is_some()
        || args.field_validation_mode.is_some()
    {
        let mut mock = req.mock.take().unwrap_or_default();
        if let Some(r) = &args.mock_result {
            mock = MockInput {
                result: Some(json_text(r, "mock result")?),
                ..mock
            };
            mock.error_output = None;
        }
        if let Some(e) = &args.mock_error {
            mock.result = None;
            mock.error_output = Some(MockErrorOutput {
                error: Some(e.clone()),
                cause: args.mock_cause.clone(),
            });
        }
        if args.field_validation_mode.is_some() {
            mock.field_validation_mode = args.field_validation_mode.clone();
        }
        req.mock = Some(mock);
    }
    if args.retrier_retry_count.is_some()
        || args.error_caused_by_state.is_some()
        || args.map_iteration_failure_count.is_some()
    {
        let mut cfg: StateConfiguration = req.state_configuration.take().unwrap_or_default();
        if args.retrier_retry_count.is_some() {
            cfg.retrier_retry_count = args.retrier_retry_count;
        }
        if args.error_caused_by_state.is_some() {
            cfg.error_caused_by_state = args.error_caused_by_state.clone();
        }
        if args.map_iteration_failure_count.is_some() {
            cfg.map_iteration_failure_count = args.map_iteration_failure_count;
        }
        req.state_configuration = Some(cfg);
    }
    Ok(req)
}
