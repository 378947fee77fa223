//! The SAM template through the real tools: cfn-lint, `sam validate --lint`, checkov, and the
//! project's own cross-check of `${Name}` substitutions (neither tool looks inside ASL files). Copies with
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
    assert!(
        text(&output).contains("Failed checks: 0,"),
        "checkov did not report its count:\n{}",
        text(&output)
    );
}

#[test]
fn a_new_resource_that_fails_a_security_check_is_reported() {
    let dir = scratch_copy(|t| {
        t.replacen(
            "\nResources:\n",
            "\nResources:\n  PlainQueue:\n    Type: AWS::SQS::Queue\n    Properties:\n      MessageRetentionPeriod: 60\n",
            1,
        )
    });
    let output = lint(&dir.path().join("sam-template.yaml"));
    assert!(!output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains("AWS::SQS::Queue.PlainQueue"),
        "{}",
        text(&output)
    );
}

#[test]
fn a_checkov_skip_without_a_reason_is_reported() {
    let dir = scratch_copy(|t| {
        let line = t
            .lines()
            .find(|l| l.trim_start().starts_with("# checkov:skip=CKV_AWS_117:"))
            .expect("the template skips CKV_AWS_117 with a reason")
            .to_string();
        let bare = &line[..line.find("CKV_AWS_117").unwrap() + "CKV_AWS_117".len()];
        t.replacen(&line, bare, 1)
    });
    let output = lint(&dir.path().join("sam-template.yaml"));
    assert!(!output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains("checkov skips without a reason"),
        "{}",
        text(&output)
    );
}

#[test]
fn a_missing_definition_substitution_is_reported() {
    let dir = scratch_copy(|t| {
        let line = t
            .lines()
            .find(|l| {
                l.trim_start()
                    .starts_with("ModelApprovalTableName: !Ref ModelApprovalTable")
            })
            .expect("the template substitutes ModelApprovalTableName")
            .to_string();
        t.replacen(&format!("{line}\n"), "", 1)
    });
    let output = lint(&dir.path().join("sam-template.yaml"));
    assert!(!output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains(
            "uses ${ModelApprovalTableName} but DefinitionSubstitutions does not define it"
        ),
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

/// Every IAM statement of the template that may change or read model package versions, as
/// `(resource id, actions, resources)` lines that break the rule: model package actions only on
/// the project's groups (`model-package/${EnvironmentName}-*`, `model-package-group/${EnvironmentName}-*`).
const MODEL_PACKAGE_SCOPE_CHECK: &str = r#"
import json, sys
from cfnlint.decode import decode
template, matches = decode(sys.argv[1])
if matches:
    print(matches); sys.exit(2)
def statements(node):
    if isinstance(node, dict):
        if "Effect" in node and "Action" in node:
            yield node
        for v in node.values():
            yield from statements(v)
    elif isinstance(node, list):
        for v in node:
            yield from statements(v)
checked = 0
for rid, res in (template.get("Resources") or {}).items():
    for st in statements(res.get("Properties") or {}):
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        scoped = [a for a in actions if a.startswith("sagemaker:") and "ModelPackage" in a and not a.startswith("sagemaker:List")]
        if not scoped:
            continue
        checked += 1
        resources = st.get("Resource")
        resources = resources if isinstance(resources, list) else [resources]
        for r in resources:
            text = json.dumps(r)
            if "model-package/${EnvironmentName}-" not in text and "model-package-group/${EnvironmentName}-" not in text:
                print(f"{rid}: {scoped} on {text}")
print(f"checked {checked}")
"#;

fn model_package_scope(template: &Path) -> String {
    let output = Command::new(venv().join("bin/python"))
        .arg("-c")
        .arg(MODEL_PACKAGE_SCOPE_CHECK)
        .arg(template)
        .output()
        .expect("cannot run the venv's python");
    assert!(output.status.success(), "{}", text(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn model_package_permissions_reach_only_the_projects_package_groups() {
    let report = model_package_scope(&workspace_root().join("sam-template.yaml"));
    let checked: usize = report
        .lines()
        .last()
        .and_then(|l| l.strip_prefix("checked "))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(checked >= 2, "the registry function and the state machine both need model package permissions:\n{report}");
    assert_eq!(
        report.lines().count(),
        1,
        "statements reaching other package groups:\n{report}"
    );

    let widened = scratch_copy(|t| {
        t.replacen(
            ":model-package/${EnvironmentName}-*/*\"",
            ":model-package/*\"",
            1,
        )
    });
    let report = model_package_scope(&widened.path().join("sam-template.yaml"));
    assert!(
        report.contains("model-package/*"),
        "a widened scope must be reported:\n{report}"
    );
}
