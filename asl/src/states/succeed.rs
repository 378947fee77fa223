//! `Succeed`: ends the execution (or branch) successfully.

use super::Reader;
use super::State;
use crate::engine::data_flow::{jsonata_output, take_input, write_output};
use crate::engine::{check_size, Run, StateResult};
use serde_json::Value;

/// A Succeed state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Succeed;

pub(crate) fn parse(r: &mut Reader<'_>) -> Succeed {
    r.check_fields(&["InputPath", "OutputPath"]);
    Succeed
}

impl Succeed {
    /// Runs the state (JSONPath): `InputPath` then `OutputPath`.
    pub(crate) fn execute(
        &self,
        run: &mut Run<'_>,
        st: &State,
        raw: Value,
        entered_ms: i64,
    ) -> StateResult {
        let ctx = run.context(&st.name, entered_ms).lazy();
        let eff = take_input(&st.input_path, raw, &ctx, &run.vars)?;
        Ok((write_output(&st.output_path, eff, &ctx, &run.vars)?, None))
    }

    /// Runs the state (JSONata): `Output` (default: the input).
    pub(crate) fn execute_jsonata(
        &self,
        run: &mut Run<'_>,
        st: &State,
        raw: Value,
        entered_ms: i64,
    ) -> StateResult {
        let out = {
            let ctx = run.context(&st.name, entered_ms).lazy();
            let env = run.jenv(&raw, None, None, &ctx);
            jsonata_output(&st.output, &env, || raw.clone())?
        };
        check_size(&out, &st.name)?;
        Ok((out, None))
    }
}
