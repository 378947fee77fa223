//! Read-only views of the typed model for the tools that check and draw a definition
//! (`pipelines validate`, `pipelines graph`, the run report): where each state can go, the
//! state lists nested in it, its retriers and catchers, and the JSONPaths and JSONata
//! expressions it reads, each with the definition field it is written at. The engine's own
//! reachability check ([`crate::validate`]) reads transitions from here too, so a checker,
//! a drawing and the engine cannot disagree on where a state goes.

use crate::catch::Catcher;
use crate::choice::{Op, Operand, Rule};
use crate::engine::error_handling::ErrorHandling;
use crate::intrinsics::{Arg, Call};
use crate::path::{Path, Root};
use crate::payload::Template;
use crate::retry::Retrier;
use crate::states::choice::Condition;
use crate::states::fail::Text;
use crate::states::task::Task;
use crate::states::wait::WaitFor;
use crate::states::{Assign, Dynamic, Graph, Kind, PathSpec, State, Transition};
use serde_json::Value;

/// How a state leads to another one of its state list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// `Next`.
    Next,
    /// The Choice rule at this index of `Choices`.
    Choice(usize),
    /// A Choice state's `Default`.
    Default,
    /// The catcher at this index of `Catch`.
    Catch(usize),
}

/// One transition: how, and to which state (an index into the same [`Graph::states`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    /// The field that names the target.
    pub via: Via,
    /// Index of the target state.
    pub to: usize,
}

impl Kind {
    /// Every transition out of the state, in definition order: `Next`, the Choice rules then
    /// `Default`, then the catchers. Entering a nested state list is not a transition (see
    /// [`Kind::branches`]).
    pub fn transitions(&self) -> Vec<Edge> {
        let mut out = Vec::new();
        if let Some(Transition::Next(to)) = self.transition() {
            out.push(Edge { via: Via::Next, to });
        }
        if let Kind::Choice(c) = self {
            out.extend(c.choices.iter().enumerate().map(|(i, b)| Edge {
                via: Via::Choice(i),
                to: b.next,
            }));
            out.extend(c.default.map(|to| Edge {
                via: Via::Default,
                to,
            }));
        }
        out.extend(self.catchers().iter().enumerate().map(|(i, c)| Edge {
            via: Via::Catch(i),
            to: c.next,
        }));
        out
    }

    /// `Next` / `End` of the states that have one (all but Choice, Succeed and Fail).
    fn transition(&self) -> Option<Transition> {
        match self {
            Kind::Pass(p) => Some(p.transition),
            Kind::Task(t) => Some(t.transition),
            Kind::Wait(w) => Some(w.transition),
            Kind::Parallel(p) => Some(p.transition),
            Kind::Map(m) => Some(m.transition),
            Kind::Choice(_) | Kind::Succeed(_) | Kind::Fail(_) => None,
        }
    }

    /// Whether the state ends its state list: a Succeed or Fail state, or `End: true`.
    pub fn ends(&self) -> bool {
        matches!(self, Kind::Succeed(_) | Kind::Fail(_))
            || self.transition() == Some(Transition::End)
    }

    /// The state lists nested in the state: a Parallel's `Branches`, a Map's `ItemProcessor`.
    pub fn branches(&self) -> Vec<&Graph> {
        match self {
            Kind::Parallel(p) => p.branches.iter().collect(),
            Kind::Map(m) => vec![&m.processor],
            _ => Vec::new(),
        }
    }

    /// `Retry` (Task, Parallel and Map states; empty for the others).
    pub fn retriers(&self) -> &[Retrier] {
        self.error_handling().map_or(&[], |s| s.retriers())
    }

    /// `Catch` (Task, Parallel and Map states; empty for the others).
    pub fn catchers(&self) -> &[Catcher] {
        self.error_handling().map_or(&[], |s| s.catchers())
    }

    fn error_handling(&self) -> Option<&dyn ErrorHandling> {
        match self {
            Kind::Task(t) => Some(&**t),
            Kind::Parallel(p) => Some(&**p),
            Kind::Map(m) => Some(&**m),
            _ => None,
        }
    }
}

impl Graph {
    /// Calls `visit(state, list)` for every state, with the state list it belongs to, nested
    /// lists included: each nested list right after the state that holds it.
    pub fn walk<'a>(&'a self, visit: &mut dyn FnMut(&'a State, &'a Graph)) {
        for state in &self.states {
            visit(state, self);
            for branch in state.kind.branches() {
                branch.walk(visit);
            }
        }
    }
}

/// A JSONPath a state reads.
#[derive(Debug, Clone, PartialEq)]
pub struct PathRead<'a> {
    /// Where it is written, below the state: `InputPath`, `Parameters.model.$`,
    /// `Choices[0].And[1].Variable`.
    pub field: String,
    /// The path (`$...` or `$var...`; paths into the context object `$$` are left out).
    pub path: &'a Path,
    /// The comparison operator, when the path is a Choice rule's `Variable` or the operand of
    /// a `...Path` operator.
    pub op: Option<Op>,
}

impl State {
    /// Every JSONPath the state reads from its input (or, for `ResultSelector`, its result):
    /// `InputPath`, `OutputPath`, `ItemsPath`, `ErrorPath`, `CausePath`, `SecondsPath`,
    /// `TimestampPath`, the other `...Path` fields, the `.$` entries of `Parameters`,
    /// `ResultSelector` and `ItemSelector` (intrinsic functions' path arguments included),
    /// and the paths of the Choice rules. Not `Assign` nor the catchers'.
    pub fn json_paths(&self) -> Vec<PathRead<'_>> {
        let mut out = Vec::new();
        for (name, spec) in [
            ("InputPath", &self.input_path),
            ("OutputPath", &self.output_path),
        ] {
            if let PathSpec::Path(p) = spec {
                out.push(read(name, p));
            }
        }
        let field = read;
        match &self.kind {
            Kind::Pass(p) => template_paths(p.parameters.as_ref(), "Parameters", &mut out),
            Kind::Task(t) => {
                dynamic_path("TimeoutSeconds", t.timeout.as_ref(), &mut out);
                dynamic_path("HeartbeatSeconds", t.heartbeat.as_ref(), &mut out);
                template_paths(t.parameters.as_ref(), "Parameters", &mut out);
                template_paths(t.result_selector.as_ref(), "ResultSelector", &mut out);
            }
            Kind::Choice(c) => {
                for (i, branch) in c.choices.iter().enumerate() {
                    if let Condition::Path(rule) = &branch.condition {
                        rule_paths(rule, &format!("Choices[{i}]"), &mut out);
                    }
                }
            }
            Kind::Wait(w) => match &w.wait {
                WaitFor::SecondsPath(p) => out.push(field("SecondsPath", p)),
                WaitFor::TimestampPath(p) => out.push(field("TimestampPath", p)),
                _ => {}
            },
            Kind::Succeed(_) => {}
            Kind::Fail(f) => {
                for (name, text) in [("ErrorPath", &f.error), ("CausePath", &f.cause)] {
                    match text {
                        Some(Text::Path(p)) => out.push(field(name, p)),
                        Some(Text::Intrinsic(call)) => call_paths(call, name, &mut out),
                        _ => {}
                    }
                }
            }
            Kind::Parallel(p) => {
                template_paths(p.parameters.as_ref(), "Parameters", &mut out);
                template_paths(p.result_selector.as_ref(), "ResultSelector", &mut out);
            }
            Kind::Map(m) => {
                if let Some(p) = &m.items_path {
                    out.push(field("ItemsPath", p));
                }
                dynamic_path("MaxConcurrency", m.max_concurrency.as_ref(), &mut out);
                dynamic_path(
                    "ToleratedFailurePercentage",
                    m.tolerated_failure_percentage.as_ref(),
                    &mut out,
                );
                dynamic_path(
                    "ToleratedFailureCount",
                    m.tolerated_failure_count.as_ref(),
                    &mut out,
                );
                template_paths(m.result_selector.as_ref(), "ResultSelector", &mut out);
                template_paths(m.item_selector.as_ref(), "ItemSelector", &mut out);
            }
        }
        out.retain(|r| r.path.root() != Root::Context);
        out
    }

    /// Every JSONata expression of the state's `Arguments`, `Output`, `Assign`, `Items`,
    /// `ItemSelector` and Choice rules (`Condition`, `Assign`, `Output`), with the field it
    /// is written at (`Output.mape`, `Choices[0].Condition`).
    pub fn jsonata_expressions(&self) -> Vec<(String, &crate::jsonata::Expr)> {
        let mut out = Vec::new();
        match &self.kind {
            Kind::Task(t) => jsonata_fields(t.arguments.as_ref(), "Arguments", &mut out),
            Kind::Parallel(p) => jsonata_fields(p.arguments.as_ref(), "Arguments", &mut out),
            _ => {}
        }
        jsonata_fields(self.output.as_ref(), "Output", &mut out);
        jsonata_fields(jsonata_assign(self.assign.as_ref()), "Assign", &mut out);
        match &self.kind {
            Kind::Map(m) => {
                jsonata_fields(m.items.as_ref(), "Items", &mut out);
                jsonata_fields(m.item_selector_jsonata.as_ref(), "ItemSelector", &mut out);
            }
            Kind::Choice(c) => {
                for (i, branch) in c.choices.iter().enumerate() {
                    let at = format!("Choices[{i}]");
                    if let Condition::Jsonata(t) = &branch.condition {
                        jsonata_fields(Some(t), &format!("{at}.Condition"), &mut out);
                    }
                    jsonata_fields(
                        jsonata_assign(branch.assign.as_ref()),
                        &format!("{at}.Assign"),
                        &mut out,
                    );
                    jsonata_fields(branch.output.as_ref(), &format!("{at}.Output"), &mut out);
                }
            }
            _ => {}
        }
        out
    }
}

impl Task {
    /// The literal value of the top-level field `name` of `Parameters` (JSONPath) or
    /// `Arguments` (JSONata), e.g. a Lambda invoke's `FunctionName`; `None` when the field is
    /// absent or computed at run time (`FunctionName.$`, `{% ... %}`).
    pub fn literal_parameter(&self, name: &str) -> Option<&Value> {
        use crate::jsonata::Template as Jsonata;
        if let Some(parameters) = &self.parameters {
            return match parameters {
                Template::Literal(v) => v.get(name),
                Template::Object(entries) => entries.iter().find_map(|(k, t)| match t {
                    Template::Literal(v) if k == name => Some(v),
                    _ => None,
                }),
                _ => None,
            };
        }
        match self.arguments.as_ref()? {
            Jsonata::Literal(v) => v.get(name),
            Jsonata::Object(entries) => entries.iter().find_map(|(k, t)| match t {
                Jsonata::Literal(v) if k == name => Some(v),
                _ => None,
            }),
            _ => None,
        }
    }
}

/// The template of a JSONata `Assign`.
fn jsonata_assign(assign: Option<&Assign>) -> Option<&crate::jsonata::Template> {
    match assign {
        Some(Assign::Jsonata(t)) => Some(t),
        _ => None,
    }
}

/// A read of `path` at `field`, outside a Choice rule.
fn read<'a>(field: &str, path: &'a Path) -> PathRead<'a> {
    PathRead {
        field: field.to_string(),
        path,
        op: None,
    }
}

/// The path of a `Name` / `NamePath` pair given as `NamePath`.
fn dynamic_path<'a, T>(name: &str, value: Option<&'a Dynamic<T>>, out: &mut Vec<PathRead<'a>>) {
    if let Some(Dynamic::Path(p)) = value {
        out.push(PathRead {
            field: format!("{name}Path"),
            path: p,
            op: None,
        });
    }
}

/// The paths of a payload template's `.$` entries (`at.key.$`).
fn template_paths<'a>(template: Option<&'a Template>, at: &str, out: &mut Vec<PathRead<'a>>) {
    match template {
        Some(Template::Object(entries)) => {
            for (key, t) in entries {
                match t {
                    // Only `.$` keys hold paths and calls (the key is stored without `.$`).
                    Template::Path(p) => out.push(PathRead {
                        field: format!("{at}.{key}.$"),
                        path: p,
                        op: None,
                    }),
                    Template::Intrinsic(call) => call_paths(call, &format!("{at}.{key}.$"), out),
                    _ => template_paths(Some(t), &format!("{at}.{key}"), out),
                }
            }
        }
        Some(Template::Array(items)) => {
            for (i, t) in items.iter().enumerate() {
                template_paths(Some(t), &format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// The path arguments of an intrinsic function call, nested calls included.
fn call_paths<'a>(call: &'a Call, field: &str, out: &mut Vec<PathRead<'a>>) {
    for arg in &call.args {
        match arg {
            Arg::Path(p) => out.push(PathRead {
                field: field.to_string(),
                path: p,
                op: None,
            }),
            Arg::Call(inner) => call_paths(inner, field, out),
            Arg::Literal(_) => {}
        }
    }
}

/// The paths of a JSONPath Choice rule: each comparison's `Variable` and `...Path` operand.
fn rule_paths<'a>(rule: &'a Rule, at: &str, out: &mut Vec<PathRead<'a>>) {
    match rule {
        Rule::And(rules) | Rule::Or(rules) => {
            let key = if matches!(rule, Rule::And(_)) {
                "And"
            } else {
                "Or"
            };
            for (i, inner) in rules.iter().enumerate() {
                rule_paths(inner, &format!("{at}.{key}[{i}]"), out);
            }
        }
        Rule::Not(inner) => rule_paths(inner, &format!("{at}.Not"), out),
        Rule::Compare {
            variable,
            op,
            operand,
        } => {
            out.push(PathRead {
                field: format!("{at}.Variable"),
                path: variable,
                op: Some(*op),
            });
            if let Operand::Path(p) = operand {
                out.push(PathRead {
                    field: format!("{at}.{}Path", op.as_str()),
                    path: p,
                    op: Some(*op),
                });
            }
        }
    }
}

/// The expressions of a JSONata template, with their fields (`at.key`, `at[i]`).
fn jsonata_fields<'a>(
    template: Option<&'a crate::jsonata::Template>,
    at: &str,
    out: &mut Vec<(String, &'a crate::jsonata::Expr)>,
) {
    use crate::jsonata::Template as Jsonata;
    match template {
        Some(Jsonata::Expr(e)) => out.push((at.to_string(), e)),
        Some(Jsonata::Object(entries)) => {
            for (key, t) in entries {
                jsonata_fields(Some(t), &format!("{at}.{key}"), out);
            }
        }
        Some(Jsonata::Array(items)) => {
            for (i, t) in items.iter().enumerate() {
                jsonata_fields(Some(t), &format!("{at}[{i}]"), out);
            }
        }
        Some(Jsonata::Literal(_)) | None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StateMachine;
    use serde_json::json;

    fn machine(def: Value) -> StateMachine {
        StateMachine::from_value(&def).expect("a valid definition")
    }

    #[test]
    fn transitions_are_listed_with_the_field_that_names_them() {
        let sm = machine(json!({"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "C",
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}]},
            "C": {"Type": "Choice", "Choices": [
                {"Variable": "$.x", "BooleanEquals": true, "Next": "T"}], "Default": "F"},
            "F": {"Type": "Fail"}}}));
        let g = &sm.graph;
        let edges = |name: &str| g.get(name).unwrap().kind.transitions();
        assert_eq!(
            edges("T"),
            vec![
                Edge {
                    via: Via::Next,
                    to: 1
                },
                Edge {
                    via: Via::Catch(0),
                    to: 2
                }
            ]
        );
        assert_eq!(
            edges("C"),
            vec![
                Edge {
                    via: Via::Choice(0),
                    to: 0
                },
                Edge {
                    via: Via::Default,
                    to: 2
                }
            ]
        );
        assert!(edges("F").is_empty());
        assert!(g.get("F").unwrap().kind.ends() && !g.get("C").unwrap().kind.ends());
    }

    #[test]
    fn walk_visits_nested_states_right_after_their_holder() {
        let sm = machine(json!({"StartAt": "P", "States": {
            "P": {"Type": "Parallel", "Next": "M", "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}]},
            "M": {"Type": "Map", "End": true, "ItemProcessor": {
                "StartAt": "B", "States": {"B": {"Type": "Succeed"}}}}}}));
        let mut names = Vec::new();
        sm.graph
            .walk(&mut |s, list| names.push((s.name.to_string(), list.states.len())));
        assert_eq!(
            names,
            [("P", 2), ("A", 1), ("M", 2), ("B", 1)]
                .map(|(n, l)| (n.to_string(), l))
                .to_vec()
        );
    }

    #[test]
    fn json_paths_name_their_field_and_the_operator_that_reads_them() {
        let sm = machine(json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "InputPath": "$.in", "Choices": [
                {"Variable": "$.a", "Assign": {"seen": true}, "NumericLessThanPath": "$.b", "Next": "P"},
                {"And": [{"Variable": "$.e.Payload.mape", "NumericLessThan": 1},
                         {"Not": {"Variable": "$.b", "BooleanEquals": true}}], "Next": "P"},
                {"Not": {"Variable": "$$.Execution.Id", "IsPresent": true}, "Next": "P"}]},
            "P": {"Type": "Pass", "End": true, "Parameters": {
                "x.$": "States.Format('{} {}', States.ArrayGetItem($.list, 0), $.c)",
                "id.$": "States.Format('$.not {}', $$.Execution.Id)",
                "nested": {"y.$": "$.y"}, "z": "$.literal"}}}}));
        let got = |name: &str| -> Vec<(String, String, Option<Op>)> {
            sm.graph
                .get(name)
                .unwrap()
                .json_paths()
                .into_iter()
                .map(|r| (r.field, r.path.as_str().to_string(), r.op))
                .collect()
        };
        let s = |a: &str, b: &str, op| (a.to_string(), b.to_string(), op);
        assert_eq!(
            got("C"),
            vec![
                s("InputPath", "$.in", None),
                s("Choices[0].Variable", "$.a", Some(Op::NumericLessThan)),
                s(
                    "Choices[0].NumericLessThanPath",
                    "$.b",
                    Some(Op::NumericLessThan)
                ),
                s(
                    "Choices[1].And[0].Variable",
                    "$.e.Payload.mape",
                    Some(Op::NumericLessThan)
                ),
                s(
                    "Choices[1].And[1].Not.Variable",
                    "$.b",
                    Some(Op::BooleanEquals)
                ),
            ]
        );
        assert_eq!(
            got("P"),
            vec![
                s("Parameters.x.$", "$.list", None),
                s("Parameters.x.$", "$.c", None),
                s("Parameters.nested.y.$", "$.y", None)
            ]
        );
    }

    #[test]
    fn jsonata_expressions_and_literal_parameters_are_found() {
        let sm = machine(
            json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
                  "Arguments": {"FunctionName": "f", "Payload": {"a": "{% $states.input.a %}"}},
                  "Output": "{% $states.result.Payload %}"}}}),
        );
        let Kind::Task(t) = &sm.graph.states[0].kind else {
            panic!("a Task")
        };
        assert_eq!(t.literal_parameter("FunctionName"), Some(&json!("f")));
        let exprs: Vec<(String, &str)> = sm.graph.states[0]
            .jsonata_expressions()
            .into_iter()
            .map(|(f, e)| (f, e.as_str()))
            .collect();
        assert_eq!(
            exprs,
            vec![
                ("Arguments.Payload.a".to_string(), "$states.input.a"),
                ("Output".to_string(), "$states.result.Payload")
            ]
        );
        let dynamic = machine(
            json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
                  "Arguments": {"FunctionName": "{% $states.input.fn %}"}}}}),
        );
        let Kind::Task(t) = &dynamic.graph.states[0].kind else {
            panic!("a Task")
        };
        assert_eq!(t.literal_parameter("FunctionName"), None);
    }
}
