//! `Fail`: ends the execution (or branch) with an error and a cause.

use super::Reader;
use crate::path::Path;

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
