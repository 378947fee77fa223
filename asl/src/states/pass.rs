//! `Pass`: passes its input (or `Result`) to its output.

use super::{Reader, ResultPathSpec, Transition};
use crate::payload::Template;
use serde_json::Value;

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
