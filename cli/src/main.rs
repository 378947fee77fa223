//! `pipelines`: run, check and draw the project's Step Functions state machines locally.
//!
//! Each subcommand lives in its own module with an `Args` struct (clap derive) and a `run`
//! function returning the process exit code. Exit codes: 0 the command did its job (for
//! `exec`: the execution ran, whatever its result), 2 the input could not be used.
#![forbid(unsafe_code)]

/// `println!` that stops quietly when stdout is closed (`pipelines cost --json | head`) instead
/// of panicking on the broken pipe.
macro_rules! say {
    () => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout());
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod catalogue_check;
mod cost;
mod dispatch;
mod exec;
mod functions;
mod graph;
mod key_results;
mod list;
mod mock_check;
mod nested;
mod prices;
mod project;
mod report;
mod run;
mod schedule;
mod scheduler;
mod serve_test_state;
mod summary;
mod template;
mod test_state;
mod validate;
mod workflows;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Run, check and draw the project's Step Functions state machines locally.
#[derive(Debug, Parser)]
#[command(name = "pipelines", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Execute a state machine definition locally, in virtual time.
    Exec(exec::Args),
    /// Run one of the project's state machines locally, with the real Lambda handlers.
    Run(run::Args),
    /// Check the template, the state machines and the functions against each other.
    Validate(validate::Args),
    /// Draw a state machine as a Mermaid or Graphviz diagram.
    Graph(graph::Args),
    /// List the state machines, functions, schedules and rules of the template.
    List(list::Args),
    /// When every schedule fires, exactly as EventBridge Scheduler fires it; overlaps; DST.
    Schedule(schedule::Args),
    /// What the platform costs per month, per workflow and service, against the budget.
    Cost(cost::Args),
    /// Write a static site: every state machine's graph, each test case's last local run,
    /// the coming week's schedules and the cost table.
    Report(report::site::Args),
    /// Test one state as AWS's TestState API does: mocked result or error, retry attempt,
    /// Map failure count, and each step of the data flow.
    TestState(test_state::Args),
    /// Serve the TestState API on 127.0.0.1 for tests that use an AWS SDK.
    ServeTestState(serve_test_state::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Exec(args) => exec::run(args),
        Command::Run(args) => run::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Graph(args) => graph::run(args),
        Command::List(args) => list::run(args),
        Command::Schedule(args) => schedule::run(args),
        Command::Cost(args) => cost::run(args),
        Command::Report(args) => report::site::run(args),
        Command::TestState(args) => test_state::run(args),
        Command::ServeTestState(args) => serve_test_state::run(args),
    };
    ExitCode::from(code)
}
