//! `Choice`: picks the next state with the first matching rule, else `Default`.

use super::State;
use super::{parse_assign, Assign, QueryLanguage, Reader};
use crate::choice::Rule;
use crate::engine::data_flow::{jsonata_output, take_input, write_output};
use crate::engine::{check_size, Run, StateResult};
use crate::error::DefinitionError;
use crate::error::{names, StatesError};
use crate::jsonata::wrong_type;
use crate::scope::Scope;
use serde_json::Value;

/// The test of one Choice rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// A JSONPath rule (`Variable` + operator, `And`/`Or`/`Not`).
    Path(Rule),
    /// A JSONata `Condition` (`{% ... %}` or a literal boolean).
    Jsonata(crate::jsonata::Template),
}

/// One rule of `Choices`: its test, its `Next` and what it assigns and outputs when taken.
#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    /// The test.
    pub condition: Condition,
    /// Index of the `Next` state.
    pub next: usize,
    /// `Assign` of the rule.
    pub assign: Option<Assign>,
    /// `Output` of the rule (JSONata).
    pub output: Option<crate::jsonata::Template>,
}

/// A Choice state.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// The rules, in order.
    pub choices: Vec<Branch>,
    /// `Default`.
    pub default: Option<usize>,
}

fn condition(
    r: &mut Reader<'_>,
    m: &serde_json::Map<String, Value>,
    at: &str,
) -> Option<Condition> {
    if r.lang == QueryLanguage::JsonPath {
        return Rule::parse(m, at, true, r.errors).map(Condition::Path);
    }
    for k in m.keys() {
        match k.as_str() {
            "Condition" | "Next" | "Assign" | "Output" | "Comment" => {}
            other => r.errors.push(DefinitionError::new(
                format!("{at}.{other}"),
                if other == "Variable" || other == "And" || other == "Or" || other == "Not" {
                    super::wrong_language(QueryLanguage::Jsonata, other)
                } else {
                    format!("unknown field '{other}' in a Choice rule")
                },
            )),
        }
    }
    let Some(v) = m.get("Condition") else {
        r.errors.push(DefinitionError::new(
            format!("{at}.Condition"),
            "a JSONata Choice rule must have a Condition",
        ));
        return None;
    };
    match crate::jsonata::Template::parse(v, &format!("{at}.Condition")) {
        Ok(t) => Some(Condition::Jsonata(t)),
        Err((p, e)) => {
            r.errors.push(DefinitionError::new(p, e.to_string()));
            None
        }
    }
}

pub(crate) fn parse(r: &mut Reader<'_>) -> Choice {
    r.check_fields(&["InputPath", "OutputPath", "Choices", "Default"]);
    let mut choices = Vec::new();
    match r.m.get("Choices") {
        Some(Value::Array(items)) if !items.is_empty() => {
            for (i, it) in items.iter().enumerate() {
                let at = format!("{}.Choices[{i}]", r.at);
                let Value::Object(m) = it else {
                    r.errors
                        .push(DefinitionError::new(at, "a rule must be an object"));
                    continue;
                };
                let cond = condition(r, m, &at);
                let assign = m
                    .get("Assign")
                    .and_then(|v| parse_assign(v, &format!("{at}.Assign"), r.lang, r.errors));
                let output = match (m.get("Output"), r.lang) {
                    (Some(v), QueryLanguage::Jsonata) => {
                        match crate::jsonata::Template::parse(v, &format!("{at}.Output")) {
                            Ok(t) => Some(t),
                            Err((p, e)) => {
                                r.errors.push(DefinitionError::new(p, e.to_string()));
                                None
                            }
                        }
                    }
                    _ => None,
                };
                let next = match m.get("Next") {
                    Some(Value::String(n)) => match r.names.get(n) {
                        Some(&i) => Some(i),
                        None => {
                            r.errors.push(DefinitionError::new(
                                format!("{at}.Next"),
                                format!("the state '{n}' does not exist"),
                            ));
                            None
                        }
                    },
                    Some(_) => {
                        r.errors.push(DefinitionError::new(
                            format!("{at}.Next"),
                            "Next must be a state name",
                        ));
                        None
                    }
                    None => {
                        if r.lang == QueryLanguage::Jsonata {
                            r.errors.push(DefinitionError::new(
                                format!("{at}.Next"),
                                "a top-level Choice rule must have a Next field",
                            ));
                        }
                        None
                    }
                };
                if let (Some(condition), Some(next)) = (cond, next) {
                    choices.push(Branch {
                        condition,
                        next,
                        assign,
                        output,
                    });
                }
            }
        }
        _ => r.err("Choices", "a Choice state needs a non-empty Choices array"),
    }
    let default = if r.has("Default") {
        r.target("Default")
    } else {
        None
    };
    Choice { choices, default }
}

impl Choice {
    /// Runs the state (JSONPath): `InputPath`, the first rule that matches (else `Default`),
    /// its `Assign`, then `OutputPath`.
    pub(crate) fn execute(
        &self,
        run: &mut Run<'_>,
        st: &State,
        raw: Value,
        entered_ms: i64,
    ) -> StateResult {
        let ctx = run.context(&st.name, entered_ms).lazy();
        let eff = take_input(&st.input_path, raw, &ctx, &run.vars)?;
        let seen = run.recording().then(|| eff.clone());
        let mut taken = None;
        {
            let scope = Scope::new(&eff, &ctx, &*run.opts.rng).with_vars(&run.vars);
            for b in &self.choices {
                if let Condition::Path(rule) = &b.condition {
                    if rule.eval(&scope)? {
                        taken = Some(b);
                        break;
                    }
                }
            }
        }
        let (next, assign) = match (taken, self.default) {
            (Some(b), _) => (b.next, &b.assign),
            (None, Some(d)) => (d, &st.assign),
            (None, None) => {
                return Err(StatesError::in_state(
                    names::NO_CHOICE_MATCHED,
                    "No Choice Rule matched and no Default was specified.".to_string(),
                )
                .into())
            }
        };
        let pending = {
            let env = run.jenv(&eff, None, None, &ctx);
            run.eval_assign(assign, &eff, &env)?
        };
        let out = write_output(&st.output_path, eff, &ctx, &run.vars)?;
        drop(ctx);
        run.inspect_seen("afterInputPath", seen);
        run.apply_assign(pending)?;
        Ok((out, Some(next)))
    }

    /// Runs the state (JSONata): the first `Condition` that holds (else `Default`), then
    /// that rule's (or the state's) `Output` and `Assign`.
    pub(crate) fn execute_jsonata(
        &self,
        run: &mut Run<'_>,
        st: &State,
        raw: Value,
        entered_ms: i64,
    ) -> StateResult {
        let (out, next, pending) = {
            let ctx = run.context(&st.name, entered_ms).lazy();
            let env = run.jenv(&raw, None, None, &ctx);
            let mut taken = None;
            for b in &self.choices {
                let Condition::Jsonata(t) = &b.condition else {
                    continue;
                };
                let v = t.eval(&env, "Condition")?;
                match v {
                    Value::Bool(true) => {
                        taken = Some(b);
                        break;
                    }
                    Value::Bool(false) => {}
                    other => {
                        let src = t.as_expr().map_or("", |e| e.as_str());
                        return Err(wrong_type(src, "Condition", "boolean", &other).into());
                    }
                }
            }
            let (next, assign, output) = match taken {
                Some(b) => (b.next, &b.assign, &b.output),
                None => match self.default {
                    Some(d) => (d, &st.assign, &st.output),
                    None => {
                        return Err(StatesError::in_state(
                            names::NO_CHOICE_MATCHED,
                            "No Choice Rule matched and no Default was specified.",
                        )
                        .into())
                    }
                },
            };
            let out = jsonata_output(output, &env, || raw.clone())?;
            let pending = run.eval_assign(assign, &raw, &env)?;
            (out, next, pending)
        };
        run.apply_assign(pending)?;
        check_size(&out, &st.name)?;
        Ok((out, Some(next)))
    }
}
