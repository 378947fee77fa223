//! `pipelines graph`: a state machine as a Mermaid or Graphviz diagram. Choice branches are
//! labelled with their conditions, Catch edges are dashed, Map and Parallel states hold their
//! branches as nested groups.

use crate::project::Project;
use anyhow::Result;
use serde_json::Value;
use std::fmt::Write;
use std::path::PathBuf;

/// Draw a state machine as a diagram.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  pipelines graph ml-retraining                   # Mermaid, for Markdown
  pipelines graph ml-retraining --format dot | dot -Tsvg > ml-retraining.svg")]
pub struct Args {
    /// The state machine (definition name or logical id).
    name: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Mermaid)]
    format: Format,
    /// The project folder (default: found upwards from the working directory).
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,
}

/// Diagram languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Mermaid flowchart.
    Mermaid,
    /// Graphviz DOT.
    Dot,
}

/// Runs the subcommand; returns the exit code.
pub fn run(args: Args) -> u8 {
    let result = (|| -> Result<String> {
        let project = Project::discover(args.project.as_deref(), &Default::default())?;
        let machine = project.load_machine(&project.machine(&args.name)?)?;
        let diagram = Diagram::from_definition(&machine.definition);
        Ok(match args.format {
            Format::Mermaid => diagram.mermaid(),
            Format::Dot => diagram.dot(),
        })
    })();
    match result {
        Ok(text) => {
            print!("{text}");
            0
        }
        Err(e) => {
            eprintln!("pipelines graph: {e:#}");
            2
        }
    }
}

/// How one state leads to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    /// `Next`.
    Next,
    /// A Choice rule or its `Default`.
    Choice,
    /// A `Catch`.
    Catch,
    /// Into a Map's or Parallel's branch.
    Branch,
}

/// A state in the diagram.
#[derive(Debug, Clone)]
pub struct Node {
    /// Unique id (`n0`, `n1`, ...).
    pub id: String,
    /// The state name.
    pub name: String,
    /// The state type.
    pub kind: String,
    /// Index of the group it sits in (`None` at top level).
    pub group: Option<usize>,
    /// Whether it ends its branch (End, Succeed, Fail).
    pub terminal: bool,
}

/// A transition.
#[derive(Debug, Clone)]
pub struct Edge {
    /// From node id.
    pub from: String,
    /// To node id.
    pub to: String,
    /// Condition or error names.
    pub label: Option<String>,
    /// Kind.
    pub kind: EdgeKind,
}

/// A Map iteration or Parallel branch.
#[derive(Debug, Clone)]
pub struct Group {
    /// Title.
    pub title: String,
    /// Enclosing group.
    pub parent: Option<usize>,
    /// The Map or Parallel node that runs it.
    pub owner: String,
}

/// The whole diagram.
#[derive(Debug, Clone, Default)]
pub struct Diagram {
    /// The nodes.
    pub nodes: Vec<Node>,
    /// The edges.
    pub edges: Vec<Edge>,
    /// The groups.
    pub groups: Vec<Group>,
    /// The top-level start node.
    pub start: Option<String>,
}

impl Diagram {
    /// Builds the diagram of a definition (nested branches included).
    pub fn from_definition(definition: &Value) -> Diagram {
        let mut diagram = Diagram::default();
        diagram.start = diagram.add_graph(definition, None);
        diagram
    }

    /// Adds the states of `graph` (an object with `StartAt` and `States`); returns the start id.
    fn add_graph(&mut self, graph: &Value, group: Option<usize>) -> Option<String> {
        let states = graph.get("States")?.as_object()?;
        let base = self.nodes.len();
        let ids: std::collections::HashMap<&str, String> = states
            .keys()
            .enumerate()
            .map(|(i, name)| (name.as_str(), format!("n{}", base + i)))
            .collect();
        for (name, state) in states {
            let kind = state
                .get("Type")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string();
            let terminal = state.get("End").and_then(Value::as_bool) == Some(true)
                || matches!(kind.as_str(), "Succeed" | "Fail");
            self.nodes.push(Node {
                id: ids[name.as_str()].clone(),
                name: name.clone(),
                kind,
                group,
                terminal,
            });
        }
        for (name, state) in states {
            let from = ids[name.as_str()].clone();
            let link = |target: Option<&str>,
                        label: Option<String>,
                        kind: EdgeKind,
                        edges: &mut Vec<Edge>| {
                if let Some(to) = target.and_then(|t| ids.get(t)) {
                    edges.push(Edge {
                        from: from.clone(),
                        to: to.clone(),
                        label,
                        kind,
                    });
                }
            };
            link(
                state.get("Next").and_then(Value::as_str),
                None,
                EdgeKind::Next,
                &mut self.edges,
            );
            for rule in state
                .get("Choices")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                link(
                    rule.get("Next").and_then(Value::as_str),
                    Some(describe_rule(rule)),
                    EdgeKind::Choice,
                    &mut self.edges,
                );
            }
            link(
                state.get("Default").and_then(Value::as_str),
                Some("default".into()),
                EdgeKind::Choice,
                &mut self.edges,
            );
            for catcher in state
                .get("Catch")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let errors = catcher
                    .get("ErrorEquals")
                    .and_then(Value::as_array)
                    .map(|e| {
                        e.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                link(
                    catcher.get("Next").and_then(Value::as_str),
                    Some(errors),
                    EdgeKind::Catch,
                    &mut self.edges,
                );
            }
            let branches: Vec<(&Value, String)> = match state.get("Type").and_then(Value::as_str) {
                Some("Parallel") => state
                    .get("Branches")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                    .map(|(i, b)| (b, format!("{name}: branch {}", i + 1)))
                    .collect(),
                Some("Map") => state
                    .get("ItemProcessor")
                    .or_else(|| state.get("Iterator"))
                    .map(|p| vec![(p, format!("{name}: each item"))])
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            for (branch, title) in branches {
                self.groups.push(Group {
                    title,
                    parent: group,
                    owner: from.clone(),
                });
                let index = self.groups.len() - 1;
                if let Some(start) = self.add_graph(branch, Some(index)) {
                    self.edges.push(Edge {
                        from: from.clone(),
                        to: start,
                        label: None,
                        kind: EdgeKind::Branch,
                    });
                }
            }
        }
        graph
            .get("StartAt")
            .and_then(Value::as_str)
            .and_then(|s| ids.get(s))
            .cloned()
    }

    /// The nodes directly in `group` (`None`: the top level).
    fn nodes_in(&self, group: Option<usize>) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(move |n| n.group == group)
    }

    /// The groups nested directly in `parent`, with their indexes.
    fn groups_in(&self, parent: Option<usize>) -> impl Iterator<Item = (usize, &Group)> {
        self.groups
            .iter()
            .enumerate()
            .filter(move |(_, g)| g.parent == parent)
    }

    /// The Mermaid flowchart.
    pub fn mermaid(&self) -> String {
        let mut out = String::from("flowchart TD\n");
        out.push_str("    start((start))\n");
        self.mermaid_group(&mut out, None, 1);
        if let Some(start) = &self.start {
            let _ = writeln!(out, "    start --> {start}");
        }
        for edge in &self.edges {
            let label = edge
                .label
                .as_deref()
                .map(|l| format!("|\"{}\"|", mermaid_text(l)))
                .unwrap_or_default();
            let arrow = match edge.kind {
                EdgeKind::Catch => "-.->",
                EdgeKind::Branch => "==>",
                _ => "-->",
            };
            let _ = writeln!(out, "    {} {arrow}{label} {}", edge.from, edge.to);
        }
        for node in self.nodes.iter().filter(|n| n.terminal) {
            let _ = writeln!(out, "    {} --> finish((end))", node.id);
        }
        out.push_str(
            "    classDef fail fill:#fdd,stroke:#c00\n    classDef succeed fill:#dfd,stroke:#070\n",
        );
        for node in &self.nodes {
            match node.kind.as_str() {
                "Fail" => {
                    let _ = writeln!(out, "    class {} fail", node.id);
                }
                "Succeed" => {
                    let _ = writeln!(out, "    class {} succeed", node.id);
                }
                _ => {}
            }
        }
        out
    }

    fn mermaid_group(&self, out: &mut String, group: Option<usize>, depth: usize) {
        let indent = "    ".repeat(depth);
        for node in self.nodes_in(group) {
            let text = mermaid_text(&format!("{}<br/><small>{}</small>", node.name, node.kind));
            let shape = match node.kind.as_str() {
                "Choice" => format!("{{\"{text}\"}}"),
                "Succeed" | "Fail" => format!("([\"{text}\"])"),
                "Map" | "Parallel" => format!("[[\"{text}\"]]"),
                _ => format!("[\"{text}\"]"),
            };
            let _ = writeln!(out, "{indent}{}{shape}", node.id);
        }
        for (i, g) in self.groups_in(group) {
            let _ = writeln!(
                out,
                "{indent}subgraph g{i} [\"{}\"]",
                mermaid_text(&g.title)
            );
            self.mermaid_group(out, Some(i), depth + 1);
            let _ = writeln!(out, "{indent}end");
        }
    }

    /// The Graphviz DOT graph.
    pub fn dot(&self) -> String {
        let mut out = String::from("digraph StateMachine {\n    rankdir=TB;\n    node [shape=box, style=rounded, fontname=\"Helvetica\"];\n    edge [fontname=\"Helvetica\", fontsize=10];\n    start [shape=circle, label=\"start\"];\n    finish [shape=doublecircle, label=\"end\"];\n");
        self.dot_group(&mut out, None, 1);
        if let Some(start) = &self.start {
            let _ = writeln!(out, "    start -> {start};");
        }
        for edge in &self.edges {
            let mut attrs = Vec::new();
            if let Some(label) = &edge.label {
                attrs.push(format!("label=\"{}\"", dot_text(label)));
            }
            match edge.kind {
                EdgeKind::Catch => attrs.push("style=dashed, color=red".into()),
                EdgeKind::Branch => attrs.push("style=bold".into()),
                _ => {}
            }
            let _ = writeln!(
                out,
                "    {} -> {} [{}];",
                edge.from,
                edge.to,
                attrs.join(", ")
            );
        }
        for node in self.nodes.iter().filter(|n| n.terminal) {
            let _ = writeln!(out, "    {} -> finish;", node.id);
        }
        out.push_str("}\n");
        out
    }

    fn dot_group(&self, out: &mut String, group: Option<usize>, depth: usize) {
        let indent = "    ".repeat(depth);
        for node in self.nodes_in(group) {
            let shape = match node.kind.as_str() {
                "Choice" => ", shape=diamond",
                "Succeed" => ", style=\"rounded,filled\", fillcolor=\"#ddffdd\"",
                "Fail" => ", style=\"rounded,filled\", fillcolor=\"#ffdddd\"",
                "Map" | "Parallel" => ", shape=box3d",
                _ => "",
            };
            let _ = writeln!(
                out,
                "{indent}{} [label=\"{}\\n({})\"{shape}];",
                node.id,
                dot_text(&node.name),
                node.kind
            );
        }
        for (i, g) in self.groups_in(group) {
            let _ = writeln!(
                out,
                "{indent}subgraph cluster_{i} {{\n{indent}    label=\"{}\"; style=dashed;",
                dot_text(&g.title)
            );
            self.dot_group(out, Some(i), depth + 1);
            let _ = writeln!(out, "{indent}}}");
        }
    }
}

/// A Choice rule in words: `$.x < 15`, `$.a is present and $.b == true`, ...
pub fn describe_rule(rule: &Value) -> String {
    let text = describe(rule);
    if text.chars().count() > 70 {
        format!("{}…", text.chars().take(70).collect::<String>())
    } else {
        text
    }
}

fn describe(rule: &Value) -> String {
    let list = |key: &str, joiner: &str| {
        rule.get(key).and_then(Value::as_array).map(|rules| {
            format!(
                "({})",
                rules.iter().map(describe).collect::<Vec<_>>().join(joiner)
            )
        })
    };
    if let Some(text) = list("And", " and ").or_else(|| list("Or", " or ")) {
        return text;
    }
    if let Some(inner) = rule.get("Not") {
        return format!("not {}", describe(inner));
    }
    if let Some(condition) = rule.get("Condition").and_then(Value::as_str) {
        return condition.to_string();
    }
    let variable = rule.get("Variable").and_then(Value::as_str).unwrap_or("?");
    let Some((operator, operand)) = rule.as_object().and_then(|o| {
        o.iter().find(|(k, _)| {
            !matches!(
                k.as_str(),
                "Variable" | "Next" | "Comment" | "Assign" | "Output"
            )
        })
    }) else {
        return variable.to_string();
    };
    let symbol = match operator.trim_end_matches("Path") {
        "NumericEquals" | "StringEquals" | "BooleanEquals" | "TimestampEquals" => "==",
        "NumericLessThan" | "StringLessThan" | "TimestampLessThan" => "<",
        "NumericGreaterThan" | "StringGreaterThan" | "TimestampGreaterThan" => ">",
        "NumericLessThanEquals" | "StringLessThanEquals" | "TimestampLessThanEquals" => "<=",
        "NumericGreaterThanEquals" | "StringGreaterThanEquals" | "TimestampGreaterThanEquals" => {
            ">="
        }
        "StringMatches" => "matches",
        "IsPresent" => {
            return format!(
                "{variable} {}",
                if operand == &Value::Bool(true) {
                    "is present"
                } else {
                    "is absent"
                }
            )
        }
        "IsNull" | "IsNumeric" | "IsString" | "IsBoolean" | "IsTimestamp" => {
            let what = operator.trim_start_matches("Is").to_lowercase();
            return format!(
                "{variable} {} {what}",
                if operand == &Value::Bool(true) {
                    "is"
                } else {
                    "is not"
                }
            );
        }
        other => other,
    };
    let operand = match operand {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    format!("{variable} {symbol} {operand}")
}

fn mermaid_text(text: &str) -> String {
    text.replace('"', "#quot;")
}

fn dot_text(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn definition() -> Value {
        json!({
            "StartAt": "Check",
            "States": {
                "Check": {"Type": "Choice", "Choices": [
                    {"And": [{"Variable": "$.mape", "NumericLessThanPath": "$.threshold"},
                             {"Variable": "$.beats", "BooleanEquals": true}], "Next": "Fan"}
                ], "Default": "Failed"},
                "Fan": {"Type": "Parallel", "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}
                ], "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}], "End": true},
                "Failed": {"Type": "Fail"}
            }
        })
    }

    #[test]
    fn choice_edges_carry_their_conditions_and_catch_edges_are_dashed() {
        let mermaid = Diagram::from_definition(&definition()).mermaid();
        assert!(
            mermaid.contains(r#"n0 -->|"($.mape < $.threshold and $.beats == true)"| n1"#),
            "{mermaid}"
        );
        assert!(mermaid.contains(r#"n0 -->|"default"| n2"#), "{mermaid}");
        assert!(mermaid.contains(r#"n1 -.->|"States.ALL"| n2"#), "{mermaid}");
        assert!(
            mermaid.contains("subgraph g0 [\"Fan: branch 1\"]"),
            "{mermaid}"
        );
        assert!(mermaid.contains("n1 ==> n3"), "{mermaid}");
    }

    #[test]
    fn jsonata_machines_are_drawn_with_their_conditions() {
        let def: Value =
            serde_json::from_str(include_str!("../tests/fixtures/jsonata/evaluate.asl.json"))
                .unwrap();
        let m = Diagram::from_definition(&def).mermaid();
        for state in ["Evaluate", "Gate", "Promote", "Reject"] {
            assert!(m.contains(state), "{m}");
        }
        assert!(m.contains("mape"), "{m}");
    }

    #[test]
    fn dot_output_nests_branches_in_clusters() {
        let dot = Diagram::from_definition(&definition()).dot();
        assert!(dot.contains("subgraph cluster_0"), "{dot}");
        assert!(
            dot.contains("n1 -> n2 [label=\"States.ALL\", style=dashed, color=red];"),
            "{dot}"
        );
        assert!(dot.starts_with("digraph StateMachine {"));
    }
}
