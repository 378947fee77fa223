//! Boots the `slack-notifier` Lambda: logging, the webhook secret once per cold start, then the
//! runtime.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use slack_notifier::{handle, Deps};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::logging::init();
    let deps = Deps::from_env().await.map_err(|e| {
        let diagnostic = shared::diagnostic(&e);
        Error::from(format!(
            "{}: {}",
            diagnostic.error_type, diagnostic.error_message
        ))
    })?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        handle(&deps, event.payload)
    }))
    .await
}
