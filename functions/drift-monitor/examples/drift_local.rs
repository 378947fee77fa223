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
    match shared::local::event_from_args("drift_local") {
        Ok(event) => shared::local::print_result(handle(&Deps::local(), event).await),
        Err(status) => status,
    }
}
