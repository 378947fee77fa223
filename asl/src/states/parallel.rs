//! `Parallel`: runs every branch on the same input; the output is the list of branch outputs.

use super::{parse_graph, Graph, Reader, ResultPathSpec, Transition};
use crate::catch::Catcher;
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
