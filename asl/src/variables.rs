//! Workflow variables (`Assign`) and their scopes, as AWS Step Functions runs them
//! (<https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html>):
//!
//! - a state's `Assign` is evaluated against the values from *before* the state, and all its
//!   assignments land together once the state is done;
//! - a Map iteration or a Parallel branch reads the variables of the scope around it and
//!   assigns only in its own scope (outer values are never changed from inside);
//! - a variable holds at most 256 KiB, one `Assign` at most 256 KiB, a scope at most 10 MiB.

use crate::error::{names, StatesError};
use serde_json::{Map, Value};
use std::sync::Arc;

/// Largest serialized value of one variable (AWS: 256 KiB).
pub const MAX_VARIABLE_BYTES: usize = 256 * 1024;
/// Largest serialized size of all the values of one `Assign` field (AWS: 256 KiB).
pub const MAX_ASSIGN_BYTES: usize = 256 * 1024;
/// Largest serialized size of all the variables of one scope (AWS: 10 MiB).
pub const MAX_SCOPE_BYTES: usize = 10 * 1024 * 1024;

/// The variables visible in one scope: its own, then those of the scopes around it.
/// Cloning is cheap (shared maps, copied on write).
#[derive(Debug, Clone, Default)]
pub struct Variables {
    local: Arc<Map<String, Value>>,
    outer: Option<Arc<Variables>>,
    /// Serialized bytes held in `local`.
    bytes: usize,
}

impl Variables {
    /// An empty top-level scope.
    pub fn new() -> Variables {
        Variables::default()
    }

    /// The scope of a Map iteration or Parallel branch: reads this one, assigns only in its
    /// own.
    pub fn child(&self) -> Variables {
        Variables {
            local: Arc::new(Map::new()),
            outer: Some(Arc::new(self.clone())),
            bytes: 0,
        }
    }

    /// The value of `$name`, from this scope or the nearest one around it.
    pub fn get(&self, name: &str) -> Option<&Value> {
        let mut s = self;
        loop {
            if let Some(v) = s.local.get(name) {
                return Some(v);
            }
            s = s.outer.as_deref()?;
        }
    }

    /// Whether no variable is visible.
    pub fn is_empty(&self) -> bool {
        self.local.is_empty() && self.outer.as_ref().is_none_or(|o| o.is_empty())
    }

    /// Every visible variable, inner scopes hiding outer ones (for JSONata bindings).
    pub fn visible(&self) -> Vec<(&str, &Value)> {
        let mut out: Vec<(&str, &Value)> = Vec::new();
        let mut s = Some(self);
        while let Some(scope) = s {
            for (k, v) in scope.local.iter() {
                if !out.iter().any(|(n, _)| *n == k) {
                    out.push((k.as_str(), v));
                }
            }
            s = scope.outer.as_deref();
        }
        out
    }

    /// Stores the values an `Assign` field produced, all at once, after checking AWS's size
    /// limits. Fails with `States.Runtime` when a limit is passed (nothing is stored then).
    pub fn assign(&mut self, values: Map<String, Value>) -> Result<(), StatesError> {
        let mut total = 0usize;
        let mut sizes = Vec::with_capacity(values.len());
        for (k, v) in &values {
            let n = crate::engine::payload_size(v);
            if n > MAX_VARIABLE_BYTES {
                return Err(StatesError::runtime(format!(
                    "The variable '{k}' has a size of {n} bytes, above the limit of {MAX_VARIABLE_BYTES} bytes."
                )));
            }
            total += n;
            sizes.push(n);
        }
        if total > MAX_ASSIGN_BYTES {
            return Err(StatesError::runtime(format!(
                "The Assign field assigns {total} bytes, above the limit of {MAX_ASSIGN_BYTES} bytes."
            )));
        }
        let mut bytes = self.bytes;
        for ((k, _), n) in values.iter().zip(&sizes) {
            if let Some(old) = self.local.get(k) {
                bytes = bytes.saturating_sub(crate::engine::payload_size(old));
            }
            bytes += n;
        }
        if bytes > MAX_SCOPE_BYTES {
            return Err(StatesError::new(
                names::RUNTIME,
                Some(format!(
                    "The variables of this scope would take {bytes} bytes, above the limit of {MAX_SCOPE_BYTES} bytes."
                )),
            ));
        }
        let local = Arc::make_mut(&mut self.local);
        for (k, v) in values {
            local.insert(k, v);
        }
        self.bytes = bytes;
        Ok(())
    }
}

/// Whether `name` is a valid variable name: a letter or `_` first, then letters, digits, `_`
/// (AWS reserves `states`). Returns the problem when it is not.
pub fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let ok_first = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_');
    if !ok_first || !chars.all(|c| c.is_alphanumeric() || c == '_') {
        return Err(format!("'{name}' is not a valid variable name"));
    }
    if name == "states" {
        return Err("the variable name 'states' is reserved".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn an_inner_scope_reads_outer_variables_and_assigns_only_its_own() {
        let mut outer = Variables::new();
        outer.assign(map(json!({"x": 1, "y": 2}))).unwrap();
        let mut inner = outer.child();
        assert_eq!(inner.get("x"), Some(&json!(1)));
        inner.assign(map(json!({"x": 10, "z": 3}))).unwrap();
        assert_eq!(inner.get("x"), Some(&json!(10)));
        assert_eq!(outer.get("x"), Some(&json!(1)));
        assert_eq!(outer.get("z"), None);
    }

    #[test]
    fn a_variable_above_256_kib_fails_the_state_and_stores_nothing() {
        let mut v = Variables::new();
        let big = "a".repeat(MAX_VARIABLE_BYTES);
        let e = v.assign(map(json!({"ok": 1, "big": big}))).unwrap_err();
        assert_eq!(e.error, "States.Runtime");
        assert!(e.cause.unwrap().contains("'big'"));
        assert_eq!(v.get("ok"), None);
    }

    #[test]
    fn visible_variables_hide_outer_ones_of_the_same_name() {
        let mut outer = Variables::new();
        outer.assign(map(json!({"x": 1}))).unwrap();
        let mut inner = outer.child();
        inner.assign(map(json!({"x": 2}))).unwrap();
        assert_eq!(inner.visible(), vec![("x", &json!(2))]);
    }

    #[test]
    fn names_follow_aws_rules() {
        assert!(check_name("total_1").is_ok());
        assert!(check_name("1x").is_err());
        assert!(check_name("a-b").is_err());
        assert!(check_name("states").is_err());
    }
}
