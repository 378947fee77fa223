//! Boots the `platform-report` Lambda: logging, settings and clients once per cold start.

use platform_report::{handle, Deps};

shared::lambda_main!(Deps::from_env().await?, |deps, event| handle(
    deps,
    event.payload
));
