//! Boots the `model-approval` Lambda: logging, clients and settings once per cold start.

use model_approval::{handle, Deps};

shared::lambda_main!(Deps::from_env().await?, |deps, event| handle(
    deps,
    event.payload
));
