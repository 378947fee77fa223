//! `pipelines exec`: runs one definition on one input and prints the result as JSON.

use anyhow::{bail, Context, Result};
use asl::{ExecutionOptions, MockConfig, SeededRng, StateMachine, VirtualClock};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Exit code when the definition, input or mock configuration cannot be used.
const EXIT_UNUSABLE: u8 = 2;

/// Execute a state machine definition locally, in virtual time (Waits and retries never
/// sleep), and print `{"status":..,"output":..}` or `{"status":..,"error":..,"cause":..}`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  pipelines exec --definition sm.json --input '{\"n\": 41}'
  pipelines exec --definition sm.json --input events/input.json \\
      --mock-config events/mocks.json --test-case HappyPath --history

exec runs a bare definition: no Task handler is registered, so Task states need
--mock-config. For the project's machines (state-machines/), `pipelines run NAME`
fills the template's DefinitionSubstitutions and runs the real Lambda handlers.

Exit status: 0 when the execution ran (whatever its result), 2 when the definition,
input or mock configuration cannot be used.")]
pub struct Args {
    /// The state machine definition (ASL JSON file).
    #[arg(long, value_name = "FILE")]
    definition: PathBuf,

    /// The execution input: a JSON file, or JSON text.
    #[arg(long, value_name = "FILE_OR_JSON", default_value = "{}")]
    input: String,

    /// A mock configuration in the AWS Step Functions Local format.
    #[arg(long, value_name = "FILE", requires = "test_case")]
    mock_config: Option<PathBuf>,

    /// The test case of the mock configuration to answer Task states from.
    #[arg(long, value_name = "NAME", requires = "mock_config")]
    test_case: Option<String>,

    /// The state machine's name in the mock configuration (default: the only one there, or
    /// the definition file's name).
    #[arg(long, value_name = "NAME")]
    state_machine: Option<String>,

    /// Include the execution history (GetExecutionHistory events) in the output.
    #[arg(long)]
    history: bool,

    /// Seed for States.UUID, States.MathRandom and retry jitter (default: random).
    #[arg(long)]
    seed: Option<u64>,

    /// Virtual start time, ISO-8601 with offset (default: now), e.g. 2024-01-01T06:00:00Z.
    #[arg(long, value_name = "TIMESTAMP")]
    start_time: Option<String>,
}

/// Runs the subcommand; returns the exit code.
pub fn run(args: Args) -> u8 {
    match execute(&args) {
        Ok(v) => {
            let mut text = serde_json::to_string(&v).unwrap_or_default();
            text.push('\n');
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            0
        }
        Err(e) => {
            eprintln!("pipelines exec: {e:#}");
            EXIT_UNUSABLE
        }
    }
}

fn read_json_file(path: &Path, what: &str) -> Result<Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the {what} file {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("the {what} file {} is not valid JSON", path.display()))
}

fn read_input(arg: &str) -> Result<Value> {
    let p = Path::new(arg);
    if p.is_file() {
        return read_json_file(p, "input");
    }
    serde_json::from_str(arg)
        .with_context(|| format!("--input is neither an existing file nor valid JSON: {arg}"))
}

/// The first `${Name}` placeholder (a SAM `DefinitionSubstitutions` key) in the definition's
/// strings, if any.
fn substitution_placeholder(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => {
            let start = s.find("${")?;
            let end = s[start..].find('}')?;
            Some(s[start..=start + end].to_string())
        }
        Value::Array(items) => items.iter().find_map(substitution_placeholder),
        Value::Object(fields) => fields.values().find_map(substitution_placeholder),
        _ => None,
    }
}

fn execute(args: &Args) -> Result<Value> {
    let def = read_json_file(&args.definition, "definition")?;
    let sm = StateMachine::from_value(&def).map_err(|e| {
        anyhow::anyhow!(
            "the definition {} is invalid:\n{}",
            args.definition.display(),
            crate::project::indented(&e)
        )
    })?;
    let input = read_input(&args.input)?;
    if let Some(placeholder) = substitution_placeholder(&def) {
        eprintln!(
            "pipelines exec: note: {} holds DefinitionSubstitutions placeholders such as {placeholder}, \
             left as they are; `pipelines run NAME` fills them from the template and runs the project's handlers",
            args.definition.display()
        );
    }
    let stem = args
        .definition
        .file_name()
        .and_then(|n| n.to_str())
        .map(|n| n.split('.').next().unwrap_or(n).to_string())
        .unwrap_or_else(|| "StateMachine".into());
    let clock = match &args.start_time {
        None => VirtualClock::starting_now(),
        Some(t) => match asl::clock::parse_timestamp(t) {
            Some(i) => VirtualClock::new(i.as_millis()),
            None => bail!("--start-time '{t}' is not an ISO-8601 date-time with an offset (like 2024-01-01T06:00:00Z)"),
        },
    };
    let mut opts = ExecutionOptions {
        clock: Arc::new(clock),
        rng: Arc::new(match args.seed {
            Some(s) => SeededRng::new(s),
            None => SeededRng::from_entropy(),
        }),
        record_history: args.history,
        state_machine_name: args.state_machine.clone().unwrap_or_else(|| stem.clone()),
        ..ExecutionOptions::default()
    };
    if let (Some(mock), Some(case)) = (&args.mock_config, &args.test_case) {
        let cfg = MockConfig::parse(&read_json_file(mock, "mock configuration")?)
            .with_context(|| format!("the mock configuration {} is invalid", mock.display()))?;
        let name = match &args.state_machine {
            Some(n) => n.clone(),
            None if cfg.state_machines.len() == 1 => {
                cfg.state_machines.keys().next().cloned().unwrap_or_default()
            }
            None if cfg.state_machines.contains_key(&stem) => stem.clone(),
            None => bail!(
                "the mock configuration defines several state machines ({}); choose one with --state-machine",
                cfg.state_machines.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        };
        let handler = cfg.handler(&name, case, None)?;
        opts.handler = Arc::new(handler);
        opts.state_machine_name = name;
    }
    let result = sm.run_blocking(input, &opts);
    Ok(result.into_json(args.history))
}
