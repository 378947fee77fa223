//! Boots the `cache-warmup` Lambda: logging, clients and settings once per cold start, then the runtime.

use cache_warmup::{handle, Deps};

shared::lambda_main!(Deps::from_env().await?, |deps, event| handle(
    deps,
    event.payload
));
