//! `Pass`: passes its input (or `Result`) to its output.

use super::State;
use super::{Reader, ResultPathSpec, Transition};
use crate::engine::data_flow::{
    apply_result_path, eval_template, jsonata_output, read_input, write_output,
};
use crate::engine::{check_size, Run, StateResult};
use crate::payload::Template;
use serde_json::Value;
use std::borrow::Cow;

/// A Pass state.
#[derive(Debug, Clone, PartialEq)]
pub struct Pass {
    /// `Parameters`.
    pub parameters: Option<Template>,
    /// `Result` (taken literally, `.$` keys included).
    pub result: Option<Value>,
    /// `ResultPath`.
    pub result_path: ResultPathSpec,
    /// `Next` / `End`.
    pub transition: Transition,
}

pub(crate) fn parse(r: &mut Reader<'_>) -> Pass {
    r.check_fields(&[
        "Assign",
        "Output",
        "Next",
        "End",
        "InputPath",
        "OutputPath",
        "Parameters",
        "ResultPath",
        "Result",
    ]);
    Pass {
        parameters: r.template("Parameters"),
        result: r.m.get("Result").cloned(),
        result_path: r.result_path("ResultPath"),
        transition: r.transition(),
    }
}

impl Pass {
    /// Runs the state (JSONPath): `InputPath`, `Parameters` or `Result`, `ResultPath`,
    /// `OutputPath`, then `Assign`.
    pub(crate) fn execute(
        &self,
        run: &mut Run<'_>,
        st: &State,
        raw: Value,
        entered_ms: i64,
    ) -> StateResult {
        let rec = run.recording();
        let (result, pending, seen) = {
            let ctx = run.context(&st.name, entered_ms).lazy();
            let eff = read_input(&st.input_path, &raw, &ctx, &run.vars)?;
            let seen = rec.then(|| eff.as_ref().clone());
            let result = match (&self.result, &self.parameters) {
                (Some(r), _) => r.clone(),
                (None, t) => eval_template(t, eff, &ctx, &*run.opts.rng, &run.vars)?,
            };
            let env = run.jenv(&raw, None, None, &ctx);
            let pending = run.eval_assign(&st.assign, &result, &env)?;
            (result, pending, seen)
        };
        run.inspect_seen("afterInputPath", seen);
        if self.parameters.is_some() {
            run.inspect_json("afterParameters", &result);
        }
        if self.result.is_some() {
            run.inspect_json("result", &result);
        }
        let out = apply_result_path(&self.result_path, Cow::Owned(raw), result)?;
        run.inspect_json("afterResultPath", &out);
        let ctx = run.context(&st.name, entered_ms).lazy();
        let out = write_output(&st.output_path, out, &ctx, &run.vars)?;
        drop(ctx);
        check_size(&out, &st.name)?;
        run.apply_assign(pending)?;
        Ok((out, self.transition.next()))
    }

    /// Runs the state (JSONata): `Output` (default: the input), then `Assign`.
    pub(crate) fn execute_jsonata(
        &self,
        run: &mut Run<'_>,
        st: &State,
        raw: Value,
        entered_ms: i64,
    ) -> StateResult {
        let (out, pending) = {
            let ctx = run.context(&st.name, entered_ms).lazy();
            let env = run.jenv(&raw, None, None, &ctx);
            let out = jsonata_output(&st.output, &env, || raw.clone())?;
            let pending = run.eval_assign(&st.assign, &raw, &env)?;
            (out, pending)
        };
        run.apply_assign(pending)?;
        check_size(&out, &st.name)?;
        Ok((out, self.transition.next()))
    }
}
