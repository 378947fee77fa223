//! Boots the `feature-freshness` Lambda: logging and the Glue client once per cold start.

use feature_freshness::{handle, Deps};

shared::lambda_main!(Deps::from_env().await, |deps, event| handle(
    deps,
    event.payload
));
