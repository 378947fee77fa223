//! Runs the handler once on an event file, outside Lambda, and prints the result as JSON.
//!
//! ```sh
//! cargo run --example evaluate_local -- events/evaluate-model-metrics/good-model.json
//! ```
//! Exit status: 0 on success, 1 when the handler returns an error (printed as
//! `{"errorType": ..., "errorMessage": ...}`), 2 when the event file cannot be read.

use evaluate_model_metrics::{handle, Deps};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match shared::local::event_from_args("evaluate_local") {
        Ok(event) => shared::local::print_result(handle(&Deps::from_env().await, event).await),
        Err(status) => status,
    }
}
