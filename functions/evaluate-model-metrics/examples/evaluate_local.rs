//! Runs the handler once on an event file, outside Lambda, and prints the result as JSON.
//!
//! ```sh
//! cargo run --example evaluate_local -- events/evaluate-model-metrics/good-model.json
//! ```
//! Exit status: 0 on success, 1 when the handler returns an error (printed as
//! `{"errorType": ..., "errorMessage": ...}`), 2 when the event file cannot be read.

use evaluate_model_metrics::{handle, Deps};
use shared::ErrorType;

#[tokio::main]
async fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: evaluate_local EVENT.json");
        std::process::exit(2);
    };
    let event = match std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
    {
        Ok(event) => event,
        Err(error) => {
            eprintln!("cannot read event {path}: {error}");
            std::process::exit(2);
        }
    };
    let deps = Deps::from_env().await;
    match handle(&deps, event).await {
        Ok(output) => match serde_json::to_string_pretty(&output) {
            Ok(text) => print_out(&text),
            Err(error) => {
                eprintln!("cannot print the result: {error}");
                std::process::exit(1);
            }
        },
        Err(error) => {
            let report = serde_json::json!({
                "errorType": error.error_type(),
                "errorMessage": error.to_string(),
            });
            print_out(&format!("{report:#}"));
            std::process::exit(1);
        }
    }
}

/// Prints to stdout; a reader that went away (`| head`) is not an error worth a panic.
fn print_out(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}
