//! The engine's TestState mode: one state runs, its data flow is recorded step by step, and
//! Retry and Catch report what they would do instead of doing it (see [`crate::test_state`]).

use super::Run;
use crate::error::{names, StatesError};
use crate::mock::MockOutcome;
use serde_json::{Map, Value};
use std::sync::Arc;

/// What Retry or Catch decided for the tested state's failure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Decision {
    /// The retrier at `index` would retry after `backoff_ms`.
    Retry { index: usize, backoff_ms: i64 },
    /// The catcher at `index` took the error.
    Catch { index: usize },
}

/// How the tested state's run ended, with what TestState reports.
pub(crate) struct ProbeResult {
    /// The engine's result (the output is the state's output).
    pub(crate) result: super::ExecutionResult,
    /// What the probe recorded.
    pub(crate) probe: Box<Probe>,
}

/// The TestState settings and what the run recorded.
#[derive(Debug, Default)]
pub(crate) struct Probe {
    /// `inspectionLevel` DEBUG or TRACE: record the data flow.
    pub(crate) record: bool,
    /// `inspectionData`, field by field (values as the API gives them).
    pub(crate) data: Map<String, Value>,
    /// `stateConfiguration.retrierRetryCount`.
    pub(crate) retry_count: u32,
    /// The mock of a Map or Parallel state (a Task's mock answers through the handler).
    pub(crate) mock: Option<MockOutcome>,
    /// `stateConfiguration.mapIterationFailureCount`.
    pub(crate) map_failures: Option<u64>,
    /// `stateConfiguration.mapItemReaderData`: the items a Map's ItemReader would read.
    pub(crate) map_items: Option<Value>,
    /// `context`: fields laid over the context object the engine builds.
    pub(crate) context: Option<Value>,
    /// The Retry or Catch decision, when the state failed.
    pub(crate) decision: Option<Decision>,
    /// The error a catcher took: (error, cause).
    pub(crate) caught: Option<(String, Option<String>)>,
    /// The state the tested state goes to (absent for End, a failure or a retry).
    pub(crate) next: Option<Arc<str>>,
    /// Whether the state ran to its end (the run stops after the first state).
    pub(crate) done: bool,
}

/// `a` with the fields of `b` laid over it, objects merged key by key.
pub(crate) fn overlay(a: &mut Value, b: &Value) {
    match (a, b) {
        (Value::Object(am), Value::Object(bm)) => {
            for (k, v) in bm {
                match am.get_mut(k) {
                    Some(slot) => overlay(slot, v),
                    None => {
                        am.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (a, b) => *a = b.clone(),
    }
}

impl Run<'_> {
    /// Whether the run is a TestState at DEBUG or TRACE that has not finished its state.
    pub(crate) fn recording(&self) -> bool {
        self.probe.as_ref().is_some_and(|p| p.record && !p.done)
    }

    /// Records one `inspectionData` field when [`Run::recording`].
    pub(crate) fn inspect(&mut self, field: &str, value: impl FnOnce() -> Value) {
        if let Some(p) = self.probe.as_mut().filter(|p| p.record && !p.done) {
            p.data.insert(field.to_string(), value());
        }
    }

    /// Records a data-flow value the way the API gives it: JSON text.
    pub(crate) fn inspect_json(&mut self, field: &str, value: &Value) {
        self.inspect(field, || Value::String(crate::intrinsics::json_text(value)));
    }

    /// Records a value captured while the context borrowed the run.
    pub(crate) fn inspect_seen(&mut self, field: &str, value: Option<Value>) {
        if let Some(v) = value {
            self.inspect_json(field, &v);
        }
    }

    /// Records the variables in scope once the state is done (when there are any).
    pub(crate) fn inspect_variables(&mut self) {
        if !self.recording() || self.vars.is_empty() {
            return;
        }
        let vars: Map<String, Value> = self
            .vars
            .visible()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        self.inspect_json("variables", &Value::Object(vars));
    }

    /// The retry count the tested state starts from (0 outside TestState).
    pub(crate) fn first_retry_count(&self) -> u32 {
        self.probe.as_ref().map_or(0, |p| p.retry_count)
    }

    /// In TestState, records that the retrier at `index` would retry after `backoff_ms`.
    pub(crate) fn probe_retry(&mut self, index: usize, backoff_ms: i64) {
        if let Some(p) = self.probe.as_mut() {
            p.decision = Some(Decision::Retry { index, backoff_ms });
            let mut details = Map::new();
            details.insert("retryIndex".into(), index.into());
            details.insert(
                "retryBackoffIntervalSeconds".into(),
                (backoff_ms / 1000).into(),
            );
            if p.record {
                p.data.insert("errorDetails".into(), Value::Object(details));
            }
        }
    }

    /// In TestState, records that the catcher at `index` took `err`.
    pub(crate) fn probe_catch(&mut self, index: usize, err: &StatesError) {
        if let Some(p) = self.probe.as_mut() {
            p.decision = Some(Decision::Catch { index });
            p.caught = Some((err.error.clone(), err.cause.clone()));
            if p.record {
                let mut details = Map::new();
                details.insert("catchIndex".into(), index.into());
                p.data.insert("errorDetails".into(), Value::Object(details));
            }
        }
    }

    /// In TestState, the mocked outcome of a Map or Parallel state (its iterations or branches
    /// do not run). `tolerance`: whether the Map sets a tolerated failure threshold and the
    /// check `exceeded(failures)`; `None` for Parallel.
    pub(crate) fn probe_mocked_block(
        &mut self,
        tolerance: Option<(bool, &dyn Fn(usize) -> bool)>,
    ) -> Option<Result<Value, StatesError>> {
        let p = self.probe.as_ref()?;
        let mock = p.mock.clone()?;
        if let (Some((true, exceeded)), Some(f)) = (tolerance, p.map_failures) {
            if exceeded(f as usize) {
                return Some(Err(StatesError::new(
                    names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
                    Some("The specified tolerated failure threshold was exceeded".into()),
                )));
            }
        }
        Some(match mock {
            MockOutcome::Return(v) => Ok(v),
            MockOutcome::Throw(e) => Err(StatesError::new(e.error, e.cause)),
        })
    }
}
