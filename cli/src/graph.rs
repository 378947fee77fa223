//! `pipelines graph`: a state machine as a Mermaid or Graphviz diagram. Choice branches are
//! labelled with their conditions, Catch edges are dashed, Map and Parallel states hold their
//! branches as nested groups. It draws the engine's parsed model ([`asl::StateMachine`], its
//! transitions from [`asl::model_view`]), so a definition the engine refuses is not drawn:
//! its errors are printed and the exit status is 2.

use crate::project::Project;
use anyhow::Result;
use asl::choice::{Op, Operand, Rule};
use asl::jsonata::Template as JsonataTemplate;
use asl::model_view::Via;
use asl::states::choice::Condition;
use asl::states::{Graph, Kind};
use asl::StateMachine;
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
        let machine = project
            .load_machine(&project.machine(&args.name)?)?
            .state_machine()?;
        let diagram = Diagram::of(&machine);
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
    /// Builds the diagram of a parsed state machine (nested branches included).
    pub fn of(machine: &StateMachine) -> Diagram {
        let mut diagram = Diagram::default();
        diagram.start = Some(diagram.add_graph(&machine.graph, None));
        diagram
    }

    /// Adds the states of `graph` in `group`; returns the id of its start state.
    fn add_graph(&mut self, graph: &Graph, group: Option<usize>) -> String {
        let base = self.nodes.len();
        let id = |i: usize| format!("n{}", base + i);
        for (i, state) in graph.states.iter().enumerate() {
            self.nodes.push(Node {
                id: id(i),
                name: state.name.to_string(),
                kind: state.kind.type_name().to_string(),
                group,
                terminal: state.kind.ends(),
            });
        }
        for (i, state) in graph.states.iter().enumerate() {
            for edge in state.kind.transitions() {
                let (label, kind) = match (edge.via, &state.kind) {
                    (Via::Next, _) => (None, EdgeKind::Next),
                    (Via::Choice(r), Kind::Choice(choice)) => (
                        Some(describe_condition(&choice.choices[r].condition)),
                        EdgeKind::Choice,
                    ),
                    (Via::Choice(_), _) => (None, EdgeKind::Choice),
                    (Via::Default, _) => (Some("default".into()), EdgeKind::Choice),
                    (Via::Catch(c), _) => (
                        Some(state.kind.catchers()[c].error_equals.join(", ")),
                        EdgeKind::Catch,
                    ),
                };
                self.edges.push(Edge {
                    from: id(i),
                    to: id(edge.to),
                    label,
                    kind,
                });
            }
            let parallel = matches!(state.kind, Kind::Parallel(_));
            for (b, branch) in state.kind.branches().into_iter().enumerate() {
                let title = if parallel {
                    format!("{}: branch {}", state.name, b + 1)
                } else {
                    format!("{}: each item", state.name)
                };
                self.groups.push(Group {
                    title,
                    parent: group,
                    owner: id(i),
                });
                let start = self.add_graph(branch, Some(self.groups.len() - 1));
                self.edges.push(Edge {
                    from: id(i),
                    to: start,
                    label: None,
                    kind: EdgeKind::Branch,
                });
            }
        }
        id(graph.start)
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

/// A Choice rule in words: `$.x < 15`, `($.a is present and $.b == true)`, or a JSONata
/// rule's `Condition` as written; cut at 70 characters.
pub fn describe_condition(condition: &Condition) -> String {
    let text = match condition {
        Condition::Path(rule) => describe(rule),
        Condition::Jsonata(JsonataTemplate::Expr(e)) => format!("{{% {} %}}", e.as_str()),
        Condition::Jsonata(JsonataTemplate::Literal(v)) => v.to_string(),
        Condition::Jsonata(_) => "?".to_string(),
    };
    if text.chars().count() > 70 {
        format!("{}…", text.chars().take(70).collect::<String>())
    } else {
        text
    }
}

fn describe(rule: &Rule) -> String {
    let list = |rules: &[Rule], joiner: &str| {
        format!(
            "({})",
            rules.iter().map(describe).collect::<Vec<_>>().join(joiner)
        )
    };
    let (variable, op, operand) = match rule {
        Rule::And(rules) => return list(rules, " and "),
        Rule::Or(rules) => return list(rules, " or "),
        Rule::Not(inner) => return format!("not {}", describe(inner)),
        Rule::Compare {
            variable,
            op,
            operand,
        } => (variable.as_str(), *op, operand),
    };
    let operand = match operand {
        Operand::Path(p) => p.as_str().to_string(),
        Operand::Value(Value::String(s)) => s.clone(),
        Operand::Value(other) => other.to_string(),
    };
    let symbol = match op {
        Op::NumericEquals | Op::StringEquals | Op::BooleanEquals | Op::TimestampEquals => "==",
        Op::NumericLessThan | Op::StringLessThan | Op::TimestampLessThan => "<",
        Op::NumericGreaterThan | Op::StringGreaterThan | Op::TimestampGreaterThan => ">",
        Op::NumericLessThanEquals | Op::StringLessThanEquals | Op::TimestampLessThanEquals => "<=",
        Op::NumericGreaterThanEquals
        | Op::StringGreaterThanEquals
        | Op::TimestampGreaterThanEquals => ">=",
        Op::StringMatches => "matches",
        Op::IsPresent => {
            let present = if operand == "true" {
                "is present"
            } else {
                "is absent"
            };
            return format!("{variable} {present}");
        }
        Op::IsNull | Op::IsNumeric | Op::IsString | Op::IsBoolean | Op::IsTimestamp => {
            let what = op.as_str().trim_start_matches("Is").to_lowercase();
            let is = if operand == "true" { "is" } else { "is not" };
            return format!("{variable} {is} {what}");
        }
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

    fn diagram(definition: Value) -> Diagram {
        Diagram::of(&StateMachine::from_value(&definition).expect("a valid definition"))
    }

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
        let mermaid = diagram(definition()).mermaid();
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
        let m = diagram(def).mermaid();
        for state in ["Evaluate", "Gate", "Promote", "Reject"] {
            assert!(m.contains(state), "{m}");
        }
        assert!(m.contains("mape"), "{m}");
    }

    #[test]
    fn dot_output_nests_branches_in_clusters() {
        let dot = diagram(definition()).dot();
        assert!(dot.contains("subgraph cluster_0"), "{dot}");
        assert!(
            dot.contains("n1 -> n2 [label=\"States.ALL\", style=dashed, color=red];"),
            "{dot}"
        );
        assert!(dot.starts_with("digraph StateMachine {"));
    }
}
