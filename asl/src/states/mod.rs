//! Typed states, parsed once from the definition. A module per state type holds its fields
//! and its parser; the engine (`crate::engine`) runs them.

pub mod choice;
pub mod fail;
pub mod map;
pub mod parallel;
pub mod pass;
pub mod succeed;
pub mod task;
pub mod wait;

use crate::catch::Catcher;
use crate::error::DefinitionError;
use crate::path::{Path, ReferencePath};
use crate::payload::Template;
use crate::retry::{Jitter, Retrier};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// `InputPath` / `OutputPath` / `ItemsPath`.
#[derive(Debug, Clone, PartialEq)]
pub enum PathSpec {
    /// Absent: `$`.
    Default,
    /// `null`: an empty object.
    Null,
    /// A path.
    Path(Path),
}

/// `ResultPath`.
#[derive(Debug, Clone, PartialEq)]
pub enum ResultPathSpec {
    /// Absent: `$` (the result replaces the input).
    Default,
    /// `null`: the result is discarded and the input passes through.
    Discard,
    /// A reference path in the input where the result goes.
    Path(ReferencePath),
}

/// Where a state goes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// `Next`: index of the next state in the same state list.
    Next(usize),
    /// `End: true`.
    End,
}

impl Transition {
    /// The index of the next state; `None` for `End`.
    pub fn next(self) -> Option<usize> {
        match self {
            Transition::Next(n) => Some(n),
            Transition::End => None,
        }
    }
}

/// A value given literally or read from a path at run time (`TimeoutSeconds` /
/// `TimeoutSecondsPath` and the like).
#[derive(Debug, Clone, PartialEq)]
pub enum Dynamic<T> {
    /// The literal value.
    Literal(T),
    /// The `...Path` form.
    Path(Path),
    /// A JSONata `{% ... %}` expression in place of the literal.
    Expr(crate::jsonata::Expr),
}

/// The query language of a state (`QueryLanguage`, inherited from the top level).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueryLanguage {
    /// `JSONPath` (the default).
    #[default]
    JsonPath,
    /// `JSONata`.
    Jsonata,
}

impl QueryLanguage {
    /// `JSONPath` or `JSONata`.
    pub fn as_str(self) -> &'static str {
        match self {
            QueryLanguage::JsonPath => "JSONPath",
            QueryLanguage::Jsonata => "JSONata",
        }
    }
}

/// An `Assign` field: variable name → value, in the state's query language.
#[derive(Debug, Clone, PartialEq)]
pub enum Assign {
    /// JSONPath: `"name.$": "$.path"` or an intrinsic; other values literal.
    Path(Template),
    /// JSONata: `{% ... %}` values.
    Jsonata(crate::jsonata::Template),
}

/// A state list with its start: the top level, a Parallel branch or a Map processor.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    /// Index of `StartAt`.
    pub start: usize,
    /// The states, in definition order.
    pub states: Vec<State>,
    /// Name → index.
    pub index: HashMap<String, usize>,
    /// Whether some path in these states (or nested ones) reads the context object `$$`.
    pub reads_context: bool,
}

impl Graph {
    /// The state called `name`.
    pub fn get(&self, name: &str) -> Option<&State> {
        self.index.get(name).map(|&i| &self.states[i])
    }
}

/// A state: name, shared input/output fields and its type-specific part.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// The state's name (shared, so that history events copy it cheaply).
    pub name: std::sync::Arc<str>,
    /// `Comment`.
    pub comment: Option<String>,
    /// `InputPath`.
    pub input_path: PathSpec,
    /// `OutputPath`.
    pub output_path: PathSpec,
    /// `QueryLanguage` (the state's own, or the machine's).
    pub language: QueryLanguage,
    /// `Assign`.
    pub assign: Option<Assign>,
    /// `Output` (JSONata).
    pub output: Option<crate::jsonata::Template>,
    /// The type-specific fields.
    pub kind: Kind,
}

/// The type-specific part of a state.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `Pass`.
    Pass(pass::Pass),
    /// `Task`.
    Task(Box<task::Task>),
    /// `Choice`.
    Choice(choice::Choice),
    /// `Wait`.
    Wait(wait::Wait),
    /// `Succeed`.
    Succeed(succeed::Succeed),
    /// `Fail`.
    Fail(fail::Fail),
    /// `Parallel`.
    Parallel(Box<parallel::Parallel>),
    /// `Map`.
    Map(Box<map::Map>),
}

impl Kind {
    /// The `Type` name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Kind::Pass(_) => "Pass",
            Kind::Task(_) => "Task",
            Kind::Choice(_) => "Choice",
            Kind::Wait(_) => "Wait",
            Kind::Succeed(_) => "Succeed",
            Kind::Fail(_) => "Fail",
            Kind::Parallel(_) => "Parallel",
            Kind::Map(_) => "Map",
        }
    }
}

/// Fields only JSONata states have.
const JSONATA_ONLY: &[&str] = &["Output", "Arguments", "Items"];
/// Fields only JSONPath states have.
const JSONPATH_ONLY: &[&str] = &[
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "ItemsPath",
    "Result",
    "SecondsPath",
    "TimestampPath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "ErrorPath",
    "CausePath",
    "MaxConcurrencyPath",
    "ToleratedFailurePercentagePath",
    "ToleratedFailureCountPath",
    "Iterator",
];

/// AWS's message for a field of the other query language.
pub(crate) fn wrong_language(lang: QueryLanguage, field: &str) -> String {
    let other = match lang {
        QueryLanguage::JsonPath => QueryLanguage::Jsonata,
        QueryLanguage::Jsonata => QueryLanguage::JsonPath,
    };
    format!(
        "The QueryLanguage is set to '{}', but field '{field}' is only supported for the '{}' QueryLanguage",
        lang.as_str(),
        other.as_str()
    )
}

/// Reads a state's fields, recording every problem with its JSON path.
pub(crate) struct Reader<'a> {
    pub m: &'a Map<String, Value>,
    pub at: String,
    pub errors: &'a mut Vec<DefinitionError>,
    pub names: &'a HashMap<String, usize>,
    pub depth: usize,
    /// The state's query language.
    pub lang: QueryLanguage,
    /// The machine's query language (what nested state lists inherit).
    pub top: QueryLanguage,
}

impl<'a> Reader<'a> {
    pub fn here(&self, k: &str) -> String {
        format!("{}.{}", self.at, k)
    }

    pub fn err(&mut self, k: &str, msg: impl Into<String>) {
        let p = if k.is_empty() {
            self.at.clone()
        } else {
            self.here(k)
        };
        self.errors.push(DefinitionError::new(p, msg));
    }

    pub fn has(&self, k: &str) -> bool {
        self.m.contains_key(k)
    }

    /// Reports fields not in `allowed`, and fields of the other query language with AWS's
    /// message. `Assign` (all but Succeed and Fail) and `Output` (all but Fail) are allowed
    /// here.
    pub fn check_fields(&mut self, allowed: &[&str]) {
        let keys: Vec<String> = self.m.keys().cloned().collect();
        let ty = self.m.get("Type").and_then(Value::as_str).unwrap_or("?");
        let assigns = !matches!(ty, "Succeed" | "Fail");
        let outputs = ty != "Fail";
        for k in keys {
            if k == "Type" || k == "Comment" || k == "QueryLanguage" {
                continue;
            }
            let known = allowed.contains(&k.as_str())
                || (k == "Assign" && assigns)
                || (k == "Output" && outputs);
            if known && self.lang == QueryLanguage::JsonPath && JSONATA_ONLY.contains(&k.as_str())
                || known
                    && self.lang == QueryLanguage::Jsonata
                    && JSONPATH_ONLY.contains(&k.as_str())
            {
                let msg = wrong_language(self.lang, &k);
                self.err(&k, msg);
            } else if known {
                continue;
            } else {
                let ty = self.m.get("Type").and_then(Value::as_str).unwrap_or("?");
                self.err(&k, format!("the field '{k}' is not valid in a {ty} state"));
            }
        }
    }

    pub fn string(&mut self, k: &str) -> Option<String> {
        match self.m.get(k) {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.err(k, format!("{k} must be a string"));
                None
            }
        }
    }

    pub fn uint(&mut self, k: &str, min: u64) -> Option<u64> {
        match self.m.get(k) {
            None => None,
            Some(Value::Number(n)) if n.as_u64().is_some_and(|v| v >= min) => n.as_u64(),
            Some(_) => {
                self.err(k, format!("{k} must be an integer of at least {min}"));
                None
            }
        }
    }

    pub fn float(&mut self, k: &str) -> Option<f64> {
        match self.m.get(k) {
            None => None,
            Some(Value::Number(n)) => n.as_f64(),
            Some(_) => {
                self.err(k, format!("{k} must be a number"));
                None
            }
        }
    }

    pub fn path(&mut self, k: &str) -> Option<Path> {
        let s = self.string(k)?;
        match Path::parse(&s) {
            Ok(p) => Some(p),
            Err(e) => {
                self.err(k, e.to_string());
                None
            }
        }
    }

    pub fn path_spec(&mut self, k: &str) -> PathSpec {
        match self.m.get(k) {
            None => PathSpec::Default,
            Some(Value::Null) => PathSpec::Null,
            Some(_) => self
                .path(k)
                .map(PathSpec::Path)
                .unwrap_or(PathSpec::Default),
        }
    }

    pub fn result_path(&mut self, k: &str) -> ResultPathSpec {
        match self.m.get(k) {
            None => ResultPathSpec::Default,
            Some(Value::Null) => ResultPathSpec::Discard,
            Some(Value::String(s)) => match ReferencePath::parse(s) {
                Ok(p) => ResultPathSpec::Path(p),
                Err(e) => {
                    self.err(k, e.to_string());
                    ResultPathSpec::Default
                }
            },
            Some(_) => {
                self.err(k, format!("{k} must be a string or null"));
                ResultPathSpec::Default
            }
        }
    }

    pub fn template(&mut self, k: &str) -> Option<Template> {
        let v = self.m.get(k)?;
        match Template::parse(v, &self.here(k)) {
            Ok(t) => Some(t),
            Err(e) => {
                self.errors.push(e);
                None
            }
        }
    }

    /// A JSONata template field (`Output`, `Arguments`, `Items`, ...).
    pub fn jsonata(&mut self, k: &str) -> Option<crate::jsonata::Template> {
        let v = self.m.get(k)?;
        match crate::jsonata::Template::parse(v, &self.here(k)) {
            Ok(t) => Some(t),
            Err((at, e)) => {
                self.errors.push(DefinitionError::new(at, e.to_string()));
                None
            }
        }
    }

    /// `Assign` in the state's language; variable names checked.
    pub fn assign(&mut self) -> Option<Assign> {
        let v = self.m.get("Assign")?;
        let at = self.here("Assign");
        parse_assign(v, &at, self.lang, self.errors)
    }

    /// The literal of a `{% ... %}` field of a JSONata state, or `None` (no expression).
    pub fn expr_field(&mut self, k: &str) -> Option<crate::jsonata::Expr> {
        if self.lang != QueryLanguage::Jsonata {
            return None;
        }
        let src = crate::jsonata::template_expression(self.m.get(k)?.as_str()?)?;
        match crate::jsonata::Expr::parse(src) {
            Ok(e) => Some(e),
            Err(e) => {
                self.err(k, e.to_string());
                None
            }
        }
    }

    pub fn target(&mut self, k: &str) -> Option<usize> {
        let name = self.string(k)?;
        match self.names.get(&name) {
            Some(&i) => Some(i),
            None => {
                self.err(k, format!("the state '{name}' does not exist"));
                None
            }
        }
    }

    /// `Next` / `End` of a state that needs exactly one of them.
    pub fn transition(&mut self) -> Transition {
        let end = match self.m.get("End") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.err("End", "End must be a boolean");
                false
            }
        };
        match (self.has("Next"), end) {
            (true, true) => {
                self.err("", "a state cannot have both Next and End: true");
                Transition::End
            }
            (true, false) => self
                .target("Next")
                .map(Transition::Next)
                .unwrap_or(Transition::End),
            (false, true) => Transition::End,
            (false, false) => {
                self.err("", "a state must have either Next or End: true");
                Transition::End
            }
        }
    }

    /// Parses a `Timeout`-like pair: `Name` (literal, ≥ min, or `{% %}` in JSONata) or
    /// `NamePath`.
    pub fn dynamic_uint(&mut self, k: &str, min: u64) -> Option<Dynamic<u64>> {
        if let Some(e) = self.expr_field(k) {
            return Some(Dynamic::Expr(e));
        }
        let pk = format!("{k}Path");
        match (self.has(k), self.has(&pk)) {
            (true, true) => {
                self.err("", format!("{k} and {pk} cannot both be present"));
                None
            }
            (true, false) => self.uint(k, min).map(Dynamic::Literal),
            (false, true) => self.path(&pk).map(Dynamic::Path),
            (false, false) => None,
        }
    }

    fn error_equals(&mut self, m: &Map<String, Value>, at: &str, is_last: bool) -> Vec<String> {
        let mut out = Vec::new();
        match m.get("ErrorEquals") {
            Some(Value::Array(a)) if !a.is_empty() => {
                for (i, v) in a.iter().enumerate() {
                    match v {
                        Value::String(s) => out.push(s.clone()),
                        _ => self.errors.push(DefinitionError::new(
                            format!("{at}.ErrorEquals[{i}]"),
                            "error names must be strings",
                        )),
                    }
                }
            }
            _ => self.errors.push(DefinitionError::new(
                format!("{at}.ErrorEquals"),
                "ErrorEquals must be a non-empty array of error names",
            )),
        }
        if out.iter().any(|e| e == crate::error::names::ALL) {
            if out.len() > 1 {
                self.errors.push(DefinitionError::new(
                    format!("{at}.ErrorEquals"),
                    "States.ALL must appear alone in ErrorEquals",
                ));
            }
            if !is_last {
                self.errors.push(DefinitionError::new(
                    format!("{at}.ErrorEquals"),
                    "a retrier or catcher with States.ALL must be the last one",
                ));
            }
        }
        out
    }

    /// The objects of the array field `field` (`Retry`, `Catch`), each with its definition
    /// path and whether it is the last; a non-array, or an item that is not an object (a
    /// `what`), is reported.
    fn handler_objects(
        &mut self,
        field: &str,
        what: &str,
    ) -> Vec<(String, &'a Map<String, Value>, bool)> {
        let m: &'a Map<String, Value> = self.m;
        let Some(v) = m.get(field) else {
            return Vec::new();
        };
        let at = self.here(field);
        let Value::Array(items) = v else {
            self.err(field, format!("{field} must be an array"));
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, it) in items.iter().enumerate() {
            let here = format!("{at}[{i}]");
            match it {
                Value::Object(o) => out.push((here, o, i + 1 == items.len())),
                _ => self.errors.push(DefinitionError::new(
                    here,
                    format!("a {what} must be an object"),
                )),
            }
        }
        out
    }

    pub fn retry(&mut self) -> Vec<Retrier> {
        let mut out = Vec::new();
        for (here, m, is_last) in self.handler_objects("Retry", "retrier") {
            let mut r = Retrier {
                error_equals: self.error_equals(m, &here, is_last),
                ..Retrier::default()
            };
            for (k, v) in m {
                let fp = format!("{here}.{k}");
                match k.as_str() {
                    "ErrorEquals" | "Comment" => {}
                    "IntervalSeconds" => match v.as_u64() {
                        Some(n) if n >= 1 => r.interval_seconds = n as f64,
                        _ => self.errors.push(DefinitionError::new(
                            fp,
                            "IntervalSeconds must be a positive integer",
                        )),
                    },
                    "MaxAttempts" => match v.as_u64() {
                        Some(n) if n <= 99_999_999 => r.max_attempts = n as u32,
                        _ => self.errors.push(DefinitionError::new(
                            fp,
                            "MaxAttempts must be a non-negative integer",
                        )),
                    },
                    "BackoffRate" => match v.as_f64() {
                        Some(x) if x >= 1.0 => r.backoff_rate = x,
                        _ => self.errors.push(DefinitionError::new(
                            fp,
                            "BackoffRate must be a number of at least 1.0",
                        )),
                    },
                    "MaxDelaySeconds" => match v.as_u64() {
                        Some(n) if n >= 1 => r.max_delay_seconds = Some(n as f64),
                        _ => self.errors.push(DefinitionError::new(
                            fp,
                            "MaxDelaySeconds must be a positive integer",
                        )),
                    },
                    "JitterStrategy" => match v.as_str() {
                        Some("FULL") => r.jitter = Jitter::Full,
                        Some("NONE") => r.jitter = Jitter::None,
                        _ => self.errors.push(DefinitionError::new(
                            fp,
                            "JitterStrategy must be FULL or NONE",
                        )),
                    },
                    other => self.errors.push(DefinitionError::new(
                        fp,
                        format!("the field '{other}' is not valid in a retrier"),
                    )),
                }
            }
            out.push(r);
        }
        out
    }

    pub fn catch(&mut self) -> Vec<Catcher> {
        let mut out = Vec::new();
        for (here, m, is_last) in self.handler_objects("Catch", "catcher") {
            let error_equals = self.error_equals(m, &here, is_last);
            let mut sub = Reader {
                m,
                at: here.clone(),
                errors: self.errors,
                names: self.names,
                depth: self.depth,
                lang: self.lang,
                top: self.top,
            };
            for k in m.keys() {
                if !matches!(
                    k.as_str(),
                    "ErrorEquals" | "Next" | "ResultPath" | "Comment" | "Assign" | "Output"
                ) {
                    sub.err(k, format!("the field '{k}' is not valid in a catcher"));
                } else if (k == "ResultPath" && sub.lang == QueryLanguage::Jsonata)
                    || (k == "Output" && sub.lang == QueryLanguage::JsonPath)
                {
                    let msg = wrong_language(sub.lang, k);
                    sub.err(k, msg);
                }
            }
            let assign = sub.assign();
            let output = sub.jsonata("Output");
            let result_path = sub.result_path("ResultPath");
            let next = if m.contains_key("Next") {
                sub.target("Next")
            } else {
                sub.err("Next", "a catcher must have a Next field");
                None
            };
            if let Some(next) = next {
                out.push(Catcher {
                    error_equals,
                    next,
                    result_path,
                    assign,
                    output,
                });
            }
        }
        out
    }
}

/// Parses a state list (`StartAt` + `States`) at `at`.
pub(crate) fn parse_graph(
    m: &Map<String, Value>,
    at: &str,
    errors: &mut Vec<DefinitionError>,
    depth: usize,
    top: QueryLanguage,
) -> Option<Graph> {
    if depth > 32 {
        errors.push(DefinitionError::new(at, "states nested too deeply"));
        return None;
    }
    let Some(Value::Object(states)) = m.get("States") else {
        errors.push(DefinitionError::new(
            format!("{at}.States"),
            "States must be an object of states",
        ));
        return None;
    };
    if states.is_empty() {
        errors.push(DefinitionError::new(
            format!("{at}.States"),
            "States must not be empty",
        ));
        return None;
    }
    let names: HashMap<String, usize> = states
        .keys()
        .enumerate()
        .map(|(i, k)| (k.clone(), i))
        .collect();
    let start = match m.get("StartAt") {
        Some(Value::String(s)) => match names.get(s) {
            Some(&i) => Some(i),
            None => {
                errors.push(DefinitionError::new(
                    format!("{at}.StartAt"),
                    format!("StartAt names the state '{s}', which does not exist"),
                ));
                None
            }
        },
        _ => {
            errors.push(DefinitionError::new(
                format!("{at}.StartAt"),
                "StartAt must be the name of a state",
            ));
            None
        }
    };
    let before = errors.len();
    let mut parsed = Vec::with_capacity(states.len());
    for (name, v) in states {
        let here = if name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            format!("{at}.States.{name}")
        } else {
            format!("{at}.States['{name}']")
        };
        if name.is_empty() || name.chars().count() > 80 {
            errors.push(DefinitionError::new(
                here.clone(),
                "state names must be 1 to 80 characters long",
            ));
        }
        let Value::Object(sm) = v else {
            errors.push(DefinitionError::new(here, "a state must be an object"));
            continue;
        };
        if let Some(s) = parse_state(name, sm, &here, errors, &names, depth, top) {
            parsed.push(s);
        }
    }
    let start = start?;
    if errors.len() > before || parsed.len() != states.len() {
        return None;
    }
    let mut graph = Graph {
        start,
        states: parsed,
        index: names,
        reads_context: false,
    };
    // Paths print their root in Debug output: a conservative, parse-time check.
    let debug = format!("{:?}", graph.states);
    graph.reads_context = debug.contains("root: Context") || debug.contains("$states.context");
    crate::validate::check_graph(&graph, at, errors);
    Some(graph)
}

fn parse_state(
    name: &str,
    m: &Map<String, Value>,
    at: &str,
    errors: &mut Vec<DefinitionError>,
    names: &HashMap<String, usize>,
    depth: usize,
    top: QueryLanguage,
) -> Option<State> {
    let lang = match m.get("QueryLanguage") {
        None => top,
        Some(Value::String(s)) if s == "JSONata" => QueryLanguage::Jsonata,
        Some(Value::String(s)) if s == "JSONPath" => {
            if top == QueryLanguage::Jsonata {
                errors.push(DefinitionError::new(
                    format!("{at}.QueryLanguage"),
                    "A state cannot set its QueryLanguage to 'JSONPath' when the state machine's QueryLanguage is 'JSONata'",
                ));
            }
            QueryLanguage::JsonPath
        }
        Some(_) => {
            errors.push(DefinitionError::new(
                format!("{at}.QueryLanguage"),
                "QueryLanguage must be JSONPath or JSONata",
            ));
            top
        }
    };
    let mut r = Reader {
        m,
        at: at.to_string(),
        errors,
        names,
        depth,
        lang,
        top,
    };
    let comment = r.string("Comment");
    let ty = match m.get("Type") {
        Some(Value::String(t)) => t.clone(),
        _ => {
            r.err("Type", "every state needs a Type");
            return None;
        }
    };
    let input_path = r.path_spec("InputPath");
    let output_path = r.path_spec("OutputPath");
    let assign = r.assign();
    let output = if lang == QueryLanguage::Jsonata {
        r.jsonata("Output")
    } else {
        None
    };
    let kind = match ty.as_str() {
        "Pass" => Kind::Pass(pass::parse(&mut r)),
        "Task" => Kind::Task(Box::new(task::parse(&mut r)?)),
        "Choice" => Kind::Choice(choice::parse(&mut r)),
        "Wait" => Kind::Wait(wait::parse(&mut r)?),
        "Succeed" => Kind::Succeed(succeed::parse(&mut r)),
        "Fail" => Kind::Fail(fail::parse(&mut r)),
        "Parallel" => Kind::Parallel(Box::new(parallel::parse(&mut r)?)),
        "Map" => Kind::Map(Box::new(map::parse(&mut r)?)),
        other => {
            r.err("Type", format!("unknown state type '{other}'"));
            return None;
        }
    };
    Some(State {
        name: std::sync::Arc::from(name),
        comment,
        input_path,
        output_path,
        language: lang,
        assign,
        output,
        kind,
    })
}

/// Parses an `Assign` object at `at` in language `lang`.
pub(crate) fn parse_assign(
    v: &Value,
    at: &str,
    lang: QueryLanguage,
    errors: &mut Vec<DefinitionError>,
) -> Option<Assign> {
    let Value::Object(m) = v else {
        errors.push(DefinitionError::new(at, "Assign must be an object"));
        return None;
    };
    for k in m.keys() {
        let name = match lang {
            QueryLanguage::JsonPath => k.strip_suffix(".$").unwrap_or(k),
            QueryLanguage::Jsonata => k.as_str(),
        };
        if let Err(e) = crate::variables::check_name(name) {
            errors.push(DefinitionError::new(format!("{at}.{k}"), e));
        }
    }
    match lang {
        QueryLanguage::JsonPath => match Template::parse(v, at) {
            Ok(t) => Some(Assign::Path(t)),
            Err(e) => {
                errors.push(e);
                None
            }
        },
        QueryLanguage::Jsonata => match crate::jsonata::Template::parse(v, at) {
            Ok(t) => Some(Assign::Jsonata(t)),
            Err((p, e)) => {
                errors.push(DefinitionError::new(p, e.to_string()));
                None
            }
        },
    }
}
