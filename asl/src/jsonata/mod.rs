//! JSONata as AWS Step Functions runs it: the language of jsonata-js 2.0.6 (evaluated by
//! `jlens-core`), `$states` and the workflow variables bound, AWS's added functions
//! (`$partition`, `$range`, `$hash`, `$random(seed)`, `$uuid`, `$parse`), `$eval` disabled,
//! and every evaluation bounded in depth and time.
//!
//! - [`Expr`]: one compiled `{% ... %}` expression, checked as AWS checks definitions
//!   (`INVALID_JSONATA_EXPRESSION`, `UNSUPPORTED_JSONATA_EXPRESSION`).
//! - [`Template`]: a JSON value whose `{% ... %}` strings are expressions (`Arguments`,
//!   `Output`, `Assign`, `Items`, `ItemSelector`, ...).
//! - [`Env`]: what an evaluation sees (`$states`, variables, clock, randomness).

mod direct;
mod functions;
mod template;

pub use functions::{aws_functions, java_random_double};
pub use template::Template;

use crate::clock::Rng;
use crate::error::{names, StatesError};
use crate::variables::Variables;
use jlens_core::reads::Read;
use serde_json::{Map, Value};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Deepest evaluation (nested calls and constructors) one expression may reach.
pub const MAX_DEPTH: usize = 2_000;
/// Longest (wall-clock) one expression may run.
pub const MAX_TIME: Duration = Duration::from_secs(5);
/// Longest string, in bytes of UTF-8, an evaluation may build (`U1001` past it): 16 MiB, 64
/// times Step Functions' 256 KiB limit on a state's input, output and variables, so no string
/// that could reach a result is refused. jlens' own default (256 MiB) let a date picture's
/// width modifier (`$fromMillis(0, '[F$n,18Nn,180121661o]')`) build a 180 MB string, 1.6 GB
/// and 12 s, inside one call the time limit does not interrupt (found by the `jsonata_expr`
/// fuzz target).
pub const MAX_STRING_LENGTH: usize = 16 << 20;

/// Why an expression was refused when the definition was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExprError {
    /// The text does not parse as JSONata (AWS: `INVALID_JSONATA_EXPRESSION`).
    Invalid(String),
    /// It begins with a bare field name instead of `$states` or a variable
    /// (AWS: `UNSUPPORTED_JSONATA_EXPRESSION`).
    Unsupported(String),
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExprError::Invalid(m) => write!(f, "INVALID_JSONATA_EXPRESSION: {m}"),
            ExprError::Unsupported(m) => write!(f, "UNSUPPORTED_JSONATA_EXPRESSION: {m}"),
        }
    }
}

/// A compiled JSONata expression (the text between `{%` and `%}`, trimmed).
#[derive(Clone)]
pub struct Expr {
    src: Arc<str>,
    compiled: jlens_core::Expression,
    /// What it reads, found once when it is compiled.
    reads: Arc<ExprReads>,
    /// Its form for direct evaluation, when it is in that subset.
    direct: Option<Arc<direct::Direct>>,
}

/// What an expression reads of `$states` and of the workflow variables, from jlens' analysis
/// of the fields an expression reads (an upper bound: evaluated on values cut by it, the
/// expression gives the same result). Only that is copied into each evaluation's bindings.
#[derive(Debug)]
struct ExprReads {
    /// What it reads of `$states`; `None` when it does not read `$states`.
    states: Option<Read>,
    /// The variables it may read (bound only when they exist).
    vars: Vec<String>,
    /// It may read any binding (only `$eval` does, and it is disabled): bind every variable.
    every_binding: bool,
    /// It calls `$random` or `$uuid`, which draw from the execution's random source.
    random: bool,
    /// It may call one of AWS's added functions or `$eval` (the names of
    /// [`functions::aws_functions`]): otherwise its bindings skip them, which saves a copy
    /// and a lookup per variable on every evaluation.
    aws_functions: bool,
}

impl ExprReads {
    fn of(compiled: &jlens_core::Expression, src: &str) -> ExprReads {
        let reads = compiled.reads_with(&functions::base_bindings());
        ExprReads {
            states: reads.binding("states").cloned(),
            vars: reads
                .bindings()
                .keys()
                .filter(|n| n.as_str() != "states")
                .cloned()
                .collect(),
            every_binding: reads.every_binding(),
            random: src.contains("$random") || src.contains("$uuid"),
            aws_functions: functions::aws_functions()
                .functions()
                .any(|(name, _)| src.contains(&format!("${name}"))),
        }
    }
}

impl fmt::Debug for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Expr({:?})", self.src)
    }
}

impl PartialEq for Expr {
    fn eq(&self, other: &Expr) -> bool {
        self.src == other.src
    }
}

/// If `s` is a JSONata template string (`{% expr %}`, nothing before or after), its
/// expression text, trimmed.
pub fn template_expression(s: &str) -> Option<&str> {
    s.strip_prefix("{%")?.strip_suffix("%}").map(str::trim)
}

impl Expr {
    /// Compiles `src`, refusing what AWS refuses when it validates a definition.
    pub fn parse(src: &str) -> Result<Expr, ExprError> {
        let compiled = jlens_core::Expression::compile(src)
            .map_err(|e| ExprError::Invalid(format!("'{src}': {} ({})", e.message(), e.code())))?;
        if starts_with_bare_name(&compiled.ast().root) {
            return Err(ExprError::Unsupported(format!(
                "'{src}' begins with a field name; begin with $states or a variable"
            )));
        }
        let reads = ExprReads::of(&compiled, src);
        let direct = if reads.every_binding || reads.random || reads.aws_functions {
            None
        } else {
            direct::Direct::compile(&compiled.ast().root, &reads.vars).map(Arc::new)
        };
        Ok(Expr {
            reads: Arc::new(reads),
            src: Arc::from(src),
            compiled,
            direct,
        })
    }

    /// The expression's text.
    pub fn as_str(&self) -> &str {
        &self.src
    }

    /// Evaluates the expression; `Ok(None)` when it yields nothing (undefined). `field` names
    /// the definition field for the cause text (`Output/result`).
    pub fn eval(
        &self,
        env: &Env<'_>,
        field: impl fmt::Display,
    ) -> Result<Option<Value>, StatesError> {
        if let Some(v) = self.direct.as_ref().and_then(|d| d.eval(env)) {
            return Ok(v);
        }
        self.eval_jlens(env, field)
    }

    /// Evaluates the expression with jlens (every expression, every case).
    fn eval_jlens(
        &self,
        env: &Env<'_>,
        field: impl fmt::Display,
    ) -> Result<Option<Value>, StatesError> {
        let reads = &*self.reads;
        let mut bindings = if reads.aws_functions {
            functions::base_bindings()
        } else {
            jlens_core::Bindings::new()
        };
        if let Some(r) = &reads.states {
            bindings = bindings.var("states", env.states_value(r));
        }
        if reads.every_binding {
            for (n, v) in env.vars.visible() {
                bindings = bindings.var(n, v.clone());
            }
        } else {
            for n in &reads.vars {
                if let Some(v) = env.vars.get(n) {
                    bindings = bindings.var(n.as_str(), v.clone());
                }
            }
        }
        if reads.random {
            bindings = functions::seeded(bindings, env.rng.next_u64());
        }
        let options = jlens_core::Options::new()
            .max_depth(MAX_DEPTH)
            .timeout(MAX_TIME)
            .max_string_length(MAX_STRING_LENGTH)
            .now(env.now_ms)
            .seed(env.rng.next_u64());
        self.compiled
            .evaluate_with(None, &bindings, &options)
            .map_err(|e| {
                StatesError::in_state(
                    names::QUERY_EVALUATION_ERROR,
                    format!(
                        "The JSONata expression '{}' specified for the field '{field}' threw an error during evaluation: {} ({})",
                        self.src,
                        e.message(),
                        e.code()
                    ),
                )
            })
    }

    /// Evaluates the expression and requires a value (AWS fails the state when there is
    /// none).
    pub fn eval_required(
        &self,
        env: &Env<'_>,
        field: impl fmt::Display,
    ) -> Result<Value, StatesError> {
        self.eval(env, &field)?.ok_or_else(|| {
            StatesError::in_state(
                names::QUERY_EVALUATION_ERROR,
                format!(
                    "The JSONata expression '{}' specified for the field '{field}' returned nothing (undefined).",
                    self.src
                ),
            )
        })
    }
}

impl Expr {
    /// The field paths the expression reads from `$states` or a workflow variable, as
    /// `$name.a.b` in the order written: each path that begins with a variable, up to its
    /// last field name before a step that is not a field name (a filtered step such as
    /// `items[0]` still names `items`, then ends the path); a bare `$name` is the path
    /// `$name`. Functions called (`$exists(...)`) and text inside string literals are not
    /// reads. For static checks (`pipelines validate`).
    pub fn field_paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        collect_field_paths(&self.compiled.ast().root, &mut out);
        out
    }

    /// When the whole expression is one field path (`$states.result.Payload.rows`), the path.
    pub fn as_field_path(&self) -> Option<String> {
        let root = &self.compiled.ast().root;
        let path = field_path(root)?;
        let whole = match &root.kind {
            jlens_core::NodeKind::Path { steps, .. } => steps
                .iter()
                .all(|s| s.attrs.stages.is_empty() && s.attrs.predicate.is_empty()),
            _ => root.attrs.predicate.is_empty(),
        };
        whole.then_some(path)
    }
}

/// `$name.a.b` of a path node that begins with a variable (or of a bare variable).
fn field_path(node: &jlens_core::Node) -> Option<String> {
    use jlens_core::NodeKind;
    let steps: &[jlens_core::Node] = match &node.kind {
        NodeKind::Path { steps, .. } => steps,
        NodeKind::Variable { .. } => std::slice::from_ref(node),
        _ => return None,
    };
    let NodeKind::Variable { name } = &steps.first()?.kind else {
        return None;
    };
    if name.is_empty() || name == "$" {
        return None;
    }
    let mut out = format!("${name}");
    if !steps[0].attrs.stages.is_empty() || !steps[0].attrs.predicate.is_empty() {
        return Some(out);
    }
    for s in &steps[1..] {
        let NodeKind::Name { name } = &s.kind else {
            break;
        };
        out.push('.');
        out.push_str(name);
        if !s.attrs.stages.is_empty() || !s.attrs.predicate.is_empty() {
            break;
        }
    }
    Some(out)
}

fn collect_field_paths(node: &jlens_core::Node, out: &mut Vec<String>) {
    use jlens_core::NodeKind;
    match &node.kind {
        NodeKind::Path { .. } | NodeKind::Variable { .. } if field_path(node).is_some() => {
            out.extend(field_path(node));
            // Filters and later steps may read other paths.
            match &node.kind {
                NodeKind::Path { steps, .. } => {
                    for s in steps {
                        s.for_each_child(|c| collect_field_paths(c, out));
                    }
                }
                _ => node.for_each_child(|c| collect_field_paths(c, out)),
            }
        }
        NodeKind::Function { procedure, args } | NodeKind::Partial { procedure, args }
            if matches!(procedure.kind, NodeKind::Variable { .. }) =>
        {
            procedure.for_each_child(|c| collect_field_paths(c, out));
            for a in args {
                collect_field_paths(a, out);
            }
        }
        _ => node.for_each_child(|c| collect_field_paths(c, out)),
    }
}

/// A JSONata error of a plain evaluation: its code (`T0410`, `D3141`, ...) and message.
#[derive(Debug, Clone, PartialEq)]
pub struct LanguageError {
    /// The JSONata error code.
    pub code: String,
    /// The message (for `$error`/`$assert`, the user's text).
    pub message: String,
}

/// Evaluates `src` as plain JSONata, without AWS's definition checks or `$states`, but with
/// AWS's functions and `$eval` disabled: for the jsonata-js language suite and benchmarks.
/// `depth` and `time` replace [`MAX_DEPTH`] and [`MAX_TIME`].
pub fn evaluate_language(
    src: &str,
    input: Option<&Value>,
    bindings: &Map<String, Value>,
    depth: Option<usize>,
    time: Option<Duration>,
) -> Result<Option<Value>, LanguageError> {
    let error = |e: jlens_core::Error| LanguageError {
        code: e.code().to_string(),
        // `$error` and `$assert` carry the user's text as their value.
        message: match e.code() {
            "D3137" | "D3141" => e
                .value()
                .and_then(Value::as_str)
                .map_or_else(|| e.message(), str::to_string),
            _ => e.message(),
        },
    };
    let compiled = jlens_core::Expression::compile(src).map_err(error)?;
    let mut b = functions::base_bindings();
    for (k, v) in bindings {
        b = b.var(k.clone(), v.clone());
    }
    let options = jlens_core::Options::new()
        .max_depth(depth.unwrap_or(MAX_DEPTH))
        .timeout(time.unwrap_or(MAX_TIME))
        .max_string_length(MAX_STRING_LENGTH);
    compiled.evaluate_with(input, &b, &options).map_err(error)
}

fn starts_with_bare_name(node: &jlens_core::Node) -> bool {
    use jlens_core::NodeKind;
    match &node.kind {
        NodeKind::Name { .. } => true,
        NodeKind::Path { steps, .. } => steps.first().is_some_and(starts_with_bare_name),
        _ => false,
    }
}

/// The JSON type name AWS uses in its cause texts.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The cause AWS gives when an expression yields a value of the wrong type.
pub fn wrong_type(expr: &str, field: &str, expected: &str, got: &Value) -> StatesError {
    StatesError::in_state(
        names::QUERY_EVALUATION_ERROR,
        format!(
            "The JSONata expression '{expr}' specified for the field '{field}' returned an unexpected result type. Expected '{expected}', but was '{}' for value: {}",
            type_name(got),
            crate::intrinsics::json_text(got)
        ),
    )
}

/// What a JSONata evaluation sees.
pub struct Env<'a> {
    /// `$states.input`: the state's input.
    pub input: &'a Value,
    /// `$states.result`, where the state has one.
    pub result: Option<&'a Value>,
    /// `$states.errorOutput`, in a catcher.
    pub error_output: Option<&'a Value>,
    /// Builds `$states.context` when an expression reads `$states`.
    pub context: &'a dyn Fn() -> Value,
    /// The workflow variables.
    pub vars: &'a Variables,
    /// Virtual time for `$now()` / `$millis()` (epoch ms).
    pub now_ms: i64,
    /// Randomness for `$random()` / `$uuid()` / `$shuffle()`.
    pub rng: &'a dyn Rng,
}

impl Env<'_> {
    /// `$states`, with only what `read` needs of it (the context object is built only when
    /// it is read).
    fn states_value(&self, read: &Read) -> Value {
        let part = |name: &str| match read {
            Read::Whole => Some(&Read::Whole),
            Read::Fields(f) => f.get(name),
        };
        let mut m = Map::new();
        if let Some(r) = part("input") {
            m.insert("input".into(), r.cut(self.input));
        }
        if let (Some(r), Some(v)) = (part("result"), self.result) {
            m.insert("result".into(), r.cut(v));
        }
        if let (Some(r), Some(v)) = (part("errorOutput"), self.error_output) {
            m.insert("errorOutput".into(), r.cut(v));
        }
        if let Some(r) = part("context") {
            m.insert("context".into(), r.cut(&(self.context)()));
        }
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SeededRng;
    use crate::scope::no_context;
    use serde_json::json;

    fn run(src: &str, input: Value, vars: &Variables) -> Result<Option<Value>, StatesError> {
        let rng = SeededRng::new(1);
        let env = Env {
            input: &input,
            result: None,
            error_output: None,
            context: &no_context,
            vars,
            now_ms: 0,
            rng: &rng,
        };
        Expr::parse(src).unwrap().eval(&env, "Output")
    }

    #[test]
    fn states_input_and_variables_are_bound() {
        let mut vars = Variables::new();
        let mut m = Map::new();
        m.insert("n".into(), json!(2));
        vars.assign(m).unwrap();
        assert_eq!(
            run("$states.input.a + $n", json!({"a": 40}), &vars).unwrap(),
            Some(json!(42))
        );
    }

    #[test]
    fn a_string_past_the_size_limit_is_a_query_evaluation_error() {
        // A width modifier asking for 180 M characters: refused before it is built.
        let vars = Variables::new();
        let e = run("$fromMillis(0, '[F$n,18Nn,180121661o]')", json!({}), &vars).unwrap_err();
        assert_eq!(e.error, names::QUERY_EVALUATION_ERROR);
        let cause = e.cause.unwrap_or_default();
        assert!(cause.contains("16777216"), "{cause}");
        let at_limit = format!("$length($pad('', {}))", 1 << 20);
        assert_eq!(
            run(&at_limit, json!({}), &vars).unwrap(),
            Some(json!(1 << 20))
        );
    }

    #[test]
    fn field_paths_are_the_variable_paths_read() {
        let e = Expr::parse(
            r#"$exists($i) ? $states.result.Payload.rows.total + $n : $count($states.input.items[0].x) & "$fake.path""#,
        )
        .unwrap();
        assert_eq!(
            e.field_paths(),
            [
                "$i",
                "$states.result.Payload.rows.total",
                "$n",
                "$states.input.items"
            ]
        );
        assert_eq!(
            Expr::parse("$states.result.Payload.a")
                .unwrap()
                .as_field_path(),
            Some("$states.result.Payload.a".to_string())
        );
        assert_eq!(
            Expr::parse("$states.result.Payload.a[0]")
                .unwrap()
                .as_field_path(),
            None
        );
        assert_eq!(
            Expr::parse("$states.result.Payload.a + 1")
                .unwrap()
                .as_field_path(),
            None
        );
    }

    #[test]
    fn unparsable_and_bare_name_expressions_are_refused() {
        assert!(matches!(
            Expr::parse("$states.input.["),
            Err(ExprError::Invalid(_))
        ));
        assert!(matches!(
            Expr::parse("states.input"),
            Err(ExprError::Unsupported(_))
        ));
        assert!(Expr::parse("$states.input").is_ok());
        assert!(Expr::parse("1 + 2").is_ok());
    }

    #[test]
    fn unbounded_recursion_fails_instead_of_hanging() {
        let e = run(
            "($f := function(){$f()}; $f())",
            json!({}),
            &Variables::new(),
        )
        .unwrap_err();
        assert_eq!(e.error, "States.QueryEvaluationError");
    }

    #[test]
    fn eval_is_disabled() {
        let e = run("$eval('1 + 1')", json!({}), &Variables::new()).unwrap_err();
        assert_eq!(e.error, "States.QueryEvaluationError");
    }

    #[test]
    fn nothing_is_a_query_evaluation_error_naming_the_field() {
        let rng = SeededRng::new(1);
        let vars = Variables::new();
        let input = json!({});
        let env = Env {
            input: &input,
            result: None,
            error_output: None,
            context: &no_context,
            vars: &vars,
            now_ms: 0,
            rng: &rng,
        };
        let e = Expr::parse("$nope")
            .unwrap()
            .eval_required(&env, "Output/result")
            .unwrap_err();
        assert_eq!(
            e.cause.unwrap(),
            "The JSONata expression '$nope' specified for the field 'Output/result' returned nothing (undefined)."
        );
    }
}
