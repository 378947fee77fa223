//! Boots the `evaluate-model-metrics` Lambda: logging, clients once per cold start, then the runtime.

use evaluate_model_metrics::{handle, Deps};

shared::lambda_main!(Deps::from_env().await, |deps, event| handle(
    deps,
    event.payload
));
