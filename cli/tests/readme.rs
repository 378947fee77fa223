//! The README's first command works from a clean checkout: it is `make run`, `make run` runs
//! `pipelines run ml-retraining`, and that command (and every other workflow's default run)
//! succeeds in a fresh clone of the committed tree (so every file it needs is committed, none
//! only on this machine). The README draws every workflow as `pipelines graph` does today.

mod support;

use std::process::Command;
use support::{pipelines, root, text};

fn first_command() -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let block = readme
        .split("```sh")
        .nth(1)
        .expect("the README starts with a ```sh block");
    block
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn the_readme_first_command_is_make_run_and_make_run_runs_the_pipeline() {
    assert_eq!(first_command(), "make run");
    let dry = Command::new("make")
        .args(["-n", "run"])
        .current_dir(root())
        .output()
        .expect("make is installed");
    let recipe = String::from_utf8_lossy(&dry.stdout);
    assert!(
        recipe.contains("--bin pipelines") && recipe.contains("run ml-retraining"),
        "make run does: {recipe}"
    );
}

#[test]
fn the_main_job_succeeds_in_a_fresh_clone() {
    let clone = tempfile::tempdir().unwrap();
    let status = Command::new("git")
        .args([
            "clone",
            "--quiet",
            "--depth",
            "1",
            &format!("file://{}", root().display()),
        ])
        .arg(clone.path().join("checkout"))
        .status()
        .expect("git is installed");
    assert!(status.success(), "git clone of the workspace failed");
    // Every workflow's default test case runs from the committed files alone, with no AWS.
    for machine in ["ml-retraining", "demand-forecast-batch", "lakehouse-etl"] {
        let output = pipelines(&clone.path().join("checkout"), &["run", machine]);
        assert!(output.status.success(), "{machine}: {}", text(&output));
        assert!(
            text(&output).contains("status: SUCCEEDED"),
            "{machine}: {}",
            text(&output)
        );
    }
}

#[test]
fn the_readme_shows_the_current_diagram_of_every_workflow() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut machines = 0;
    for entry in std::fs::read_dir(root().join("state-machines")).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().to_string();
        let Some(machine) = file.strip_suffix(".asl.json") else {
            continue;
        };
        machines += 1;
        let output = pipelines(&root(), &["graph", machine]);
        assert!(output.status.success(), "{}", text(&output));
        let diagram = String::from_utf8_lossy(&output.stdout);
        assert!(
            readme.contains(diagram.as_ref()),
            "README.md's diagram of {machine} is stale: paste the output of `pipelines graph {machine}`"
        );
    }
    assert!(machines >= 3, "only {machines} state machines found");
}
