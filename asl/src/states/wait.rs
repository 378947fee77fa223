//! `Wait`: advances virtual time by seconds or up to a timestamp.

use super::{Reader, Transition};
use crate::clock::{parse_timestamp, Instant};
use crate::path::Path;

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
