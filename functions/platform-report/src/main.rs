//! Boots the `platform-report` Lambda: logging, settings and clients once per cold start.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use platform_report::{handle, Deps};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::logging::init();
    let deps = Deps::from_env().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        handle(&deps, event.payload)
    }))
    .await
}
