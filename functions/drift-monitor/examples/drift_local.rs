//! Runs the drift-monitor handler on an event file, locally: `file://` locations only, no AWS
//! (use `"publish": false` in monitor requests). Prints the result (or the typed error) as JSON.
//!
//! ```sh
//! cargo run --release --example drift_local -- events/drift-monitor/monitor-shifted.json
//! ```

use drift_monitor::{handle, Deps};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    shared::metrics::set_sink(shared::metrics::Sink::Discard);
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: drift_local EVENT.json");
        return std::process::ExitCode::from(2);
    };
    let event: serde_json::Value = match std::fs::read(&path)
        .map_err(|e| e.to_string())
        .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| e.to_string()))
    {
        Ok(event) => event,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match handle(&Deps::local(), event).await {
        Ok(output) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&output).unwrap_or_default()
            );
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            let error_type = shared::ErrorType::error_type(&error);
            println!(
                "{}",
                serde_json::json!({"errorType": error_type, "errorMessage": error.to_string()})
            );
            std::process::ExitCode::FAILURE
        }
    }
}
