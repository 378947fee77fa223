//! Boots the `data-quality` Lambda: logging, clients, settings and rules once per cold start,
//! then the runtime. Each invocation's deadline comes from the Lambda context.

use data_quality::{handle_until, run_deadline, Deps};

shared::lambda_main!(Deps::from_env().await?, |deps, event| {
    let deadline = run_deadline(deps, event.context.deadline);
    handle_until(deps, event.payload, deadline)
});
