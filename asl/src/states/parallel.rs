//! `Parallel`: runs every branch on the same input; the output is the list of branch outputs.

use super::{parse_graph, Graph, Reader, ResultPathSpec, Transition};
use super::{QueryLanguage, State};
use crate::catch::Catcher;
use crate::engine::data_flow::{arguments, eval_template, read_input};
use crate::engine::error_handling::Retryable;
use crate::engine::{Lane, Run, Stop};
use crate::history::{Details, EventType};
use crate::payload::Template;
use crate::retry::Retrier;
use serde_json::Value;

/// A Parallel state.
#[derive(Debug, Clone, PartialEq)]
pub struct Parallel {
    /// `Branches`.
    pub branches: Vec<Graph>,
    /// `Parameters`.
    pub parameters: Option<Template>,
    /// `Arguments` (JSONata).
    pub arguments: Option<crate::jsonata::Template>,
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

pub(crate) fn parse(r: &mut Reader<'_>) -> Option<Parallel> {
    r.check_fields(&[
        "Next",
        "End",
        "InputPath",
        "OutputPath",
        "Parameters",
        "ResultSelector",
        "ResultPath",
        "Branches",
        "Retry",
        "Catch",
        "Arguments",
    ]);
    let mut branches = Vec::new();
    match r.m.get("Branches") {
        Some(Value::Array(items)) if !items.is_empty() => {
            for (i, b) in items.iter().enumerate() {
                let at = format!("{}.Branches[{i}]", r.at);
                match b {
                    Value::Object(m) => {
                        for k in m.keys() {
                            if !matches!(k.as_str(), "StartAt" | "States" | "Comment") {
                                r.errors.push(crate::error::DefinitionError::new(
                                    format!("{at}.{k}"),
                                    format!("the field '{k}' is not valid in a branch"),
                                ));
                            }
                        }
                        if let Some(g) = parse_graph(m, &at, r.errors, r.depth + 1, r.top) {
                            branches.push(g);
                        }
                    }
                    _ => r.errors.push(crate::error::DefinitionError::new(
                        at,
                        "a branch must be an object",
                    )),
                }
            }
        }
        _ => r.err(
            "Branches",
            "a Parallel state needs a non-empty Branches array",
        ),
    }
    let p = Parallel {
        branches,
        parameters: r.template("Parameters"),
        arguments: r.jsonata("Arguments"),
        result_selector: r.template("ResultSelector"),
        result_path: r.result_path("ResultPath"),
        retry: r.retry(),
        catch: r.catch(),
        transition: r.transition(),
    };
    Some(p)
}

impl Retryable for Parallel {
    /// One attempt: `InputPath` and `Parameters` (or `Arguments`), every branch on that input
    /// from the same virtual start (the state ends when the last branch does), then the list
    /// of branch outputs' way to the output. The first failing branch fails the state.
    async fn attempt(
        &self,
        run: &mut Run<'_>,
        st: &State,
        raw: &Value,
        entered_ms: i64,
        _retry_count: u32,
        lane: &mut Lane,
    ) -> Result<Value, Stop> {
        let rec = run.recording();
        let (input, seen) = {
            let ctx = run.context(&st.name, entered_ms).lazy();
            if st.language == QueryLanguage::Jsonata {
                let env = run.jenv(raw, None, None, &ctx);
                let input = arguments(&self.arguments, &env, raw)?;
                (input, None)
            } else {
                let eff = read_input(&st.input_path, raw, &ctx, &run.vars)?;
                let seen = rec.then(|| eff.as_ref().clone());
                (
                    eval_template(&self.parameters, eff, &ctx, &*run.opts.rng, &run.vars)?,
                    seen,
                )
            }
        };
        if st.language == QueryLanguage::Jsonata {
            run.inspect_json("afterArguments", &input);
        } else {
            run.inspect_seen("afterInputPath", seen);
            run.inspect_json("afterParameters", &input);
        }
        if let Some(mocked) = run.probe_mocked_block(None) {
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
        run.emit(lane, EventType::ParallelStateStarted, || Details::None);
        let t0 = run.now();
        let mut end = t0;
        let mut outputs = Vec::with_capacity(self.branches.len());
        let mut failure = None;
        for b in &self.branches {
            run.opts.clock.set_ms(t0);
            let mut bl = *lane;
            let r = run.run_nested(b, input.clone(), &mut bl).await;
            end = end.max(run.now());
            match r {
                Ok(v) => outputs.push(v),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        run.opts.clock.set_ms(end);
        if let Some(f) = failure {
            if let Stop::Error(_) = f {
                run.emit(lane, EventType::ParallelStateFailed, || Details::None);
            }
            return Err(f);
        }
        run.emit(lane, EventType::ParallelStateSucceeded, || Details::None);
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
