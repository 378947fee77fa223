//! `Map`: runs its item processor once per item of an array.

use super::{parse_graph, Dynamic, Graph, Reader, ResultPathSpec, Transition};
use super::{QueryLanguage, State};
use crate::catch::error_output;
use crate::catch::Catcher;
use crate::engine::data_flow::{dynamic_expr, read_input, resolve_uint, select_required};
use crate::engine::error_handling::Retryable;
use crate::engine::{value_text, Lane, Run, Stop};
use crate::error::{names, StatesError};
use crate::history::{Details, EventType};
use crate::intrinsics::json_text;
use crate::jsonata::wrong_type;
use crate::path::Path;
use crate::payload::Template;
use crate::retry::Retrier;
use crate::scope::Scope;
use serde_json::Value;
use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A Map state.
#[derive(Debug, Clone, PartialEq)]
pub struct Map {
    /// `ItemsPath` (`None`: `$`).
    pub items_path: Option<Path>,
    /// `ItemSelector`, or the legacy `Parameters`.
    pub item_selector: Option<Template>,
    /// `Items` (JSONata: an array or an expression).
    pub items: Option<crate::jsonata::Template>,
    /// `ItemSelector` of a JSONata Map.
    pub item_selector_jsonata: Option<crate::jsonata::Template>,
    /// `ItemProcessor`, or the legacy `Iterator`.
    pub processor: Graph,
    /// `ProcessorConfig.Mode` is `DISTRIBUTED`: each iteration is a child execution with its
    /// own history.
    pub distributed: bool,
    /// `MaxConcurrency` / `MaxConcurrencyPath` (0: no limit).
    pub max_concurrency: Option<Dynamic<u64>>,
    /// `ToleratedFailurePercentage` / `...Path`.
    pub tolerated_failure_percentage: Option<Dynamic<f64>>,
    /// `ToleratedFailureCount` / `...Path`.
    pub tolerated_failure_count: Option<Dynamic<u64>>,
    /// `Label`.
    pub label: Option<String>,
    /// `ResultSelector`.
    pub result_selector: Option<Template>,
    /// `ResultPath`.
    pub result_path: ResultPathSpec,
    /// `Retry`.
    pub retry: Vec<Retrier>,
    /// `Catch`.
    pub catch: Vec<Catcher>,
    /// `Next` / `End`.
    pub transition: Transition,
}

pub(crate) fn parse(r: &mut Reader<'_>) -> Option<Map> {
    r.check_fields(&[
        "Next",
        "End",
        "InputPath",
        "OutputPath",
        "ItemsPath",
        "ItemSelector",
        "Parameters",
        "ItemProcessor",
        "Iterator",
        "MaxConcurrency",
        "MaxConcurrencyPath",
        "ResultSelector",
        "ResultPath",
        "Retry",
        "Catch",
        "ToleratedFailurePercentage",
        "ToleratedFailurePercentagePath",
        "ToleratedFailureCount",
        "ToleratedFailureCountPath",
        "Label",
        "ItemReader",
        "ItemBatcher",
        "ResultWriter",
        "Items",
    ]);
    for k in ["ItemReader", "ItemBatcher", "ResultWriter"] {
        if r.has(k) {
            r.err(
                k,
                format!("{k} (distributed Map over external data) is not supported yet"),
            );
        }
    }
    let proc_key = match (r.has("ItemProcessor"), r.has("Iterator")) {
        (true, true) => {
            r.err("", "ItemProcessor and Iterator cannot both be present");
            return None;
        }
        (true, false) => "ItemProcessor",
        (false, true) => "Iterator",
        (false, false) => {
            r.err(
                "ItemProcessor",
                "a Map state needs an ItemProcessor (or Iterator)",
            );
            return None;
        }
    };
    if r.has("ItemSelector") && r.has("Parameters") {
        r.err("", "ItemSelector and Parameters cannot both be present");
    }
    let at = r.here(proc_key);
    let Some(Value::Object(pm)) = r.m.get(proc_key) else {
        r.err(proc_key, format!("{proc_key} must be an object"));
        return None;
    };
    let mut distributed = false;
    for (k, v) in pm {
        match k.as_str() {
            "StartAt" | "States" | "Comment" => {}
            "QueryLanguage" => r.errors.push(crate::error::DefinitionError::new(
                format!("{at}.QueryLanguage"),
                format!("The field 'QueryLanguage' is not supported in {proc_key}"),
            )),
            "ProcessorConfig" => match v.get("Mode").and_then(Value::as_str) {
                Some("DISTRIBUTED") => distributed = true,
                Some("INLINE") | None => {}
                Some(m) => r.errors.push(crate::error::DefinitionError::new(
                    format!("{at}.ProcessorConfig.Mode"),
                    format!("unknown processor mode '{m}'"),
                )),
            },
            other => r.errors.push(crate::error::DefinitionError::new(
                format!("{at}.{other}"),
                format!("the field '{other}' is not valid in {proc_key}"),
            )),
        }
    }
    let processor = parse_graph(pm, &at, r.errors, r.depth + 1, r.top);
    let jsonata = r.lang == super::QueryLanguage::Jsonata;
    let item_selector = if jsonata {
        None
    } else if r.has("ItemSelector") {
        r.template("ItemSelector")
    } else {
        r.template("Parameters")
    };
    let item_selector_jsonata = if jsonata {
        r.jsonata("ItemSelector")
    } else {
        None
    };
    let items = r.jsonata("Items");
    let items_path = match r.m.get("ItemsPath") {
        None => None,
        Some(_) => r.path("ItemsPath"),
    };
    let max_concurrency = r.dynamic_uint("MaxConcurrency", 0);
    let tolerated_failure_count = r.dynamic_uint("ToleratedFailureCount", 0);
    let tolerated_failure_percentage = match r.expr_field("ToleratedFailurePercentage") {
        Some(e) => Some(Dynamic::Expr(e)),
        None => match (
            r.has("ToleratedFailurePercentage"),
            r.has("ToleratedFailurePercentagePath"),
        ) {
            (true, true) => {
                r.err("", "ToleratedFailurePercentage and ToleratedFailurePercentagePath cannot both be present");
                None
            }
            (true, false) => match r.float("ToleratedFailurePercentage") {
                Some(p) if (0.0..=100.0).contains(&p) => Some(Dynamic::Literal(p)),
                Some(_) => {
                    r.err(
                        "ToleratedFailurePercentage",
                        "ToleratedFailurePercentage must be between 0 and 100",
                    );
                    None
                }
                None => None,
            },
            (false, true) => r.path("ToleratedFailurePercentagePath").map(Dynamic::Path),
            (false, false) => None,
        },
    };
    let label = r.string("Label");
    if let Some(l) = &label {
        if l.chars().count() > 40
            || l.chars()
                .any(|c| c.is_whitespace() || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c))
        {
            r.err(
                "Label",
                "Label must be at most 40 characters, without whitespace or special characters",
            );
        }
    }
    let m = Map {
        items_path,
        item_selector,
        items,
        item_selector_jsonata,
        processor: processor?,
        distributed,
        max_concurrency,
        tolerated_failure_percentage,
        tolerated_failure_count,
        label,
        result_selector: r.template("ResultSelector"),
        result_path: r.result_path("ResultPath"),
        retry: r.retry(),
        catch: r.catch(),
        transition: r.transition(),
    };
    Some(m)
}

/// `MaxConcurrency` and the tolerated failures of one Map attempt, resolved before its first
/// iteration.
struct Limits {
    /// `MaxConcurrency` (0: no limit).
    max_concurrency: u64,
    /// `ToleratedFailureCount`.
    count: Option<u64>,
    /// `ToleratedFailurePercentage`.
    percentage: Option<f64>,
}

impl Limits {
    /// Whether a tolerated failure threshold is set at all.
    fn tolerance_set(&self) -> bool {
        self.count.is_some() || self.percentage.is_some()
    }

    /// Whether `failures` of `len` iterations fail the Map: any failure without a threshold,
    /// else more than the count or the percentage allows.
    fn exceeded(&self, failures: usize, len: usize) -> bool {
        if !self.tolerance_set() {
            return failures > 0;
        }
        let by_count = self.count.is_some_and(|c| failures as u64 > c);
        let by_pct = self
            .percentage
            .is_some_and(|p| len > 0 && (failures as f64 * 100.0 / len as f64) > p);
        by_count || by_pct
    }
}

impl Map {
    /// The document holding the items: TestState's `mapItemReaderData`, JSONata `Items`, or
    /// `ItemsPath` (default `$`) of the effective input `eff`.
    fn items_doc<'a>(
        &self,
        run: &Run<'_>,
        st: &State,
        raw: &Value,
        eff: &'a Value,
        entered_ms: i64,
    ) -> Result<Cow<'a, Value>, StatesError> {
        let jsonata = st.language == QueryLanguage::Jsonata;
        let reader_items = run.probe.as_ref().and_then(|p| p.map_items.clone());
        Ok(match (&self.items, &self.items_path) {
            // TestState's `mapItemReaderData`: what the ItemReader would have read.
            _ if reader_items.is_some() => Cow::Owned(reader_items.unwrap_or_default()),
            (Some(t), _) if jsonata => {
                let ctx = run.context(&st.name, entered_ms).lazy();
                let env = run.jenv(raw, None, None, &ctx);
                let v = t.eval(&env, "Items")?;
                if let (Some(e), false) = (t.as_expr(), v.is_array()) {
                    return Err(wrong_type(e.as_str(), "Items", "array", &v));
                }
                Cow::Owned(v)
            }
            (_, None) => Cow::Borrowed(eff),
            (_, Some(p)) => {
                let ctx = run.context(&st.name, entered_ms).lazy();
                select_required(p, eff, &ctx, &run.vars)?
            }
        })
    }

    /// `MaxConcurrency`, `ToleratedFailureCount` and `ToleratedFailurePercentage` (or their
    /// `...Path` forms, read from `eff`; or their JSONata expressions).
    fn limits(
        &self,
        run: &Run<'_>,
        st: &State,
        raw: &Value,
        eff: &Value,
        entered_ms: i64,
    ) -> Result<Limits, StatesError> {
        let jsonata = st.language == QueryLanguage::Jsonata;
        let ctx = run.context(&st.name, entered_ms).lazy();
        let env = run.jenv(raw, None, None, &ctx);
        let max_concurrency = if jsonata {
            dynamic_expr(&self.max_concurrency, "MaxConcurrency", &env)?.unwrap_or(0)
        } else {
            resolve_uint(
                &self.max_concurrency,
                "MaxConcurrency",
                eff,
                &ctx,
                &run.vars,
            )?
            .unwrap_or(0)
        };
        let count = if jsonata {
            dynamic_expr(&self.tolerated_failure_count, "ToleratedFailureCount", &env)?
        } else {
            resolve_uint(
                &self.tolerated_failure_count,
                "ToleratedFailureCount",
                eff,
                &ctx,
                &run.vars,
            )?
        };
        let percentage = match &self.tolerated_failure_percentage {
            None => None,
            Some(Dynamic::Literal(p)) => Some(*p),
            Some(Dynamic::Expr(e)) => {
                let v = e.eval_required(&env, "ToleratedFailurePercentage")?;
                match v.as_f64() {
                    Some(x) if (0.0..=100.0).contains(&x) => Some(x),
                    _ => {
                        return Err(wrong_type(
                            e.as_str(),
                            "ToleratedFailurePercentage",
                            "number",
                            &v,
                        ))
                    }
                }
            }
            Some(Dynamic::Path(p)) => {
                let v = select_required(p, eff, &ctx, &run.vars)?;
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
                            ));
                        }
                        Some(x)
                    }
                    (None, other) => {
                        return Err(StatesError::runtime(format!(
                            "The ToleratedFailurePercentagePath field refers to value \"{}\" which is not a valid float: {}",
                            value_text(other),
                            p.as_str()
                        )))
                    }
                }
            }
        };
        Ok(Limits {
            max_concurrency,
            count,
            percentage,
        })
    }

    /// The input of iteration `i`: `ItemSelector` (JSONPath, over the effective input `eff`;
    /// or JSONata), else the item itself.
    fn item_input(
        &self,
        run: &Run<'_>,
        st: &State,
        raw: &Value,
        eff: &Value,
        entered_ms: i64,
        (i, item): (usize, &Value),
    ) -> Result<Value, StatesError> {
        match (&self.item_selector, &self.item_selector_jsonata) {
            (None, Some(t)) => {
                let mut info = run.context(&st.name, entered_ms);
                info.item = Some((i, item));
                let ctx = info.lazy();
                let env = run.jenv(raw, None, None, &ctx);
                t.eval(&env, "ItemSelector")
            }
            (None, None) => Ok(item.clone()),
            (Some(t), _) => {
                let mut info = run.context(&st.name, entered_ms);
                info.item = Some((i, item));
                let ctx = info.lazy();
                let scope = Scope::new(eff, &ctx, &*run.opts.rng).with_vars(&run.vars);
                t.eval(&scope)
            }
        }
    }

    /// Iteration `index` of an inline Map on the Map's `lane`, with its started and ended
    /// events.
    async fn inline_iteration(
        &self,
        run: &mut Run<'_>,
        st: &State,
        index: usize,
        input: Value,
        lane: &mut Lane,
    ) -> Result<Value, Stop> {
        let name = st.name.clone();
        run.emit(lane, EventType::MapIterationStarted, || {
            Details::MapIteration {
                name: name.clone(),
                index,
            }
        });
        let mut il = *lane;
        let r = run.run_nested(&self.processor, input, &mut il).await;
        let ty = if r.is_ok() {
            EventType::MapIterationSucceeded
        } else {
            EventType::MapIterationFailed
        };
        // AWS links the iteration's end, and the next iteration's start, to the last event
        // inside the iteration.
        lane.prev = il.prev;
        if matches!(r, Ok(_) | Err(Stop::Error(_))) {
            run.emit(lane, ty, || Details::MapIteration { name, index });
            lane.prev = il.prev;
        }
        r
    }
}

impl Retryable for Map {
    /// One attempt: `InputPath`, the items (`ItemsPath` or `Items`), `MaxConcurrency` and the
    /// tolerated failures, then one iteration per item (`ItemSelector` first) in at most
    /// `MaxConcurrency` lanes of virtual time, then the list of outputs' way to the output.
    /// A distributed Map runs each iteration as a child execution.
    async fn attempt(
        &self,
        run: &mut Run<'_>,
        st: &State,
        raw: &Value,
        entered_ms: i64,
        _retry_count: u32,
        lane: &mut Lane,
    ) -> Result<Value, Stop> {
        // Resolve everything that can fail before starting. The items are borrowed from the
        // input: nothing large is copied.
        let eff = {
            let ctx = run.context(&st.name, entered_ms).lazy();
            read_input(&st.input_path, raw, &ctx, &run.vars)?
        };
        let jsonata = st.language == QueryLanguage::Jsonata;
        if !jsonata && run.recording() {
            let seen = eff.as_ref().clone();
            run.inspect_json("afterInputPath", &seen);
        }
        let items_doc = self.items_doc(run, st, raw, &eff, entered_ms)?;
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
        let limits = self.limits(run, st, raw, &eff, entered_ms)?;
        let len = items.len();
        if run.recording() {
            let items_text = Value::Array(items.to_vec());
            run.inspect_json("afterItemsPath", &items_text);
            run.inspect("maxConcurrency", || limits.max_concurrency.into());
            if let Some(c) = limits.count {
                run.inspect("toleratedFailureCount", || c.into());
            }
            if let Some(p) = limits.percentage {
                run.inspect("toleratedFailurePercentage", || p.into());
            }
        }
        let tolerance_set = limits.tolerance_set();
        let exceeded = |failures: usize| limits.exceeded(failures, len);
        if let Some(mocked) = run.probe_mocked_block(Some((tolerance_set, &exceeded))) {
            let result = mocked?;
            return Ok(run.finish_with_result(
                st,
                &self.result_selector,
                &self.result_path,
                raw,
                result,
                entered_ms,
            )?);
        }
        let uses_context = self.distributed && self.processor.reads_context;
        run.emit(lane, EventType::MapStateStarted, || Details::MapStarted {
            length: len,
        });
        if self.distributed {
            let arn = format!(
                "{}/{}:{}",
                run.exec.sm_arn.replace(":stateMachine:", ":mapRun:"),
                self.label.as_deref().unwrap_or(&st.name),
                run.opts.rng.uuid_v4()
            );
            run.emit(lane, EventType::MapRunStarted, || Details::MapRunStarted {
                map_run_arn: arn,
            });
        }
        // Iterations run side by side in virtual time: at most `MaxConcurrency` lanes (0: one
        // lane per item); each iteration starts in the lane that frees up first.
        let lanes_n = if limits.max_concurrency == 0 {
            len.max(1)
        } else {
            (limits.max_concurrency as usize).min(len.max(1))
        };
        let t0 = run.now();
        let mut lanes: BinaryHeap<Reverse<(i64, usize)>> = (0..lanes_n.min(len.max(1)))
            .map(|i| Reverse((t0, i)))
            .collect();
        let mut end = t0;
        let mut outputs = Vec::with_capacity(len);
        let mut failures = 0usize;
        let mut first_error: Option<StatesError> = None;
        for (i, item) in items.iter().enumerate() {
            let input = self.item_input(run, st, raw, &eff, entered_ms, (i, item))?;
            let Reverse((start, li)) = lanes.pop().unwrap_or(Reverse((t0, 0)));
            run.opts.clock.set_ms(start);
            let r = if self.distributed {
                run.run_child(&self.processor, input, uses_context).await
            } else {
                self.inline_iteration(run, st, i, input, lane).await
            };
            let done = run.now();
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
        run.opts.clock.set_ms(end);
        if exceeded(failures) {
            let err = if !tolerance_set && !self.distributed {
                first_error.unwrap_or_else(|| StatesError::new(names::RUNTIME, None))
            } else {
                StatesError::new(
                    names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
                    Some("The specified tolerated failure threshold was exceeded".into()),
                )
            };
            if self.distributed {
                let (e, c) = (Some(err.error.clone()), err.cause.clone());
                run.emit(lane, EventType::MapRunFailed, || Details::MapRunFailed {
                    error: e,
                    cause: c,
                });
            }
            run.emit(lane, EventType::MapStateFailed, || Details::None);
            return Err(err.into());
        }
        if self.distributed {
            run.emit(lane, EventType::MapRunSucceeded, || Details::None);
        }
        run.emit(lane, EventType::MapStateSucceeded, || Details::None);
        Ok(run.finish_with_result(
            st,
            &self.result_selector,
            &self.result_path,
            raw,
            Value::Array(outputs),
            entered_ms,
        )?)
    }
}
