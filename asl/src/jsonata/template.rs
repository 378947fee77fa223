//! JSONata value templates: a JSON value in which every string of the form `{% expr %}` is an
//! expression, evaluated in place (`Arguments`, `Output`, `Assign`, `Items`, ...). Other
//! strings, `$`-strings and `.$` keys included, are literal.

use super::{template_expression, Env, Expr, ExprError};
use crate::error::StatesError;
use serde_json::{Map, Value};

/// A compiled JSONata template.
#[derive(Debug, Clone, PartialEq)]
pub enum Template {
    /// No expression inside: cloned as is.
    Literal(Value),
    /// A `{% ... %}` string.
    Expr(Expr),
    /// An object with an expression somewhere inside.
    Object(Vec<(String, Template)>),
    /// An array with an expression somewhere inside.
    Array(Vec<Template>),
}

impl Template {
    /// Compiles `v`; the error names the definition path (`at`) of the bad expression.
    pub fn parse(v: &Value, at: &str) -> Result<Template, (String, ExprError)> {
        Self::parse_depth(v, at, 0)
    }

    fn parse_depth(v: &Value, at: &str, depth: usize) -> Result<Template, (String, ExprError)> {
        if depth > 128 {
            return Err((
                at.to_string(),
                ExprError::Invalid("template nested too deeply".into()),
            ));
        }
        match v {
            Value::String(s) => match template_expression(s) {
                Some(src) => Expr::parse(src)
                    .map(Template::Expr)
                    .map_err(|e| (at.to_string(), e)),
                None => Ok(Template::Literal(v.clone())),
            },
            Value::Object(m) => {
                let mut entries = Vec::with_capacity(m.len());
                let mut dynamic = false;
                for (k, x) in m {
                    let t = Self::parse_depth(x, &format!("{at}.{k}"), depth + 1)?;
                    dynamic |= !matches!(t, Template::Literal(_));
                    entries.push((k.clone(), t));
                }
                Ok(if dynamic {
                    Template::Object(entries)
                } else {
                    Template::Literal(v.clone())
                })
            }
            Value::Array(a) => {
                let mut items = Vec::with_capacity(a.len());
                let mut dynamic = false;
                for (i, x) in a.iter().enumerate() {
                    let t = Self::parse_depth(x, &format!("{at}[{i}]"), depth + 1)?;
                    dynamic |= !matches!(t, Template::Literal(_));
                    items.push(t);
                }
                Ok(if dynamic {
                    Template::Array(items)
                } else {
                    Template::Literal(v.clone())
                })
            }
            other => Ok(Template::Literal(other.clone())),
        }
    }

    /// The expression when the whole template is one `{% ... %}` string.
    pub fn as_expr(&self) -> Option<&Expr> {
        match self {
            Template::Expr(e) => Some(e),
            _ => None,
        }
    }

    /// Every expression inside, in order (for checks and drawings).
    pub fn expressions(&self) -> Vec<&Expr> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a Expr>) {
        match self {
            Template::Literal(_) => {}
            Template::Expr(e) => out.push(e),
            Template::Object(es) => es.iter().for_each(|(_, t)| t.collect(out)),
            Template::Array(ts) => ts.iter().for_each(|t| t.collect(out)),
        }
    }

    /// Evaluates the template; `field` is the definition field (`Output`), extended with the
    /// keys inside for cause texts (`Output/result`). An expression that yields nothing fails
    /// with `States.QueryEvaluationError`.
    pub fn eval(&self, env: &Env<'_>, field: &str) -> Result<Value, StatesError> {
        self.eval_at(env, &FieldPath::Root(field))
    }

    fn eval_at(&self, env: &Env<'_>, field: &FieldPath<'_>) -> Result<Value, StatesError> {
        match self {
            Template::Literal(v) => Ok(v.clone()),
            Template::Expr(e) => e.eval_required(env, field),
            Template::Object(entries) => {
                let mut m = Map::with_capacity(entries.len());
                for (k, t) in entries {
                    m.insert(k.clone(), t.eval_at(env, &FieldPath::Key(field, k))?);
                }
                Ok(Value::Object(m))
            }
            Template::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, t)| t.eval_at(env, &FieldPath::Index(field, i)))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
        }
    }
}

/// Where an expression sits in its field (`Output/result/0`), written out only when an
/// error names it.
enum FieldPath<'a> {
    Root(&'a str),
    Key(&'a FieldPath<'a>, &'a str),
    Index(&'a FieldPath<'a>, usize),
}

impl std::fmt::Display for FieldPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldPath::Root(s) => f.write_str(s),
            FieldPath::Key(p, k) => write!(f, "{p}/{k}"),
            FieldPath::Index(p, i) => write!(f, "{p}/{i}"),
        }
    }
}
