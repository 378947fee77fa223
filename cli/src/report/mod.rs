//! The run report: one self-contained HTML page (no script, style or font fetched from
//! anywhere; it opens from a file) with the run's summary at the top, the state machine drawn
//! by a layered layout ([`layout`]) with the path taken highlighted and failed and retried
//! states marked, a timeline in virtual time, and each state's input, output, difference,
//! task requests, results, errors and retry attempts, searchable.

pub mod layout;
pub mod site;
mod svg;
pub mod visits;

use crate::graph::Diagram;
use crate::summary::{human_duration, RunSummary};
use asl::{ExecutionResult, StateMachine};
use serde_json::Value;
use std::collections::HashSet;
use std::fmt::Write;
use visits::{diff, Change, Visit};

pub use crate::summary::path_taken;

/// The page's style: one sheet for the run pages and the project site.
const STYLE: &str = include_str!("report.css");
/// The page's script: search, click-to-open, and a record of script errors
/// (`#script-errors`, read by the browser test).
const SCRIPT: &str = include_str!("report.js");

/// A whole page around `body`.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title>\
<script>window.__errors=[];window.onerror=function(m){{window.__errors.push(String(m));\
var e=document.getElementById('script-errors');if(e){{e.textContent=window.__errors.join('\\n');}}}};</script>\
<style>{STYLE}</style></head><body>{body}<pre id=\"script-errors\"></pre><script>{SCRIPT}</script></body></html>\n",
        escape(title)
    )
}

/// The HTML report of one execution.
pub fn html(machine: &StateMachine, result: &ExecutionResult, summary: &RunSummary) -> String {
    let diagram = Diagram::of(machine);
    let visits = visits::visits(&result.history);
    let mut body = String::new();
    body.push_str(&summary_block(summary));
    let marks = svg::Marks::of(&visits, &summary_path(&visits));
    let _ = write!(
        body,
        "<section class=\"card\"><h2>Graph</h2><p class=\"legend\"><span class=\"key taken\"></span>path taken \
<span class=\"key failed\"></span>failed <span class=\"key retried\"></span>retried \
<span class=\"key catch\"></span>Catch (to the failure handlers on the right)</p><div class=\"graph\">{}</div></section>",
        svg::draw(&layout::Layout::of(&diagram), &marks)
    );
    body.push_str(&timeline(&visits, result));
    body.push_str(&states(&visits, result.start_ms));
    if let Some(output) = &result.output {
        let _ = write!(
            body,
            "<section class=\"card\"><h2>Execution output</h2><pre>{}</pre></section>",
            escape(&pretty(output))
        );
    }
    page(
        &format!(
            "{} — {} — {}",
            summary.machine, summary.test_case, summary.status
        ),
        &body,
    )
}

/// The names in the order they ran (for the taken edges).
fn summary_path(visits: &[Visit]) -> Vec<String> {
    visits.iter().map(|v| v.name.clone()).collect()
}

fn summary_block(summary: &RunSummary) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<header class=\"card summary\"><h1>{} <small>test case {}</small></h1>\
<p><span class=\"status {}\">{}</span> after <b>{}</b> of virtual time, <b>{}</b> state transitions</p>",
        escape(&summary.machine),
        escape(&summary.test_case),
        escape(&summary.status),
        escape(&summary.status),
        escape(&human_duration(summary.duration_ms)),
        summary.transitions
    );
    if let Some(error) = &summary.error {
        let cause = summary.cause.as_deref().unwrap_or("");
        let _ = write!(
            out,
            "<p class=\"err\"><b>{}</b>: {}</p>",
            escape(error),
            escape(&crate::summary::shorten(cause, 280))
        );
        if cause.chars().count() > 280 {
            let _ = write!(
                out,
                "<details><summary>the whole cause</summary><pre>{}</pre></details>",
                escape(cause)
            );
        }
    }
    if !summary.key_results.is_empty() {
        out.push_str("<table class=\"results\">");
        for result in &summary.key_results {
            let _ = write!(
                out,
                "<tr><th>{}</th><td class=\"{}\">{}</td></tr>",
                escape(&result.label),
                if result.found { "found" } else { "missing" },
                escape(&result.value)
            );
        }
        out.push_str("</table>");
    }
    let _ = write!(
        out,
        "<p class=\"path\"><b>path</b> {}</p></header>",
        escape(&summary.path)
    );
    out
}

fn timeline(visits: &[Visit], result: &ExecutionResult) -> String {
    let total = (result.end_ms - result.start_ms).max(1) as f64;
    let pct = |ms: i64| ((ms - result.start_ms) as f64 / total * 100.0).clamp(0.0, 100.0);
    let mut out = format!(
        "<section class=\"card\"><h2>Timeline <small>virtual time, 0 to {}</small></h2><div class=\"timeline\">",
        escape(&human_duration(result.end_ms - result.start_ms))
    );
    for (i, visit) in visits.iter().enumerate() {
        let start = pct(visit.entered_ms);
        let end = pct(visit.exited_ms.unwrap_or(result.end_ms));
        let mut class = format!("bar {}", visit.kind.to_lowercase());
        if visit.failed() {
            class.push_str(" failed");
        }
        let _ = write!(
            out,
            "<div class=\"row\"><a class=\"label\" href=\"#visit-{i}\">{}</a><div class=\"track\">\
<div class=\"{class}\" style=\"left:{start:.3}%;width:{:.3}%\" title=\"{} +{} for {}\"></div>",
            escape(&visit.name),
            (end - start).max(0.25),
            escape(&visit.name),
            escape(&human_duration(visit.entered_ms - result.start_ms)),
            escape(&human_duration(
                visit.exited_ms.unwrap_or(result.end_ms) - visit.entered_ms
            )),
        );
        for (n, attempt) in visit.attempts.iter().enumerate() {
            let _ = write!(
                out,
                "<div class=\"attempt{}\" style=\"left:{:.3}%\" title=\"attempt {}{}\"></div>",
                if attempt.error.is_some() {
                    " failed"
                } else {
                    ""
                },
                pct(attempt.at_ms),
                n + 1,
                attempt
                    .error
                    .as_deref()
                    .map(|e| format!(": {}", escape(e)))
                    .unwrap_or_default()
            );
        }
        out.push_str("</div></div>");
    }
    out.push_str("</div></section>");
    out
}

fn states(visits: &[Visit], start_ms: i64) -> String {
    let mut out = String::from(
        "<section class=\"card\"><h2>States, in the order they ran</h2>\
<input id=\"search\" type=\"search\" placeholder=\"Search states, inputs, outputs, errors…\" autocomplete=\"off\">",
    );
    for (i, visit) in visits.iter().enumerate() {
        let retries = visit.attempts.len().saturating_sub(1);
        let mut badges = String::new();
        if visit.failed() {
            badges.push_str("<span class=\"badge failed\">error</span>");
        }
        if retries > 0 {
            let _ = write!(
                badges,
                "<span class=\"badge retried\">{} attempts</span>",
                visit.attempts.len()
            );
        }
        let _ = write!(
            out,
            "<details class=\"visit\" id=\"visit-{i}\" data-name=\"{}\"><summary><b>{}</b> <span class=\"kind\">{}</span> \
<small>+{}{}</small> {badges}</summary>",
            escape(&visit.name),
            escape(&visit.name),
            escape(&visit.kind),
            escape(&human_duration(visit.entered_ms - start_ms)),
            visit
                .exited_ms
                .map(|t| format!(", {}", human_duration(t - visit.entered_ms)))
                .unwrap_or_default()
        );
        for (n, attempt) in visit.attempts.iter().enumerate() {
            let _ = write!(
                out,
                "<div class=\"attempt-block\"><h4>attempt {} <small>{} at +{}</small></h4>",
                n + 1,
                escape(&attempt.resource),
                escape(&human_duration(attempt.at_ms - start_ms))
            );
            if let Some(request) = &attempt.request {
                let _ = write!(
                    out,
                    "<h5>request</h5><pre>{}</pre>",
                    escape(&pretty(request))
                );
            }
            if let Some(result) = &attempt.result {
                let _ = write!(out, "<h5>result</h5><pre>{}</pre>", escape(&pretty(result)));
            }
            if let Some(error) = &attempt.error {
                let _ = write!(out, "<p class=\"err\">{}</p>", escape(error));
            }
            out.push_str("</div>");
        }
        let io = [("input", &visit.input), ("output", &visit.output)];
        out.push_str("<div class=\"io\">");
        for (label, value) in io {
            if let Some(value) = value {
                let _ = write!(
                    out,
                    "<div><h5>{label}</h5><pre>{}</pre></div>",
                    escape(&pretty(value))
                );
            }
        }
        out.push_str("</div>");
        if let (Some(input), Some(output)) = (&visit.input, &visit.output) {
            out.push_str(&diff_block(&diff(input, output)));
        }
        out.push_str("</details>");
    }
    out.push_str("</section>");
    out
}

fn diff_block(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "<p class=\"same\">output = input</p>".into();
    }
    let mut out = String::from("<h5>input → output</h5><ul class=\"diff\">");
    for change in changes {
        let _ = match change {
            Change::Added(path, value) => write!(
                out,
                "<li class=\"add\">+ {} = {}</li>",
                escape(path),
                escape(&short(value))
            ),
            Change::Removed(path) => write!(out, "<li class=\"del\">− {}</li>", escape(path)),
            Change::Changed(path, a, b) => write!(
                out,
                "<li class=\"chg\">~ {}: {} → {}</li>",
                escape(path),
                escape(&short(a)),
                escape(&short(b))
            ),
        };
    }
    out.push_str("</ul>");
    out
}

fn short(value: &Value) -> String {
    crate::summary::shorten(&value.to_string(), 160)
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// The drawing of a state machine without a run (the project site's pages).
pub fn graph_only(machine: &StateMachine) -> String {
    let diagram = Diagram::of(machine);
    svg::draw(
        &layout::Layout::of(&diagram),
        &svg::Marks {
            visited: HashSet::new(),
            failed: HashSet::new(),
            retried: HashSet::new(),
            taken: HashSet::new(),
        },
    )
}

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
