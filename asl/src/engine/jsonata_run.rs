//! The engine's JSONata and variables side: `$states`, `Assign`, `Output`, and the states
//! whose JSONata form differs from their JSONPath one (Pass, Choice, Wait, Succeed, Fail).

use super::{Run, Stop};
use crate::error::{names, StatesError};
use crate::jsonata::{wrong_type, Env};
use crate::scope::Scope;
use crate::states::{
    choice::Condition, fail::Text, wait::WaitFor, Assign, Dynamic, Kind, State, Transition,
};
use serde_json::{Map, Value};

/// Assignments evaluated by a state, stored once it is done.
pub(super) type Pending = Option<Map<String, Value>>;

impl Run<'_> {
    /// What a JSONata expression of the current state sees.
    pub(super) fn jenv<'a>(
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
    pub(super) fn eval_assign(
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
    pub(super) fn apply_assign(&mut self, p: Pending) -> Result<(), StatesError> {
        match p {
            Some(m) => self.vars.assign(m),
            None => Ok(()),
        }
    }

    /// A JSONata `Output`, or `default` when the state has none.
    pub(super) fn jsonata_output(
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
    pub(super) fn expr_uint(
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

    /// Runs a Pass, Choice, Wait, Succeed or Fail state of JSONata.
    pub(super) fn run_simple_jsonata(
        &mut self,
        st: &State,
        raw: Value,
        entered_ms: i64,
    ) -> Result<(Value, Option<usize>), Stop> {
        let next_of = |t: &Transition| match t {
            Transition::Next(n) => Some(*n),
            Transition::End => None,
        };
        let (out, next, pending, until) = {
            let info = self.info(&st.name, entered_ms);
            let ctx = self.ctx_fn(info);
            let env = self.jenv(&raw, None, None, &ctx);
            match &st.kind {
                Kind::Pass(p) => {
                    let out = Self::jsonata_output(&st.output, &env, || raw.clone())?;
                    let pending = self.eval_assign(&st.assign, &raw, &env)?;
                    (out, next_of(&p.transition), pending, None)
                }
                Kind::Succeed(_) => {
                    let out = Self::jsonata_output(&st.output, &env, || raw.clone())?;
                    (out, None, None, None)
                }
                Kind::Choice(c) => {
                    let mut taken = None;
                    for b in &c.choices {
                        let Condition::Jsonata(t) = &b.condition else {
                            continue;
                        };
                        let v = t.eval(&env, "Condition")?;
                        match v {
                            Value::Bool(true) => {
                                taken = Some(b);
                                break;
                            }
                            Value::Bool(false) => {}
                            other => {
                                let src = t.as_expr().map_or("", |e| e.as_str());
                                return Err(wrong_type(src, "Condition", "boolean", &other).into());
                            }
                        }
                    }
                    let (next, assign, output) = match taken {
                        Some(b) => (b.next, &b.assign, &b.output),
                        None => match c.default {
                            Some(d) => (d, &st.assign, &st.output),
                            None => {
                                return Err(StatesError::in_state(
                                    names::NO_CHOICE_MATCHED,
                                    "No Choice Rule matched and no Default was specified.",
                                )
                                .into())
                            }
                        },
                    };
                    let out = Self::jsonata_output(output, &env, || raw.clone())?;
                    let pending = self.eval_assign(assign, &raw, &env)?;
                    (out, Some(next), pending, None)
                }
                Kind::Wait(w) => {
                    let now = self.opts.clock.now_ms();
                    let until = match &w.wait {
                        WaitFor::Seconds(s) => now.saturating_add(*s as i64 * 1000),
                        WaitFor::Timestamp(t) => t.as_millis().max(now),
                        WaitFor::SecondsExpr(e) => {
                            let s = Self::expr_uint(e, "Seconds", &env)?;
                            now.saturating_add((s as i64).saturating_mul(1000))
                        }
                        WaitFor::TimestampExpr(e) => {
                            let v = e.eval_required(&env, "Timestamp")?;
                            match v.as_str().and_then(crate::clock::parse_timestamp) {
                            Some(t) => t.as_millis().max(now),
                            None => {
                                return Err(StatesError::in_state(
                                    names::QUERY_EVALUATION_ERROR,
                                    format!(
                                        "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {}",
                                        super::value_text(&v)
                                    ),
                                )
                                .into())
                            }
                        }
                        }
                        WaitFor::SecondsPath(_) | WaitFor::TimestampPath(_) => now,
                    };
                    let out = Self::jsonata_output(&st.output, &env, || raw.clone())?;
                    let pending = self.eval_assign(&st.assign, &raw, &env)?;
                    (out, next_of(&w.transition), pending, Some(until))
                }
                Kind::Fail(f) => {
                    let text = |t: &Option<Text>,
                                field: &str|
                     -> Result<Option<String>, StatesError> {
                        match t {
                            None => Ok(None),
                            Some(Text::Literal(s)) => Ok(Some(s.clone())),
                            Some(Text::Expr(e)) => {
                                let v = e.eval_required(&env, field)?;
                                match v {
                                    Value::String(s) => Ok(Some(s)),
                                    other => Err(wrong_type(e.as_str(), field, "string", &other)),
                                }
                            }
                            Some(_) => Ok(None),
                        }
                    };
                    let error = text(&f.error, "Error")?;
                    let cause = text(&f.cause, "Cause")?;
                    return Err(StatesError::new(error.unwrap_or_default(), cause).into());
                }
                _ => unreachable_kind()?,
            }
        };
        self.apply_assign(pending)?;
        super::check_size(&out, &st.name)?;
        if let Some(u) = until {
            self.opts.clock.set_ms(u);
        }
        Ok((out, next))
    }
}

fn unreachable_kind<T>() -> Result<T, StatesError> {
    Err(StatesError::runtime("internal: not a simple JSONata state"))
}

/// Resolves a `Dynamic` number of a JSONata state (`MaxConcurrency`, `TimeoutSeconds`, ...).
pub(super) fn dynamic_expr(
    d: &Option<Dynamic<u64>>,
    field: &str,
    env: &Env<'_>,
) -> Result<Option<u64>, StatesError> {
    match d {
        Some(Dynamic::Expr(e)) => Run::expr_uint(e, field, env).map(Some),
        Some(Dynamic::Literal(v)) => Ok(Some(*v)),
        _ => Ok(None),
    }
}
