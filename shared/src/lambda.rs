//! Starting a Lambda function: logging, the function's clients and settings once per cold start
//! (its `Deps`), then the Lambda runtime serving one handler for every invocation. Every
//! `functions/*/src/main.rs` is one [`lambda_main!`](crate::lambda_main) line.

use std::{fmt, future::Future};

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};

/// The runtime's error type (a boxed error), which `main` returns.
pub use lambda_runtime::Error;

/// Serves `handler` for every invocation until the Lambda runtime stops.
///
/// `deps` (clients and settings built once per cold start) is kept for the rest of the process,
/// so each invocation borrows it as `&'static D`; the event is read as any JSON value.
///
/// Errors: only the runtime's own (the Runtime API unreachable or refusing a response). A
/// handler's error becomes that invocation's error response, its `errorType` from
/// [`Diagnostic`] (see [`lambda_error!`](crate::lambda_error)).
///
/// A plain function returning the runtime's future (not an `async fn`), so that `main`'s future
/// nests no deeper than with `lambda_runtime::run` itself: the deepest futures (drift-monitor's)
/// are near the compiler's layout depth limit.
pub fn run<D, H, Fut, R, E>(deps: D, handler: H) -> impl Future<Output = Result<(), Error>>
where
    D: 'static,
    H: Fn(&'static D, LambdaEvent<serde_json::Value>) -> Fut,
    Fut: Future<Output = Result<R, E>>,
    R: serde::Serialize,
    E: Into<Diagnostic> + fmt::Debug,
{
    let deps: &'static D = Box::leak(Box::new(deps));
    lambda_runtime::run(service_fn(move |event| handler(deps, event)))
}

/// Writes a Lambda function's `main`: starts [`logging`](crate::logging::init), evaluates
/// `$deps` (an expression in an `async` function returning `Result<(), lambda::Error>`, so
/// `Deps::from_env().await?` works), then [`run`]s `$handler` (a closure taking
/// `(&'static Deps, LambdaEvent<Value>)`). The calling crate needs `tokio` with `macros`.
///
/// ```text
/// shared::lambda_main!(Deps::from_env().await?, |deps, event| handle(deps, event.payload));
/// ```
#[macro_export]
macro_rules! lambda_main {
    ($deps:expr, $handler:expr $(,)?) => {
        #[::tokio::main]
        async fn main() -> ::std::result::Result<(), $crate::lambda::Error> {
            $crate::logging::init();
            $crate::lambda::run($deps, $handler).await
        }
    };
}
