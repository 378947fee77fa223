//! The context object (`$$`): what a state can read about its execution, itself, the task
//! token of a callback and the Map item being processed.

use super::{probe, Run};
use crate::clock::format_millis;
use serde_json::{json, Value};
use std::sync::Arc;

/// The execution a run belongs to, as the context object shows it.
pub(crate) struct ExecInfo {
    /// `arn:aws:states:REGION:ACCOUNT:execution:MACHINE`; the ARN is this plus `:NAME`.
    pub(crate) arn_prefix: Arc<str>,
    pub(crate) name: String,
    pub(crate) input: Value,
    pub(crate) start_ms: i64,
    pub(crate) sm_arn: Arc<str>,
}

/// What the context object needs to know about the current state.
pub(crate) struct ContextObject<'a> {
    exec: &'a ExecInfo,
    state: &'a str,
    entered_ms: i64,
    /// `$$.State.RetryCount`.
    pub(crate) retry_count: u32,
    /// `$$.Map.Item`: index and value.
    pub(crate) item: Option<(usize, &'a Value)>,
    /// `$$.Task.Token`.
    pub(crate) token: Option<&'a str>,
    role_arn: &'a str,
    /// TestState's `context`, laid over the built object.
    overlay: Option<&'a Value>,
}

impl<'a> ContextObject<'a> {
    /// `$$` as JSON.
    pub(crate) fn build(&self) -> Value {
        let mut m = json!({
            "Execution": {
                "Id": format!("{}:{}", self.exec.arn_prefix, self.exec.name),
                "Input": self.exec.input,
                "Name": self.exec.name,
                "RoleArn": self.role_arn,
                "StartTime": format_millis(self.exec.start_ms),
                "RedriveCount": 0
            },
            "State": {
                "EnteredTime": format_millis(self.entered_ms),
                "Name": self.state,
                "RetryCount": self.retry_count
            },
            "StateMachine": {
                "Id": &*self.exec.sm_arn,
                "Name": self.exec.sm_arn.rsplit(':').next().unwrap_or_default()
            }
        });
        if let Some(t) = self.token {
            m["Task"] = json!({ "Token": t });
        }
        if let Some((i, v)) = self.item {
            m["Map"] = json!({"Item": {"Index": i, "Value": v}});
        }
        if let Some(o) = self.overlay {
            probe::overlay(&mut m, o);
        }
        m
    }

    /// `$$`, built only when an expression reads it.
    pub(crate) fn lazy(self) -> impl Fn() -> Value + 'a {
        move || self.build()
    }
}

impl Run<'_> {
    /// The context object of the state `state` entered at `entered_ms`.
    pub(crate) fn context<'a>(&'a self, state: &'a str, entered_ms: i64) -> ContextObject<'a> {
        ContextObject {
            exec: &self.exec,
            state,
            entered_ms,
            retry_count: self.first_retry_count(),
            item: None,
            token: None,
            role_arn: &self.opts.role_arn,
            overlay: self.probe.as_ref().and_then(|p| p.context.as_ref()),
        }
    }
}
