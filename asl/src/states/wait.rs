//! `Wait`: advances virtual time by seconds or up to a timestamp.

use super::State;
use super::{Reader, Transition};
use crate::clock::{parse_timestamp, Instant};
use crate::engine::data_flow::{expr_uint, jsonata_output, take_input, write_output};
use crate::engine::{check_size, value_text, Run, StateResult};
use crate::error::{names, StatesError};
use crate::path::Path;
use crate::path::Selection;
use crate::scope::Scope;
use serde_json::Value;

/// How long a Wait state waits.
#[derive(Debug, Clone, PartialEq)]
pub enum WaitFor {
    /// `Seconds` as a JSONata expression.
    SecondsExpr(crate::jsonata::Expr),
    /// `Timestamp` as a JSONata expression.
    TimestampExpr(crate::jsonata::Expr),
    /// `Seconds`.
    Seconds(u64),
    /// `SecondsPath`.
    SecondsPath(Path),
    /// `Timestamp`.
    Timestamp(Instant),
    /// `TimestampPath`.
    TimestampPath(Path),
}

/// A Wait state.
#[derive(Debug, Clone, PartialEq)]
pub struct Wait {
    /// What to wait for.
    pub wait: WaitFor,
    /// `Next` / `End`.
    pub transition: Transition,
}

pub(crate) fn parse(r: &mut Reader<'_>) -> Option<Wait> {
    r.check_fields(&[
        "Next",
        "End",
        "InputPath",
        "OutputPath",
        "Seconds",
        "SecondsPath",
        "Timestamp",
        "TimestampPath",
    ]);
    let transition = r.transition();
    let present: Vec<&str> = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"]
        .into_iter()
        .filter(|k| r.has(k))
        .collect();
    if present.len() != 1 {
        r.err(
            "",
            "a Wait state needs exactly one of Seconds, SecondsPath, Timestamp, TimestampPath",
        );
        return None;
    }
    if let Some(e) = r.expr_field(present[0]) {
        let wait = if present[0] == "Seconds" {
            WaitFor::SecondsExpr(e)
        } else {
            WaitFor::TimestampExpr(e)
        };
        return Some(Wait { wait, transition });
    }
    let wait = match present[0] {
        "Seconds" => WaitFor::Seconds(r.uint("Seconds", 0)?),
        "SecondsPath" => WaitFor::SecondsPath(r.path("SecondsPath")?),
        "Timestamp" => {
            let s = r.string("Timestamp")?;
            match parse_timestamp(&s) {
                Some(t) => WaitFor::Timestamp(t),
                None => {
                    r.err(
                        "Timestamp",
                        format!("'{s}' is not an ISO-8601 extended offset date-time"),
                    );
                    return None;
                }
            }
        }
        _ => WaitFor::TimestampPath(r.path("TimestampPath")?),
    };
    Some(Wait { wait, transition })
}

impl Wait {
    /// Runs the state (JSONPath): `InputPath`, the wait (virtual time: the clock moves, nothing
    /// sleeps), `Assign`, then `OutputPath`.
    pub(crate) fn execute(
        &self,
        run: &mut Run<'_>,
        st: &State,
        raw: Value,
        entered_ms: i64,
    ) -> StateResult {
        let ctx = run.context(&st.name, entered_ms).lazy();
        let eff = take_input(&st.input_path, raw, &ctx, &run.vars)?;
        let seen = run.recording().then(|| eff.clone());
        let now = run.opts.clock.now_ms();
        let until = match &self.wait {
            WaitFor::Seconds(s) => now.saturating_add(*s as i64 * 1000),
            WaitFor::Timestamp(t) => t.as_millis().max(now),
            WaitFor::SecondsExpr(_) | WaitFor::TimestampExpr(_) => now,
            WaitFor::SecondsPath(p) => {
                let scope = Scope::new(&eff, &ctx, &*run.opts.rng).with_vars(&run.vars);
                let v = match scope.select(p) {
                    Some(sel) => sel.to_value(),
                    _ => {
                        return Err(StatesError::runtime(format!(
                            "The SecondsPath parameter does not reference an input value: {}",
                            p.as_str()
                        ))
                        .into())
                    }
                };
                match &v {
                    Value::Number(n) if n.as_i64().is_some() => {
                        let s = n.as_i64().unwrap_or(0);
                        if s < 0 {
                            return Err(StatesError::runtime(format!(
                                "The SecondsPath parameter references a negative value: {} == {}",
                                p.as_str(),
                                s
                            ))
                            .into());
                        }
                        now.saturating_add(s.saturating_mul(1000))
                    }
                    other => {
                        return Err(StatesError::runtime(format!(
                            "The SecondsPath parameter cannot be parsed as a long value: {} == {}",
                            p.as_str(),
                            value_text(other)
                        ))
                        .into())
                    }
                }
            }
            WaitFor::TimestampPath(p) => {
                let scope = Scope::new(&eff, &ctx, &*run.opts.rng).with_vars(&run.vars);
                match scope.select(p) {
                    Some(Selection::One(v)) => {
                        match v.as_str().and_then(crate::clock::parse_timestamp) {
                            Some(t) => t.as_millis().max(now),
                            None => {
                                return Err(StatesError::runtime(format!(
                                    "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {}",
                                    p.as_str(),
                                    value_text(v)
                                ))
                                .into())
                            }
                        }
                    }
                    _ => {
                        return Err(StatesError::runtime(format!(
                            "The TimestampPath parameter does not reference an input value: {}",
                            p.as_str()
                        ))
                        .into())
                    }
                }
            }
        };

        let pending = {
            let env = run.jenv(&eff, None, None, &ctx);
            run.eval_assign(&st.assign, &eff, &env)?
        };
        let out = write_output(&st.output_path, eff, &ctx, &run.vars)?;
        drop(ctx);
        run.inspect_seen("afterInputPath", seen);
        run.apply_assign(pending)?;
        run.opts.clock.set_ms(until);
        Ok((out, self.transition.next()))
    }

    /// Runs the state (JSONata): the wait, then `Output` and `Assign`.
    pub(crate) fn execute_jsonata(
        &self,
        run: &mut Run<'_>,
        st: &State,
        raw: Value,
        entered_ms: i64,
    ) -> StateResult {
        let (out, pending, until) = {
            let ctx = run.context(&st.name, entered_ms).lazy();
            let env = run.jenv(&raw, None, None, &ctx);
            let now = run.opts.clock.now_ms();
            let until = match &self.wait {
                WaitFor::Seconds(s) => now.saturating_add(*s as i64 * 1000),
                WaitFor::Timestamp(t) => t.as_millis().max(now),
                WaitFor::SecondsExpr(e) => {
                    let s = expr_uint(e, "Seconds", &env)?;
                    now.saturating_add((s as i64).saturating_mul(1000))
                }
                WaitFor::TimestampExpr(e) => {
                    let v = e.eval_required(&env, "Timestamp")?;
                    match v.as_str().and_then(parse_timestamp) {
                        Some(t) => t.as_millis().max(now),
                        None => {
                            return Err(StatesError::in_state(
                                names::QUERY_EVALUATION_ERROR,
                                format!(
                                    "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {}",
                                    value_text(&v)
                                ),
                            )
                            .into())
                        }
                    }
                }
                WaitFor::SecondsPath(_) | WaitFor::TimestampPath(_) => now,
            };
            let out = jsonata_output(&st.output, &env, || raw.clone())?;
            let pending = run.eval_assign(&st.assign, &raw, &env)?;
            (out, pending, until)
        };
        run.apply_assign(pending)?;
        check_size(&out, &st.name)?;
        run.opts.clock.set_ms(until);
        Ok((out, self.transition.next()))
    }
}
