//! `pipelines list`: what the template defines, with each schedule's next fire times.

use crate::project::Project;
use crate::scheduler;
use anyhow::Result;
use serde_json::{json, Value};
use std::path::PathBuf;

/// List the state machines, functions, schedules and rules of the template.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  pipelines list
  pipelines list --json --fires 5")]
pub struct Args {
    /// How many next fire times to show per schedule.
    #[arg(long, default_value_t = 3)]
    fires: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// The project folder (default: found upwards from the working directory).
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,
}

/// Runs the subcommand; returns the exit code.
pub fn run(args: Args) -> u8 {
    match listing(&args) {
        Ok(listing) if args.json => {
            say!("{listing}");
            0
        }
        Ok(listing) => {
            print!("{}", render(&listing));
            0
        }
        Err(e) => {
            eprintln!("pipelines list: {e:#}");
            2
        }
    }
}

fn listing(args: &Args) -> Result<Value> {
    let project = Project::discover(args.project.as_deref(), &Default::default())?;
    let template = &project.template;
    let now = chrono::Utc::now();
    let machines: Vec<Value> = template
        .state_machines()
        .iter()
        .map(
            |m| json!({"name": m.name, "logical_id": m.logical_id, "definition": m.definition_uri}),
        )
        .collect();
    let functions: Vec<Value> = template
        .functions()
        .iter()
        .map(|f| json!({"logical_id": f.logical_id, "binary": f.binary, "events": f.event_types}))
        .collect();
    let mut schedules = Vec::new();
    for s in template.schedules()? {
        let target = template
            .resolve_text(s.target.get("Arn").unwrap_or(&Value::Null), &s.logical_id)
            .unwrap_or_default();
        let fires = match scheduler::Schedule::new(
            &s.expression,
            &s.timezone,
            s.start_date.as_deref(),
            s.end_date.as_deref(),
        ) {
            Ok(schedule) => schedule
                .fires(now)
                .take(args.fires)
                .map(|t| Value::String(t.with_timezone(&schedule.zone).to_rfc3339()))
                .collect(),
            Err(e) => vec![Value::String(format!("invalid: {e}"))],
        };
        schedules.push(json!({
            "logical_id": s.logical_id, "expression": s.expression, "timezone": s.timezone,
            "state": s.state, "target": target, "next_fires": fires,
        }));
    }
    let rules: Vec<Value> = template
        .rules()
        .iter()
        .map(|r| {
            let targets: Vec<String> = r.targets.iter().map(|t| template.resolve_text(t, &r.logical_id).unwrap_or_default()).collect();
            json!({"logical_id": r.logical_id, "schedule": r.schedule, "event_pattern": r.event_pattern, "targets": targets})
        })
        .collect();
    Ok(
        json!({"state_machines": machines, "functions": functions, "schedules": schedules, "rules": rules}),
    )
}

fn render(listing: &Value) -> String {
    let mut out = String::new();
    let items = |key: &str| listing[key].as_array().cloned().unwrap_or_default();
    out.push_str("State machines\n");
    for m in items("state_machines") {
        out.push_str(&format!(
            "  {:<24} {:<32} {}\n",
            text(&m["name"]),
            text(&m["logical_id"]),
            text(&m["definition"])
        ));
    }
    out.push_str("Functions\n");
    for f in items("functions") {
        let events = texts(&f["events"]);
        out.push_str(&format!(
            "  {:<32} binary {:<24} events {}\n",
            text(&f["logical_id"]),
            text(&f["binary"]),
            if events.is_empty() {
                "-".into()
            } else {
                events.join(", ")
            }
        ));
    }
    out.push_str("Schedules\n");
    for s in items("schedules") {
        out.push_str(&format!(
            "  {:<32} {} {} ({}) → {}\n",
            text(&s["logical_id"]),
            text(&s["expression"]),
            text(&s["timezone"]),
            text(&s["state"]),
            text(&s["target"])
        ));
        for fire in s["next_fires"].as_array().into_iter().flatten() {
            out.push_str(&format!("      next: {}\n", text(fire)));
        }
    }
    out.push_str("Rules\n");
    for r in items("rules") {
        let what = if r["schedule"].is_string() {
            text(&r["schedule"])
        } else {
            r["event_pattern"]
                .get("detail-type")
                .map(|d| format!("events {d}"))
                .unwrap_or_else(|| "events".into())
        };
        let targets = texts(&r["targets"]);
        out.push_str(&format!(
            "  {:<32} {what} → {}\n",
            text(&r["logical_id"]),
            targets.join(", ")
        ));
    }
    out
}

/// The items of an array as [`text`] (none for anything else).
fn texts(v: &Value) -> Vec<String> {
    v.as_array().into_iter().flatten().map(text).collect()
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}
