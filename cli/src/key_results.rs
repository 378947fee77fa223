//! A state machine's key results: the few values a person wants after a run (for the
//! retraining pipeline: the gate decision, the candidate's metric against production's, the
//! endpoint action), declared beside the definition in `state-machines/NAME.summary.json`:
//!
//! ```json
//! {"key_results": [
//!   {"label": "quality gate", "text": "{/evaluation/Payload/gate/passed}",
//!    "values": {"true": "passed", "false": "failed"}, "missing": "not reached"}
//! ]}
//! ```
//!
//! `text` holds `{/json/pointer}` placeholders (RFC 6901) read from the execution's output, else
//! from the latest state output that has them (so a failed run still shows what it decided
//! before it failed). `values` renames a placeholder's value; `missing` is shown when a
//! placeholder has no value anywhere (default `not reached`).

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why a key-results file cannot be used.
#[derive(Debug, thiserror::Error, strum::IntoStaticStr)]
pub enum KeyResultsError {
    /// The file exists but cannot be read.
    #[error("cannot read {path}: {source}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not JSON of the expected shape.
    #[error("{path} is not a key-results declaration: {source}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
    /// A declared result cannot be rendered.
    #[error("{path}: key result {label:?}: {problem}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The result's label.
        label: String,
        /// What is wrong.
        problem: String,
    },
}

/// The declaration file's shape.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyResults {
    /// What the file is, for people reading it (free text, not used by the program).
    #[serde(rename = "$comment", default)]
    #[allow(dead_code)]
    pub comment: Option<String>,
    /// The results, in the order they are shown.
    pub key_results: Vec<KeyResult>,
}

/// One declared result.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyResult {
    /// What it is, as the summary labels it (`quality gate`).
    pub label: String,
    /// The line, with `{/json/pointer}` placeholders.
    pub text: String,
    /// Words for values (`{"true": "passed"}`), matched on the value's rendered text.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    /// Shown instead of the line when a placeholder has no value (default `not reached`).
    #[serde(default)]
    pub missing: Option<String>,
}

/// A rendered result.
#[derive(Debug, Clone, PartialEq, serde::Serialize, Deserialize)]
pub struct ShownResult {
    /// The label.
    pub label: String,
    /// The rendered line, or the `missing` text.
    pub value: String,
    /// Whether every placeholder had a value.
    pub found: bool,
}

/// Where a state machine's key results are declared.
pub fn declaration_path(project_root: &Path, machine: &str) -> PathBuf {
    project_root
        .join("state-machines")
        .join(format!("{machine}.summary.json"))
}

/// Reads and checks the declaration of `machine`; `Ok(None)` when it declares none.
pub fn load(project_root: &Path, machine: &str) -> Result<Option<KeyResults>, KeyResultsError> {
    let path = declaration_path(project_root, machine);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(KeyResultsError::Unreadable { path, source }),
    };
    let declared: KeyResults =
        serde_json::from_str(&text).map_err(|source| KeyResultsError::Malformed {
            path: path.clone(),
            source,
        })?;
    check(&declared).map_err(|(label, problem)| KeyResultsError::Invalid {
        path,
        label,
        problem,
    })?;
    Ok(Some(declared))
}

/// The placeholders of a template, or what is wrong with it.
fn placeholders(text: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| format!("unclosed '{{' in {text:?}"))?;
        let pointer = &after[..close];
        if !pointer.starts_with('/') {
            return Err(format!(
                "placeholder {{{pointer}}} is not a JSON pointer (it must start with '/')"
            ));
        }
        out.push(pointer);
        rest = &after[close + 1..];
    }
    Ok(out)
}

/// Checks labels (present, unique) and templates (at least one JSON-pointer placeholder).
fn check(declared: &KeyResults) -> Result<(), (String, String)> {
    let mut seen = std::collections::HashSet::new();
    for result in &declared.key_results {
        let label = result.label.clone();
        if result.label.trim().is_empty() {
            return Err((label, "the label is empty".into()));
        }
        if !seen.insert(result.label.as_str()) {
            return Err((label, "the label is declared twice".into()));
        }
        match placeholders(&result.text) {
            Err(problem) => return Err((label, problem)),
            Ok(list) if list.is_empty() => {
                return Err((label, "the text reads no value: add a {/pointer}".into()))
            }
            Ok(_) => {}
        }
    }
    Ok(())
}

/// A value as a person reads it: strings bare, numbers with at most 2 decimals.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) => {
                let text = format!("{f:.2}");
                text.trim_end_matches('0').trim_end_matches('.').to_string()
            }
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// Renders the declared results against `sources`: the execution output first, then state
/// outputs from the latest to the earliest.
pub fn render(declared: &KeyResults, sources: &[&Value]) -> Vec<ShownResult> {
    declared
        .key_results
        .iter()
        .map(|result| {
            let mut line = String::new();
            let mut rest = result.text.as_str();
            let mut found = true;
            while let Some(open) = rest.find('{') {
                line.push_str(&rest[..open]);
                let after = &rest[open + 1..];
                let Some(close) = after.find('}') else {
                    break;
                };
                let pointer = &after[..close];
                match sources.iter().find_map(|s| s.pointer(pointer)) {
                    Some(value) => {
                        let text = plain(value);
                        line.push_str(result.values.get(&text).unwrap_or(&text));
                    }
                    None => found = false,
                }
                rest = &after[close + 1..];
            }
            line.push_str(rest);
            ShownResult {
                label: result.label.clone(),
                value: if found {
                    line
                } else {
                    result
                        .missing
                        .clone()
                        .unwrap_or_else(|| "not reached".into())
                },
                found,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn declared(text: &str) -> KeyResults {
        KeyResults {
            comment: None,
            key_results: vec![KeyResult {
                label: "gate".into(),
                text: text.into(),
                values: BTreeMap::from([("true".into(), "passed".into())]),
                missing: Some("no gate".into()),
            }],
        }
    }

    #[test]
    fn placeholders_read_the_output_first_then_state_outputs() {
        let output = json!({"gate": {"passed": true}});
        let state = json!({"gate": {"passed": false, "mape": 8.4648}});
        let shown = render(
            &declared("{/gate/passed} at MAPE {/gate/mape}"),
            &[&output, &state],
        );
        assert_eq!(shown[0].value, "passed at MAPE 8.46");
        assert!(shown[0].found);
    }

    #[test]
    fn a_missing_value_shows_the_missing_text() {
        let shown = render(&declared("{/gate/passed}"), &[&json!({})]);
        assert_eq!(shown[0].value, "no gate");
        assert!(!shown[0].found);
    }

    #[test]
    fn templates_without_pointers_or_with_duplicate_labels_are_refused() {
        assert!(check(&declared("no placeholder")).is_err());
        assert!(check(&declared("{gate}")).is_err());
        assert!(check(&declared("{/gate")).is_err());
        let mut twice = declared("{/a}");
        twice.key_results.push(twice.key_results[0].clone());
        assert!(check(&twice).is_err());
        assert!(check(&declared("{/a} and {/b}")).is_ok());
    }
}
