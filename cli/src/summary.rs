//! The few lines `pipelines run` ends with: status, virtual duration, transitions, the path in
//! one line (repeated loops folded: `(CheckFeatures → WaitForFeatures) ×2`), the error and cause
//! on failure, and the workflow's key results ([`crate::key_results`]).

use crate::key_results::{self, KeyResults, ShownResult};
use asl::history::Details;
use asl::{ExecutionResult, HistoryEvent};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a person wants to know about a finished run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunSummary {
    /// The state machine.
    pub machine: String,
    /// The test case.
    pub test_case: String,
    /// `SUCCEEDED`, `FAILED`, `TIMED_OUT`, `ABORTED`.
    pub status: String,
    /// Virtual time from start to end, in milliseconds.
    pub duration_ms: i64,
    /// States entered.
    pub transitions: u64,
    /// The path, loops folded, in one line.
    pub path: String,
    /// The error name, on failure.
    pub error: Option<String>,
    /// The cause, on failure.
    pub cause: Option<String>,
    /// The declared key results.
    pub key_results: Vec<ShownResult>,
}

/// The states entered, in order.
pub fn path_taken(history: &[HistoryEvent]) -> Vec<String> {
    history
        .iter()
        .filter_map(|event| match &event.details {
            Details::StateEntered { name, .. } => Some(name.to_string()),
            _ => None,
        })
        .collect()
}

/// The longest loop body [`fold_path`] looks for.
const MAX_LOOP: usize = 8;

/// The path with consecutive repeats folded: `A → B → B → B` reads `A → B ×3`, a loop
/// `A → (B → C) ×2 → D`.
pub fn fold_path(path: &[String]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < path.len() {
        // The loop body that covers the most states from here.
        let mut best = (1, 1);
        for len in 1..=MAX_LOOP.min((path.len() - i) / 2) {
            let mut reps = 1;
            while i + (reps + 1) * len <= path.len()
                && path[i..i + len] == path[i + reps * len..i + (reps + 1) * len]
            {
                reps += 1;
            }
            if reps > 1 && reps * len > best.0 * best.1 {
                best = (len, reps);
            }
        }
        let (len, reps) = best;
        let body = path[i..i + len].join(" → ");
        parts.push(match (len, reps) {
            (_, 1) => body,
            (1, _) => format!("{body} ×{reps}"),
            _ => format!("({body}) ×{reps}"),
        });
        i += len * reps;
    }
    parts.join(" → ")
}

/// A duration as a person reads it: `2 h 03 min`, `4 min 10 s`, `1.2 s`, `35 ms`.
pub fn human_duration(ms: i64) -> String {
    let ms = ms.max(0);
    let s = ms / 1000;
    match s {
        0 => format!("{ms} ms"),
        1..=59 => format!("{:.1} s", ms as f64 / 1000.0),
        60..=3599 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

impl RunSummary {
    /// The summary of `result`, with the key results `declared` for the machine.
    pub fn of(
        machine: &str,
        test_case: &str,
        result: &ExecutionResult,
        declared: Option<&KeyResults>,
    ) -> RunSummary {
        let state_outputs: Vec<Value> = result
            .history
            .iter()
            .rev()
            .filter_map(|event| match &event.details {
                Details::StateExited { output, .. } => serde_json::from_str(output).ok(),
                _ => None,
            })
            .collect();
        let mut sources: Vec<&Value> = result.output.iter().collect();
        sources.extend(state_outputs.iter());
        RunSummary {
            machine: machine.to_string(),
            test_case: test_case.to_string(),
            status: result.status.as_str().to_string(),
            duration_ms: result.end_ms - result.start_ms,
            transitions: result.transitions,
            path: fold_path(&path_taken(&result.history)),
            error: result.error.clone(),
            cause: result.cause.clone(),
            key_results: declared
                .map(|d| key_results::render(d, &sources))
                .unwrap_or_default(),
        }
    }

    /// The summary as lines for the terminal (without the file lines `pipelines run` adds).
    pub fn lines(&self, paint: &dyn Fn(&str, &str) -> String) -> Vec<String> {
        let colour = if self.status == "SUCCEEDED" {
            "1;32"
        } else {
            "1;31"
        };
        let mut lines = vec![format!(
            "status: {} after {} of virtual time, {} state transitions",
            paint(colour, &self.status),
            human_duration(self.duration_ms),
            self.transitions
        )];
        if let Some(error) = &self.error {
            lines.push(format!("error:  {error}"));
        }
        if let Some(cause) = &self.cause {
            lines.push(format!("cause:  {}", shorten(cause, 300)));
        }
        lines.push(format!("path:   {}", self.path));
        let width = self
            .key_results
            .iter()
            .map(|r| r.label.chars().count())
            .max()
            .unwrap_or(0);
        for result in &self.key_results {
            lines.push(format!(
                "{}:{} {}",
                result.label,
                " ".repeat(width - result.label.chars().count()),
                if result.found {
                    paint("1", &result.value)
                } else {
                    paint("2", &result.value)
                }
            ));
        }
        lines
    }
}

/// `text` cut to `max` characters with an ellipsis.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(names: &str) -> Vec<String> {
        names.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn repeated_states_and_loops_fold() {
        assert_eq!(fold_path(&path("A B B B C")), "A → B ×3 → C");
        assert_eq!(
            fold_path(&path("A Check Wait Check Wait Check Go")),
            "A → (Check → Wait) ×2 → Check → Go"
        );
        assert_eq!(fold_path(&path("A B C")), "A → B → C");
        assert_eq!(fold_path(&[]), "");
    }

    #[test]
    fn durations_read_in_the_largest_useful_unit() {
        assert_eq!(human_duration(35), "35 ms");
        assert_eq!(human_duration(1_300), "1.3 s");
        assert_eq!(human_duration(250_000), "4 min 10 s");
        assert_eq!(human_duration(7_380_000), "2 h 03 min");
    }
}
