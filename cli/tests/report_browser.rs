//! The report page and the project site opened in a real headless Chromium (installed by
//! `make tools`, like promtool): the scripts run without error, every state of the path is drawn
//! and marked, no Catch edge crosses a main-flow edge of the retraining graph (checked on the
//! coordinates in the page the browser loaded), and a screenshot is left for a person to look
//! at in `target/pipelines/screenshots/`. A missing browser fails the test with the set-up
//! command; it never skips.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::{pipelines, root, text};

/// The browser: `PIPELINES_CHROMIUM`, else `chromium` or `chromium-browser` on the PATH.
fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("PIPELINES_CHROMIUM") {
        return PathBuf::from(path);
    }
    for name in ["chromium", "chromium-browser"] {
        if let Ok(output) = Command::new("which").arg(name).output() {
            if output.status.success() {
                return PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
            }
        }
    }
    panic!(
        "no Chromium found: run `make tools` (scripts/setup-tools.sh installs Debian's chromium), \
         or set PIPELINES_CHROMIUM to a Chromium binary"
    );
}

fn headless(extra: &[&str], page: &Path) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("cannot start Chromium")
}

/// The DOM after the page's scripts ran.
fn dump_dom(page: &Path) -> String {
    let output = headless(&["--dump-dom"], page);
    assert!(
        output.status.success(),
        "Chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn screenshot(page: &Path, name: &str) -> PathBuf {
    let dir = root().join("target/pipelines/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}.png"));
    let _ = std::fs::remove_file(&file);
    let output = headless(
        &[
            &format!("--screenshot={}", file.display()),
            "--window-size=1400,3400",
        ],
        page,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let bytes =
        std::fs::read(&file).unwrap_or_else(|_| panic!("no screenshot at {}", file.display()));
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000,
        "the screenshot is empty"
    );
    eprintln!("screenshot: {}", file.display());
    file
}

/// The value of `name="..."` in a tag's text.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = tag[start..].find('"')?;
    Some(&tag[start..start + end])
}

/// The opening tags `<element ...>` of the page.
fn tags<'a>(dom: &'a str, element: &str) -> Vec<&'a str> {
    dom.match_indices(&format!("<{element} "))
        .filter_map(|(at, _)| dom[at..].find('>').map(|end| &dom[at..at + end]))
        .collect()
}

/// The scripts ran to their end (they set `data-ready`) and reported no error.
fn assert_scripts_ran_cleanly(dom: &str) {
    let body = tags(dom, "body");
    let ready = body.first().and_then(|b| attribute(b, "data-ready"));
    assert_eq!(
        ready,
        Some("1"),
        "the page's script did not run to its end: {body:?}"
    );
    let errors = dom
        .split("<pre id=\"script-errors\">")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .expect("the page has no script-error box");
    assert!(errors.is_empty(), "script errors: {errors}");
}

type Polyline = Vec<(f64, f64)>;

fn polyline(d: &str) -> Polyline {
    d.split(['M', 'L'])
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (x, y) = p.trim().split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

/// Proper crossing of two segments (a shared end point, as two edges leaving one state have,
/// does not count).
fn cross(p: (f64, f64), q: (f64, f64), r: (f64, f64), s: (f64, f64)) -> bool {
    let orient = |a: (f64, f64), b: (f64, f64), c: (f64, f64)| {
        let v = (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0);
        if v.abs() < 1e-6 {
            0
        } else if v > 0.0 {
            1
        } else {
            -1
        }
    };
    let (o1, o2, o3, o4) = (
        orient(p, q, r),
        orient(p, q, s),
        orient(r, s, p),
        orient(r, s, q),
    );
    o1 * o2 < 0 && o3 * o4 < 0
}

#[test]
fn the_crossing_check_sees_a_crossing() {
    assert!(cross((0., 0.), (10., 10.), (0., 10.), (10., 0.)));
    assert!(!cross((0., 0.), (10., 0.), (10., 0.), (10., 10.)));
    assert_eq!(
        polyline("M1.5,2 L3,4.5 L3,9"),
        vec![(1.5, 2.), (3., 4.5), (3., 9.)]
    );
}

fn run_report(case: &str, dir: &Path) -> (PathBuf, Value) {
    let report = dir.join(format!("{case}.html"));
    let output = pipelines(
        &root(),
        &[
            "run",
            &format!("ml-retraining#{case}"),
            "--output",
            "json",
            "--history",
            dir.join("h.json").to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ],
    );
    let result: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("no JSON result: {}", text(&output)));
    (report, result)
}

#[test]
fn the_retraining_report_opens_cleanly_with_the_path_marked_and_catch_edges_apart() {
    let dir = tempfile::tempdir().unwrap();
    let (report, result) = run_report("HappyPath", dir.path());
    let dom = dump_dom(&report);
    assert_scripts_ran_cleanly(&dom);
    // The script found the drawing (it counts the states it made clickable).
    assert!(
        !dom.contains("data-nodes=\"0\""),
        "the script found no states to make clickable"
    );
    let nodes = tags(&dom, "g");
    for state in result["path"].as_array().unwrap() {
        let state = state.as_str().unwrap();
        let node = nodes
            .iter()
            .find(|g| attribute(g, "data-name") == Some(state))
            .unwrap_or_else(|| panic!("{state} is not drawn"));
        assert!(
            attribute(node, "class").is_some_and(|c| c.contains("visited")),
            "{state} ran but is not marked: {node}"
        );
        assert!(
            dom.contains(&format!("data-name=\"{state}\"><summary>")),
            "{state} has no details"
        );
    }
    // The summary is at the top: the key results before the drawing.
    let gate = dom
        .find("quality gate")
        .expect("no key results in the page");
    assert!(gate < dom.find("<svg").unwrap());
    let edges: Vec<(String, String, String, Polyline)> = tags(&dom, "path")
        .into_iter()
        .filter_map(|tag| {
            Some((
                attribute(tag, "data-kind")?.to_string(),
                attribute(tag, "data-from")?.to_string(),
                attribute(tag, "data-to")?.to_string(),
                polyline(attribute(tag, "d")?),
            ))
        })
        .collect();
    let catches: Vec<_> = edges.iter().filter(|e| e.0 == "catch").collect();
    let flow: Vec<_> = edges.iter().filter(|e| e.0 != "catch").collect();
    assert!(
        catches.len() >= 15 && flow.len() >= 30,
        "{} catch, {} flow edges",
        catches.len(),
        flow.len()
    );
    let mut crossings = Vec::new();
    for (_, from, to, line) in &catches {
        for (_, flow_from, flow_to, flow_line) in &flow {
            let hit = line
                .windows(2)
                .any(|a| flow_line.windows(2).any(|b| cross(a[0], a[1], b[0], b[1])));
            if hit {
                crossings.push(format!("{from} → {to} crosses {flow_from} → {flow_to}"));
            }
        }
    }
    assert!(crossings.is_empty(), "{}", crossings.join("\n"));
    screenshot(&report, "ml-retraining-HappyPath");
}

#[test]
fn a_failed_and_a_retried_run_mark_their_states() {
    let dir = tempfile::tempdir().unwrap();
    let (report, result) = run_report("TrainingJobFails", dir.path());
    assert_eq!(result["status"], "FAILED");
    let dom = dump_dom(&report);
    assert_scripts_ran_cleanly(&dom);
    let class_of = |dom: &str, state: &str| {
        tags(dom, "g")
            .into_iter()
            .find(|g| attribute(g, "data-name") == Some(state))
            .and_then(|g| attribute(g, "class"))
            .map(str::to_string)
            .unwrap_or_default()
    };
    assert!(
        class_of(&dom, "TrainCandidateModel").contains("failed"),
        "{}",
        class_of(&dom, "TrainCandidateModel")
    );
    assert!(class_of(&dom, "PipelineFailed").contains("visited"));
    assert!(dom.contains("States.TaskFailed"));
    screenshot(&report, "ml-retraining-TrainingJobFails");
    let (report, _) = run_report("TransientGlueFailure", dir.path());
    let dom = dump_dom(&report);
    assert!(class_of(&dom, "PrepareTrainingData").contains("retried"));
    assert!(
        dom.contains("3 attempts"),
        "the retried state does not list its attempts"
    );
}

#[test]
fn the_project_site_opens_cleanly_and_links_every_state_machine() {
    let dir = tempfile::tempdir().unwrap();
    let output = pipelines(&root(), &["report", "--out", dir.path().to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    let index = dir.path().join("index.html");
    let dom = dump_dom(&index);
    assert_scripts_ran_cleanly(&dom);
    for entry in std::fs::read_dir(root().join("state-machines")).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().to_string();
        let Some(machine) = file.strip_suffix(".asl.json") else {
            continue;
        };
        assert!(
            dom.contains(&format!("href=\"{machine}.html\"")),
            "{machine} is not linked"
        );
        let page = dir.path().join(format!("{machine}.html"));
        let machine_dom = dump_dom(&page);
        assert_scripts_ran_cleanly(&machine_dom);
        assert!(
            machine_dom.contains("<svg"),
            "{machine}'s page has no graph"
        );
    }
    // The week's schedules and the cost table come from their own subcommands.
    assert!(dom.contains("id=\"schedules\"") && dom.contains("id=\"cost\""));
    assert!(
        !dom.contains("failed:\n"),
        "a subcommand failed inside the site"
    );
    screenshot(&index, "site-index");
}
