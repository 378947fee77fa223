//! The run report: the path an execution took, and a self-contained HTML page (no scripts or
//! styles fetched from anywhere) that draws the state machine with that path and lists each
//! state's input and output.

use crate::graph::{Diagram, EdgeKind};
use asl::history::Details;
use asl::{ExecutionResult, HistoryEvent};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::fmt::Write;

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

/// One pass through a state.
struct Visit {
    name: String,
    entered_ms: i64,
    input: Option<Value>,
    output: Option<Value>,
    errors: Vec<String>,
}

fn visits(history: &[HistoryEvent]) -> Vec<Visit> {
    let mut out: Vec<Visit> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    for event in history {
        match &event.details {
            Details::StateEntered { name, input } => {
                out.push(Visit {
                    name: name.to_string(),
                    entered_ms: event.timestamp_ms,
                    input: Some(parse_text(input)),
                    output: None,
                    errors: Vec::new(),
                });
                open.push(out.len() - 1);
            }
            Details::StateExited { name, output } => {
                if let Some(pos) = open.iter().rposition(|&i| out[i].name == **name) {
                    let index = open.remove(pos);
                    out[index].output = Some(parse_text(output));
                }
            }
            Details::TaskFailed { error, cause, .. } | Details::LambdaFailed { error, cause } => {
                if let Some(&index) = open.last() {
                    out[index].errors.push(format!(
                        "{}: {}",
                        error.as_deref().unwrap_or("error"),
                        cause.as_deref().unwrap_or("")
                    ));
                }
            }
            _ => {}
        }
    }
    out
}

/// History events carry inputs and outputs as JSON text; show them as JSON when they parse.
fn parse_text(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

/// The HTML report of one execution.
pub fn html(
    machine: &str,
    test_case: &str,
    definition: &Value,
    result: &ExecutionResult,
) -> String {
    let diagram = Diagram::from_definition(definition);
    let visits = visits(&result.history);
    let visited: HashSet<&str> = visits.iter().map(|v| v.name.as_str()).collect();
    let failed: HashSet<&str> = visits
        .iter()
        .filter(|v| !v.errors.is_empty())
        .map(|v| v.name.as_str())
        .collect();
    let mut page = String::new();
    let status = result.status.as_str();
    let _ = write!(
        page,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{machine} — {test_case}</title><style>\
body{{font-family:system-ui,sans-serif;margin:2em;color:#222}} .status{{font-weight:bold}} .SUCCEEDED{{color:#070}} .FAILED,.TIMED_OUT,.ABORTED{{color:#c00}}\
svg text{{font-size:12px}} pre{{background:#f6f6f6;padding:.5em;overflow:auto;max-height:20em}} details{{margin:.3em 0}} .err{{color:#c00}}\
</style></head><body><h1>{}</h1><p>test case <b>{}</b> — <span class=\"status {status}\">{status}</span>, {} state transitions, {} ms of virtual time</p>",
        escape(machine),
        escape(test_case),
        result.transitions,
        result.end_ms - result.start_ms
    );
    if let Some(error) = &result.error {
        let _ = write!(
            page,
            "<p class=\"err\">{}: {}</p>",
            escape(error),
            escape(result.cause.as_deref().unwrap_or(""))
        );
    }
    page.push_str(&svg(&diagram, &visited, &failed));
    page.push_str("<h2>States, in the order they ran</h2>");
    for (i, visit) in visits.iter().enumerate() {
        let _ = write!(
            page,
            "<details id=\"visit-{i}\"><summary>{} <small>+{} ms</small>{}</summary>",
            escape(&visit.name),
            visit.entered_ms - result.start_ms,
            if visit.errors.is_empty() {
                String::new()
            } else {
                format!(
                    " <span class=\"err\">({} error(s))</span>",
                    visit.errors.len()
                )
            }
        );
        for error in &visit.errors {
            let _ = write!(page, "<p class=\"err\">{}</p>", escape(error));
        }
        for (label, value) in [("input", &visit.input), ("output", &visit.output)] {
            if let Some(value) = value {
                let _ = write!(
                    page,
                    "<p>{label}</p><pre>{}</pre>",
                    escape(&serde_json::to_string_pretty(value).unwrap_or_default())
                );
            }
        }
        page.push_str("</details>");
    }
    if let Some(output) = &result.output {
        let _ = write!(
            page,
            "<h2>Output</h2><pre>{}</pre>",
            escape(&serde_json::to_string_pretty(output).unwrap_or_default())
        );
    }
    page.push_str("</body></html>\n");
    page
}

/// A layered drawing: states ranked by distance from the start, the path taken in green,
/// states that saw errors in orange, Catch edges dashed.
fn svg(diagram: &Diagram, visited: &HashSet<&str>, failed: &HashSet<&str>) -> String {
    const W: i64 = 190;
    const H: i64 = 34;
    const GAP_X: i64 = 30;
    const GAP_Y: i64 = 40;
    let mut rank: HashMap<&str, usize> = HashMap::new();
    let mut queue = std::collections::VecDeque::new();
    if let Some(start) = &diagram.start {
        rank.insert(start, 0);
        queue.push_back(start.as_str());
    }
    while let Some(id) = queue.pop_front() {
        let r = rank[id];
        for edge in diagram.edges.iter().filter(|e| e.from == id) {
            if !rank.contains_key(edge.to.as_str()) {
                rank.insert(&edge.to, r + 1);
                queue.push_back(&edge.to);
            }
        }
    }
    let max_rank = rank.values().copied().max().unwrap_or(0);
    let mut rows: Vec<Vec<&str>> = vec![Vec::new(); max_rank + 2];
    for node in &diagram.nodes {
        let r = rank.get(node.id.as_str()).copied().unwrap_or(max_rank + 1);
        rows[r].push(&node.id);
    }
    let mut position: HashMap<&str, (i64, i64)> = HashMap::new();
    for (r, row) in rows.iter().enumerate() {
        for (c, id) in row.iter().enumerate() {
            position.insert(
                id,
                (20 + c as i64 * (W + GAP_X), 20 + r as i64 * (H + GAP_Y)),
            );
        }
    }
    let width = rows.iter().map(Vec::len).max().unwrap_or(1) as i64 * (W + GAP_X) + 40;
    let height = rows.len() as i64 * (H + GAP_Y) + 40;
    let mut out = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\"><defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#888\"/></marker></defs>");
    for edge in &diagram.edges {
        let (Some(&(x1, y1)), Some(&(x2, y2))) = (
            position.get(edge.from.as_str()),
            position.get(edge.to.as_str()),
        ) else {
            continue;
        };
        let dash = if edge.kind == EdgeKind::Catch {
            " stroke-dasharray=\"5,4\""
        } else {
            ""
        };
        let _ = write!(out, "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#888\"{dash} marker-end=\"url(#arrow)\"><title>{}</title></line>", x1 + W / 2, y1 + H, x2 + W / 2, y2, escape(edge.label.as_deref().unwrap_or("")));
    }
    for node in &diagram.nodes {
        let Some(&(x, y)) = position.get(node.id.as_str()) else {
            continue;
        };
        let fill = if failed.contains(node.name.as_str()) && !visited.contains(node.name.as_str()) {
            "#fff"
        } else if node.kind == "Fail" && visited.contains(node.name.as_str()) {
            "#f8c8c8"
        } else if failed.contains(node.name.as_str()) {
            "#fde2b8"
        } else if visited.contains(node.name.as_str()) {
            "#c8efc8"
        } else {
            "#f2f2f2"
        };
        let _ = write!(out, "<g><rect x=\"{x}\" y=\"{y}\" width=\"{W}\" height=\"{H}\" rx=\"8\" fill=\"{fill}\" stroke=\"#666\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#777\" font-size=\"10\">{}</text></g>", x + W / 2, y + 15, escape(&node.name), x + W / 2, y + 28, escape(&node.kind));
    }
    out.push_str("</svg>");
    out
}

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
