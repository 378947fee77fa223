//! Boots the `sagemaker-cleanup` Lambda: logging and the SageMaker client once per cold start.

use sagemaker_cleanup::{handle, Deps};

shared::lambda_main!(Deps::from_env().await?, |deps, event| handle(
    deps,
    event.payload
));
