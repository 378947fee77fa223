//! Boots the `deployment-guard` Lambda: logging and the SageMaker and CloudWatch clients once
//! per cold start.

use deployment_guard::{handle, Deps};

shared::lambda_main!(Deps::from_env().await, |deps, event| handle(
    deps,
    event.payload
));
