//! Boots the `data-quality` Lambda: logging, clients, settings and rules once per cold start,
//! then the runtime. Each invocation's deadline comes from the Lambda context.

use data_quality::{handle_until, run_deadline, Deps};
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::logging::init();
    let deps = Deps::from_env().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        let deadline = run_deadline(&deps, event.context.deadline);
        let deps = &deps;
        async move { handle_until(deps, event.payload, deadline).await }
    }))
    .await
}
