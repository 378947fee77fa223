//! Boots the `slack-notifier` Lambda: logging, the webhook secret once per cold start, then the
//! runtime.

use shared::lambda::Error;
use slack_notifier::{handle, Deps};

shared::lambda_main!(
    Deps::from_env().await.map_err(|e| {
        let diagnostic = shared::diagnostic(&e);
        Error::from(format!(
            "{}: {}",
            diagnostic.error_type, diagnostic.error_message
        ))
    })?,
    |deps, event| handle(deps, event.payload)
);
