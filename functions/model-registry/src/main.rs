//! Boots the `model-registry` Lambda: logging and the SageMaker client once per cold start.

use model_registry::{handle, Deps};

shared::lambda_main!(Deps::from_env().await, |deps, event| handle(
    deps,
    event.payload
));
