//! Runs the handler once, outside Lambda, on an event file: settings from the environment
//! (`CACHE_TABLE_NAME`, `FORECAST_LOCATION`, ...), clients from the standard AWS configuration
//! (`AWS_ENDPOINT_URL` for a local server). Prints the result as JSON on stdout; EMF metrics are
//! discarded.
//!
//! ```sh
//! AWS_ENDPOINT_URL=http://127.0.0.1:5000 CACHE_TABLE_NAME=forecast-cache KEY_FIELDS=store_id,item_id \
//!   cargo run -p cache-warmup --example warm_local -- events/cache-warmup/explicit-prefix.json
//! ```

use cache_warmup::{handle, Deps};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    shared::metrics::set_sink(shared::metrics::Sink::Discard);
    let event = match shared::local::event_from_args("warm_local") {
        Ok(event) => event,
        Err(status) => return status,
    };
    let deps = match Deps::from_env().await {
        Ok(deps) => deps,
        Err(error) => {
            eprintln!("{}: {error}", shared::ErrorType::error_type(&error));
            return std::process::ExitCode::from(2);
        }
    };
    shared::local::print_result(handle(&deps, event).await)
}
