//! The SVG drawing of a laid-out state machine. Every edge is a `<path>` whose `d` holds its
//! laid-out polyline and whose `data-kind` says `next`, `choice`, `branch` or `catch`, so a test
//! reading the page can check crossings on the coordinates the browser shows.

use super::escape;
use super::layout::Layout;
use super::visits::Visit;
use crate::graph::EdgeKind;
use std::collections::HashSet;
use std::fmt::Write;

/// What the run did, to mark on the drawing.
pub struct Marks {
    /// States entered.
    pub visited: HashSet<String>,
    /// States with a failed attempt.
    pub failed: HashSet<String>,
    /// States whose task ran more than once in one visit.
    pub retried: HashSet<String>,
    /// Transitions taken, as (from, to) state names.
    pub taken: HashSet<(String, String)>,
}

impl Marks {
    /// The marks of a run's visits; `path` is the state names in the order entered.
    pub fn of(visits: &[Visit], path: &[String]) -> Marks {
        Marks {
            visited: visits.iter().map(|v| v.name.clone()).collect(),
            failed: visits
                .iter()
                .filter(|v| v.failed())
                .map(|v| v.name.clone())
                .collect(),
            retried: visits
                .iter()
                .filter(|v| v.attempts.len() > 1)
                .map(|v| v.name.clone())
                .collect(),
            taken: path
                .windows(2)
                .map(|w| (w[0].clone(), w[1].clone()))
                .collect(),
        }
    }
}

fn kind_name(kind: EdgeKind) -> &'static str {
    match kind {
        EdgeKind::Next => "next",
        EdgeKind::Choice => "choice",
        EdgeKind::Catch => "catch",
        EdgeKind::Branch => "branch",
    }
}

/// The SVG of `layout` with `marks`.
pub fn draw(layout: &Layout, marks: &Marks) -> String {
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"diagram\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\">\
<defs>{}</defs>",
        ["plain", "taken", "catch"]
            .iter()
            .map(|k| format!("<marker id=\"arrow-{k}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" class=\"arrow {k}\"/></marker>"))
            .collect::<String>(),
        w = layout.width,
        h = layout.height
    );
    if let Some(column) = layout.handler_column {
        let _ = write!(
            out,
            "<rect class=\"handlers\" x=\"{:.1}\" y=\"4\" width=\"{:.1}\" height=\"{:.1}\" rx=\"10\"/>\
<text class=\"handlers-title\" x=\"{:.1}\" y=\"22\">failure handlers</text>",
            column - 16.0,
            layout.width - column + 10.0,
            layout.height - 8.0,
            column - 4.0
        );
    }
    for group in &layout.groups {
        let _ = write!(
            out,
            "<g class=\"group {}\"><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"10\"/>\
<text x=\"{:.1}\" y=\"{:.1}\">{}</text></g>",
            group.kind,
            group.x,
            group.y,
            group.w,
            group.h,
            group.x + 8.0,
            group.y + group.h - 6.0,
            escape(&group.title)
        );
    }
    for edge in &layout.edges {
        let taken = marks.taken.contains(&(edge.from.clone(), edge.to.clone()));
        let kind = kind_name(edge.kind);
        let d = edge
            .points
            .iter()
            .enumerate()
            .map(|(i, (x, y))| format!("{}{x:.1},{y:.1}", if i == 0 { "M" } else { " L" }))
            .collect::<String>();
        let marker = if taken {
            "taken"
        } else if edge.kind == EdgeKind::Catch {
            "catch"
        } else {
            "plain"
        };
        let _ = write!(
            out,
            "<path class=\"edge {kind}{}\" data-kind=\"{kind}\" data-from=\"{}\" data-to=\"{}\" d=\"{d}\" marker-end=\"url(#arrow-{marker})\"><title>{} → {}{}</title></path>",
            if taken { " taken" } else { "" },
            escape(&edge.from),
            escape(&edge.to),
            escape(&edge.from),
            escape(&edge.to),
            edge.label
                .as_deref()
                .map(|l| format!(": {}", escape(l)))
                .unwrap_or_default()
        );
    }
    for node in &layout.nodes {
        let mut class = format!("node {}", node.kind.to_lowercase());
        for (set, name) in [
            (&marks.visited, " visited"),
            (&marks.failed, " failed"),
            (&marks.retried, " retried"),
        ] {
            if set.contains(&node.name) {
                class.push_str(name);
            }
        }
        if node.handler {
            class.push_str(" handler");
        }
        let (x, y) = (node.x - node.w / 2.0, node.y - node.h / 2.0);
        let badge = if marks.retried.contains(&node.name) {
            format!(
                "<circle class=\"badge\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"8\"/><text class=\"badge-text\" x=\"{:.1}\" y=\"{:.1}\">↻</text>",
                x + node.w - 2.0,
                y + 2.0,
                x + node.w - 2.0,
                y + 6.0
            )
        } else {
            String::new()
        };
        let _ = write!(
            out,
            "<g class=\"{class}\" data-name=\"{}\" data-kind=\"{}\" data-x=\"{:.1}\" data-y=\"{:.1}\">\
<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"{}\"/>\
<text class=\"name\" x=\"{:.1}\" y=\"{:.1}\">{}</text><text class=\"type\" x=\"{:.1}\" y=\"{:.1}\">{}</text>{badge}<title>{}</title></g>",
            escape(&node.name),
            escape(&node.kind),
            node.x,
            node.y,
            node.w,
            node.h,
            if matches!(node.kind.as_str(), "Succeed" | "Fail") { 20 } else { 7 },
            node.x,
            node.y - 2.0,
            escape(&node.name),
            node.x,
            node.y + 12.0,
            escape(&node.kind),
            escape(&node.name)
        );
    }
    out.push_str("</svg>");
    out
}
