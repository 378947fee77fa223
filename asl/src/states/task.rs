//! `Task`: runs work through a [`crate::task::TaskHandler`].

use super::{Dynamic, Reader, ResultPathSpec, Transition};
use super::{QueryLanguage, State};
use crate::catch::Catcher;
use crate::engine::data_flow::{arguments, dynamic_expr, eval_template, read_input, resolve_uint};
use crate::engine::error_handling::Retryable;
use crate::engine::{payload_size, Lane, Run, Stop, MAX_PAYLOAD_BYTES};
use crate::error::{names, StatesError};
use crate::history::{Details, EventType};
use crate::intrinsics::json_text;
use crate::payload::Template;
use crate::retry::Retrier;
use crate::task::Resource;
use crate::task::TaskRequest;
use serde_json::Value;

/// A Task state.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// `Resource`, as written.
    pub resource: String,
    /// `Resource`, parsed.
    pub target: Resource,
    /// `Parameters`.
    pub parameters: Option<Template>,
    /// `Arguments` (JSONata).
    pub arguments: Option<crate::jsonata::Template>,
    /// `ResultSelector`.
    pub result_selector: Option<Template>,
    /// `ResultPath`.
    pub result_path: ResultPathSpec,
    /// `TimeoutSeconds` / `TimeoutSecondsPath`.
    pub timeout: Option<Dynamic<u64>>,
    /// `HeartbeatSeconds` / `HeartbeatSecondsPath`.
    pub heartbeat: Option<Dynamic<u64>>,
    /// `Retry`.
    pub retry: Vec<Retrier>,
    /// `Catch`.
    pub catch: Vec<Catcher>,
    /// `Next` / `End`.
    pub transition: Transition,
}

pub(crate) fn parse(r: &mut Reader<'_>) -> Option<Task> {
    r.check_fields(&[
        "Next",
        "End",
        "InputPath",
        "OutputPath",
        "Parameters",
        "ResultSelector",
        "ResultPath",
        "Resource",
        "TimeoutSeconds",
        "TimeoutSecondsPath",
        "HeartbeatSeconds",
        "HeartbeatSecondsPath",
        "Retry",
        "Catch",
        "Credentials",
        "Arguments",
    ]);
    let resource = match r.string("Resource") {
        Some(s) if !s.is_empty() => s,
        _ => {
            r.err("Resource", "a Task state needs a Resource");
            return None;
        }
    };
    let timeout = r.dynamic_uint("TimeoutSeconds", 1);
    let heartbeat = r.dynamic_uint("HeartbeatSeconds", 1);
    if let (Some(Dynamic::Literal(t)), Some(Dynamic::Literal(h))) = (&timeout, &heartbeat) {
        if h >= t {
            r.err(
                "HeartbeatSeconds",
                "HeartbeatSeconds must be smaller than TimeoutSeconds",
            );
        }
    }
    Some(Task {
        target: Resource::parse(&resource),
        resource,
        parameters: r.template("Parameters"),
        arguments: r.jsonata("Arguments"),
        result_selector: r.template("ResultSelector"),
        result_path: r.result_path("ResultPath"),
        timeout,
        heartbeat,
        retry: r.retry(),
        catch: r.catch(),
        transition: r.transition(),
    })
}

impl Task {
    /// One attempt: `InputPath` and `Parameters` (or `Arguments`), the call through the
    /// handler with its history events, `TimeoutSeconds` and `HeartbeatSeconds` checked in
    /// virtual time, then the result's way to the output (see [`Run::finish_with_result`]).
    async fn call(
        &self,
        run: &mut Run<'_>,
        st: &State,
        raw: &Value,
        entered_ms: i64,
        retry_count: u32,
        lane: &mut Lane,
    ) -> Result<Value, StatesError> {
        let is_lambda_arn = matches!(self.target, Resource::Lambda { .. });
        let resource_type = self.target.resource_type().to_string();
        let resource_name = self.target.resource_name();
        // The token exists before the parameters are evaluated: they pass it on as
        // `$$.Task.Token` (the callback pattern's whole point).
        let token = matches!(
            self.target,
            Resource::Service {
                pattern: crate::task::Pattern::WaitForTaskToken,
                ..
            }
        )
        .then(|| run.opts.rng.uuid_v4());
        let rec = run.recording();
        let (params, timeout, heartbeat, seen) = {
            let mut info = run.context(&st.name, entered_ms);
            info.retry_count = retry_count;
            info.token = token.as_deref();
            let ctx = info.lazy();
            if st.language == QueryLanguage::Jsonata {
                let env = run.jenv(raw, None, None, &ctx);
                let timeout = dynamic_expr(&self.timeout, "TimeoutSeconds", &env)?;
                let heartbeat = dynamic_expr(&self.heartbeat, "HeartbeatSeconds", &env)?;
                let params = arguments(&self.arguments, &env, raw)?;
                (params, timeout, heartbeat, None)
            } else {
                let eff = read_input(&st.input_path, raw, &ctx, &run.vars)?;
                let seen = rec.then(|| eff.as_ref().clone());
                let timeout = resolve_uint(&self.timeout, "TimeoutSeconds", &eff, &ctx, &run.vars)?;
                let heartbeat =
                    resolve_uint(&self.heartbeat, "HeartbeatSeconds", &eff, &ctx, &run.vars)?;
                let params = eval_template(&self.parameters, eff, &ctx, &*run.opts.rng, &run.vars)?;
                (params, timeout, heartbeat, seen)
            }
        };
        if st.language == QueryLanguage::Jsonata {
            run.inspect_json("afterArguments", &params);
        } else {
            run.inspect_seen("afterInputPath", seen);
            run.inspect_json("afterParameters", &params);
        }
        let region = run.opts.region.clone();
        if is_lambda_arn {
            run.emit(lane, EventType::LambdaFunctionScheduled, || {
                Details::LambdaScheduled {
                    resource: self.resource.clone(),
                    input: json_text(&params),
                    timeout_seconds: timeout,
                }
            });
            run.emit(lane, EventType::LambdaFunctionStarted, || Details::None);
        } else {
            run.emit(lane, EventType::TaskScheduled, || Details::TaskScheduled {
                resource_type: resource_type.clone(),
                resource: resource_name.clone(),
                region,
                parameters: json_text(&params),
                timeout_seconds: timeout,
                heartbeat_seconds: heartbeat,
            });
            run.emit(lane, EventType::TaskStarted, || Details::TaskStarted {
                resource_type: resource_type.clone(),
                resource: resource_name.clone(),
            });
        }
        let started = run.now();
        let req = TaskRequest {
            state_name: &st.name,
            resource: &self.resource,
            target: &self.target,
            input: params,
            retry_count,
            task_token: token,
            clock: &*run.opts.clock,
        };
        let res = run.opts.handler.call(req).await;
        let elapsed = run.now() - started;
        let limit = |secs: Option<u64>| secs.map(|s| s as i64 * 1000);
        let outcome: Result<Value, StatesError> = if limit(timeout).is_some_and(|l| elapsed > l) {
            run.opts.clock.set_ms(started + limit(timeout).unwrap_or(0));
            Err(StatesError::new(names::TIMEOUT, None))
        } else if limit(heartbeat).is_some_and(|l| elapsed > l) {
            run.opts
                .clock
                .set_ms(started + limit(heartbeat).unwrap_or(0));
            Err(StatesError::new(names::HEARTBEAT_TIMEOUT, None))
        } else {
            match res {
                Ok(v) if payload_size(&v) > MAX_PAYLOAD_BYTES => Err(StatesError::new(
                    names::DATA_LIMIT_EXCEEDED,
                    Some(format!(
                        "The state/task '{resource_type}' returned a result with a size exceeding the maximum number of bytes service limit."
                    )),
                )),
                Ok(v) => Ok(v),
                Err(te) => Err(StatesError::new(te.error, te.cause)),
            }
        };
        match outcome {
            Ok(v) => {
                if is_lambda_arn {
                    run.emit(lane, EventType::LambdaFunctionSucceeded, || {
                        Details::LambdaSucceeded {
                            output: json_text(&v),
                        }
                    });
                } else {
                    run.emit(lane, EventType::TaskSucceeded, || Details::TaskSucceeded {
                        resource_type: resource_type.clone(),
                        resource: resource_name.clone(),
                        output: json_text(&v),
                    });
                }
                run.finish_with_result(
                    st,
                    &self.result_selector,
                    &self.result_path,
                    raw,
                    v,
                    entered_ms,
                )
            }
            Err(e) => {
                let (ty, details) = match (is_lambda_arn, e.error.as_str()) {
                    (true, names::TIMEOUT) => (EventType::LambdaFunctionTimedOut, None),
                    (true, _) => (EventType::LambdaFunctionFailed, None),
                    (false, names::TIMEOUT | names::HEARTBEAT_TIMEOUT) => {
                        (EventType::TaskTimedOut, Some(()))
                    }
                    (false, _) => (EventType::TaskFailed, Some(())),
                };
                let (er, ca) = (Some(e.error.clone()), e.cause.clone());
                if details.is_some() {
                    run.emit(lane, ty, || Details::TaskFailed {
                        resource_type: resource_type.clone(),
                        resource: resource_name.clone(),
                        error: er,
                        cause: ca,
                    });
                } else {
                    run.emit(lane, ty, || Details::LambdaFailed {
                        error: er,
                        cause: ca,
                    });
                }
                Err(e)
            }
        }
    }
}

impl Retryable for Task {
    async fn attempt(
        &self,
        run: &mut Run<'_>,
        st: &State,
        raw: &Value,
        entered_ms: i64,
        retry_count: u32,
        lane: &mut Lane,
    ) -> Result<Value, Stop> {
        Ok(self
            .call(run, st, raw, entered_ms, retry_count, lane)
            .await?)
    }
}
