//! `pipelines`: run, check and draw the project's Step Functions state machines locally.
//!
//! Each subcommand lives in its own module with an `Args` struct (clap derive) and a `run`
//! function returning the process exit code. Exit codes: 0 the command did its job (for
//! `exec`: the execution ran, whatever its result), 2 the input could not be used.
#![forbid(unsafe_code)]

mod exec;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Exec(args) => exec::run(args),
    };
    ExitCode::from(code)
}
