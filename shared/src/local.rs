//! Running a handler once outside Lambda, for the `examples/*_local.rs` programs: the event
//! from the file named by the first argument, the result (or the typed error) as JSON on
//! stdout. Exit status: 0 on success, 1 when the handler returns an error, 2 when the event
//! cannot be read.

use std::{io::Write, process::ExitCode};

use crate::ErrorType;

/// The event in the JSON file named by the program's first argument. `Err` (exit status 2) after
/// printing the usage (`usage: {program} EVENT.json`) or why the file cannot be read to stderr.
pub fn event_from_args(program: &str) -> Result<serde_json::Value, ExitCode> {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: {program} EVENT.json");
        return Err(ExitCode::from(2));
    };
    std::fs::read(&path)
        .map_err(|e| e.to_string())
        .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| e.to_string()))
        .map_err(|error| {
            eprintln!("cannot read event {path}: {error}");
            ExitCode::from(2)
        })
}

/// Prints a handler's output as pretty JSON, or its error as Lambda reports one
/// (`{"errorType": ..., "errorMessage": ...}`), on stdout; the exit status to return.
pub fn print_result<R: serde::Serialize, E: ErrorType>(result: Result<R, E>) -> ExitCode {
    let (json, status) = match result {
        Ok(output) => match serde_json::to_string_pretty(&output) {
            Ok(text) => (text, ExitCode::SUCCESS),
            Err(error) => {
                eprintln!("cannot print the result: {error}");
                return ExitCode::FAILURE;
            }
        },
        Err(error) => (
            format!(
                "{:#}",
                serde_json::json!({"errorType": error.error_type(), "errorMessage": error.to_string()})
            ),
            ExitCode::FAILURE,
        ),
    };
    // A reader that went away (`| head`) is not worth a panic.
    let _ = writeln!(std::io::stdout().lock(), "{json}");
    status
}
