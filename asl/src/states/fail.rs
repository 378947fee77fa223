//! `Fail`: ends the execution (or branch) with an error and a cause.

use super::Reader;
use super::State;
use crate::engine::{value_text, Run, StateResult};
use crate::error::StatesError;
use crate::jsonata::wrong_type;
use crate::path::Path;
use crate::path::Selection;
use crate::scope::Scope;
use serde_json::Value;

/// A literal string or one read from a path (`Error`/`ErrorPath`, `Cause`/`CausePath`).
#[derive(Debug, Clone, PartialEq)]
pub enum Text {
    /// The literal form.
    Literal(String),
    /// The `...Path` form (a path or an intrinsic call).
    Path(Path),
    /// The `...Path` form holding an intrinsic function call.
    Intrinsic(Box<crate::intrinsics::Call>),
    /// A JSONata `{% ... %}` expression.
    Expr(crate::jsonata::Expr),
}

/// A Fail state.
#[derive(Debug, Clone, PartialEq)]
pub struct Fail {
    /// `Error` or `ErrorPath`.
    pub error: Option<Text>,
    /// `Cause` or `CausePath`.
    pub cause: Option<Text>,
}

fn text(r: &mut Reader<'_>, k: &str) -> Option<Text> {
    if let Some(e) = r.expr_field(k) {
        return Some(Text::Expr(e));
    }
    let pk = format!("{k}Path");
    match (r.has(k), r.has(&pk)) {
        (true, true) => {
            r.err("", format!("{k} and {pk} cannot both be present"));
            None
        }
        (true, false) => r.string(k).map(Text::Literal),
        (false, true) => {
            let s = r.string(&pk)?;
            if s.starts_with("States.") {
                match crate::intrinsics::Call::parse(&s) {
                    Ok(c) => Some(Text::Intrinsic(Box::new(c))),
                    Err(e) => {
                        r.err(&pk, e.to_string());
                        None
                    }
                }
            } else {
                r.path(&pk).map(Text::Path)
            }
        }
        (false, false) => None,
    }
}

pub(crate) fn parse(r: &mut Reader<'_>) -> Fail {
    r.check_fields(&["Error", "ErrorPath", "Cause", "CausePath"]);
    Fail {
        error: text(r, "Error"),
        cause: text(r, "Cause"),
    }
}

impl Fail {
    /// Runs the state (JSONPath): always the error of `Error`/`ErrorPath` and
    /// `Cause`/`CausePath` (or the runtime error of reading them).
    pub(crate) fn execute(
        &self,
        run: &mut Run<'_>,
        st: &State,
        raw: Value,
        entered_ms: i64,
    ) -> StateResult {
        let ctx = run.context(&st.name, entered_ms).lazy();
        let scope = Scope::new(&raw, &ctx, &*run.opts.rng).with_vars(&run.vars);
        let text = |t: &Option<Text>| -> Result<Option<String>, StatesError> {
            match t {
                None => Ok(None),
                Some(Text::Literal(s)) => Ok(Some(s.clone())),
                Some(Text::Path(p)) => match scope.select(p) {
                    Some(Selection::One(Value::String(s))) => Ok(Some(s.clone())),
                    Some(sel) => Ok(Some(value_text(&sel.to_value()))),
                    None => Err(StatesError::runtime(format!(
                        "Invalid path '{}' : No results for path: {}",
                        p.as_str(),
                        p.bracket_notation()
                    ))),
                },
                Some(Text::Intrinsic(c)) => c.eval(&scope).map(|v| Some(value_text(&v))),
                Some(Text::Expr(_)) => Ok(None),
            }
        };
        let error = text(&self.error)?;
        let cause = text(&self.cause)?;
        Err(StatesError::new(error.unwrap_or_default(), cause).into())
    }

    /// Runs the state (JSONata): always the error of `Error` and `Cause` (or the error of
    /// evaluating them).
    pub(crate) fn execute_jsonata(
        &self,
        run: &mut Run<'_>,
        st: &State,
        raw: Value,
        entered_ms: i64,
    ) -> StateResult {
        let ctx = run.context(&st.name, entered_ms).lazy();
        let env = run.jenv(&raw, None, None, &ctx);
        let text = |t: &Option<Text>, field: &str| -> Result<Option<String>, StatesError> {
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
        let error = text(&self.error, "Error")?;
        let cause = text(&self.cause, "Cause")?;
        Err(StatesError::new(error.unwrap_or_default(), cause).into())
    }
}
