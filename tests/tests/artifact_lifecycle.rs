//! Every top-level prefix the pipelines write in the artefact bucket (the template's
//! `ArtifactBucket` ARNs and URIs, the state machines' `${ArtifactBucketName}` URIs) has a
//! lifecycle rule of its own in `ArtifactBucket`, so nothing grows there unwatched.

use integration_tests::workspace_root;
use std::collections::BTreeSet;

/// The first path segment after each `${<marker>...}/` in `text`.
fn prefixes(text: &str, markers: &[&str]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for marker in markers {
        for (at, _) in text.match_indices(marker) {
            let rest = &text[at + marker.len()..];
            let Some(close) = rest.find('}') else {
                continue;
            };
            if !(rest[..close].is_empty() || rest[..close] == *".Arn") {
                continue;
            }
            let Some(path) = rest[close + 1..].strip_prefix('/') else {
                continue;
            };
            let segment: String = path
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
                .collect();
            if !segment.is_empty() && path[segment.len()..].starts_with('/') {
                out.insert(format!("{segment}/"));
            }
        }
    }
    out
}

fn rule_prefixes(template: &str) -> BTreeSet<String> {
    let start = template
        .find("  ArtifactBucket:\n")
        .expect("ArtifactBucket in the template");
    let end = start
        + template[start..]
            .find("\n\n")
            .expect("end of ArtifactBucket");
    template[start..end]
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Prefix: "))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_prefix_written_in_the_artefact_bucket_has_a_lifecycle_rule() {
    let root = workspace_root();
    let template = std::fs::read_to_string(root.join("sam-template.yaml")).unwrap();
    let mut written = prefixes(&template, &["${ArtifactBucket"]);
    for entry in std::fs::read_dir(root.join("state-machines")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        written.extend(prefixes(&text, &["${ArtifactBucketName"]));
    }
    for expected in ["ml-retraining/", "glue-temp/", "drift/", "reports/"] {
        assert!(
            written.contains(expected),
            "the reader missed {expected}: {written:?}"
        );
    }
    let rules = rule_prefixes(&template);
    let uncovered: Vec<&String> = written
        .iter()
        .filter(|p| !rules.iter().any(|r| r.starts_with(p.as_str())))
        .collect();
    assert!(
        uncovered.is_empty(),
        "no lifecycle rule for {uncovered:?} (rules: {rules:?})"
    );
}

#[test]
fn the_reader_finds_a_prefix_without_a_rule() {
    let template = "  ArtifactBucket:\n    Prefix: glue-temp/\n\n  X: !Sub \"${ArtifactBucket.Arn}/new-scratch/*\"\n";
    let written = prefixes(template, &["${ArtifactBucket"]);
    assert_eq!(written, BTreeSet::from(["new-scratch/".to_string()]));
    assert!(!rule_prefixes(template).contains("new-scratch/"));
}
