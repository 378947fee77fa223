//! Boots the `drift-monitor` Lambda: logging and clients once per cold start, then the runtime.

use drift_monitor::{handle, Deps};

shared::lambda_main!(Deps::from_env().await?, |deps, event| handle(
    deps,
    event.payload
));
