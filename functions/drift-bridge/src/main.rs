//! Boots the `drift-bridge` Lambda: logging, clients and settings once per cold start, then the runtime.

use drift_bridge::{handle, Deps};

shared::lambda_main!(Deps::from_env().await?, |deps, event| handle(
    deps,
    event.payload
));
