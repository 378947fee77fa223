//! Choice rules: comparison operators (and their `...Path` forms), `And`/`Or`/`Not`, the
//! `Is...` type tests and `StringMatches`.

use crate::clock::parse_timestamp;
use crate::error::{DefinitionError, StatesError};
use crate::path::{Path, Selection};
use crate::scope::Scope;
use serde_json::{Map, Value};
use std::cmp::Ordering;

/// A comparison operator, without its `Path` suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Op {
    StringEquals,
    StringLessThan,
    StringGreaterThan,
    StringLessThanEquals,
    StringGreaterThanEquals,
    StringMatches,
    NumericEquals,
    NumericLessThan,
    NumericGreaterThan,
    NumericLessThanEquals,
    NumericGreaterThanEquals,
    BooleanEquals,
    TimestampEquals,
    TimestampLessThan,
    TimestampGreaterThan,
    TimestampLessThanEquals,
    TimestampGreaterThanEquals,
    IsNull,
    IsPresent,
    IsNumeric,
    IsString,
    IsBoolean,
    IsTimestamp,
}

const OPS: &[(&str, Op)] = &[
    ("StringEquals", Op::StringEquals),
    ("StringLessThan", Op::StringLessThan),
    ("StringGreaterThan", Op::StringGreaterThan),
    ("StringLessThanEquals", Op::StringLessThanEquals),
    ("StringGreaterThanEquals", Op::StringGreaterThanEquals),
    ("StringMatches", Op::StringMatches),
    ("NumericEquals", Op::NumericEquals),
    ("NumericLessThan", Op::NumericLessThan),
    ("NumericGreaterThan", Op::NumericGreaterThan),
    ("NumericLessThanEquals", Op::NumericLessThanEquals),
    ("NumericGreaterThanEquals", Op::NumericGreaterThanEquals),
    ("BooleanEquals", Op::BooleanEquals),
    ("TimestampEquals", Op::TimestampEquals),
    ("TimestampLessThan", Op::TimestampLessThan),
    ("TimestampGreaterThan", Op::TimestampGreaterThan),
    ("TimestampLessThanEquals", Op::TimestampLessThanEquals),
    ("TimestampGreaterThanEquals", Op::TimestampGreaterThanEquals),
    ("IsNull", Op::IsNull),
    ("IsPresent", Op::IsPresent),
    ("IsNumeric", Op::IsNumeric),
    ("IsString", Op::IsString),
    ("IsBoolean", Op::IsBoolean),
    ("IsTimestamp", Op::IsTimestamp),
];

impl Op {
    fn is_type_test(self) -> bool {
        matches!(
            self,
            Op::IsNull
                | Op::IsPresent
                | Op::IsNumeric
                | Op::IsString
                | Op::IsBoolean
                | Op::IsTimestamp
        )
    }
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A literal value.
    Value(Value),
    /// A `...Path` operator's path.
    Path(Path),
}

/// A Choice rule (top-level rules also carry a `Next`, kept by the Choice state).
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// All must hold.
    And(Vec<Rule>),
    /// One must hold.
    Or(Vec<Rule>),
    /// Must not hold.
    Not(Box<Rule>),
    /// `Variable` compared with an operand.
    Compare {
        /// The `Variable` path.
        variable: Path,
        /// The operator.
        op: Op,
        /// The operand.
        operand: Operand,
    },
}

impl Rule {
    /// Parses a rule object. `top` says whether it is a top-level rule (which must have a
    /// `Next`, read by the caller) or a nested one (which must not).
    pub fn parse(
        m: &Map<String, Value>,
        at: &str,
        top: bool,
        errors: &mut Vec<DefinitionError>,
    ) -> Option<Rule> {
        Self::parse_depth(m, at, top, errors, 0)
    }

    fn parse_depth(
        m: &Map<String, Value>,
        at: &str,
        top: bool,
        errors: &mut Vec<DefinitionError>,
        depth: usize,
    ) -> Option<Rule> {
        if depth > 64 {
            errors.push(DefinitionError::new(at, "Choice rules nested too deeply"));
            return None;
        }
        let mut found: Vec<(&str, &Value)> = Vec::new();
        let mut variable = None;
        for (k, v) in m {
            match k.as_str() {
                "Next" => {
                    if !top {
                        errors.push(DefinitionError::new(
                            format!("{at}.Next"),
                            "nested Choice rules cannot have a Next field",
                        ));
                    }
                }
                "Comment" => {}
                "Variable" => variable = Some(v),
                "And" | "Or" | "Not" => found.push((k, v)),
                "Assign" if top => {}
                "Output" | "Condition" => errors.push(DefinitionError::new(
                    format!("{at}.{k}"),
                    crate::states::wrong_language(crate::states::QueryLanguage::JsonPath, k),
                )),
                other => {
                    let base = other.strip_suffix("Path").unwrap_or(other);
                    if OPS.iter().any(|(n, _)| *n == base)
                        && !(other.ends_with("Path")
                            && matches!(
                                base,
                                "IsNull"
                                    | "IsPresent"
                                    | "IsNumeric"
                                    | "IsString"
                                    | "IsBoolean"
                                    | "IsTimestamp"
                            ))
                    {
                        found.push((k, v));
                    } else {
                        errors.push(DefinitionError::new(
                            format!("{at}.{other}"),
                            format!("unknown field '{other}' in a Choice rule"),
                        ));
                    }
                }
            }
        }
        if top && !m.contains_key("Next") {
            errors.push(DefinitionError::new(
                format!("{at}.Next"),
                "a top-level Choice rule must have a Next field",
            ));
        }
        if found.len() != 1 {
            errors.push(DefinitionError::new(
                at,
                if found.is_empty() {
                    "a Choice rule must have exactly one comparison operator (found none)"
                        .to_string()
                } else {
                    format!(
                        "a Choice rule must have exactly one comparison operator (found {})",
                        found.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
                    )
                },
            ));
            return None;
        }
        let (key, val) = found[0];
        let here = format!("{at}.{key}");
        match key {
            "And" | "Or" => {
                if variable.is_some() {
                    errors.push(DefinitionError::new(
                        format!("{at}.Variable"),
                        format!("a rule with {key} cannot have a Variable"),
                    ));
                }
                let Value::Array(items) = val else {
                    errors.push(DefinitionError::new(
                        here,
                        format!("{key} must be an array of rules"),
                    ));
                    return None;
                };
                if items.is_empty() {
                    errors.push(DefinitionError::new(
                        here,
                        format!("{key} must not be empty"),
                    ));
                    return None;
                }
                let mut rules = Vec::new();
                for (i, it) in items.iter().enumerate() {
                    let Value::Object(o) = it else {
                        errors.push(DefinitionError::new(
                            format!("{here}[{i}]"),
                            "a rule must be an object",
                        ));
                        continue;
                    };
                    if let Some(r) =
                        Self::parse_depth(o, &format!("{here}[{i}]"), false, errors, depth + 1)
                    {
                        rules.push(r);
                    }
                }
                Some(if key == "And" {
                    Rule::And(rules)
                } else {
                    Rule::Or(rules)
                })
            }
            "Not" => {
                if variable.is_some() {
                    errors.push(DefinitionError::new(
                        format!("{at}.Variable"),
                        "a rule with Not cannot have a Variable",
                    ));
                }
                let Value::Object(o) = val else {
                    errors.push(DefinitionError::new(here, "Not must be a rule object"));
                    return None;
                };
                Self::parse_depth(o, &here, false, errors, depth + 1)
                    .map(|r| Rule::Not(Box::new(r)))
            }
            _ => {
                let Some(Value::String(var)) = variable else {
                    errors.push(DefinitionError::new(
                        format!("{at}.Variable"),
                        "a comparison needs a Variable field holding a path",
                    ));
                    return None;
                };
                let variable = match Path::parse(var) {
                    Ok(p) => p,
                    Err(e) => {
                        errors.push(DefinitionError::new(
                            format!("{at}.Variable"),
                            e.to_string(),
                        ));
                        return None;
                    }
                };
                let (name, is_path) = match key.strip_suffix("Path") {
                    Some(b) if OPS.iter().any(|(n, _)| *n == b) => (b, true),
                    _ => (key, false),
                };
                let op = OPS.iter().find(|(n, _)| *n == name).map(|(_, o)| *o)?;
                let operand = if is_path {
                    let Value::String(s) = val else {
                        errors.push(DefinitionError::new(
                            here,
                            "a ...Path operator takes a path string",
                        ));
                        return None;
                    };
                    match Path::parse(s) {
                        Ok(p) => Operand::Path(p),
                        Err(e) => {
                            errors.push(DefinitionError::new(here, e.to_string()));
                            return None;
                        }
                    }
                } else {
                    let ok = match op {
                        _ if op.is_type_test() => val.is_boolean(),
                        Op::BooleanEquals => val.is_boolean(),
                        Op::NumericEquals
                        | Op::NumericLessThan
                        | Op::NumericGreaterThan
                        | Op::NumericLessThanEquals
                        | Op::NumericGreaterThanEquals => val.is_number(),
                        Op::TimestampEquals
                        | Op::TimestampLessThan
                        | Op::TimestampGreaterThan
                        | Op::TimestampLessThanEquals
                        | Op::TimestampGreaterThanEquals => {
                            val.as_str().is_some_and(|s| parse_timestamp(s).is_some())
                        }
                        _ => val.is_string(),
                    };
                    if !ok {
                        errors.push(DefinitionError::new(
                            here,
                            format!("the value of {key} has the wrong type"),
                        ));
                        return None;
                    }
                    Operand::Value(val.clone())
                };
                Some(Rule::Compare {
                    variable,
                    op,
                    operand,
                })
            }
        }
    }

    /// Evaluates the rule.
    pub fn eval(&self, scope: &Scope<'_>) -> Result<bool, StatesError> {
        match self {
            Rule::And(rs) => {
                for r in rs {
                    if !r.eval(scope)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Rule::Or(rs) => {
                for r in rs {
                    if r.eval(scope)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Rule::Not(r) => Ok(!r.eval(scope)?),
            Rule::Compare {
                variable,
                op,
                operand,
            } => {
                let sel = scope.select(variable);
                if *op == Op::IsPresent {
                    let present = match &sel {
                        None => false,
                        Some(Selection::Many(v)) => !v.is_empty(),
                        Some(_) => true,
                    };
                    return Ok(present == (operand == &Operand::Value(Value::Bool(true))));
                }
                let Some(sel) = sel else {
                    return Err(invalid_path(variable));
                };
                let owned;
                let var: &Value = match &sel {
                    Selection::One(v) => v,
                    _ => {
                        owned = sel.to_value();
                        &owned
                    }
                };
                let rhs_owned;
                let rhs: &Value = match operand {
                    Operand::Value(v) => v,
                    Operand::Path(p) => match scope.select(p) {
                        Some(Selection::One(v)) => v,
                        Some(s) => {
                            rhs_owned = s.to_value();
                            &rhs_owned
                        }
                        None => return Err(invalid_path(p)),
                    },
                };
                Ok(compare(var, *op, rhs))
            }
        }
    }
}

fn invalid_path(p: &Path) -> StatesError {
    StatesError::runtime(format!(
        "Invalid path '{}': The choice state's condition path references an invalid value.",
        p.as_str()
    ))
}

fn num_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if let (Some(i), Some(j)) = (x.as_i64(), y.as_i64()) {
                Some(i.cmp(&j))
            } else {
                x.as_f64()?.partial_cmp(&y.as_f64()?)
            }
        }
        _ => None,
    }
}

fn ts_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    let x = parse_timestamp(a.as_str()?)?;
    let y = parse_timestamp(b.as_str()?)?;
    Some(x.cmp(&y))
}

fn str_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    Some(a.as_str()?.cmp(b.as_str()?))
}

/// Applies `op` to a variable value and an operand value.
pub fn compare(var: &Value, op: Op, rhs: &Value) -> bool {
    use Ordering::*;
    let want = |o: Option<Ordering>, ok: &[Ordering]| o.is_some_and(|o| ok.contains(&o));
    match op {
        Op::StringEquals => want(str_cmp(var, rhs), &[Equal]),
        Op::StringLessThan => want(str_cmp(var, rhs), &[Less]),
        Op::StringGreaterThan => want(str_cmp(var, rhs), &[Greater]),
        Op::StringLessThanEquals => want(str_cmp(var, rhs), &[Less, Equal]),
        Op::StringGreaterThanEquals => want(str_cmp(var, rhs), &[Greater, Equal]),
        Op::StringMatches => match (var, rhs) {
            (Value::String(s), Value::String(p)) => string_matches(s, p),
            _ => false,
        },
        Op::NumericEquals => want(num_cmp(var, rhs), &[Equal]),
        Op::NumericLessThan => want(num_cmp(var, rhs), &[Less]),
        Op::NumericGreaterThan => want(num_cmp(var, rhs), &[Greater]),
        Op::NumericLessThanEquals => want(num_cmp(var, rhs), &[Less, Equal]),
        Op::NumericGreaterThanEquals => want(num_cmp(var, rhs), &[Greater, Equal]),
        Op::BooleanEquals => matches!((var, rhs), (Value::Bool(a), Value::Bool(b)) if a == b),
        Op::TimestampEquals => want(ts_cmp(var, rhs), &[Equal]),
        Op::TimestampLessThan => want(ts_cmp(var, rhs), &[Less]),
        Op::TimestampGreaterThan => want(ts_cmp(var, rhs), &[Greater]),
        Op::TimestampLessThanEquals => want(ts_cmp(var, rhs), &[Less, Equal]),
        Op::TimestampGreaterThanEquals => want(ts_cmp(var, rhs), &[Greater, Equal]),
        Op::IsNull
        | Op::IsNumeric
        | Op::IsString
        | Op::IsBoolean
        | Op::IsTimestamp
        | Op::IsPresent => {
            let is = match op {
                Op::IsNull => var.is_null(),
                Op::IsNumeric => var.is_number(),
                Op::IsString => var.is_string(),
                Op::IsBoolean => var.is_boolean(),
                Op::IsTimestamp => var.as_str().is_some_and(|s| parse_timestamp(s).is_some()),
                _ => true,
            };
            rhs.as_bool().is_some_and(|b| b == is)
        }
    }
}

/// `StringMatches`: `*` matches any run of characters; `\*` is a literal star and `\\` a
/// literal backslash.
pub fn string_matches(s: &str, pattern: &str) -> bool {
    #[derive(PartialEq)]
    enum Tok {
        Star,
        Ch(char),
    }
    let mut toks = Vec::new();
    let mut it = pattern.chars();
    while let Some(c) = it.next() {
        match c {
            '\\' => match it.next() {
                Some(n) => toks.push(Tok::Ch(n)),
                None => toks.push(Tok::Ch('\\')),
            },
            '*' => toks.push(Tok::Star),
            c => toks.push(Tok::Ch(c)),
        }
    }
    let s: Vec<char> = s.chars().collect();
    // Iterative wildcard matching with backtracking on the last star.
    let (mut si, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < toks.len() {
            match toks[pi] {
                Tok::Star => {
                    star = Some((pi, si));
                    pi += 1;
                    continue;
                }
                Tok::Ch(c) if c == s[si] => {
                    si += 1;
                    pi += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, ss)) => {
                pi = sp + 1;
                si = ss + 1;
                star = Some((sp, ss + 1));
            }
            None => return false,
        }
    }
    toks[pi..].iter().all(|t| *t == Tok::Star)
}

impl Op {
    /// The operator's name as written, without its `Path` suffix (`NumericLessThan`).
    pub fn as_str(self) -> &'static str {
        OPS.iter()
            .find(|(_, op)| *op == self)
            .map_or("?", |(name, _)| name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SeededRng;
    use crate::scope::no_context;
    use serde_json::json;

    fn rule(v: Value) -> Rule {
        let mut errs = Vec::new();
        let r = Rule::parse(v.as_object().unwrap(), "$.r", false, &mut errs);
        assert!(errs.is_empty(), "{errs:?}");
        r.unwrap()
    }

    fn check(r: Value, input: Value) -> Result<bool, StatesError> {
        let rng = SeededRng::new(0);
        let scope = Scope::new(&input, &no_context, &rng);
        rule(r).eval(&scope)
    }

    #[test]
    fn numeric_equals_compares_values_not_representations() {
        assert!(check(
            json!({"Variable": "$.v", "NumericEquals": 1}),
            json!({"v": 1.0})
        )
        .unwrap());
        assert!(!check(
            json!({"Variable": "$.v", "NumericEquals": 1}),
            json!({"v": "1"})
        )
        .unwrap());
    }

    #[test]
    fn path_operators_read_the_operand_from_the_input() {
        let r = json!({"Variable": "$.a", "NumericLessThanPath": "$.b"});
        assert!(check(r.clone(), json!({"a": 1, "b": 2})).unwrap());
        assert!(!check(r, json!({"a": 2, "b": 2})).unwrap());
    }

    #[test]
    fn missing_variable_is_a_runtime_error_except_for_is_present() {
        let e = check(json!({"Variable": "$.x", "IsNull": true}), json!({})).unwrap_err();
        assert_eq!(e.error, "States.Runtime");
        assert!(!check(json!({"Variable": "$.x", "IsPresent": true}), json!({})).unwrap());
        assert!(check(json!({"Variable": "$.x", "IsPresent": false}), json!({})).unwrap());
    }

    #[test]
    fn type_tests_respect_their_boolean() {
        assert!(check(json!({"Variable": "$.x", "IsNull": false}), json!({"x": 0})).unwrap());
        assert!(check(
            json!({"Variable": "$.x", "IsTimestamp": true}),
            json!({"x": "2012-10-09T19:00:55Z"})
        )
        .unwrap());
        assert!(!check(
            json!({"Variable": "$.x", "IsTimestamp": true}),
            json!({"x": "2012-10-09T19:00:55"})
        )
        .unwrap());
    }

    #[test]
    fn and_or_not_combine_rules() {
        let r = json!({"And": [{"Variable": "$.v", "NumericGreaterThanEquals": 20},
                               {"Not": {"Variable": "$.v", "NumericGreaterThan": 29}}]});
        assert!(check(r.clone(), json!({"v": 22})).unwrap());
        assert!(!check(r, json!({"v": 30})).unwrap());
    }

    #[test]
    fn string_matches_handles_wildcards_and_escapes() {
        assert!(string_matches("log-2024.txt", "log-*.txt"));
        assert!(string_matches("a*b", "a\\*b"));
        assert!(!string_matches("axb", "a\\*b"));
        assert!(string_matches("a\\b", "a\\\\b"));
        assert!(string_matches("", "*"));
        assert!(string_matches("abcabc", "*abc"));
        assert!(!string_matches("abc", "abcd*x"));
    }

    #[test]
    fn rules_with_zero_or_two_operators_are_rejected() {
        for bad in [
            json!({"Variable": "$.a"}),
            json!({"Variable": "$.a", "StringEquals": "x", "NumericEquals": 1}),
            json!({"Variable": "$.a", "NumericEquals": "x"}),
            json!({"Variable": "$.a", "Bogus": 1}),
            json!({"Variable": "$.a", "IsNullPath": "$.b"}),
        ] {
            let mut errs = Vec::new();
            let r = Rule::parse(bad.as_object().unwrap(), "$.r", false, &mut errs);
            assert!(r.is_none() || !errs.is_empty(), "{bad}");
        }
    }
}
