//! Input and output processing, in the order AWS applies it: `InputPath` → `Parameters` →
//! (the state's work) → `ResultSelector` → `ResultPath` → `OutputPath` for JSONPath states;
//! `Arguments` → (the work) → `Output` for JSONata states; then `Assign` for both.

use super::{check_size, value_text, Run};
use crate::clock::Rng;
use crate::error::{names, StatesError};
use crate::intrinsics::json_text;
use crate::jsonata::{wrong_type, Env};
use crate::path::{Path, Root, Selection};
use crate::payload::Template;
use crate::scope::Scope;
use crate::states::{Assign, Dynamic, PathSpec, QueryLanguage, ResultPathSpec, State};
use crate::variables::Variables;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Assignments evaluated by a state, stored once it is done.
pub(crate) type Pending = Option<Map<String, Value>>;

/// `InputPath`: the effective input, borrowed from `raw` when possible.
pub(crate) fn read_input<'a>(
    spec: &PathSpec,
    raw: &'a Value,
    ctx: &dyn Fn() -> Value,
    vars: &Variables,
) -> Result<Cow<'a, Value>, StatesError> {
    match spec {
        PathSpec::Default => Ok(Cow::Borrowed(raw)),
        PathSpec::Null => Ok(Cow::Owned(Value::Object(Map::new()))),
        PathSpec::Path(p) => select_required(p, raw, ctx, vars),
    }
}

/// `InputPath`, owned: moves `raw` when `InputPath` is absent.
pub(crate) fn take_input(
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

/// What a reference path selects from `doc`, the context object or a variable; AWS's
/// `States.Runtime` "Invalid path" error when it selects nothing.
pub(crate) fn select_required<'a>(
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
        Root::Data => match p.select(doc) {
            Some(Selection::One(v)) => Ok(Cow::Borrowed(v)),
            Some(s) => Ok(Cow::Owned(s.to_value())),
            None => Err(not_found()),
        },
        Root::Context => {
            let c = ctx();
            match p.select(&c) {
                Some(s) => Ok(Cow::Owned(s.to_value())),
                None => Err(not_found()),
            }
        }
        Root::Variable => {
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

/// `Parameters` or `ResultSelector`: the template evaluated against `eff` (`eff` itself when
/// there is no template).
pub(crate) fn eval_template(
    t: &Option<Template>,
    eff: Cow<'_, Value>,
    ctx: &dyn Fn() -> Value,
    rng: &dyn Rng,
    vars: &Variables,
) -> Result<Value, StatesError> {
    match t {
        None => Ok(eff.into_owned()),
        Some(Template::Literal(v)) => Ok(v.clone()),
        Some(t) => {
            let scope = Scope::new(&eff, ctx, rng).with_vars(vars);
            t.eval(&scope)
        }
    }
}

/// `ResultPath`: `result` placed in the state's input `raw`.
pub(crate) fn apply_result_path(
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

/// `OutputPath`.
pub(crate) fn write_output(
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

/// A number given literally or by a `...Path` field (`TimeoutSecondsPath`,
/// `MaxConcurrencyPath`, ...), read from the effective input `eff`. `None` when absent or
/// given as a JSONata expression (see [`dynamic_expr`]).
pub(crate) fn resolve_uint(
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

/// JSONata `Arguments`, or the state's input `raw` when it has none.
pub(crate) fn arguments(
    t: &Option<crate::jsonata::Template>,
    env: &Env<'_>,
    raw: &Value,
) -> Result<Value, StatesError> {
    match t {
        Some(a) => a.eval(env, "Arguments"),
        None => Ok(raw.clone()),
    }
}

/// JSONata `Output`, or `default` when the state has none.
pub(crate) fn jsonata_output(
    st_output: &Option<crate::jsonata::Template>,
    env: &Env<'_>,
    default: impl FnOnce() -> Value,
) -> Result<Value, StatesError> {
    match st_output {
        Some(t) => t.eval(env, "Output"),
        None => Ok(default()),
    }
}

/// A `Dynamic` number given as a JSONata expression: a non-negative integer.
pub(crate) fn expr_uint(
    e: &crate::jsonata::Expr,
    field: &str,
    env: &Env<'_>,
) -> Result<u64, StatesError> {
    let v = e.eval_required(env, field)?;
    match v.as_f64() {
        Some(x) if x >= 0.0 && x.fract() == 0.0 => Ok(x as u64),
        _ => Err(wrong_type(e.as_str(), field, "integer", &v)),
    }
}

/// Resolves a `Dynamic` number of a JSONata state (`MaxConcurrency`, `TimeoutSeconds`, ...).
pub(crate) fn dynamic_expr(
    d: &Option<Dynamic<u64>>,
    field: &str,
    env: &Env<'_>,
) -> Result<Option<u64>, StatesError> {
    match d {
        Some(Dynamic::Expr(e)) => expr_uint(e, field, env).map(Some),
        Some(Dynamic::Literal(v)) => Ok(Some(*v)),
        _ => Ok(None),
    }
}

impl Run<'_> {
    /// What a JSONata expression of the current state sees (`$states`).
    pub(crate) fn jenv<'a>(
        &'a self,
        input: &'a Value,
        result: Option<&'a Value>,
        error_output: Option<&'a Value>,
        ctx: &'a dyn Fn() -> Value,
    ) -> Env<'a> {
        Env {
            input,
            result,
            error_output,
            context: ctx,
            vars: &self.vars,
            now_ms: self.opts.clock.now_ms(),
            rng: &*self.opts.rng,
        }
    }

    /// Evaluates an `Assign` field against the values from before the state: in JSONPath `$`
    /// is `doc`; in JSONata the expressions see `env`.
    pub(crate) fn eval_assign(
        &self,
        a: &Option<Assign>,
        doc: &Value,
        env: &Env<'_>,
    ) -> Result<Pending, StatesError> {
        let v = match a {
            None => return Ok(None),
            Some(Assign::Path(t)) => {
                let scope = Scope::new(doc, env.context, &*self.opts.rng).with_vars(&self.vars);
                t.eval(&scope)?
            }
            Some(Assign::Jsonata(t)) => t.eval(env, "Assign")?,
        };
        Ok(match v {
            Value::Object(m) => Some(m),
            _ => None,
        })
    }

    /// Stores the assignments of a state that completed.
    pub(crate) fn apply_assign(&mut self, p: Pending) -> Result<(), StatesError> {
        match p {
            Some(m) => self.vars.assign(m),
            None => Ok(()),
        }
    }

    /// The output of a Task, Parallel or Map from its result: JSONPath `ResultSelector`,
    /// `ResultPath`, `OutputPath`, or JSONata `Output`; then `Assign`.
    pub(crate) fn finish_with_result(
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
            let ctx = self.context(&st.name, entered_ms).lazy();
            if st.language == QueryLanguage::Jsonata {
                let env = self.jenv(raw, Some(&result), None, &ctx);
                let pending = self.eval_assign(&st.assign, &result, &env)?;
                let out = jsonata_output(&st.output, &env, || result.clone())?;
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
}
