//! Error handling for the states that have `Retry` and `Catch` (Task, Parallel, Map): one
//! driver runs the state attempt by attempt and decides, for each failure, whether a retrier
//! takes it (wait its back-off in virtual time, try again), a catcher takes it (its output
//! goes to the catcher's `Next`), or it stands. In TestState the decision is recorded and the
//! run stops instead of retrying.

use super::data_flow::{apply_result_path, jsonata_output};
use super::{Lane, Run, StateResult, Stop};
use crate::catch::{self, error_output, Catcher};
use crate::error::StatesError;
use crate::retry::{self, Retrier, RetryDecision};
use crate::states::{QueryLanguage, State, Transition};
use serde_json::Value;
use std::borrow::Cow;

/// The `Retry` and `Catch` fields of a state type that has them (Task, Parallel, Map).
pub(crate) trait ErrorHandling {
    /// `Retry`.
    fn retriers(&self) -> &[Retrier];
    /// `Catch`.
    fn catchers(&self) -> &[Catcher];
    /// `Next` / `End`, taken when an attempt succeeds.
    fn transition(&self) -> Transition;
}

macro_rules! error_handling_fields {
    ($($t:ty),*) => {$(
        impl ErrorHandling for $t {
            fn retriers(&self) -> &[Retrier] {
                &self.retry
            }
            fn catchers(&self) -> &[Catcher] {
                &self.catch
            }
            fn transition(&self) -> Transition {
                self.transition
            }
        }
    )*};
}

error_handling_fields!(
    crate::states::task::Task,
    crate::states::parallel::Parallel,
    crate::states::map::Map
);

/// A state with `Retry` and `Catch` fields, run one attempt at a time.
pub(crate) trait Retryable: ErrorHandling {
    /// One attempt on the state's input `raw`: its output, or why it failed. `retry_count` is
    /// the number of retries so far (`$$.State.RetryCount`).
    async fn attempt(
        &self,
        run: &mut Run<'_>,
        st: &State,
        raw: &Value,
        entered_ms: i64,
        retry_count: u32,
        lane: &mut Lane,
    ) -> Result<Value, Stop>;
}

/// What `Retry` and `Catch` made of a failure that they handle.
enum Handled {
    /// Retry after this many milliseconds.
    RetryAfter(i64),
    /// A catcher took it: the output and the index of the catcher's `Next`.
    Caught(Value, usize),
}

impl Run<'_> {
    /// Runs the state `st` (whose type-specific part is `s`) entered at event `eid`, with its
    /// `Retry` and `Catch`: its output and the index of the next state (`None` for `End`).
    pub(crate) async fn run_with_retry_and_catch<S: Retryable>(
        &mut self,
        st: &State,
        s: &S,
        raw: Value,
        (eid, entered_ms): (u64, i64),
        lane: &mut Lane,
    ) -> StateResult {
        let mut counts = vec![self.first_retry_count(); s.retriers().len()];
        let mut retry_count = self.first_retry_count();
        loop {
            match s
                .attempt(self, st, &raw, entered_ms, retry_count, lane)
                .await
            {
                Ok(out) => return Ok((out, s.transition().next())),
                Err(Stop::Error(e)) => {
                    let e = e.resolve(&st.name, eid);
                    let handled = self.retry_or_catch(
                        s.retriers(),
                        &mut counts,
                        s.catchers(),
                        e,
                        &raw,
                        (st, entered_ms),
                    )?;
                    match handled {
                        Handled::RetryAfter(delay) => {
                            self.opts.clock.advance_ms(delay);
                            retry_count += 1;
                        }
                        Handled::Caught(out, next) => return Ok((out, Some(next))),
                    }
                }
                Err(other) => return Err(other),
            }
        }
    }

    /// Applies `Retry` then `Catch` to a failure; `Err` when the failure stands (or, in
    /// TestState, when a retrier would take it: the decision is recorded instead).
    fn retry_or_catch(
        &mut self,
        retriers: &[Retrier],
        counts: &mut [u32],
        catchers: &[Catcher],
        err: StatesError,
        raw: &Value,
        (st, entered_ms): (&State, i64),
    ) -> Result<Handled, Stop> {
        match retry::decide(retriers, counts, &err.error, &*self.opts.rng) {
            RetryDecision::RetryAfter { retrier, delay_ms } => {
                if self.probe.is_some() {
                    self.probe_retry(retrier, delay_ms);
                    return Err(Stop::Error(err));
                }
                Ok(Handled::RetryAfter(delay_ms))
            }
            RetryDecision::GiveUp => {
                let Some((i, c)) = catch::find(catchers, &err.error) else {
                    return Err(Stop::Error(err));
                };
                self.probe_catch(i, &err);
                let eo = error_output(&err);
                let (out, pending) = {
                    let ctx = self.context(&st.name, entered_ms).lazy();
                    let env = self.jenv(raw, None, Some(&eo), &ctx);
                    let pending = self.eval_assign(&c.assign, &eo, &env)?;
                    let out = if st.language == QueryLanguage::Jsonata {
                        jsonata_output(&c.output, &env, || eo.clone())?
                    } else {
                        apply_result_path(&c.result_path, Cow::Borrowed(raw), eo.clone())?
                    };
                    (out, pending)
                };
                self.apply_assign(pending)?;
                Ok(Handled::Caught(out, c.next))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::tests::{machine, opts_with, Flaky};
    use crate::engine::ExecutionResult;
    use crate::task::Router;
    use crate::Status;
    use serde_json::json;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    fn count(r: &ExecutionResult, event_type: &str) -> usize {
        r.history
            .iter()
            .filter(|e| e.event_type.as_str() == event_type)
            .count()
    }

    #[test]
    fn retry_absorbs_two_failures_then_succeeds_after_virtual_back_off() {
        let sm = machine(
            json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "End": true,
            "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 2}]}}}),
        );
        let h = Arc::new(Flaky {
            fails: 2,
            calls: AtomicU32::new(0),
            error: "Boom",
        });
        let r = sm.run_blocking(json!({"x": 1}), &opts_with(h.clone()));
        assert_eq!(r.status, Status::Succeeded);
        assert_eq!(r.output, Some(json!({"x": 1})));
        assert_eq!(r.end_ms - r.start_ms, 2000 + 6000);
        assert_eq!(h.calls.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn catch_puts_the_error_output_at_its_result_path() {
        let sm = machine(json!({"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "r", "Next": "Done",
                  "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.err", "Next": "Done"}]},
            "Done": {"Type": "Succeed"}}}));
        let h = Arc::new(Flaky {
            fails: 9,
            calls: AtomicU32::new(0),
            error: "Custom",
        });
        let r = sm.run_blocking(json!({"x": 1}), &opts_with(h));
        assert_eq!(
            r.output,
            Some(json!({"x": 1, "err": {"Error": "Custom", "Cause": "flaky"}}))
        );
    }

    #[test]
    fn mock_config_answers_tasks_by_invocation() {
        let cfg = crate::mock::MockConfig::parse(&json!({
            "StateMachines": {"M": {"TestCases": {"Retry": {"T": "R"}}}},
            "MockedResponses": {"R": {"0": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow down"}},
                                      "1": {"Return": {"Payload": {"ok": true}}}}}})).unwrap();
        let sm = machine(json!({"StartAt": "T", "States": {"T": {"Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke", "OutputPath": "$.Payload", "End": true,
            "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"]}]}}}));
        let h = cfg.handler("M", "Retry", None).unwrap();
        let r = sm.run_blocking(json!({}), &opts_with(Arc::new(h)));
        assert_eq!(r.output, Some(json!({"ok": true})));
    }

    #[test]
    fn a_parallel_is_retried_then_caught_like_a_task() {
        let sm = machine(json!({"StartAt": "P", "States": {
            "P": {"Type": "Parallel", "Next": "Done",
                  "Branches": [{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "c"}}}],
                  "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 1, "MaxAttempts": 2}],
                  "Catch": [{"ErrorEquals": ["Boom"], "ResultPath": "$.err", "Next": "Done"}]},
            "Done": {"Type": "Succeed"}}}));
        let r = sm.run_blocking(json!({"x": 1}), &opts_with(Arc::new(Router::new())));
        assert_eq!(
            r.output,
            Some(json!({"x": 1, "err": {"Error": "Boom", "Cause": "c"}}))
        );
        assert_eq!(r.end_ms - r.start_ms, 1000 + 2000);
        assert_eq!(count(&r, "ParallelStateStarted"), 3);
    }

    #[test]
    fn a_map_is_retried_then_caught_like_a_task() {
        let sm = machine(json!({"StartAt": "M", "States": {
            "M": {"Type": "Map", "Next": "Done", "ItemsPath": "$.items",
                  "ItemProcessor": {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom"}}},
                  "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 5, "MaxAttempts": 1}],
                  "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Done"}]},
            "Done": {"Type": "Succeed"}}}));
        let r = sm.run_blocking(json!({"items": [1]}), &opts_with(Arc::new(Router::new())));
        assert_eq!(r.status, Status::Succeeded);
        assert_eq!(
            r.output,
            Some(json!({"items": [1], "err": {"Error": "Boom"}}))
        );
        assert_eq!(r.end_ms - r.start_ms, 5000);
        assert_eq!(count(&r, "MapStateStarted"), 2);
    }
}
