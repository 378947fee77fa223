//! `pipelines serve-test-state`: the `TestState` operation of the Step Functions API on
//! 127.0.0.1, in the API's JSON protocol (`awsJson1_0`: `POST /`,
//! `X-Amz-Target: AWSStepFunctions.TestState`), so that tests written against the real API
//! run unchanged with the SDK's endpoint pointed here.

use crate::test_state::options_for;
use anyhow::{Context, Result};
use asl::test_state::{test_state, TestStateRequest};
use asl::{ExecutionOptions, SeededRng, VirtualClock};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;
use std::convert::Infallible;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// The operation this server answers.
const TARGET: &str = "AWSStepFunctions.TestState";
/// The JSON protocol's content type.
const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// Serve AWS's TestState API on 127.0.0.1 for SDK-based tests (one line on stdout gives the
/// address once it listens).
#[derive(Debug, clap::Args)]
#[command(after_help = "Point the SDK at it, e.g. boto3:
  boto3.client('stepfunctions', endpoint_url='http://127.0.0.1:8083',
               config=botocore.config.Config(inject_host_prefix=False))
(TestState's model adds the host prefix `sync-`: turn host-prefix injection off, as for
Step Functions Local.) Port 0 picks a free port.")]
pub struct Args {
    /// The port on 127.0.0.1.
    #[arg(long, default_value_t = 8083)]
    port: u16,
    /// The project folder (default: found upwards from here; without one, only mocked tasks run).
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,
}

/// Runs the server until the process is stopped; returns the exit code.
pub fn run(args: Args) -> u8 {
    match serve(args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("pipelines serve-test-state: {e:#}");
            2
        }
    }
}

fn serve(args: Args) -> Result<()> {
    let base = Arc::new(options_for(args.project.as_deref()));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
            .await
            .with_context(|| format!("cannot listen on 127.0.0.1:{}", args.port))?;
        let addr = listener
            .local_addr()
            .context("cannot read the bound address")?;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "pipelines serve-test-state: listening on http://{addr}"
        );
        let _ = out.flush();
        drop(out);
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("pipelines serve-test-state: accept failed: {e}");
                    continue;
                }
            };
            let base = base.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| handle(req, base.clone()));
                if let Err(e) = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    eprintln!("pipelines serve-test-state: connection error: {e}");
                }
            });
        }
    })
}

/// The API's error body: `{"__type": "com.amazonaws.sfn#Name", "message": ...}`.
fn error(status: StatusCode, name: &str, message: &str) -> Response<Full<Bytes>> {
    let body = json!({"__type": format!("com.amazonaws.sfn#{name}"), "message": message});
    respond(status, body.to_string())
}

fn respond(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from(body)));
    *res.status_mut() = status;
    if let Ok(v) = hyper::header::HeaderValue::from_str(CONTENT_TYPE) {
        res.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    res
}

async fn handle(
    req: Request<Incoming>,
    base: Arc<ExecutionOptions>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.method() != Method::POST {
        return Ok(error(
            StatusCode::METHOD_NOT_ALLOWED,
            "UnknownOperationException",
            "the Step Functions JSON protocol uses POST /",
        ));
    }
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    if target != TARGET {
        return Ok(error(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            &format!("this server answers {TARGET} only, not {target:?}"),
        ));
    }
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            return Ok(error(
                StatusCode::BAD_REQUEST,
                "SerializationException",
                &format!("cannot read the request body: {e}"),
            ))
        }
    };
    let request: TestStateRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        // Not JSON at all is the protocol's SerializationException; JSON of the wrong shape
        // is a ValidationException, as the API answers them.
        Err(e) if e.is_syntax() || e.is_eof() => {
            return Ok(error(
                StatusCode::BAD_REQUEST,
                "SerializationException",
                &format!("the request body is not JSON: {e}"),
            ))
        }
        Err(e) => {
            return Ok(error(
                StatusCode::BAD_REQUEST,
                "ValidationException",
                &format!("the request does not have the TestState shape: {e}"),
            ))
        }
    };
    // Each request starts from fresh virtual time and the same seed, as its own execution.
    let options = ExecutionOptions {
        clock: Arc::new(VirtualClock::new(chrono::Utc::now().timestamp_millis())),
        rng: Arc::new(SeededRng::new(0x5EED)),
        ..(*base).clone()
    };
    Ok(match test_state(&request, &options).await {
        Ok(res) => respond(
            StatusCode::OK,
            serde_json::to_string(&res).unwrap_or_default(),
        ),
        Err(e) => error(StatusCode::BAD_REQUEST, e.kind.name(), &e.message),
    })
}
