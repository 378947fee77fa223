//! Boots the `inference-bridge` Lambda: logging, the Step Functions client and settings once per
//! cold start, then the runtime.

use inference_bridge::{handle, Deps};

shared::lambda_main!(Deps::from_env().await?, |deps, event| handle(
    deps,
    event.payload
));
