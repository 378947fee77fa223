//! The interpreter: runs a [`StateMachine`] in virtual time and records its history.
//!
//! This module schedules: the state loop, lanes (`previousEventId`), the clock, nested
//! scopes (Parallel branches, Map iterations), distributed Map child executions, limits and
//! the history. What a state of each type does lives beside its parsing in
//! [`crate::states`]; around it, `data_flow` (InputPath → Parameters → ResultSelector →
//! ResultPath → OutputPath, JSONata Arguments/Output, Assign), `context` (`$$`),
//! `error_handling` (Retry and Catch) and `probe` (TestState).

use crate::clock::{Clock, Rng, SeededRng, VirtualClock};
use crate::error::{names, StatesError};
use crate::history::{entered_exited, Details, EventType, HistoryEvent, MAX_HISTORY_EVENTS};
use crate::intrinsics::json_text;
use crate::machine::StateMachine;
use crate::states::{Graph, Kind, QueryLanguage, State};
use crate::task::{BoxFuture, Router, TaskHandler};
use crate::variables::Variables;
use serde_json::{Map, Value};
use std::sync::Arc;

mod context;
pub(crate) mod data_flow;
pub(crate) mod error_handling;
pub(crate) mod probe;
use context::ExecInfo;

/// AWS's payload limit: 256 KiB.
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;

/// A callback that sees every history event as it happens.
pub type Observer = Arc<dyn Fn(&HistoryEvent) + Send + Sync>;

/// How an execution ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Reached a terminal state.
    Succeeded,
    /// Failed with an error.
    Failed,
    /// Ran past the machine's `TimeoutSeconds`.
    TimedOut,
    /// Stopped from outside.
    Aborted,
}

impl Status {
    /// `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Succeeded => "SUCCEEDED",
            Status::Failed => "FAILED",
            Status::TimedOut => "TIMED_OUT",
            Status::Aborted => "ABORTED",
        }
    }
}

/// The result of an execution.
#[derive(Debug, Clone)]
pub struct ExecutionResult {
    /// How it ended.
    pub status: Status,
    /// The output, when it succeeded.
    pub output: Option<Value>,
    /// The error name, when it failed (absent when a Fail state gave none).
    pub error: Option<String>,
    /// The cause, when there is one.
    pub cause: Option<String>,
    /// The history (empty unless recording was on).
    pub history: Vec<HistoryEvent>,
    /// Number of events the execution produced (recorded or not).
    pub event_count: u64,
    /// Number of state transitions (states entered), including inline Map/Parallel states
    /// and distributed Map child executions.
    pub transitions: u64,
    /// Virtual start time (epoch ms).
    pub start_ms: i64,
    /// Virtual end time (epoch ms).
    pub end_ms: i64,
}

impl ExecutionResult {
    /// Like [`ExecutionResult::to_json`], consuming the result (no copy of the output).
    pub fn into_json(mut self, with_history: bool) -> Value {
        let output = self.output.take();
        let mut v = self.to_json(with_history);
        if let (Some(o), Status::Succeeded) = (output, self.status) {
            v["output"] = o;
        }
        v
    }

    /// The result as `{"status":..,"output":..}` or `{"status":..,"error":..,"cause":..}`.
    pub fn to_json(&self, with_history: bool) -> Value {
        let mut m = Map::new();
        m.insert("status".into(), Value::String(self.status.as_str().into()));
        match self.status {
            Status::Succeeded => {
                m.insert("output".into(), self.output.clone().unwrap_or(Value::Null));
            }
            _ => {
                m.insert(
                    "error".into(),
                    self.error.clone().map_or(Value::Null, Value::String),
                );
                m.insert(
                    "cause".into(),
                    self.cause.clone().map_or(Value::Null, Value::String),
                );
            }
        }
        if with_history {
            m.insert(
                "history".into(),
                Value::Array(self.history.iter().map(HistoryEvent::to_json).collect()),
            );
        }
        Value::Object(m)
    }
}

/// Everything an execution needs besides the machine and the input.
#[derive(Clone)]
pub struct ExecutionOptions {
    /// Runs Task states.
    pub handler: Arc<dyn TaskHandler>,
    /// Virtual time.
    pub clock: Arc<dyn Clock>,
    /// Randomness.
    pub rng: Arc<dyn Rng>,
    /// Sees each event as it happens.
    pub observer: Option<Observer>,
    /// Keep the history in the result (counting always happens).
    pub record_history: bool,
    /// The execution name (in `$$.Execution.Name` and ARNs).
    pub execution_name: String,
    /// The state machine name.
    pub state_machine_name: String,
    /// Region used in ARNs.
    pub region: String,
    /// Account used in ARNs.
    pub account: String,
    /// Role ARN in `$$.Execution.RoleArn`.
    pub role_arn: String,
    /// History events allowed in one execution (AWS: 25,000).
    pub max_history_events: u64,
    /// Set it to `true` (from another thread, a signal handler, ...) to stop the execution
    /// before its next state: it ends as `ABORTED`.
    pub abort: Option<Arc<std::sync::atomic::AtomicBool>>,
}

impl Default for ExecutionOptions {
    fn default() -> ExecutionOptions {
        ExecutionOptions {
            handler: Arc::new(Router::new()),
            clock: Arc::new(VirtualClock::new(1_700_000_000_000)),
            rng: Arc::new(SeededRng::new(0x5EED)),
            observer: None,
            record_history: true,
            execution_name: "local-execution".into(),
            state_machine_name: "StateMachine".into(),
            region: "us-east-1".into(),
            account: "123456789012".into(),
            role_arn: "arn:aws:iam::123456789012:role/StepFunctionsRole".into(),
            max_history_events: MAX_HISTORY_EVENTS,
            abort: None,
        }
    }
}

impl StateMachine {
    /// Runs the machine on `input` and returns its result. Await it on any executor, or use
    /// [`StateMachine::run_blocking`].
    pub async fn run(&self, input: Value, options: &ExecutionOptions) -> ExecutionResult {
        let exec_input = if graph_reads_context(&self.graph) {
            input.clone()
        } else {
            Value::Null
        };
        let mut run = Run::new(options, exec_input, Variables::new(), None);
        run.timeout_at = self
            .timeout_seconds
            .map(|t| options.clock.now_ms() + t as i64 * 1000);
        run.execute(&self.graph, self.graph.start, input).await
    }

    /// Runs the machine on the current thread (for synchronous task handlers and tests).
    pub fn run_blocking(&self, input: Value, options: &ExecutionOptions) -> ExecutionResult {
        crate::executor::block_on(self.run(input, options))
    }
}

/// Runs the state `start` of `graph` alone, as TestState does: the run stops after that state,
/// `probe` records its data flow and its Retry/Catch decision. `vars`: the variables in scope.
pub(crate) async fn run_probe(
    graph: &Graph,
    start: usize,
    input: Value,
    vars: Variables,
    options: &ExecutionOptions,
    probe: Box<probe::Probe>,
) -> probe::ProbeResult {
    let mut run = Run::new(options, input.clone(), vars, Some(probe));
    let result = run.execute(graph, start, input).await;
    probe::ProbeResult {
        result,
        probe: run.probe.take().unwrap_or_default(),
    }
}

struct Hist {
    events: Vec<HistoryEvent>,
    count: u64,
    record: bool,
    observe: bool,
}

impl Hist {
    fn new(record: bool, observe: bool) -> Hist {
        Hist {
            events: Vec::new(),
            count: 0,
            record,
            observe,
        }
    }
}

/// A state's output and the index of the next state (`None` at the end), or why the run
/// stops.
pub(crate) type StateResult = Result<(Value, Option<usize>), Stop>;

/// Why a run stopped early.
pub(crate) enum Stop {
    Error(StatesError),
    TimedOut,
    HistoryLimit,
    Aborted,
}

impl From<StatesError> for Stop {
    fn from(e: StatesError) -> Stop {
        Stop::Error(e)
    }
}

/// The branch an event belongs to, for `previousEventId`.
#[derive(Clone, Copy)]
pub(crate) struct Lane {
    /// The id of the branch's last event.
    pub(crate) prev: u64,
}

/// One run of a state machine (an execution, or TestState's one state): what it needs and
/// what it has recorded so far.
pub(crate) struct Run<'o> {
    pub(crate) opts: &'o ExecutionOptions,
    hist: Hist,
    pub(crate) exec: Arc<ExecInfo>,
    transitions: u64,
    timeout_at: Option<i64>,
    /// The variables of the scope being run.
    pub(crate) vars: Variables,
    /// TestState mode: stop after the first state, record its data flow.
    pub(crate) probe: Option<Box<probe::Probe>>,
}

/// The size of `v` serialized as JSON, in bytes (what AWS's payload limits count).
pub(crate) fn payload_size(v: &Value) -> usize {
    // Serialized length without allocating the text.
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Counter(0);
    let _ = serde_json::to_writer(&mut c, v);
    c.0
}

/// A value as error messages quote it: strings bare, anything else as JSON.
pub(crate) fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => json_text(other),
    }
}

impl<'o> Run<'o> {
    /// A run of an execution started now: `exec_input` is `$$.Execution.Input`, `vars` the
    /// variables in scope, `probe` set for TestState. No execution timeout.
    fn new(
        opts: &'o ExecutionOptions,
        exec_input: Value,
        vars: Variables,
        probe: Option<Box<probe::Probe>>,
    ) -> Run<'o> {
        let arn = |kind: &str| {
            format!(
                "arn:aws:states:{}:{}:{kind}:{}",
                opts.region, opts.account, opts.state_machine_name
            )
        };
        Run {
            opts,
            hist: Hist::new(opts.record_history, opts.observer.is_some()),
            exec: Arc::new(ExecInfo {
                arn_prefix: Arc::from(arn("execution")),
                name: opts.execution_name.clone(),
                input: exec_input,
                start_ms: opts.clock.now_ms(),
                sm_arn: Arc::from(arn("stateMachine")),
            }),
            transitions: 0,
            timeout_at: None,
            vars,
            probe,
        }
    }
}

impl Run<'_> {
    /// Virtual time now (epoch ms).
    pub(crate) fn now(&self) -> i64 {
        self.opts.clock.now_ms()
    }

    /// Records one history event on `lane`; returns its id.
    pub(crate) fn emit(
        &mut self,
        lane: &mut Lane,
        t: EventType,
        details: impl FnOnce() -> Details,
    ) -> u64 {
        self.hist.count += 1;
        let id = self.hist.count;
        if self.hist.record || self.hist.observe {
            let ev = HistoryEvent {
                id,
                previous_event_id: lane.prev,
                timestamp_ms: self.opts.clock.now_ms(),
                event_type: t,
                details: details(),
            };
            if let (true, Some(o)) = (self.hist.observe, &self.opts.observer) {
                o(&ev);
            }
            if self.hist.record {
                self.hist.events.push(ev);
            }
        }
        lane.prev = id;
        id
    }

    /// Runs `graph` from its state `start` as a whole execution, with its start and end events.
    async fn execute(&mut self, graph: &Graph, start: usize, input: Value) -> ExecutionResult {
        let start_ms = self.now();
        let mut lane = Lane { prev: 0 };
        let role = self.opts.role_arn.clone();
        self.emit(&mut lane, EventType::ExecutionStarted, || {
            Details::ExecutionStarted {
                input: json_text(&input),
                role_arn: role,
            }
        });
        // The first state's entered event has no previous event (as AWS records it).
        lane.prev = 0;
        let r = self.run_graph_from(graph, start, input, &mut lane).await;
        let (status, output, error, cause) = match r {
            Ok(out) => {
                self.emit(&mut lane, EventType::ExecutionSucceeded, || {
                    Details::ExecutionSucceeded {
                        output: json_text(&out),
                    }
                });
                (Status::Succeeded, Some(out), None, None)
            }
            Err(Stop::Error(e)) => {
                let error = (!e.error.is_empty()).then(|| e.error.clone());
                let cause = e.cause.clone();
                let (ec, cc) = (error.clone(), cause.clone());
                self.emit(&mut lane, EventType::ExecutionFailed, || {
                    Details::ExecutionFailed {
                        error: ec,
                        cause: cc,
                    }
                });
                (Status::Failed, None, error, cause)
            }
            Err(Stop::TimedOut) => {
                self.emit(&mut lane, EventType::ExecutionTimedOut, || {
                    Details::ExecutionFailed {
                        error: Some(names::TIMEOUT.into()),
                        cause: None,
                    }
                });
                (
                    Status::TimedOut,
                    None,
                    Some(names::TIMEOUT.to_string()),
                    None,
                )
            }
            Err(Stop::Aborted) => {
                self.emit(&mut lane, EventType::ExecutionAborted, || Details::None);
                (Status::Aborted, None, None, None)
            }
            Err(Stop::HistoryLimit) => {
                let cause = format!(
                    "The execution reached the maximum number of history events ({}).",
                    self.opts.max_history_events
                );
                let c = cause.clone();
                self.emit(&mut lane, EventType::ExecutionFailed, || {
                    Details::ExecutionFailed {
                        error: Some(names::RUNTIME.into()),
                        cause: Some(c),
                    }
                });
                (
                    Status::Failed,
                    None,
                    Some(names::RUNTIME.to_string()),
                    Some(cause),
                )
            }
        };
        ExecutionResult {
            status,
            output,
            error,
            cause,
            history: std::mem::take(&mut self.hist.events),
            event_count: self.hist.count,
            transitions: self.transitions,
            start_ms,
            end_ms: self.now(),
        }
    }

    fn run_graph<'a>(
        &'a mut self,
        g: &'a Graph,
        input: Value,
        lane: &'a mut Lane,
    ) -> BoxFuture<'a, Result<Value, Stop>> {
        self.run_graph_from(g, g.start, input, lane)
    }

    /// [`Run::run_graph`] from the state `start` instead of `StartAt` (TestState).
    fn run_graph_from<'a>(
        &'a mut self,
        g: &'a Graph,
        start: usize,
        input: Value,
        lane: &'a mut Lane,
    ) -> BoxFuture<'a, Result<Value, Stop>> {
        Box::pin(async move {
            let mut idx = start;
            let mut data = input;
            loop {
                // A state needs at least its entered and exited events, and the execution its
                // final event: fail before the history would pass the limit.
                if self.hist.count + 3 > self.opts.max_history_events {
                    return Err(Stop::HistoryLimit);
                }
                if self.timeout_at.is_some_and(|t| self.now() > t) {
                    return Err(Stop::TimedOut);
                }
                if self
                    .opts
                    .abort
                    .as_ref()
                    .is_some_and(|a| a.load(std::sync::atomic::Ordering::Relaxed))
                {
                    return Err(Stop::Aborted);
                }
                let st = &g.states[idx];
                let (entered, exited) = entered_exited(&st.kind);
                let entered_ms = self.now();
                let eid = self.emit(lane, entered, || Details::StateEntered {
                    name: st.name.clone(),
                    input: json_text(&data),
                });
                self.transitions += 1;
                match self.run_state(st, data, eid, entered_ms, lane).await {
                    Ok((out, next)) if self.probe.as_ref().is_some_and(|p| !p.done) => {
                        self.inspect_variables();
                        if let Some(p) = self.probe.as_mut() {
                            p.done = true;
                            p.next = next.map(|n| g.states[n].name.clone());
                        }
                        return Ok(out);
                    }
                    Ok((out, next)) => {
                        if let Some(ex) = exited {
                            self.emit(lane, ex, || Details::StateExited {
                                name: st.name.clone(),
                                output: json_text(&out),
                            });
                        }
                        match next {
                            Some(n) => {
                                idx = n;
                                data = out;
                            }
                            None => {
                                if self.timeout_at.is_some_and(|t| self.now() > t) {
                                    return Err(Stop::TimedOut);
                                }
                                return Ok(out);
                            }
                        }
                    }
                    Err(Stop::Error(e)) => return Err(Stop::Error(e.resolve(&st.name, eid))),
                    Err(other) => return Err(other),
                }
            }
        })
    }

    /// Runs one state: the part its type owns (`crate::states::<type>`), with `Retry` and
    /// `Catch` around Task, Parallel and Map.
    async fn run_state(
        &mut self,
        st: &State,
        raw: Value,
        eid: u64,
        entered_ms: i64,
        lane: &mut Lane,
    ) -> StateResult {
        let jsonata = st.language == QueryLanguage::Jsonata;
        let at = (eid, entered_ms);
        match &st.kind {
            Kind::Pass(p) if jsonata => p.execute_jsonata(self, st, raw, entered_ms),
            Kind::Pass(p) => p.execute(self, st, raw, entered_ms),
            Kind::Choice(c) if jsonata => c.execute_jsonata(self, st, raw, entered_ms),
            Kind::Choice(c) => c.execute(self, st, raw, entered_ms),
            Kind::Wait(w) if jsonata => w.execute_jsonata(self, st, raw, entered_ms),
            Kind::Wait(w) => w.execute(self, st, raw, entered_ms),
            Kind::Succeed(s) if jsonata => s.execute_jsonata(self, st, raw, entered_ms),
            Kind::Succeed(s) => s.execute(self, st, raw, entered_ms),
            Kind::Fail(f) if jsonata => f.execute_jsonata(self, st, raw, entered_ms),
            Kind::Fail(f) => f.execute(self, st, raw, entered_ms),
            Kind::Task(t) => self.run_with_retry_and_catch(st, &**t, raw, at, lane).await,
            Kind::Parallel(p) => self.run_with_retry_and_catch(st, &**p, raw, at, lane).await,
            Kind::Map(m) => self.run_with_retry_and_catch(st, &**m, raw, at, lane).await,
        }
    }

    /// Runs a nested graph (a Parallel branch, an inline Map iteration) on `lane`, in a
    /// variable scope of its own that sees the outer one.
    pub(crate) async fn run_nested(
        &mut self,
        g: &Graph,
        input: Value,
        lane: &mut Lane,
    ) -> Result<Value, Stop> {
        let outer = std::mem::replace(&mut self.vars, Variables::new());
        self.vars = outer.child();
        let r = self.run_graph(g, input, lane).await;
        self.vars = outer;
        r
    }

    /// A distributed Map iteration: a child execution with its own history and context.
    pub(crate) async fn run_child(
        &mut self,
        g: &Graph,
        input: Value,
        uses_context: bool,
    ) -> Result<Value, Stop> {
        let child_exec = Arc::new(ExecInfo {
            arn_prefix: self.exec.arn_prefix.clone(),
            name: self.opts.rng.uuid_v4(),
            input: if uses_context {
                input.clone()
            } else {
                Value::Null
            },
            start_ms: self.now(),
            sm_arn: self.exec.sm_arn.clone(),
        });
        let saved_exec = std::mem::replace(&mut self.exec, child_exec);
        let saved_hist = std::mem::replace(&mut self.hist, Hist::new(false, false));
        // A child execution starts with no variables of its own and reads none of its parent.
        let saved_vars = std::mem::replace(&mut self.vars, Variables::new());
        let mut lane = Lane { prev: 0 };
        self.emit(&mut lane, EventType::ExecutionStarted, || Details::None);
        let r = self.run_graph(g, input, &mut lane).await;
        self.exec = saved_exec;
        self.hist = saved_hist;
        self.vars = saved_vars;
        match r {
            Err(Stop::HistoryLimit) => Err(Stop::Error(StatesError::new(
                names::RUNTIME,
                Some("A child execution reached the maximum number of history events.".into()),
            ))),
            other => other,
        }
    }
}

/// Whether any state of `g` (or of its nested branches) may read the context object.
fn graph_reads_context(g: &Graph) -> bool {
    g.reads_context
}

/// `States.DataLimitExceeded` when the output of `state` is over [`MAX_PAYLOAD_BYTES`].
pub(crate) fn check_size(v: &Value, state: &str) -> Result<(), StatesError> {
    if payload_size(v) > MAX_PAYLOAD_BYTES {
        return Err(StatesError::new(
            names::DATA_LIMIT_EXCEEDED,
            Some(format!(
                "The state/task '{state}' returned a result with a size exceeding the maximum number of bytes service limit."
            )),
        ));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;

#[cfg(test)]
mod send_tests {
    use super::*;
    use serde_json::json;

    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn the_execution_future_is_send_so_tokio_can_spawn_it() {
        let sm = StateMachine::from_value(
            &json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let opts = ExecutionOptions::default();
        let fut = sm.run(json!({}), &opts);
        assert_send(&fut);
        let r = crate::executor::block_on(fut);
        assert_eq!(r.status, Status::Succeeded);
    }
}
