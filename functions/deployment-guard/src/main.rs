//! Boots the `deployment-guard` Lambda: logging and the SageMaker and CloudWatch clients once
//! per cold start.

use deployment_guard::{handle, Deps};
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::logging::init();
    let deps = Deps::from_env().await;
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        handle(&deps, event.payload)
    }))
    .await
}
