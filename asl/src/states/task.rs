//! `Task`: runs work through a [`crate::task::TaskHandler`].

use super::{Dynamic, Reader, ResultPathSpec, Transition};
use crate::catch::Catcher;
use crate::payload::Template;
use crate::retry::Retrier;
use crate::task::Resource;

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
