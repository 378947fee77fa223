//! The project as the commands see it: the SAM template, its state machines with their
//! `${Name}` substitutions resolved to local values, and the functions they call.

use crate::functions::{self, LocalFunction};
use crate::template::{StateMachineResource, Template};
use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The template's file name at the project root.
pub const TEMPLATE_FILE: &str = "sam-template.yaml";

/// A loaded project.
pub struct Project {
    /// The folder holding the template.
    pub root: PathBuf,
    /// The template.
    pub template: Template,
}

/// A state machine's definition, ready to run.
pub struct LoadedMachine {
    /// The definition file.
    pub path: PathBuf,
    /// `${Name}`s the definition uses that no substitution supplies.
    pub unsupplied: Vec<String>,
    /// The definition with substitutions applied.
    pub definition: Value,
}

impl LoadedMachine {
    /// The definition parsed by the engine: the typed model that `run`, `graph` and
    /// `validate` all read. Errors: the engine's definition errors, each with its JSON path.
    pub fn state_machine(&self) -> Result<asl::StateMachine> {
        asl::StateMachine::from_value(&self.definition).map_err(|e| {
            anyhow!(
                "{} is not a valid state machine:\n{}",
                self.path.display(),
                indented(&e)
            )
        })
    }
}

/// The engine's definition errors, one `  path: message` line each.
pub fn indented(errors: &asl::DefinitionErrors) -> String {
    errors
        .0
        .iter()
        .map(|e| format!("  {e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Project {
    /// Finds the project: `dir` if given, else the nearest folder upwards from the working
    /// directory that holds `sam-template.yaml`.
    pub fn discover(dir: Option<&Path>, overrides: &BTreeMap<String, String>) -> Result<Project> {
        let root = match dir {
            // Absolute, so that commands which enter the project folder keep finding it.
            Some(d) => std::fs::canonicalize(d)
                .with_context(|| format!("cannot open the project folder {}", d.display()))?,
            None => {
                let cwd = std::env::current_dir().context("cannot read the working directory")?;
                cwd.ancestors()
                    .find(|d| d.join(TEMPLATE_FILE).is_file())
                    .map(Path::to_path_buf)
                    .ok_or_else(|| anyhow!("no {TEMPLATE_FILE} here or in any parent folder of {}: run from the project, or pass --project DIR", cwd.display()))?
            }
        };
        let template = Template::load(&root.join(TEMPLATE_FILE), overrides)?;
        Ok(Project { root, template })
    }

    /// The state machine called `name`: its definition file's stem (`ml-retraining`) or its
    /// logical id (`MlRetrainingStateMachine`).
    pub fn machine(&self, name: &str) -> Result<StateMachineResource> {
        let machines = self.template.state_machines();
        machines
            .iter()
            .find(|m| m.name == name || m.logical_id == name)
            .cloned()
            .ok_or_else(|| {
                anyhow!(
                    "no state machine {name:?} in {}; it defines: {}",
                    self.template.path.display(),
                    machines
                        .iter()
                        .map(|m| m.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }

    /// Reads a state machine's definition and applies its substitutions.
    pub fn load_machine(&self, resource: &StateMachineResource) -> Result<LoadedMachine> {
        let path = self.template.folder().join(&resource.definition_uri);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read the definition {} of {}",
                path.display(),
                resource.logical_id
            )
        })?;
        let mut substitutions = BTreeMap::new();
        for (name, value) in &resource.substitutions {
            let location = format!(
                "Resources.{}.Properties.DefinitionSubstitutions.{name}",
                resource.logical_id
            );
            substitutions.insert(name.clone(), self.template.resolve_text(value, &location)?);
        }
        let (substituted, unsupplied) = substitute(&text, &substitutions);
        let definition: Value = serde_json::from_str(&substituted).with_context(|| {
            format!(
                "{} is not valid JSON once its substitutions are applied",
                path.display()
            )
        })?;
        Ok(LoadedMachine {
            path,
            unsupplied,
            definition,
        })
    }

    /// The template's functions that exist in this workspace, by local name and by ARN.
    pub fn local_functions(&self) -> HashMap<String, &'static LocalFunction> {
        let mut out = HashMap::new();
        for function in self.template.functions() {
            let Some(local) = function.binary.as_deref().and_then(functions::find) else {
                continue;
            };
            let arn = self
                .template
                .resolve_text(
                    &serde_json::json!({"Fn::GetAtt": [function.logical_id, "Arn"]}),
                    "functions",
                )
                .unwrap_or_default();
            out.insert(arn, local);
            out.insert(function.function_name.clone(), local);
            out.insert(function.logical_id.clone(), local);
        }
        out
    }

    /// A file under the project's `events/<machine>/` folder, when it exists.
    pub fn event_file(&self, machine: &str, file: &str) -> Option<PathBuf> {
        let path = self.root.join("events").join(machine).join(file);
        path.is_file().then_some(path)
    }
}

/// Replaces every `${Name}` that `values` supplies; returns the text and the names it did not.
pub fn substitute(text: &str, values: &BTreeMap<String, String>) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut unsupplied = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) if is_name(&after[..end]) => {
                let name = &after[..end];
                match values.get(name) {
                    Some(value) => out.push_str(value),
                    None => {
                        if !unsupplied.iter().any(|u| u == name) {
                            unsupplied.push(name.to_string());
                        }
                        out.push_str(&rest[start..start + 2 + end + 1]);
                    }
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str("${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    (out, unsupplied)
}

fn is_name(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parses `KEY=VALUE` parameter overrides.
pub fn parse_overrides(pairs: &[String]) -> Result<BTreeMap<String, String>> {
    pairs
        .iter()
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => bail!("--parameter takes KEY=VALUE, got {pair:?}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution_replaces_known_names_and_reports_the_rest() {
        let values = BTreeMap::from([("A".to_string(), "x".to_string())]);
        let (text, missing) = substitute(
            r#"{"a": "${A}", "b": "${B}", "c": "${A}${B}", "d": "$${", "e": "${not a name}"}"#,
            &values,
        );
        assert_eq!(
            text,
            r#"{"a": "x", "b": "${B}", "c": "x${B}", "d": "$${", "e": "${not a name}"}"#
        );
        assert_eq!(missing, ["B"]);
    }
}
