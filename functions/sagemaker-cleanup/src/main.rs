//! Boots the `sagemaker-cleanup` Lambda: logging and the SageMaker client once per cold start.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use sagemaker_cleanup::{handle, Deps};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::logging::init();
    let deps = Deps::from_env().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        handle(&deps, event.payload)
    }))
    .await
}
