//! The drawing of a state machine: a layered (Sugiyama) layout by `dagre` (a port of dagre.js,
//! the layout behind Mermaid), with Map and Parallel states as nested groups, and the failure
//! handlers (the states only Catch edges reach) laid out apart, to the right of the main flow,
//! so that Catch edges reach them through a corridor beside it instead of across it.

use crate::graph::{Diagram, EdgeKind};
use dagre::graph::{Graph, GraphOptions};
use dagre::{EdgeLabel, LayoutOptions, NodeLabel};
use std::collections::{HashMap, HashSet, VecDeque};

/// A state's box (centre and size, in SVG pixels).
#[derive(Debug, Clone)]
pub struct PlacedNode {
    /// The diagram node id.
    pub id: String,
    /// The state name.
    pub name: String,
    /// The state type.
    pub kind: String,
    /// Centre x.
    pub x: f64,
    /// Centre y.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
    /// Whether it is a failure handler (reached only through Catch edges).
    pub handler: bool,
}

/// A Map's or Parallel's frame, or one of its branches.
#[derive(Debug, Clone)]
pub struct PlacedGroup {
    /// Title.
    pub title: String,
    /// Top-left x.
    pub x: f64,
    /// Top-left y.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
    /// `state` for a Map/Parallel frame, `branch` for a branch or item processor inside it.
    pub kind: &'static str,
}

/// A drawn transition.
#[derive(Debug, Clone)]
pub struct PlacedEdge {
    /// From state name.
    pub from: String,
    /// To state name.
    pub to: String,
    /// Condition or error names.
    pub label: Option<String>,
    /// Kind.
    pub kind: EdgeKind,
    /// The polyline, start to end.
    pub points: Vec<(f64, f64)>,
}

/// A laid-out diagram.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Width of the drawing.
    pub width: f64,
    /// Height of the drawing.
    pub height: f64,
    /// The states.
    pub nodes: Vec<PlacedNode>,
    /// The frames, outermost first.
    pub groups: Vec<PlacedGroup>,
    /// The transitions.
    pub edges: Vec<PlacedEdge>,
    /// Where the failure handlers' column starts (x), when there are handlers.
    pub handler_column: Option<f64>,
}

const NODE_H: f64 = 40.0;
const JOIN: &str = "join:";
const FRAME: &str = "frame:";
const BRANCH: &str = "branch:";
/// Space between the main flow and the handlers' column; Catch edges run in its middle.
const CORRIDOR: f64 = 110.0;

fn node_width(name: &str) -> f64 {
    (name.chars().count() as f64 * 7.4 + 34.0).max(120.0)
}

/// The states reachable from the start without a Catch edge (a state inside a Map or Parallel
/// counts as reached when its owner is).
fn main_flow(diagram: &Diagram) -> HashSet<String> {
    let mut seen = HashSet::new();
    let mut queue: VecDeque<String> = diagram.start.iter().cloned().collect();
    while let Some(id) = queue.pop_front() {
        if !seen.insert(id.clone()) {
            continue;
        }
        for edge in diagram
            .edges
            .iter()
            .filter(|e| e.from == id && e.kind != EdgeKind::Catch)
        {
            queue.push_back(edge.to.clone());
        }
    }
    // Inside branches, everything counts as part of its owner's flow.
    for node in &diagram.nodes {
        if node.group.is_some() {
            seen.insert(node.id.clone());
        }
    }
    seen
}

/// The layout id of the point an edge leaves `id` from: a Map/Parallel leaves from its join.
fn exit_of(diagram: &Diagram, id: &str) -> String {
    if diagram.groups.iter().any(|g| g.owner == id) {
        format!("{JOIN}{id}")
    } else {
        id.to_string()
    }
}

fn options() -> LayoutOptions {
    LayoutOptions {
        nodesep: 36.0,
        ranksep: 46.0,
        edgesep: 14.0,
        marginx: 20.0,
        marginy: 20.0,
        ..Default::default()
    }
}

fn new_graph() -> Graph<NodeLabel, EdgeLabel> {
    Graph::with_options(GraphOptions {
        directed: true,
        multigraph: true,
        compound: true,
    })
}

fn sized(w: f64, h: f64) -> NodeLabel {
    NodeLabel {
        width: w,
        height: h,
        ..Default::default()
    }
}

/// Lays out `ids` (diagram node ids) with the edges among them; Map/Parallel states become
/// frames holding their branches. Returns the graph after layout.
fn lay_out(diagram: &Diagram, ids: &HashSet<String>) -> Graph<NodeLabel, EdgeLabel> {
    let mut g = new_graph();
    let owners: HashSet<&str> = diagram.groups.iter().map(|g| g.owner.as_str()).collect();
    for node in diagram.nodes.iter().filter(|n| ids.contains(&n.id)) {
        g.set_node(node.id.clone(), Some(sized(node_width(&node.name), NODE_H)));
        if owners.contains(node.id.as_str()) {
            g.set_node(format!("{FRAME}{}", node.id), Some(NodeLabel::default()));
            g.set_node(format!("{JOIN}{}", node.id), Some(sized(14.0, 14.0)));
            g.set_parent(&node.id, Some(&format!("{FRAME}{}", node.id)));
            g.set_parent(
                &format!("{JOIN}{}", node.id),
                Some(&format!("{FRAME}{}", node.id)),
            );
        }
    }
    // Frames and branches nest: a branch sits in its owner's frame, a frame in the branch (or
    // top level) its owner sits in.
    for (index, group) in diagram.groups.iter().enumerate() {
        if !ids.contains(&group.owner) {
            continue;
        }
        let branch = format!("{BRANCH}{index}");
        g.set_node(branch.clone(), Some(NodeLabel::default()));
        g.set_parent(&branch, Some(&format!("{FRAME}{}", group.owner)));
    }
    for node in diagram.nodes.iter().filter(|n| ids.contains(&n.id)) {
        let container = node.group.map(|i| format!("{BRANCH}{i}"));
        let own = if owners.contains(node.id.as_str()) {
            format!("{FRAME}{}", node.id)
        } else {
            node.id.clone()
        };
        if let Some(container) = container {
            g.set_parent(&own, Some(&container));
        }
    }
    for (i, edge) in diagram.edges.iter().enumerate() {
        if !(ids.contains(&edge.from) && ids.contains(&edge.to)) {
            continue;
        }
        let from = if edge.kind == EdgeKind::Branch {
            edge.from.clone()
        } else {
            exit_of(diagram, &edge.from)
        };
        let name = format!("e{i}");
        g.set_edge(
            from,
            edge.to.clone(),
            Some(EdgeLabel::default()),
            Some(&name),
        );
    }
    // Each branch's last states lead to the join, so the frame closes below them.
    for node in diagram
        .nodes
        .iter()
        .filter(|n| n.terminal && ids.contains(&n.id))
    {
        if let Some(index) = node.group {
            let owner = &diagram.groups[index].owner;
            let from = exit_of(diagram, &node.id);
            g.set_edge(
                from,
                format!("{JOIN}{owner}"),
                Some(EdgeLabel::default()),
                Some(&format!("end{}", node.id)),
            );
        }
    }
    dagre::layout(&mut g, Some(options()));
    g
}

/// The handlers split into groups connected by their own (non-Catch) edges, ordered by the height of the
/// first main-flow state that catches into each.
fn handler_components(
    diagram: &Diagram,
    handlers: &HashSet<String>,
    main_nodes: &[PlacedNode],
) -> Vec<HashSet<String>> {
    let mut components: Vec<HashSet<String>> = Vec::new();
    for node in diagram.nodes.iter().filter(|n| handlers.contains(&n.id)) {
        if components.iter().any(|c| c.contains(&node.id)) {
            continue;
        }
        let mut component = HashSet::new();
        let mut stack = vec![node.id.clone()];
        while let Some(id) = stack.pop() {
            if !component.insert(id.clone()) {
                continue;
            }
            for edge in diagram.edges.iter().filter(|e| e.kind != EdgeKind::Catch) {
                let other = if edge.from == id {
                    &edge.to
                } else if edge.to == id {
                    &edge.from
                } else {
                    continue;
                };
                if handlers.contains(other) {
                    stack.push(other.clone());
                }
            }
        }
        components.push(component);
    }
    let first_source_y = |component: &HashSet<String>| {
        diagram
            .edges
            .iter()
            .filter(|e| component.contains(&e.to) && !component.contains(&e.from))
            .filter_map(|e| main_nodes.iter().find(|n| n.id == e.from).map(|n| n.y))
            .fold(f64::INFINITY, f64::min)
    };
    components.sort_by(|a, b| first_source_y(a).total_cmp(&first_source_y(b)));
    components
}

fn edge_points(
    g: &Graph<NodeLabel, EdgeLabel>,
    from: &str,
    to: &str,
    name: &str,
) -> Vec<(f64, f64)> {
    g.edge(from, to, Some(name))
        .map(|label| label.points.iter().map(|p| (p.x, p.y)).collect())
        .unwrap_or_default()
}

fn centre(g: &Graph<NodeLabel, EdgeLabel>, id: &str) -> Option<(f64, f64, f64, f64)> {
    let n = g.node(id)?;
    Some((n.x?, n.y?, n.width, n.height))
}

impl Layout {
    /// Lays out `diagram`.
    pub fn of(diagram: &Diagram) -> Layout {
        let main = main_flow(diagram);
        let handlers: HashSet<String> = diagram
            .nodes
            .iter()
            .filter(|n| !main.contains(&n.id))
            .map(|n| n.id.clone())
            .collect();
        let main_graph = lay_out(diagram, &main);
        let mut layout = Layout::default();
        let mut main_right: f64 = 0.0;
        let mut main_bottom: f64 = 0.0;
        for node in diagram.nodes.iter().filter(|n| main.contains(&n.id)) {
            if let Some((x, y, w, h)) = centre(&main_graph, &node.id) {
                main_right = main_right.max(x + w / 2.0);
                main_bottom = main_bottom.max(y + h / 2.0);
                layout.nodes.push(PlacedNode {
                    id: node.id.clone(),
                    name: node.name.clone(),
                    kind: node.kind.clone(),
                    x,
                    y,
                    w,
                    h,
                    handler: false,
                });
            }
        }
        let mut owners: Vec<&str> = diagram.groups.iter().map(|g| g.owner.as_str()).collect();
        owners.dedup();
        let frames = owners
            .iter()
            .map(|owner| (format!("{FRAME}{owner}"), String::new(), "state"));
        let branches = diagram
            .groups
            .iter()
            .enumerate()
            .map(|(index, group)| (format!("{BRANCH}{index}"), group.title.clone(), "branch"));
        for (id, title, kind) in frames.chain(branches) {
            if let Some((x, y, w, h)) = centre(&main_graph, &id) {
                main_right = main_right.max(x + w / 2.0);
                main_bottom = main_bottom.max(y + h / 2.0);
                layout.groups.push(PlacedGroup {
                    title,
                    x: x - w / 2.0,
                    y: y - h / 2.0,
                    w,
                    h,
                    kind,
                });
            }
        }
        // Handlers: each connected group of them gets its own layered layout; the groups stack
        // in the column right of the main flow, each level with the first state catching into it.
        let column = main_right + CORRIDOR;
        let mut right = main_right;
        let mut bottom = main_bottom;
        let mut placed_handlers: Vec<(HashSet<String>, Graph<NodeLabel, EdgeLabel>, f64)> =
            Vec::new();
        let mut next_free_y: f64 = 0.0;
        for component in handler_components(diagram, &handlers, &layout.nodes) {
            let graph = lay_out(diagram, &component);
            let top = component
                .iter()
                .filter_map(|id| centre(&graph, id))
                .map(|(_, y, _, h)| y - h / 2.0)
                .fold(f64::INFINITY, f64::min);
            if !top.is_finite() {
                continue;
            }
            let wanted = diagram
                .edges
                .iter()
                .filter(|e| e.kind == EdgeKind::Catch && component.contains(&e.to))
                .filter_map(|e| layout.nodes.iter().find(|n| n.id == e.from))
                .map(|n| n.y - NODE_H / 2.0)
                .fold(f64::INFINITY, f64::min);
            let wanted = if wanted.is_finite() { wanted } else { 0.0 };
            let dy = wanted.max(next_free_y) - top;
            for node in diagram.nodes.iter().filter(|n| component.contains(&n.id)) {
                if let Some((x, y, w, h)) = centre(&graph, &node.id) {
                    let placed = PlacedNode {
                        id: node.id.clone(),
                        name: node.name.clone(),
                        kind: node.kind.clone(),
                        x: x + column,
                        y: y + dy,
                        w,
                        h,
                        handler: true,
                    };
                    right = right.max(placed.x + w / 2.0);
                    bottom = bottom.max(placed.y + h / 2.0);
                    next_free_y = next_free_y.max(placed.y + h / 2.0 + 28.0);
                    layout.nodes.push(placed);
                }
            }
            placed_handlers.push((component, graph, dy));
        }
        if !handlers.is_empty() {
            layout.handler_column = Some(column);
        }
        let by_id: HashMap<&str, &PlacedNode> =
            layout.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
        let name_of = |id: &str| {
            diagram
                .nodes
                .iter()
                .find(|n| n.id == id)
                .map(|n| n.name.clone())
                .unwrap_or_default()
        };
        let mut edges = Vec::new();
        for (i, edge) in diagram.edges.iter().enumerate() {
            let name = format!("e{i}");
            let from_main = main.contains(&edge.from);
            let to_main = main.contains(&edge.to);
            let from_layout = if edge.kind == EdgeKind::Branch {
                edge.from.clone()
            } else {
                exit_of(diagram, &edge.from)
            };
            let points = match (from_main, to_main) {
                (true, true) => edge_points(&main_graph, &from_layout, &edge.to, &name),
                (false, false) => match placed_handlers
                    .iter()
                    .find(|(ids, _, _)| ids.contains(&edge.to) && ids.contains(&edge.from))
                {
                    Some((_, graph, dy)) => edge_points(graph, &from_layout, &edge.to, &name)
                        .into_iter()
                        .map(|(x, y)| (x + column, y + dy))
                        .collect(),
                    // From one group of handlers to another: along a lane right of them all.
                    None => {
                        let (Some(a), Some(b)) =
                            (by_id.get(edge.from.as_str()), by_id.get(edge.to.as_str()))
                        else {
                            continue;
                        };
                        let lane = right + 18.0;
                        vec![
                            (a.x + a.w / 2.0, a.y),
                            (lane, a.y),
                            (lane, b.y),
                            (b.x + b.w / 2.0, b.y),
                        ]
                    }
                },
                // Through the corridor: right out of the source, down or up the corridor, into
                // the target's side.
                (true, false) | (false, true) => {
                    let (Some(a), Some(b)) =
                        (by_id.get(edge.from.as_str()), by_id.get(edge.to.as_str()))
                    else {
                        continue;
                    };
                    let lane = column - CORRIDOR / 2.0;
                    let (from_x, to_x) = if from_main {
                        (a.x + a.w / 2.0, b.x - b.w / 2.0)
                    } else {
                        (a.x - a.w / 2.0, b.x + b.w / 2.0)
                    };
                    let from_y = if matches!(a.kind.as_str(), "Map" | "Parallel") {
                        centre(&main_graph, &from_layout).map_or(a.y, |c| c.1)
                    } else {
                        a.y
                    };
                    vec![(from_x, from_y), (lane, from_y), (lane, b.y), (to_x, b.y)]
                }
            };
            if points.is_empty() {
                continue;
            }
            edges.push(PlacedEdge {
                from: name_of(&edge.from),
                to: name_of(&edge.to),
                label: edge.label.clone(),
                kind: edge.kind,
                points,
            });
        }
        layout.edges = edges;
        layout.width = right + if handlers.is_empty() { 30.0 } else { 40.0 };
        layout.height = bottom + 30.0;
        layout
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    impl Layout {
        /// Pairs (Catch edge index, main-flow edge index) whose polylines cross (touching at a
        /// shared end does not count).
        pub fn catch_crossings(&self) -> Vec<(usize, usize)> {
            let mut out = Vec::new();
            for (i, catch) in self.edges.iter().enumerate() {
                if catch.kind != EdgeKind::Catch {
                    continue;
                }
                for (j, flow) in self.edges.iter().enumerate() {
                    if flow.kind == EdgeKind::Catch {
                        continue;
                    }
                    if polylines_cross(&catch.points, &flow.points) {
                        out.push((i, j));
                    }
                }
            }
            out
        }
    }

    /// Whether two polylines cross at a point inside both (segments that only share an end point,
    /// as edges leaving the same state do, do not count).
    pub fn polylines_cross(a: &[(f64, f64)], b: &[(f64, f64)]) -> bool {
        a.windows(2)
            .any(|s| b.windows(2).any(|t| segments_cross(s[0], s[1], t[0], t[1])))
    }

    fn segments_cross(p1: (f64, f64), p2: (f64, f64), q1: (f64, f64), q2: (f64, f64)) -> bool {
        let cross = |o: (f64, f64), a: (f64, f64), b: (f64, f64)| {
            (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
        };
        let d1 = cross(q1, q2, p1);
        let d2 = cross(q1, q2, p2);
        let d3 = cross(p1, p2, q1);
        let d4 = cross(p1, p2, q2);
        const EPS: f64 = 1e-6;
        ((d1 > EPS && d2 < -EPS) || (d1 < -EPS && d2 > EPS))
            && ((d3 > EPS && d4 < -EPS) || (d3 < -EPS && d4 > EPS))
    }

    #[test]
    fn segments_that_cross_are_found_and_shared_ends_are_not() {
        assert!(segments_cross((0., 0.), (10., 10.), (0., 10.), (10., 0.)));
        assert!(!segments_cross((0., 0.), (10., 0.), (10., 0.), (10., 10.)));
        assert!(!segments_cross((0., 0.), (10., 0.), (0., 5.), (10., 5.)));
    }

    #[test]
    fn failure_handlers_sit_right_of_the_main_flow_and_catch_edges_do_not_cross_it() {
        let definition = json!({
            "StartAt": "A",
            "States": {
                "A": {"Type": "Task", "Resource": "x", "Next": "Pick",
                      "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Notify"}]},
                "Pick": {"Type": "Choice", "Choices": [
                    {"Variable": "$.x", "BooleanEquals": true, "Next": "B"}], "Default": "C"},
                "B": {"Type": "Task", "Resource": "x", "Next": "Done",
                      "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Notify"}]},
                "C": {"Type": "Task", "Resource": "x", "Next": "Done",
                      "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Notify"}]},
                "Done": {"Type": "Succeed"},
                "Notify": {"Type": "Task", "Resource": "x", "Next": "Failed"},
                "Failed": {"Type": "Fail"}
            }
        });
        let layout = Layout::of(&Diagram::of(
            &asl::StateMachine::from_value(&definition).unwrap(),
        ));
        let column = layout.handler_column.expect("Notify is a handler");
        let notify = layout.nodes.iter().find(|n| n.name == "Notify").unwrap();
        assert!(notify.handler && notify.x - notify.w / 2.0 >= column - 1.0);
        for node in layout.nodes.iter().filter(|n| !n.handler) {
            assert!(
                node.x + node.w / 2.0 < column,
                "{} is in the column",
                node.name
            );
        }
        assert_eq!(
            layout
                .edges
                .iter()
                .filter(|e| e.kind == EdgeKind::Catch)
                .count(),
            3
        );
        assert!(layout.catch_crossings().is_empty(), "{layout:?}");
    }

    #[test]
    fn a_parallel_state_frames_its_branches() {
        let definition = json!({
            "StartAt": "Fan",
            "States": {
                "Fan": {"Type": "Parallel", "End": true, "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
                    {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}
                ]}
            }
        });
        let layout = Layout::of(&Diagram::of(
            &asl::StateMachine::from_value(&definition).unwrap(),
        ));
        let frame = layout.groups.iter().find(|g| g.kind == "state").unwrap();
        let a = layout.nodes.iter().find(|n| n.name == "A").unwrap();
        assert!(
            a.x > frame.x && a.x < frame.x + frame.w && a.y > frame.y && a.y < frame.y + frame.h
        );
        assert_eq!(
            layout.groups.iter().filter(|g| g.kind == "branch").count(),
            2
        );
    }
}
