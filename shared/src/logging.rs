//! JSON structured logging through `tracing`, in the shape CloudWatch Logs Insights reads well.

use tracing_subscriber::{fmt, EnvFilter};

/// Installs a JSON `tracing` subscriber writing to stdout, once per process.
///
/// The level comes from `RUST_LOG`, else from `AWS_LAMBDA_LOG_LEVEL` (set by Lambda's advanced
/// logging controls), else `info`. Calling it twice is harmless: the second call does nothing.
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| {
            std::env::var("AWS_LAMBDA_LOG_LEVEL")
                .map_err(|_| ())
                .and_then(|level| EnvFilter::try_new(level.to_lowercase()).map_err(|_| ()))
        })
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = fmt()
        .json()
        .with_env_filter(filter)
        .with_target(false)
        .with_current_span(false)
        .flatten_event(true)
        .without_time()
        .try_init();
}
