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
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: warm_local EVENT.json");
        return std::process::ExitCode::from(2);
    };
    let event: serde_json::Value = match std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
    {
        Ok(event) => event,
        Err(error) => {
            eprintln!("cannot read {path}: {error}");
            return std::process::ExitCode::from(2);
        }
    };
    let deps = match Deps::from_env().await {
        Ok(deps) => deps,
        Err(error) => {
            eprintln!("{}: {error}", shared::ErrorType::error_type(&error));
            return std::process::ExitCode::from(2);
        }
    };
    match handle(&deps, event).await {
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
