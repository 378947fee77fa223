//! `pipelines report`: a small static site for the whole project: every state machine's
//! graph, each test case's last local run (the files `pipelines run` leaves in
//! `target/pipelines/`), the coming week's schedules and the monthly cost table.

use super::{escape, graph_only, page};
use crate::project::Project;
use crate::summary::{human_duration, RunSummary};
use anyhow::{Context, Result};
use serde_json::Value;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Write the project's static site.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  pipelines report                       # target/pipelines/site/index.html
  pipelines report --run                 # run every test case first, then write the site
  pipelines report --out /tmp/site

Exit status: 0 the site was written, 2 it could not be.")]
pub struct Args {
    /// The folder to write (default: target/pipelines/site).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Run every test case of every state machine first (as `pipelines run` does).
    #[arg(long)]
    run: bool,
    /// The project folder (default: found upwards from the working directory).
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,
}

/// Runs the subcommand; returns the exit code.
pub fn run(args: Args) -> u8 {
    match write_site(&args) {
        Ok(index) => {
            say!("site: {}", index.display());
            0
        }
        Err(e) => {
            eprintln!("pipelines report: {e:#}");
            2
        }
    }
}

/// A test case as `events/NAME/expected-outcomes.json` lists it.
struct Case {
    name: String,
    test_case: String,
    input: String,
}

fn cases(project: &Project, machine: &str) -> Vec<Case> {
    let Some(text) = project
        .event_file(machine, "expected-outcomes.json")
        .and_then(|path| std::fs::read_to_string(path).ok())
    else {
        return Vec::new();
    };
    let Ok(Value::Object(outcomes)) = serde_json::from_str::<Value>(&text) else {
        return Vec::new();
    };
    outcomes
        .iter()
        .map(|(name, case)| Case {
            name: name.clone(),
            test_case: case["test_case"].as_str().unwrap_or(name).to_string(),
            input: case["input"].as_str().unwrap_or("input.json").to_string(),
        })
        .collect()
}

fn write_site(args: &Args) -> Result<PathBuf> {
    let project = Project::discover(args.project.as_deref(), &Default::default())?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| project.root.join("target/pipelines/site"));
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut machines: Vec<String> = project
        .template
        .state_machines()
        .iter()
        .map(|m| m.name.clone())
        .collect();
    machines.sort();
    machines.dedup();
    if args.run {
        run_all(&project, &machines)?;
    }
    let mut index = String::from("<header class=\"card\"><h1>Pipelines <small>local runs, graphs, schedules and costs</small></h1>\
<nav><a href=\"#machines\">state machines</a><a href=\"#schedules\">schedules</a><a href=\"#cost\">cost</a></nav></header>\
<section class=\"card\" id=\"machines\"><h2>State machines</h2><table class=\"site\"><tr><th>state machine</th><th>test cases</th><th>last local runs</th></tr>");
    for machine in &machines {
        let rows = machine_page(&project, machine, &out)?;
        let _ = write!(
            index,
            "<tr><td><a href=\"{m}.html\">{m}</a></td><td>{}</td><td>{}</td></tr>",
            rows.0,
            rows.1,
            m = escape(machine)
        );
    }
    index.push_str("</table></section>");
    for (id, title, command) in [
        ("schedules", "The coming week's schedules", ["schedule"]),
        ("cost", "Cost per month", ["cost"]),
    ] {
        let _ = write!(
            index,
            "<section class=\"card\" id=\"{id}\"><h2>{title} <small>pipelines {}</small></h2><pre>{}</pre></section>",
            command.join(" "),
            escape(&own_command(&project.root, &command))
        );
    }
    let path = out.join("index.html");
    write(&path, &page("Pipelines", &index))?;
    Ok(path)
}

/// Runs every test case of `machines` and saves each run as `pipelines run` does.
fn run_all(project: &Project, machines: &[String]) -> Result<()> {
    let runtime = crate::run::runtime()?;
    shared::storage::set_local_root(Some(project.root.clone()));
    for machine in machines {
        let declared = crate::key_results::load(&project.root, machine)?;
        for case in cases(project, machine) {
            let input = match project.event_file(machine, &case.input) {
                Some(path) => Some(
                    serde_json::from_str(&std::fs::read_to_string(&path)?)
                        .with_context(|| format!("{} is not JSON", path.display()))?,
                ),
                None => None,
            };
            let setup = crate::run::RunSetup {
                input,
                test_case: Some(case.test_case.clone()),
                ..crate::run::RunSetup::quiet()
            };
            let run = runtime.block_on(crate::run::run_local(project, machine, setup))?;
            let files = crate::run::RunFiles::under(&project.root, machine, &case.test_case);
            let summary = crate::run::save_run(&run, declared.as_ref(), &files)?;
            say!("{machine}#{}: {}", case.test_case, summary.status);
        }
    }
    Ok(())
}

/// Writes `machine`'s page; returns the index's cells (test cases, last runs).
fn machine_page(project: &Project, machine: &str, out: &Path) -> Result<(usize, String)> {
    let resource = project.machine(machine)?;
    let parsed = project.load_machine(&resource)?.state_machine()?;
    let cases = cases(project, machine);
    let runs_dir = project.root.join("target/pipelines");
    let mut table = String::from(
        "<table class=\"site\"><tr><th>test case</th><th>last local run</th><th>virtual time</th><th>key results</th></tr>",
    );
    let mut statuses = Vec::new();
    for case in &cases {
        let summary_file = runs_dir.join(format!("{machine}-{}.summary.json", case.test_case));
        let summary: Option<RunSummary> = std::fs::read_to_string(&summary_file)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok());
        match summary {
            Some(summary) => {
                let report = runs_dir.join(format!("{machine}-{}.html", case.test_case));
                let _ = write!(
                    table,
                    "<tr><td><a href=\"file://{}\">{}</a></td><td><span class=\"status {s}\">{s}</span></td><td>{}</td><td>{}</td></tr>",
                    escape(&report.display().to_string()),
                    escape(&case.name),
                    escape(&human_duration(summary.duration_ms)),
                    summary
                        .key_results
                        .iter()
                        .map(|r| format!("{}: {}", escape(&r.label), escape(&r.value)))
                        .collect::<Vec<_>>()
                        .join("<br>"),
                    s = escape(&summary.status)
                );
                statuses.push(format!(
                    "<span class=\"status {s}\">{s}</span>",
                    s = escape(&summary.status)
                ));
            }
            None => {
                let _ = write!(
                    table,
                    "<tr><td>{}</td><td colspan=\"3\" class=\"missing\">not run yet: <code>pipelines run {}#{}</code></td></tr>",
                    escape(&case.name),
                    escape(machine),
                    escape(&case.test_case)
                );
            }
        }
    }
    table.push_str("</table>");
    let body = format!(
        "<header class=\"card\"><h1>{m}</h1><nav><a href=\"index.html\">← all state machines</a></nav></header>\
<section class=\"card\"><h2>Test cases</h2>{table}</section>\
<section class=\"card\"><h2>Graph</h2><div class=\"graph\">{}</div></section>",
        graph_only(&parsed),
        m = escape(machine)
    );
    write(&out.join(format!("{machine}.html")), &page(machine, &body))?;
    Ok((cases.len(), statuses.join(" ")))
}

/// The text another subcommand of this same binary prints (`schedule`, `cost`), or why not.
fn own_command(root: &Path, args: &[&str]) -> String {
    let output = std::env::current_exe().and_then(|exe| {
        std::process::Command::new(exe)
            .args(args)
            .arg("--project")
            .arg(root)
            .env("NO_COLOR", "1")
            .output()
    });
    match output {
        Ok(output) if output.status.success() => {
            String::from_utf8_lossy(&output.stdout).into_owned()
        }
        Ok(output) => format!(
            "pipelines {} failed:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(e) => format!("cannot run pipelines {}: {e}", args.join(" ")),
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}
