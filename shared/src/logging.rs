//! Structured logging through `tracing`, configured the way the Lambda runtime reads Lambda's
//! advanced logging controls (`lambda_runtime_api_client::tracing::init_default_subscriber`):
//! `AWS_LAMBDA_LOG_LEVEL` takes precedence over `RUST_LOG`, and `AWS_LAMBDA_LOG_FORMAT` chooses
//! JSON or text. JSON (the shape CloudWatch Logs Insights reads well) is the default.

use tracing_subscriber::{fmt, EnvFilter};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line (`AWS_LAMBDA_LOG_FORMAT=JSON`, or unset).
    Json,
    /// `tracing`'s plain text (`AWS_LAMBDA_LOG_FORMAT=Text`).
    Text,
}

/// The filter directives and the format for the given environment values: the level is
/// `AWS_LAMBDA_LOG_LEVEL` (Lambda's `TRACE`…`FATAL`; `FATAL` is `error` here) when set and
/// known, else `RUST_LOG` (any `EnvFilter` directives), else `info`. An unknown
/// `AWS_LAMBDA_LOG_FORMAT` falls back to JSON.
pub fn settings(
    aws_lambda_log_level: Option<&str>,
    rust_log: Option<&str>,
    aws_lambda_log_format: Option<&str>,
) -> (String, LogFormat) {
    let lambda_level = aws_lambda_log_level.and_then(|level| {
        let level = level.trim().to_ascii_lowercase();
        match level.as_str() {
            "trace" | "debug" | "info" | "warn" | "error" => Some(level),
            "fatal" => Some("error".to_string()),
            _ => None,
        }
    });
    let directives = lambda_level
        .or_else(|| {
            rust_log
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "info".to_string());
    let format = match aws_lambda_log_format {
        Some(f) if f.trim().eq_ignore_ascii_case("text") => LogFormat::Text,
        _ => LogFormat::Json,
    };
    (directives, format)
}

/// Installs the `tracing` subscriber writing to stdout, once per process, with [`settings`]
/// from the environment. Calling it twice is harmless: the second call does nothing.
pub fn init() {
    let var = |name| std::env::var(name).ok();
    let (directives, format) = settings(
        var("AWS_LAMBDA_LOG_LEVEL").as_deref(),
        var("RUST_LOG").as_deref(),
        var("AWS_LAMBDA_LOG_FORMAT").as_deref(),
    );
    let filter = EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt()
        .with_env_filter(filter)
        .with_target(false)
        .without_time();
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .with_current_span(false)
            .flatten_event(true)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lambda_level_wins_over_rust_log_like_the_runtime() {
        assert_eq!(settings(Some("DEBUG"), Some("warn"), None).0, "debug");
        assert_eq!(settings(Some("FATAL"), None, None).0, "error");
        assert_eq!(
            settings(None, Some("warn,shared=debug"), None).0,
            "warn,shared=debug"
        );
        assert_eq!(settings(Some("LOUD"), Some("warn"), None).0, "warn");
        assert_eq!(settings(None, None, None).0, "info");
    }

    #[test]
    fn the_lambda_format_chooses_text_or_json() {
        assert_eq!(settings(None, None, Some("Text")).1, LogFormat::Text);
        assert_eq!(settings(None, None, Some("JSON")).1, LogFormat::Json);
        assert_eq!(settings(None, None, None).1, LogFormat::Json);
    }
}
