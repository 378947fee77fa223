//! The interpreter: runs a [`StateMachine`] in virtual time and records its history.

use crate::catch::{self, error_output};
use crate::clock::{format_millis, Clock, Rng, SeededRng, VirtualClock};
use crate::error::{names, StatesError};
use crate::history::{entered_exited, Details, EventType, HistoryEvent, MAX_HISTORY_EVENTS};
use crate::intrinsics::json_text;
use crate::machine::StateMachine;
use crate::path::{Path, Selection};
use crate::payload::Template;
use crate::retry::{self, Retrier, RetryDecision};
use crate::scope::Scope;
use crate::variables::Variables;

mod jsonata_run;
pub(crate) mod probe;
use crate::states::{
    fail::Text, map::Map as MapState, parallel::Parallel, task::Task, wait::WaitFor, Dynamic,
    Graph, Kind, PathSpec, ResultPathSpec, State, Transition,
};
use crate::task::{BoxFuture, Resource, Router, TaskHandler, TaskRequest};
use serde_json::{json, Map, Value};
use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

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

struct ExecInfo {
    /// `arn:aws:states:REGION:ACCOUNT:execution:MACHINE`; the ARN is this plus `:NAME`.
    arn_prefix: Arc<str>,
    name: String,
    input: Value,
    start_ms: i64,
    sm_arn: Arc<str>,
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

/// Why a run stopped early.
enum Stop {
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
struct Lane {
    prev: u64,
}

struct Run<'o> {
    opts: &'o ExecutionOptions,
    hist: Hist,
    exec: Arc<ExecInfo>,
    transitions: u64,
    timeout_at: Option<i64>,
    /// The variables of the scope being run.
    vars: Variables,
    /// TestState mode: stop after the first state, record its data flow.
    probe: Option<Box<probe::Probe>>,
}

/// What the context object needs to know about the current state.
struct CtxInfo<'a> {
    exec: &'a ExecInfo,
    state: &'a str,
    entered_ms: i64,
    retry_count: u32,
    item: Option<(usize, &'a Value)>,
    token: Option<&'a str>,
    role_arn: &'a str,
    /// TestState's `context`, laid over the built object.
    overlay: Option<&'a Value>,
}

impl CtxInfo<'_> {
    fn build(&self) -> Value {
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
}

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

pub(crate) fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => json_text(other),
    }
}

fn read_input<'a>(
    spec: &PathSpec,
    raw: &'a Value,
    scope_ctx: &dyn Fn() -> Value,
    vars: &Variables,
) -> Result<Cow<'a, Value>, StatesError> {
    match spec {
        PathSpec::Default => Ok(Cow::Borrowed(raw)),
        PathSpec::Null => Ok(Cow::Owned(Value::Object(Map::new()))),
        PathSpec::Path(p) => select_required(p, raw, scope_ctx, vars),
    }
}

/// The effective input, owned: moves `raw` when `InputPath` is absent.
fn take_input(
    spec: &PathSpec,
    raw: Value,
    ctx: &dyn Fn() -> Value,
    vars: &Variables,
) -> Result<Value, StatesError> {
    match spec {
        PathSpec::Default => Ok(raw),
        _ => read_input(spec, &raw, ctx, vars).map(Cow::into_owned),
    }
}

fn select_required<'a>(
    p: &Path,
    doc: &'a Value,
    ctx: &dyn Fn() -> Value,
    vars: &Variables,
) -> Result<Cow<'a, Value>, StatesError> {
    let not_found = || {
        StatesError::runtime(format!(
            "Invalid path '{}' : No results for path: {}",
            p.as_str(),
            p.bracket_notation()
        ))
    };
    match p.root() {
        crate::path::Root::Data => match p.select(doc) {
            Some(Selection::One(v)) => Ok(Cow::Borrowed(v)),
            Some(s) => Ok(Cow::Owned(s.to_value())),
            None => Err(not_found()),
        },
        crate::path::Root::Context => {
            let c = ctx();
            match p.select(&c) {
                Some(s) => Ok(Cow::Owned(s.to_value())),
                None => Err(not_found()),
            }
        }
        crate::path::Root::Variable => {
            let v = p
                .variable()
                .and_then(|n| vars.get(n))
                .ok_or_else(not_found)?;
            match p.select(v) {
                Some(s) => Ok(Cow::Owned(s.to_value())),
                None => Err(not_found()),
            }
        }
    }
}

fn write_output(
    spec: &PathSpec,
    out: Value,
    ctx: &dyn Fn() -> Value,
    vars: &Variables,
) -> Result<Value, StatesError> {
    match spec {
        PathSpec::Default => Ok(out),
        PathSpec::Null => Ok(Value::Object(Map::new())),
        PathSpec::Path(p) => select_required(p, &out, ctx, vars).map(Cow::into_owned),
    }
}

fn apply_result_path(
    spec: &ResultPathSpec,
    raw: Cow<'_, Value>,
    result: Value,
) -> Result<Value, StatesError> {
    match spec {
        ResultPathSpec::Default => Ok(result),
        ResultPathSpec::Discard => Ok(raw.into_owned()),
        ResultPathSpec::Path(rp) => {
            if rp.is_root() {
                return Ok(result);
            }
            let mut raw = raw.into_owned();
            let input_text = json_text(&raw);
            match rp.write(&mut raw, result) {
                Ok(()) => Ok(raw),
                Err(_) => Err(StatesError::in_state(
                    names::RESULT_PATH_MATCH_FAILURE,
                    format!(
                        "Unable to apply ResultPath '{}' to input '{}'",
                        rp.as_str(),
                        input_text
                    ),
                )),
            }
        }
    }
}

/// Parameters, handled the same for Task, Parallel and Map (legacy).
fn eval_template(
    t: &Option<Template>,
    eff: Cow<'_, Value>,
    scope_ctx: &dyn Fn() -> Value,
    rng: &dyn Rng,
    vars: &Variables,
) -> Result<Value, StatesError> {
    match t {
        None => Ok(eff.into_owned()),
        Some(Template::Literal(v)) => Ok(v.clone()),
        Some(t) => {
            let scope = Scope::new(&eff, scope_ctx, rng).with_vars(vars);
            t.eval(&scope)
        }
    }
}

fn resolve_uint(
    d: &Option<Dynamic<u64>>,
    field: &str,
    eff: &Value,
    ctx: &dyn Fn() -> Value,
    vars: &Variables,
) -> Result<Option<u64>, StatesError> {
    match d {
        None | Some(Dynamic::Expr(_)) => Ok(None),
        Some(Dynamic::Literal(v)) => Ok(Some(*v)),
        Some(Dynamic::Path(p)) => {
            let v = select_required(p, eff, ctx, vars)?;
            match v.as_ref() {
                Value::Number(n) if n.as_u64().is_some() => Ok(n.as_u64()),
                Value::String(s) if s.trim().parse::<u64>().is_ok() => Ok(s.trim().parse().ok()),
                Value::Number(n) if n.as_i64().is_some_and(|i| i < 0) => {
                    Err(StatesError::runtime(if field == "MaxConcurrency" {
                        format!(
                            "Expected non-negative integer for MaxConcurrency, got '{n}' instead."
                        )
                    } else {
                        format!("{field} cannot be negative.")
                    }))
                }
                other => Err(StatesError::runtime(format!(
                    "The {field}Path field refers to value \"{}\" which is not a valid integer: {}",
                    value_text(other),
                    p.as_str()
                ))),
            }
        }
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
    fn ctx_fn<'a>(&'a self, info: CtxInfo<'a>) -> impl Fn() -> Value + 'a {
        move || info.build()
    }

    fn info<'a>(&'a self, state: &'a str, entered_ms: i64) -> CtxInfo<'a> {
        CtxInfo {
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

    fn now(&self) -> i64 {
        self.opts.clock.now_ms()
    }

    fn emit(&mut self, lane: &mut Lane, t: EventType, details: impl FnOnce() -> Details) -> u64 {
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

    async fn run_state(
        &mut self,
        st: &State,
        raw: Value,
        eid: u64,
        entered_ms: i64,
        lane: &mut Lane,
    ) -> Result<(Value, Option<usize>), Stop> {
        let next_of = |t: &Transition| match t {
            Transition::Next(n) => Some(*n),
            Transition::End => None,
        };
        if st.language == crate::states::QueryLanguage::Jsonata
            && matches!(
                st.kind,
                Kind::Pass(_) | Kind::Choice(_) | Kind::Wait(_) | Kind::Succeed(_) | Kind::Fail(_)
            )
        {
            return self.run_simple_jsonata(st, raw, entered_ms);
        }
        match &st.kind {
            Kind::Pass(p) => {
                let rec = self.recording();
                let (result, pending, seen) = {
                    let info = self.info(&st.name, entered_ms);
                    let ctx = self.ctx_fn(info);
                    let eff = read_input(&st.input_path, &raw, &ctx, &self.vars)?;
                    let seen = rec.then(|| eff.as_ref().clone());
                    let result = match (&p.result, &p.parameters) {
                        (Some(r), _) => r.clone(),
                        (None, t) => eval_template(t, eff, &ctx, &*self.opts.rng, &self.vars)?,
                    };
                    let env = self.jenv(&raw, None, None, &ctx);
                    let pending = self.eval_assign(&st.assign, &result, &env)?;
                    (result, pending, seen)
                };
                self.inspect_seen("afterInputPath", seen);
                if p.parameters.is_some() {
                    self.inspect_json("afterParameters", &result);
                }
                if p.result.is_some() {
                    self.inspect_json("result", &result);
                }
                let out = apply_result_path(&p.result_path, Cow::Owned(raw), result)?;
                self.inspect_json("afterResultPath", &out);
                let info = self.info(&st.name, entered_ms);
                let out = write_output(&st.output_path, out, &self.ctx_fn(info), &self.vars)?;
                check_size(&out, &st.name)?;
                self.apply_assign(pending)?;
                Ok((out, next_of(&p.transition)))
            }
            Kind::Choice(c) => {
                let info = self.info(&st.name, entered_ms);
                let ctx = self.ctx_fn(info);
                let eff = take_input(&st.input_path, raw, &ctx, &self.vars)?;
                let seen = self.recording().then(|| eff.clone());
                let mut taken = None;
                {
                    let scope = Scope::new(&eff, &ctx, &*self.opts.rng).with_vars(&self.vars);
                    for b in &c.choices {
                        if let crate::states::choice::Condition::Path(rule) = &b.condition {
                            if rule.eval(&scope)? {
                                taken = Some(b);
                                break;
                            }
                        }
                    }
                }
                let (next, assign) = match (taken, c.default) {
                    (Some(b), _) => (b.next, &b.assign),
                    (None, Some(d)) => (d, &st.assign),
                    (None, None) => {
                        return Err(StatesError::in_state(
                            names::NO_CHOICE_MATCHED,
                            "No Choice Rule matched and no Default was specified.".to_string(),
                        )
                        .into())
                    }
                };
                let pending = {
                    let env = self.jenv(&eff, None, None, &ctx);
                    self.eval_assign(assign, &eff, &env)?
                };
                let out = write_output(&st.output_path, eff, &ctx, &self.vars)?;
                drop(ctx);
                self.inspect_seen("afterInputPath", seen);
                self.apply_assign(pending)?;
                Ok((out, Some(next)))
            }
            Kind::Succeed(_) => {
                let info = self.info(&st.name, entered_ms);
                let ctx = self.ctx_fn(info);
                let eff = take_input(&st.input_path, raw, &ctx, &self.vars)?;
                Ok((write_output(&st.output_path, eff, &ctx, &self.vars)?, None))
            }
            Kind::Fail(f) => {
                let info = self.info(&st.name, entered_ms);
                let ctx = self.ctx_fn(info);
                let scope = Scope::new(&raw, &ctx, &*self.opts.rng).with_vars(&self.vars);
                let text = |t: &Option<Text>| -> Result<Option<String>, StatesError> {
                    match t {
                        None => Ok(None),
                        Some(Text::Literal(s)) => Ok(Some(s.clone())),
                        Some(Text::Path(p)) => match scope.select(p) {
                            Some(Selection::One(Value::String(s))) => Ok(Some(s.clone())),
                            Some(sel) => Ok(Some(value_text(&sel.to_value()))),
                            None => Err(StatesError::runtime(format!(
                                "Invalid path '{}' : No results for path: {}",
                                p.as_str(),
                                p.bracket_notation()
                            ))),
                        },
                        Some(Text::Intrinsic(c)) => c.eval(&scope).map(|v| Some(value_text(&v))),
                        Some(Text::Expr(_)) => Ok(None),
                    }
                };
                let error = text(&f.error)?;
                let cause = text(&f.cause)?;
                Err(StatesError::new(error.unwrap_or_default(), cause).into())
            }
            Kind::Wait(w) => {
                let info = self.info(&st.name, entered_ms);
                let ctx = self.ctx_fn(info);
                let eff = take_input(&st.input_path, raw, &ctx, &self.vars)?;
                let seen = self.recording().then(|| eff.clone());
                let now = self.opts.clock.now_ms();
                let until = match &w.wait {
                    WaitFor::Seconds(s) => now.saturating_add(*s as i64 * 1000),
                    WaitFor::Timestamp(t) => t.as_millis().max(now),
                    WaitFor::SecondsExpr(_) | WaitFor::TimestampExpr(_) => now,
                    WaitFor::SecondsPath(p) => {
                        let scope = Scope::new(&eff, &ctx, &*self.opts.rng).with_vars(&self.vars);
                        let v = match scope.select(p) {
                            Some(sel) => sel.to_value(),
                            _ => {
                                return Err(StatesError::runtime(format!(
                                "The SecondsPath parameter does not reference an input value: {}",
                                p.as_str()
                            ))
                                .into())
                            }
                        };
                        match &v {
                            Value::Number(n) if n.as_i64().is_some() => {
                                let s = n.as_i64().unwrap_or(0);
                                if s < 0 {
                                    return Err(StatesError::runtime(format!(
                                        "The SecondsPath parameter references a negative value: {} == {}",
                                        p.as_str(),
                                        s
                                    ))
                                    .into());
                                }
                                now.saturating_add(s.saturating_mul(1000))
                            }
                            other => {
                                return Err(StatesError::runtime(format!(
                                    "The SecondsPath parameter cannot be parsed as a long value: {} == {}",
                                    p.as_str(),
                                    value_text(other)
                                ))
                                .into())
                            }
                        }
                    }
                    WaitFor::TimestampPath(p) => {
                        let scope = Scope::new(&eff, &ctx, &*self.opts.rng).with_vars(&self.vars);
                        match scope.select(p) {
                            Some(Selection::One(v)) => {
                                match v.as_str().and_then(crate::clock::parse_timestamp) {
                                    Some(t) => t.as_millis().max(now),
                                    None => {
                                        return Err(StatesError::runtime(format!(
                                            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {}",
                                            p.as_str(),
                                            value_text(v)
                                        ))
                                        .into())
                                    }
                                }
                            }
                            _ => {
                                return Err(StatesError::runtime(format!(
                                "The TimestampPath parameter does not reference an input value: {}",
                                p.as_str()
                            ))
                                .into())
                            }
                        }
                    }
                };

                let pending = {
                    let env = self.jenv(&eff, None, None, &ctx);
                    self.eval_assign(&st.assign, &eff, &env)?
                };
                let out = write_output(&st.output_path, eff, &ctx, &self.vars)?;
                drop(ctx);
                self.inspect_seen("afterInputPath", seen);
                self.apply_assign(pending)?;
                self.opts.clock.set_ms(until);
                Ok((out, next_of(&w.transition)))
            }
            Kind::Task(t) => self.run_task(st, t, raw, eid, entered_ms, lane).await,
            Kind::Parallel(p) => self.run_parallel(st, p, raw, eid, entered_ms, lane).await,
            Kind::Map(m) => self.run_map(st, m, raw, eid, entered_ms, lane).await,
        }
    }

    /// Applies `Retry` then `Catch` to a failure: `Ok(Ok(delay_ms))` to retry after a delay,
    /// `Ok(Err((output, next)))` when a catcher takes over, `Err` when the failure stands.
    fn retry_or_catch(
        &mut self,
        retriers: &[Retrier],
        counts: &mut [u32],
        catchers: &[crate::catch::Catcher],
        err: StatesError,
        raw: &Value,
        (st, entered_ms): (&State, i64),
    ) -> Result<Result<i64, (Value, usize)>, Stop> {
        if let Some(stop) = self.probe_retry(retriers, counts, &err) {
            return Err(stop);
        }
        match retry::decide(retriers, counts, &err.error, &*self.opts.rng) {
            RetryDecision::RetryAfter(ms) => Ok(Ok(ms)),
            RetryDecision::GiveUp => match catch::find(catchers, &err.error) {
                Some(c) => {
                    if let Some(i) = catchers.iter().position(|x| std::ptr::eq(x, c)) {
                        self.probe_catch(i, &err);
                    }
                    let eo = error_output(&err);
                    let (out, pending) = {
                        let info = self.info(&st.name, entered_ms);
                        let ctx = self.ctx_fn(info);
                        let env = self.jenv(raw, None, Some(&eo), &ctx);
                        let pending = self.eval_assign(&c.assign, &eo, &env)?;
                        let out = if st.language == crate::states::QueryLanguage::Jsonata {
                            Self::jsonata_output(&c.output, &env, || eo.clone())?
                        } else {
                            apply_result_path(&c.result_path, Cow::Borrowed(raw), eo.clone())?
                        };
                        (out, pending)
                    };
                    self.apply_assign(pending)?;
                    Ok(Err((out, c.next)))
                }
                None => Err(Stop::Error(err)),
            },
        }
    }

    /// The output of a Task, Parallel or Map from its result: JSONPath `ResultSelector`,
    /// `ResultPath`, `OutputPath`, or JSONata `Output`; then `Assign`.
    fn finish_with_result(
        &mut self,
        st: &State,
        selector: &Option<Template>,
        result_path: &ResultPathSpec,
        raw: &Value,
        result: Value,
        entered_ms: i64,
    ) -> Result<Value, StatesError> {
        self.inspect_json("result", &result);
        let rec = self.recording();
        let mut seen = (None, None);
        let (out, pending) = {
            let info = self.info(&st.name, entered_ms);
            let ctx = self.ctx_fn(info);
            if st.language == crate::states::QueryLanguage::Jsonata {
                let env = self.jenv(raw, Some(&result), None, &ctx);
                let pending = self.eval_assign(&st.assign, &result, &env)?;
                let out = Self::jsonata_output(&st.output, &env, || result.clone())?;
                (out, pending)
            } else {
                let result = eval_template(
                    selector,
                    Cow::Owned(result),
                    &ctx,
                    &*self.opts.rng,
                    &self.vars,
                )?;
                let env = self.jenv(raw, None, None, &ctx);
                let pending = self.eval_assign(&st.assign, &result, &env)?;
                if rec {
                    seen.0 = Some(result.clone());
                }
                let out = apply_result_path(result_path, Cow::Borrowed(raw), result)?;
                if rec {
                    seen.1 = Some(out.clone());
                }
                (
                    write_output(&st.output_path, out, &ctx, &self.vars)?,
                    pending,
                )
            }
        };
        self.inspect_seen("afterResultSelector", seen.0);
        self.inspect_seen("afterResultPath", seen.1);
        check_size(&out, &st.name)?;
        self.apply_assign(pending)?;
        Ok(out)
    }

    async fn run_task(
        &mut self,
        st: &State,
        t: &Task,
        raw: Value,
        eid: u64,
        entered_ms: i64,
        lane: &mut Lane,
    ) -> Result<(Value, Option<usize>), Stop> {
        let mut counts = vec![self.first_retry_count(); t.retry.len()];
        let mut retry_count = self.first_retry_count();
        let is_lambda_arn = matches!(t.target, Resource::Lambda { .. });
        let resource_type = t.target.resource_type().to_string();
        let resource_name = t.target.resource_name();
        loop {
            let attempt: Result<Value, StatesError> = async {
                // The token exists before the parameters are evaluated: they pass it on as
                // `$$.Task.Token` (the callback pattern's whole point).
                let token = matches!(
                    t.target,
                    Resource::Service { pattern: crate::task::Pattern::WaitForTaskToken, .. }
                )
                .then(|| self.opts.rng.uuid_v4());
                let rec = self.recording();
                let (params, timeout, heartbeat, seen) = {
                    let mut info = self.info(&st.name, entered_ms);
                    info.retry_count = retry_count;
                    info.token = token.as_deref();
                    let ctx = self.ctx_fn(info);
                    if st.language == crate::states::QueryLanguage::Jsonata {
                        let env = self.jenv(&raw, None, None, &ctx);
                        let timeout = jsonata_run::dynamic_expr(&t.timeout, "TimeoutSeconds", &env)?;
                        let heartbeat = jsonata_run::dynamic_expr(&t.heartbeat, "HeartbeatSeconds", &env)?;
                        let params = match &t.arguments {
                            Some(a) => a.eval(&env, "Arguments")?,
                            None => raw.clone(),
                        };
                        (params, timeout, heartbeat, None)
                    } else {
                        let eff = read_input(&st.input_path, &raw, &ctx, &self.vars)?;
                        let seen = rec.then(|| eff.as_ref().clone());
                        let timeout = resolve_uint(&t.timeout, "TimeoutSeconds", &eff, &ctx, &self.vars)?;
                        let heartbeat = resolve_uint(&t.heartbeat, "HeartbeatSeconds", &eff, &ctx, &self.vars)?;
                        let params = eval_template(&t.parameters, eff, &ctx, &*self.opts.rng, &self.vars)?;
                        (params, timeout, heartbeat, seen)
                    }
                };
                if st.language == crate::states::QueryLanguage::Jsonata {
                    self.inspect_json("afterArguments", &params);
                } else {
                    self.inspect_seen("afterInputPath", seen);
                    self.inspect_json("afterParameters", &params);
                }
                let region = self.opts.region.clone();
                if is_lambda_arn {
                    self.emit(lane, EventType::LambdaFunctionScheduled, || Details::LambdaScheduled {
                        resource: t.resource.clone(),
                        input: json_text(&params),
                        timeout_seconds: timeout,
                    });
                    self.emit(lane, EventType::LambdaFunctionStarted, || Details::None);
                } else {
                    self.emit(lane, EventType::TaskScheduled, || Details::TaskScheduled {
                        resource_type: resource_type.clone(),
                        resource: resource_name.clone(),
                        region,
                        parameters: json_text(&params),
                        timeout_seconds: timeout,
                        heartbeat_seconds: heartbeat,
                    });
                    self.emit(lane, EventType::TaskStarted, || Details::TaskStarted {
                        resource_type: resource_type.clone(),
                        resource: resource_name.clone(),
                    });
                }
                let started = self.now();
                let req = TaskRequest {
                    state_name: &st.name,
                    resource: &t.resource,
                    target: &t.target,
                    input: params,
                    retry_count,
                    task_token: token,
                    clock: &*self.opts.clock,
                };
                let res = self.opts.handler.call(req).await;
                let elapsed = self.now() - started;
                let limit = |secs: Option<u64>| secs.map(|s| s as i64 * 1000);
                let outcome: Result<Value, StatesError> = if limit(timeout).is_some_and(|l| elapsed > l) {
                    self.opts.clock.set_ms(started + limit(timeout).unwrap_or(0));
                    Err(StatesError::new(names::TIMEOUT, None))
                } else if limit(heartbeat).is_some_and(|l| elapsed > l) {
                    self.opts.clock.set_ms(started + limit(heartbeat).unwrap_or(0));
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
                            self.emit(lane, EventType::LambdaFunctionSucceeded, || Details::LambdaSucceeded {
                                output: json_text(&v),
                            });
                        } else {
                            self.emit(lane, EventType::TaskSucceeded, || Details::TaskSucceeded {
                                resource_type: resource_type.clone(),
                                resource: resource_name.clone(),
                                output: json_text(&v),
                            });
                        }
                        self.finish_with_result(st, &t.result_selector, &t.result_path, &raw, v, entered_ms)
                    }
                    Err(e) => {
                        let (ty, details) = match (is_lambda_arn, e.error.as_str()) {
                            (true, names::TIMEOUT) => (EventType::LambdaFunctionTimedOut, None),
                            (true, _) => (EventType::LambdaFunctionFailed, None),
                            (false, names::TIMEOUT | names::HEARTBEAT_TIMEOUT) => (EventType::TaskTimedOut, Some(())),
                            (false, _) => (EventType::TaskFailed, Some(())),
                        };
                        let (er, ca) = (Some(e.error.clone()), e.cause.clone());
                        if details.is_some() {
                            self.emit(lane, ty, || Details::TaskFailed {
                                resource_type: resource_type.clone(),
                                resource: resource_name.clone(),
                                error: er,
                                cause: ca,
                            });
                        } else {
                            self.emit(lane, ty, || Details::LambdaFailed { error: er, cause: ca });
                        }
                        Err(e)
                    }
                }
            }
            .await;
            match attempt {
                Ok(out) => return Ok((out, next_of_t(&t.transition))),
                Err(e) => {
                    let e = e.resolve(&st.name, eid);
                    match self.retry_or_catch(
                        &t.retry,
                        &mut counts,
                        &t.catch,
                        e,
                        &raw,
                        (st, entered_ms),
                    )? {
                        Ok(delay) => {
                            self.opts.clock.advance_ms(delay);
                            retry_count += 1;
                        }
                        Err((out, next)) => return Ok((out, Some(next))),
                    }
                }
            }
        }
    }

    async fn run_parallel(
        &mut self,
        st: &State,
        p: &Parallel,
        raw: Value,
        eid: u64,
        entered_ms: i64,
        lane: &mut Lane,
    ) -> Result<(Value, Option<usize>), Stop> {
        let mut counts = vec![self.first_retry_count(); p.retry.len()];
        loop {
            let attempt: Result<Value, Stop> = async {
                let rec = self.recording();
                let (input, seen) = {
                    let info = self.info(&st.name, entered_ms);
                    let ctx = self.ctx_fn(info);
                    if st.language == crate::states::QueryLanguage::Jsonata {
                        let env = self.jenv(&raw, None, None, &ctx);
                        let input = match &p.arguments {
                            Some(a) => a.eval(&env, "Arguments")?,
                            None => raw.clone(),
                        };
                        (input, None)
                    } else {
                        let eff = read_input(&st.input_path, &raw, &ctx, &self.vars)?;
                        let seen = rec.then(|| eff.as_ref().clone());
                        (
                            eval_template(&p.parameters, eff, &ctx, &*self.opts.rng, &self.vars)?,
                            seen,
                        )
                    }
                };
                if st.language == crate::states::QueryLanguage::Jsonata {
                    self.inspect_json("afterArguments", &input);
                } else {
                    self.inspect_seen("afterInputPath", seen);
                    self.inspect_json("afterParameters", &input);
                }
                if let Some(mocked) = self.probe_mocked_block(None) {
                    let result = mocked?;
                    return Ok(self.finish_with_result(
                        st,
                        &p.result_selector,
                        &p.result_path,
                        &raw,
                        result,
                        entered_ms,
                    )?);
                }
                self.emit(lane, EventType::ParallelStateStarted, || Details::None);
                let t0 = self.now();
                let mut end = t0;
                let mut outputs = Vec::with_capacity(p.branches.len());
                let mut failure = None;
                for b in &p.branches {
                    self.opts.clock.set_ms(t0);
                    let mut bl = *lane;
                    let outer = std::mem::replace(&mut self.vars, Variables::new());
                    self.vars = outer.child();
                    let r = self.run_graph(b, input.clone(), &mut bl).await;
                    self.vars = outer;
                    end = end.max(self.now());
                    match r {
                        Ok(v) => outputs.push(v),
                        Err(e) => {
                            failure = Some(e);
                            break;
                        }
                    }
                }
                self.opts.clock.set_ms(end);
                if let Some(f) = failure {
                    if let Stop::Error(_) = f {
                        self.emit(lane, EventType::ParallelStateFailed, || Details::None);
                    }
                    return Err(f);
                }
                self.emit(lane, EventType::ParallelStateSucceeded, || Details::None);
                Ok(self.finish_with_result(
                    st,
                    &p.result_selector,
                    &p.result_path,
                    &raw,
                    Value::Array(outputs),
                    entered_ms,
                )?)
            }
            .await;
            match attempt {
                Ok(out) => return Ok((out, next_of_t(&p.transition))),
                Err(Stop::Error(e)) => {
                    let e = e.resolve(&st.name, eid);
                    match self.retry_or_catch(
                        &p.retry,
                        &mut counts,
                        &p.catch,
                        e,
                        &raw,
                        (st, entered_ms),
                    )? {
                        Ok(delay) => self.opts.clock.advance_ms(delay),
                        Err((out, next)) => return Ok((out, Some(next))),
                    }
                }
                Err(other) => return Err(other),
            }
        }
    }

    async fn run_map(
        &mut self,
        st: &State,
        m: &MapState,
        raw: Value,
        eid: u64,
        entered_ms: i64,
        lane: &mut Lane,
    ) -> Result<(Value, Option<usize>), Stop> {
        let mut counts = vec![self.first_retry_count(); m.retry.len()];
        loop {
            let attempt: Result<Value, Stop> =
                self.map_attempt(st, m, &raw, entered_ms, lane).await;
            match attempt {
                Ok(out) => return Ok((out, next_of_t(&m.transition))),
                Err(Stop::Error(e)) => {
                    let e = e.resolve(&st.name, eid);
                    match self.retry_or_catch(
                        &m.retry,
                        &mut counts,
                        &m.catch,
                        e,
                        &raw,
                        (st, entered_ms),
                    )? {
                        Ok(delay) => self.opts.clock.advance_ms(delay),
                        Err((out, next)) => return Ok((out, Some(next))),
                    }
                }
                Err(other) => return Err(other),
            }
        }
    }

    async fn map_attempt(
        &mut self,
        st: &State,
        m: &MapState,
        raw: &Value,
        entered_ms: i64,
        lane: &mut Lane,
    ) -> Result<Value, Stop> {
        // Resolve everything that can fail before starting. The items are borrowed from the
        // input: nothing large is copied.
        let eff = {
            let info = self.info(&st.name, entered_ms);
            let ctx = self.ctx_fn(info);
            read_input(&st.input_path, raw, &ctx, &self.vars)?
        };
        let jsonata = st.language == crate::states::QueryLanguage::Jsonata;
        if !jsonata && self.recording() {
            let seen = eff.as_ref().clone();
            self.inspect_json("afterInputPath", &seen);
        }
        let reader_items = self.probe.as_ref().and_then(|p| p.map_items.clone());
        let items_doc: Cow<'_, Value> = match (&m.items, &m.items_path) {
            // TestState's `mapItemReaderData`: what the ItemReader would have read.
            _ if reader_items.is_some() => Cow::Owned(reader_items.unwrap_or_default()),
            (Some(t), _) if jsonata => {
                let info = self.info(&st.name, entered_ms);
                let ctx = self.ctx_fn(info);
                let env = self.jenv(raw, None, None, &ctx);
                let v = t.eval(&env, "Items")?;
                if let (Some(e), false) = (t.as_expr(), v.is_array()) {
                    return Err(crate::jsonata::wrong_type(e.as_str(), "Items", "array", &v).into());
                }
                Cow::Owned(v)
            }
            (_, None) => Cow::Borrowed(&*eff),
            (_, Some(p)) => {
                let info = self.info(&st.name, entered_ms);
                let ctx = self.ctx_fn(info);
                select_required(p, &eff, &ctx, &self.vars)?
            }
        };
        let items: &[Value] = match items_doc.as_ref() {
            Value::Array(a) => a,
            other => {
                return Err(StatesError::in_state(
                    if jsonata {
                        names::QUERY_EVALUATION_ERROR
                    } else {
                        names::RUNTIME
                    },
                    format!(
                        "Map state input must be an array but was: {}",
                        json_text(other)
                    ),
                )
                .into())
            }
        };
        let (max_conc, tol_count, tol_pct) = {
            let info = self.info(&st.name, entered_ms);
            let ctx = self.ctx_fn(info);
            let env = self.jenv(raw, None, None, &ctx);
            let max_conc = if jsonata {
                jsonata_run::dynamic_expr(&m.max_concurrency, "MaxConcurrency", &env)?.unwrap_or(0)
            } else {
                resolve_uint(&m.max_concurrency, "MaxConcurrency", &eff, &ctx, &self.vars)?
                    .unwrap_or(0)
            };
            let tol_count = if jsonata {
                jsonata_run::dynamic_expr(
                    &m.tolerated_failure_count,
                    "ToleratedFailureCount",
                    &env,
                )?
            } else {
                resolve_uint(
                    &m.tolerated_failure_count,
                    "ToleratedFailureCount",
                    &eff,
                    &ctx,
                    &self.vars,
                )?
            };
            let tol_pct = match &m.tolerated_failure_percentage {
                None => None,
                Some(Dynamic::Literal(p)) => Some(*p),
                Some(Dynamic::Expr(e)) => {
                    let v = e.eval_required(&env, "ToleratedFailurePercentage")?;
                    match v.as_f64() {
                        Some(x) if (0.0..=100.0).contains(&x) => Some(x),
                        _ => {
                            return Err(crate::jsonata::wrong_type(
                                e.as_str(),
                                "ToleratedFailurePercentage",
                                "number",
                                &v,
                            )
                            .into())
                        }
                    }
                }
                Some(Dynamic::Path(p)) => {
                    let v = select_required(p, &eff, &ctx, &self.vars)?;
                    let num = match v.as_ref() {
                        Value::String(s) => s
                            .trim()
                            .parse::<f64>()
                            .ok()
                            .and_then(serde_json::Number::from_f64),
                        Value::Number(n) => Some(n.clone()),
                        _ => None,
                    };
                    match (num, v.as_ref()) {
                        (Some(n), _) => {
                            let x = n.as_f64().unwrap_or(f64::NAN);
                            if !(0.0..=100.0).contains(&x) {
                                return Err(StatesError::runtime(
                                    "ToleratedFailurePercentage must be between 0 and 100.",
                                )
                                .into());
                            }
                            Some(x)
                        }
                        (None, other) => {
                            return Err(StatesError::runtime(format!(
                                "The ToleratedFailurePercentagePath field refers to value \"{}\" which is not a valid float: {}",
                                value_text(other),
                                p.as_str()
                            ))
                            .into())
                        }
                    }
                }
            };
            (max_conc, tol_count, tol_pct)
        };
        let len = items.len();
        if self.recording() {
            let items_text = Value::Array(items.to_vec());
            self.inspect_json("afterItemsPath", &items_text);
            self.inspect("maxConcurrency", || max_conc.into());
            if let Some(c) = tol_count {
                self.inspect("toleratedFailureCount", || c.into());
            }
            if let Some(p) = tol_pct {
                self.inspect("toleratedFailurePercentage", || p.into());
            }
        }
        let tolerance_set = tol_count.is_some() || tol_pct.is_some();
        let exceeded = move |failures: usize| -> bool {
            if !tolerance_set {
                return failures > 0;
            }
            let by_count = tol_count.is_some_and(|c| failures as u64 > c);
            let by_pct =
                tol_pct.is_some_and(|p| len > 0 && (failures as f64 * 100.0 / len as f64) > p);
            by_count || by_pct
        };
        if let Some(mocked) = self.probe_mocked_block(Some((tolerance_set, &exceeded))) {
            let result = mocked?;
            return Ok(self.finish_with_result(
                st,
                &m.result_selector,
                &m.result_path,
                raw,
                result,
                entered_ms,
            )?);
        }
        let uses_context = m.distributed && graph_reads_context(&m.processor);
        self.emit(lane, EventType::MapStateStarted, || Details::MapStarted {
            length: len,
        });
        if m.distributed {
            let arn = format!(
                "{}/{}:{}",
                self.exec.sm_arn.replace(":stateMachine:", ":mapRun:"),
                m.label.as_deref().unwrap_or(&st.name),
                self.opts.rng.uuid_v4()
            );
            self.emit(lane, EventType::MapRunStarted, || Details::MapRunStarted {
                map_run_arn: arn,
            });
        }
        // Iterations run side by side in virtual time: at most `max_conc` lanes (0: one lane
        // per item); each iteration starts in the lane that frees up first.
        let lanes_n = if max_conc == 0 {
            len.max(1)
        } else {
            (max_conc as usize).min(len.max(1))
        };
        let t0 = self.now();
        let mut lanes: BinaryHeap<Reverse<(i64, usize)>> = (0..lanes_n.min(len.max(1)))
            .map(|i| Reverse((t0, i)))
            .collect();
        let mut end = t0;
        let mut outputs = Vec::with_capacity(len);
        let mut failures = 0usize;
        let mut first_error: Option<StatesError> = None;
        for (i, item) in items.iter().enumerate() {
            let input = match &m.item_selector {
                None if m.item_selector_jsonata.is_some() => {
                    let mut info = self.info(&st.name, entered_ms);
                    info.item = Some((i, item));
                    let ctx = self.ctx_fn(info);
                    let env = self.jenv(raw, None, None, &ctx);
                    match &m.item_selector_jsonata {
                        Some(t) => t.eval(&env, "ItemSelector")?,
                        None => item.clone(),
                    }
                }
                None => item.clone(),
                Some(t) => {
                    let mut info = self.info(&st.name, entered_ms);
                    info.item = Some((i, item));
                    let ctx = self.ctx_fn(info);
                    let scope = Scope::new(&eff, &ctx, &*self.opts.rng).with_vars(&self.vars);
                    t.eval(&scope)?
                }
            };
            let Reverse((start, li)) = lanes.pop().unwrap_or(Reverse((t0, 0)));
            self.opts.clock.set_ms(start);
            let r = if m.distributed {
                self.run_child(&m.processor, input, uses_context).await
            } else {
                let name = st.name.clone();
                self.emit(lane, EventType::MapIterationStarted, || {
                    Details::MapIteration {
                        name: name.clone(),
                        index: i,
                    }
                });
                let mut il = *lane;
                let outer = std::mem::replace(&mut self.vars, Variables::new());
                self.vars = outer.child();
                let r = self.run_graph(&m.processor, input, &mut il).await;
                self.vars = outer;
                let ty = if r.is_ok() {
                    EventType::MapIterationSucceeded
                } else {
                    EventType::MapIterationFailed
                };
                // AWS links the iteration's end, and the next iteration's start, to the last
                // event inside the iteration.
                lane.prev = il.prev;
                if matches!(r, Ok(_) | Err(Stop::Error(_))) {
                    self.emit(lane, ty, || Details::MapIteration { name, index: i });
                    lane.prev = il.prev;
                }
                r
            };
            let done = self.now();
            end = end.max(done);
            lanes.push(Reverse((done, li)));
            match r {
                Ok(v) => outputs.push(v),
                Err(Stop::Error(e)) => {
                    failures += 1;
                    outputs.push(error_output(&e));
                    if first_error.is_none() {
                        first_error = Some(e);
                    }
                    if exceeded(failures) {
                        break;
                    }
                }
                Err(other) => return Err(other),
            }
        }
        self.opts.clock.set_ms(end);
        if exceeded(failures) {
            let err = if !tolerance_set && !m.distributed {
                first_error.unwrap_or_else(|| StatesError::new(names::RUNTIME, None))
            } else {
                StatesError::new(
                    names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
                    Some("The specified tolerated failure threshold was exceeded".into()),
                )
            };
            if m.distributed {
                let (e, c) = (Some(err.error.clone()), err.cause.clone());
                self.emit(lane, EventType::MapRunFailed, || Details::MapRunFailed {
                    error: e,
                    cause: c,
                });
            }
            self.emit(lane, EventType::MapStateFailed, || Details::None);
            return Err(err.into());
        }
        if m.distributed {
            self.emit(lane, EventType::MapRunSucceeded, || Details::None);
        }
        self.emit(lane, EventType::MapStateSucceeded, || Details::None);
        Ok(self.finish_with_result(
            st,
            &m.result_selector,
            &m.result_path,
            raw,
            Value::Array(outputs),
            entered_ms,
        )?)
    }

    /// A distributed Map iteration: a child execution with its own history and context.
    async fn run_child(
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

fn next_of_t(t: &Transition) -> Option<usize> {
    match t {
        Transition::Next(n) => Some(*n),
        Transition::End => None,
    }
}

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
mod tests {
    use super::*;
    use crate::task::{TaskError, TaskRequest};
    use serde_json::json;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Mutex;

    fn machine(def: Value) -> StateMachine {
        StateMachine::from_value(&def).unwrap_or_else(|e| panic!("{e}"))
    }

    fn opts_with(handler: Arc<dyn TaskHandler>) -> ExecutionOptions {
        ExecutionOptions {
            handler,
            clock: Arc::new(VirtualClock::new(0)),
            ..ExecutionOptions::default()
        }
    }

    /// Fails `fails` times with `error`, then returns its input.
    struct Flaky {
        fails: u32,
        calls: AtomicU32,
        error: &'static str,
    }

    impl TaskHandler for Flaky {
        fn call<'a>(&'a self, r: TaskRequest<'a>) -> BoxFuture<'a, Result<Value, TaskError>> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            let out = if n < self.fails {
                Err(TaskError::new(self.error, "flaky"))
            } else {
                Ok(r.input)
            };
            Box::pin(std::future::ready(out))
        }
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

    /// Answers with the parameters it got and the token it was handed.
    struct EchoToken;

    impl TaskHandler for EchoToken {
        fn call<'a>(&'a self, r: TaskRequest<'a>) -> BoxFuture<'a, Result<Value, TaskError>> {
            let out = json!({"params": r.input, "token": r.task_token});
            Box::pin(std::future::ready(Ok(out)))
        }
    }

    #[test]
    fn a_callback_task_passes_its_own_token_in_the_context_object() {
        let sm = machine(
            json!({"StartAt": "Wait", "States": {"Wait": {"Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:putItem.waitForTaskToken",
            "Parameters": {"Item": {"task_token": {"S.$": "$$.Task.Token"}}}, "End": true}}}),
        );
        let r = sm.run_blocking(json!({}), &opts_with(Arc::new(EchoToken)));
        assert_eq!(r.status, Status::Succeeded, "{:?}", r.cause);
        let out = r.output.unwrap();
        let token = out["token"].as_str().expect("the handler gets a token");
        assert!(!token.is_empty());
        assert_eq!(out["params"]["Item"]["task_token"]["S"], token);
    }

    #[test]
    fn a_plain_task_has_no_token_in_the_context_object() {
        let sm = machine(json!({"StartAt": "Put", "States": {"Put": {"Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {"t.$": "$$.Task.Token"}, "End": true}}}));
        let r = sm.run_blocking(json!({}), &opts_with(Arc::new(EchoToken)));
        assert_eq!(r.status, Status::Failed);
        assert_eq!(r.error.as_deref(), Some("States.Runtime"));
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
    fn task_timeout_fails_a_task_that_takes_too_long_in_virtual_time() {
        let sm = machine(
            json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r",
            "TimeoutSeconds": 5, "End": true}}}),
        );
        let slow = |r: TaskRequest<'_>| -> Result<Value, TaskError> {
            r.clock.advance_ms(60_000);
            Ok(r.input)
        };
        let r = sm.run_blocking(json!({}), &opts_with(Arc::new(slow)));
        assert_eq!(r.status, Status::Failed);
        assert_eq!(r.error.as_deref(), Some("States.Timeout"));
        assert_eq!(r.end_ms - r.start_ms, 5000);
    }

    #[test]
    fn wait_advances_the_clock_without_sleeping() {
        let sm = machine(
            json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 604800, "End": true}}}),
        );
        let t = std::time::Instant::now();
        let r = sm.run_blocking(json!({}), &opts_with(Arc::new(Router::new())));
        assert_eq!(r.end_ms - r.start_ms, 604_800_000);
        assert!(t.elapsed().as_secs() < 1);
    }

    #[test]
    fn execution_timeout_ends_as_timed_out() {
        let sm = machine(json!({"TimeoutSeconds": 10, "StartAt": "W", "States": {
            "W": {"Type": "Wait", "Seconds": 60, "Next": "P"}, "P": {"Type": "Pass", "End": true}}}));
        let r = sm.run_blocking(json!({}), &opts_with(Arc::new(Router::new())));
        assert_eq!(r.status, Status::TimedOut);
    }

    #[test]
    fn map_tolerates_failures_up_to_the_count() {
        let def = |count: u64| {
            json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "ToleratedFailureCount": count,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "C", "States": {
                "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 0, "Next": "F"}], "Default": "S"},
                "F": {"Type": "Fail", "Error": "Zero"}, "S": {"Type": "Succeed"}}}}}})
        };
        let input = json!([0, 1, 0, 2]);
        let ok = machine(def(2)).run_blocking(input.clone(), &opts_with(Arc::new(Router::new())));
        assert_eq!(ok.status, Status::Succeeded);
        assert_eq!(
            ok.output,
            Some(json!([{"Error": "Zero"}, 1, {"Error": "Zero"}, 2]))
        );
        let bad = machine(def(1)).run_blocking(input, &opts_with(Arc::new(Router::new())));
        assert_eq!(
            bad.error.as_deref(),
            Some("States.ExceedToleratedFailureThreshold")
        );
        assert_eq!(
            bad.cause.as_deref(),
            Some("The specified tolerated failure threshold was exceeded")
        );
    }

    #[test]
    fn inline_map_fails_with_the_iteration_error() {
        let sm = machine(
            json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "ItemProcessor": {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}}}}}),
        );
        let r = sm.run_blocking(json!([1]), &opts_with(Arc::new(Router::new())));
        assert_eq!(
            (r.error.as_deref(), r.cause.as_deref()),
            (Some("E"), Some("C"))
        );
    }

    #[test]
    fn parallel_branches_run_side_by_side_in_virtual_time() {
        let sm = machine(
            json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 10, "End": true}}},
            {"StartAt": "B", "States": {"B": {"Type": "Wait", "Seconds": 30, "End": true}}}]}}}),
        );
        let r = sm.run_blocking(json!({"v": 1}), &opts_with(Arc::new(Router::new())));
        assert_eq!(r.output, Some(json!([{"v": 1}, {"v": 1}])));
        assert_eq!(r.end_ms - r.start_ms, 30_000);
    }

    #[test]
    fn map_max_concurrency_queues_iterations_in_lanes() {
        let sm = machine(
            json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "MaxConcurrency": 2,
            "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": true}}}}}}),
        );
        let r = sm.run_blocking(json!([1, 2, 3, 4, 5]), &opts_with(Arc::new(Router::new())));
        assert_eq!(r.end_ms - r.start_ms, 30_000);
    }

    #[test]
    fn history_is_shaped_like_get_execution_history() {
        let sm = machine(
            json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Next": "T"},
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}),
        );
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s2 = seen.clone();
        let mut opts = opts_with(Arc::new(|r: TaskRequest<'_>| -> Result<Value, TaskError> {
            Ok(r.input)
        }));
        opts.observer = Some(Arc::new(move |e: &HistoryEvent| {
            s2.lock().unwrap().push(e.event_type)
        }));
        let r = sm.run_blocking(json!({}), &opts);
        let types: Vec<&str> = r.history.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(
            types,
            [
                "ExecutionStarted",
                "PassStateEntered",
                "PassStateExited",
                "TaskStateEntered",
                "TaskScheduled",
                "TaskStarted",
                "TaskSucceeded",
                "TaskStateExited",
                "ExecutionSucceeded"
            ]
        );
        assert!(r
            .history
            .iter()
            .enumerate()
            .all(|(i, e)| e.id == i as u64 + 1));
        assert_eq!(seen.lock().unwrap().len(), 9);
        let j = r.history[4].to_json();
        assert_eq!(j["taskScheduledEventDetails"]["resourceType"], "lambda");
        assert_eq!(j["taskScheduledEventDetails"]["resource"], "invoke");
    }

    #[test]
    fn an_abort_flag_stops_the_execution_as_aborted() {
        let sm = machine(json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}));
        let mut opts = opts_with(Arc::new(Router::new()));
        opts.abort = Some(Arc::new(std::sync::atomic::AtomicBool::new(true)));
        let r = sm.run_blocking(json!({}), &opts);
        assert_eq!(r.status, Status::Aborted);
    }

    #[test]
    fn the_history_limit_fails_a_runaway_loop() {
        let sm = machine(json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Next": "C"},
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": true, "Next": "E"}], "Default": "A"},
            "E": {"Type": "Succeed"}}}));
        let mut opts = opts_with(Arc::new(Router::new()));
        opts.record_history = false;
        let r = sm.run_blocking(json!({}), &opts);
        assert_eq!(r.status, Status::Failed);
        assert!(r.event_count <= MAX_HISTORY_EVENTS && r.event_count > MAX_HISTORY_EVENTS - 4);
        assert!(r.cause.unwrap().contains("25000"));
    }

    #[test]
    fn errors_inside_a_state_name_the_state_and_its_entered_event() {
        let sm = machine(
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"},
            "B": {"Type": "Pass", "InputPath": "$.missing", "End": true}}}),
        );
        let r = sm.run_blocking(json!({}), &opts_with(Arc::new(Router::new())));
        assert_eq!(r.error.as_deref(), Some("States.Runtime"));
        assert_eq!(r.cause.as_deref(), Some("An error occurred while executing the state 'B' (entered at the event id #4). Invalid path '$.missing' : No results for path: $['missing']"));
    }

    #[test]
    fn result_path_into_a_scalar_is_a_result_path_match_failure() {
        let sm = machine(
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": 1, "ResultPath": "$.a.b", "End": true}}}),
        );
        let r = sm.run_blocking(json!({"a": "text"}), &opts_with(Arc::new(Router::new())));
        assert_eq!(r.error.as_deref(), Some("States.ResultPathMatchFailure"));
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
    fn large_task_results_exceed_the_data_limit() {
        let sm = machine(
            json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}),
        );
        let big = |_r: TaskRequest<'_>| -> Result<Value, TaskError> {
            Ok(Value::String("a".repeat(MAX_PAYLOAD_BYTES)))
        };
        let r = sm.run_blocking(json!({}), &opts_with(Arc::new(big)));
        assert_eq!(r.error.as_deref(), Some("States.DataLimitExceeded"));
    }
}

#[cfg(test)]
mod send_tests {
    use super::*;

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
