//! The SAM template through the real tools: cfn-lint, `sam validate --lint`, and the project's
//! own cross-check of `${Name}` substitutions (neither tool looks inside ASL files). Copies with
//! one defect each prove the checks are not vacuous.

use integration_tests::{venv, workspace_root};
use std::path::Path;
use std::process::{Command, Output};

fn lint(template: &Path) -> Output {
    Command::new(workspace_root().join("scripts/lint-template.sh"))
        .arg(template)
        .env("PIPELINES_VENV", venv())
        .output()
        .expect("cannot run scripts/lint-template.sh")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A scratch copy of the template with its state machine definitions beside it.
fn scratch_copy(edit: impl FnOnce(String) -> String) -> tempfile::TempDir {
    let root = workspace_root();
    let dir = tempfile::tempdir().unwrap();
    let template = std::fs::read_to_string(root.join("sam-template.yaml")).unwrap();
    std::fs::write(dir.path().join("sam-template.yaml"), edit(template)).unwrap();
    std::fs::create_dir(dir.path().join("state-machines")).unwrap();
    for entry in std::fs::read_dir(root.join("state-machines")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(
            &path,
            dir.path()
                .join("state-machines")
                .join(path.file_name().unwrap()),
        )
        .unwrap();
    }
    dir
}

#[test]
fn the_template_passes_cfn_lint_sam_validate_and_the_substitution_check() {
    let output = lint(&workspace_root().join("sam-template.yaml"));
    assert!(
        output.status.success(),
        "lint-template failed:\n{}",
        text(&output)
    );
    assert!(text(&output).contains("is a valid SAM Template"));
}

#[test]
fn a_missing_definition_substitution_is_reported() {
    let dir = scratch_copy(|t| {
        let line = t
            .lines()
            .find(|l| {
                l.trim_start()
                    .starts_with("MapeThreshold: !Ref MapeThreshold")
            })
            .expect("the template substitutes MapeThreshold")
            .to_string();
        t.replacen(&format!("{line}\n"), "", 1)
    });
    let output = lint(&dir.path().join("sam-template.yaml"));
    assert!(!output.status.success(), "{}", text(&output));
    assert!(
        text(&output)
            .contains("uses ${MapeThreshold} but DefinitionSubstitutions does not define it"),
        "{}",
        text(&output)
    );
}

#[test]
fn an_unknown_resource_property_is_reported() {
    let dir = scratch_copy(|t| {
        let line = t
            .lines()
            .find(|l| {
                l.trim_start()
                    .starts_with("DefinitionUri: state-machines/ml-retraining")
            })
            .expect("the template defines the retraining state machine")
            .to_string();
        let indent = &line[..line.len() - line.trim_start().len()];
        t.replacen(&line, &format!("{indent}NotAProperty: 1\n{line}"), 1)
    });
    let output = lint(&dir.path().join("sam-template.yaml"));
    assert!(!output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("NotAProperty"), "{}", text(&output));
}
