//! Direct evaluation of the small JSONata expressions that most state machines are made of:
//! counters, comparisons and field reads such as `$i + 1`, `$i < 5000`,
//! `$exists($i) ? $i + 1 : 1`, `$states.input.order.total >= 100` or `$retries ?? 0`.
//!
//! jlens evaluates any expression in about 0.45 µs, most of it setting up the evaluation
//! (bindings, options, its value model), which made a 10,001-transition JSONata loop 4.3–4.7x
//! slower than the JSONPath one (`cargo bench -p asl --bench jsonata -- loop`, issue #17).
//! Read straight off the definition's values, these expressions take tens of nanoseconds.
//!
//! The subset: number, string, Boolean and `null` literals; workflow variables; field paths
//! from a variable or from `$states.input` / `.result` / `.errorOutput` through objects;
//! `+ - * / %`, `< <= > >=`, `= !=`, `and`, `or`, unary `-`, `? :`, `??`, `?:`,
//! parentheses, `$exists(x)` and `$not(x)`. Only values whose meaning is plain are computed
//! here: any other case (an array on a path, an operand of another type, a non-finite result,
//! anything that would raise an error) answers [`None`], and the caller evaluates the
//! expression with jlens. The property test `direct_evaluation_agrees_with_jlens` checks that
//! every answer given here is jlens' answer.

use super::Env;
use jlens_core::ast::{Attrs, BinaryOp, FallbackOp};
use jlens_core::{Node, NodeKind};
use serde_json::{Map, Value};
use std::cmp::Ordering;

/// An expression of the subset, compiled from jlens' tree.
#[derive(Debug)]
pub(super) enum Direct {
    /// A literal, as jlens would output it.
    Literal(Value),
    /// A workflow variable, then fields of it (`$order.total`).
    Var { name: String, fields: Vec<String> },
    /// A part of `$states`, then fields of it (`$states.input.order`).
    States {
        part: StatesPart,
        fields: Vec<String>,
    },
    /// An arithmetic operator on two numbers.
    Arith(Arith, Box<Direct>, Box<Direct>),
    /// An ordering comparison of two numbers or two strings.
    Compare(BinaryOp, Box<Direct>, Box<Direct>),
    /// `=` (`negate` false) or `!=` of two scalars.
    Equal {
        negate: bool,
        lhs: Box<Direct>,
        rhs: Box<Direct>,
    },
    /// `and` (`and` true) or `or` of two Booleans.
    Logic {
        and: bool,
        lhs: Box<Direct>,
        rhs: Box<Direct>,
    },
    /// Unary `-`.
    Negate(Box<Direct>),
    /// `$exists(x)`.
    Exists(Box<Direct>),
    /// `$not(x)`.
    Not(Box<Direct>),
    /// `c ? a : b`.
    Condition {
        condition: Box<Direct>,
        then: Box<Direct>,
        otherwise: Option<Box<Direct>>,
    },
    /// `a ?? b` (`coalesce` true) or `a ?: b`.
    Fallback {
        coalesce: bool,
        lhs: Box<Direct>,
        rhs: Box<Direct>,
    },
}

/// The parts of `$states` read directly (the context object is built by jlens' path).
#[derive(Debug, Clone, Copy)]
pub(super) enum StatesPart {
    Input,
    Result,
    ErrorOutput,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

/// A value during a direct evaluation.
#[derive(Debug, Clone, Copy)]
enum V<'a> {
    Undefined,
    Ref(&'a Value),
    Num(f64),
    Bool(bool),
}

impl Direct {
    /// The subset form of `node`, or `None` when it is outside the subset. `vars` are the
    /// names jlens' analysis found read as variables (built-in function names are not).
    pub(super) fn compile(node: &Node, vars: &[String]) -> Option<Direct> {
        if !plain(&node.attrs) {
            return None;
        }
        let boxed = |n: &Node| Direct::compile(n, vars).map(Box::new);
        Some(match &node.kind {
            NodeKind::Number { value } => Direct::Literal(json_number(*value)?),
            NodeKind::String { value } => Direct::Literal(Value::String(value.clone())),
            NodeKind::Bool { value } => Direct::Literal(Value::Bool(*value)),
            NodeKind::Null => Direct::Literal(Value::Null),
            NodeKind::Variable { name } => Direct::Var {
                name: known_var(name, vars)?,
                fields: Vec::new(),
            },
            NodeKind::Path {
                steps,
                keep_singleton_array: false,
            } => path(steps, vars)?,
            NodeKind::Block {
                exprs,
                frame: false,
            } if exprs.len() == 1 => Direct::compile(&exprs[0], vars)?,
            NodeKind::Negate { expr } => Direct::Negate(boxed(expr)?),
            NodeKind::Binary { op, lhs, rhs } => {
                let (l, r) = (boxed(lhs)?, boxed(rhs)?);
                match op {
                    BinaryOp::Add => Direct::Arith(Arith::Add, l, r),
                    BinaryOp::Sub => Direct::Arith(Arith::Sub, l, r),
                    BinaryOp::Mul => Direct::Arith(Arith::Mul, l, r),
                    BinaryOp::Div => Direct::Arith(Arith::Div, l, r),
                    BinaryOp::Mod => Direct::Arith(Arith::Mod, l, r),
                    BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                        Direct::Compare(*op, l, r)
                    }
                    BinaryOp::Eq | BinaryOp::Ne => Direct::Equal {
                        negate: *op == BinaryOp::Ne,
                        lhs: l,
                        rhs: r,
                    },
                    BinaryOp::And | BinaryOp::Or => Direct::Logic {
                        and: *op == BinaryOp::And,
                        lhs: l,
                        rhs: r,
                    },
                    _ => return None,
                }
            }
            NodeKind::Condition {
                condition,
                then,
                otherwise,
            } => Direct::Condition {
                condition: boxed(condition)?,
                then: boxed(then)?,
                otherwise: match otherwise {
                    Some(o) => Some(boxed(o)?),
                    None => None,
                },
            },
            NodeKind::Fallback { op, lhs, rhs } => Direct::Fallback {
                coalesce: *op == FallbackOp::Coalesce,
                lhs: boxed(lhs)?,
                rhs: boxed(rhs)?,
            },
            NodeKind::Function { procedure, args } if args.len() == 1 => {
                let NodeKind::Variable { name } = &procedure.kind else {
                    return None;
                };
                // A variable of that name would be read, and shadow the built-in.
                if !plain(&procedure.attrs) || vars.iter().any(|v| v == name) {
                    return None;
                }
                match name.as_str() {
                    "exists" => Direct::Exists(boxed(&args[0])?),
                    "not" => Direct::Not(boxed(&args[0])?),
                    _ => return None,
                }
            }
            _ => return None,
        })
    }

    /// The expression's value (`Some(None)`: undefined), or `None` when it is outside what
    /// is evaluated directly for these values.
    pub(super) fn eval(&self, env: &Env<'_>) -> Option<Option<Value>> {
        Some(match self.value(env)? {
            V::Undefined => None,
            V::Ref(v) => Some(output(v)?),
            V::Num(n) => Some(json_number(n)?),
            V::Bool(b) => Some(Value::Bool(b)),
        })
    }

    fn value<'a>(&'a self, env: &Env<'a>) -> Option<V<'a>> {
        Some(match self {
            Direct::Literal(v) => literal(v),
            Direct::Var { name, fields } => match env.vars.get(name) {
                Some(v) => walk(v, fields)?,
                None => V::Undefined,
            },
            Direct::States { part, fields } => {
                let root = match part {
                    StatesPart::Input => Some(env.input),
                    StatesPart::Result => env.result,
                    StatesPart::ErrorOutput => env.error_output,
                };
                match root {
                    Some(v) => walk(v, fields)?,
                    None => V::Undefined,
                }
            }
            Direct::Arith(op, l, r) => {
                let (a, b) = match (l.value(env)?, r.value(env)?) {
                    (V::Undefined, x) | (x, V::Undefined) => {
                        number(x)?;
                        return Some(V::Undefined);
                    }
                    (a, b) => (number(a)?, number(b)?),
                };
                let n = match op {
                    Arith::Add => a + b,
                    Arith::Sub => a - b,
                    Arith::Mul => a * b,
                    Arith::Div => a / b,
                    Arith::Mod => a % b,
                };
                if !n.is_finite() {
                    return None;
                }
                V::Num(n)
            }
            Direct::Compare(op, l, r) => {
                let ord = match (l.value(env)?, r.value(env)?) {
                    (V::Ref(Value::String(a)), V::Ref(Value::String(b))) => {
                        a.encode_utf16().cmp(b.encode_utf16())
                    }
                    (a, b) => number(a)?.partial_cmp(&number(b)?)?,
                };
                V::Bool(match op {
                    BinaryOp::Lt => ord == Ordering::Less,
                    BinaryOp::Le => ord != Ordering::Greater,
                    BinaryOp::Gt => ord == Ordering::Greater,
                    _ => ord != Ordering::Less,
                })
            }
            Direct::Equal { negate, lhs, rhs } => {
                let eq = match (scalar(lhs.value(env)?)?, scalar(rhs.value(env)?)?) {
                    (Scalar::Num(a), Scalar::Num(b)) => a == b,
                    (Scalar::Str(a), Scalar::Str(b)) => a == b,
                    (Scalar::Bool(a), Scalar::Bool(b)) => a == b,
                    (Scalar::Null, Scalar::Null) => true,
                    _ => false,
                };
                V::Bool(eq != *negate)
            }
            Direct::Logic { and, lhs, rhs } => {
                match (boolean(lhs.value(env)?)?, boolean(rhs.value(env)?)?) {
                    (a, b) if *and => V::Bool(a && b),
                    (a, b) => V::Bool(a || b),
                }
            }
            Direct::Negate(x) => match x.value(env)? {
                V::Undefined => V::Undefined,
                v => V::Num(-number(v)?),
            },
            Direct::Exists(x) => V::Bool(!matches!(x.value(env)?, V::Undefined)),
            Direct::Not(x) => V::Bool(!boolean(x.value(env)?)?),
            Direct::Condition {
                condition,
                then,
                otherwise,
            } => {
                let c = match condition.value(env)? {
                    V::Undefined => false,
                    v => boolean(v)?,
                };
                match (c, otherwise) {
                    (true, _) => then.value(env)?,
                    (false, Some(o)) => o.value(env)?,
                    (false, None) => V::Undefined,
                }
            }
            Direct::Fallback { coalesce, lhs, rhs } => {
                let l = lhs.value(env)?;
                let keep = if *coalesce {
                    !matches!(l, V::Undefined)
                } else {
                    match l {
                        V::Undefined => false,
                        v => boolean(v)?,
                    }
                };
                if keep {
                    l
                } else {
                    rhs.value(env)?
                }
            }
        })
    }
}

/// A path whose first step is `$states` or a workflow variable and whose other steps are
/// field names.
fn path(steps: &[Node], vars: &[String]) -> Option<Direct> {
    let (first, rest) = steps.split_first()?;
    let NodeKind::Variable { name } = &first.kind else {
        return None;
    };
    if !plain(&first.attrs) {
        return None;
    }
    let mut fields = Vec::with_capacity(rest.len());
    for s in rest {
        match &s.kind {
            NodeKind::Name { name } if plain(&s.attrs) => fields.push(name.clone()),
            _ => return None,
        }
    }
    if name == "states" {
        let part = match fields.first().map(String::as_str) {
            Some("input") => StatesPart::Input,
            Some("result") => StatesPart::Result,
            Some("errorOutput") => StatesPart::ErrorOutput,
            _ => return None,
        };
        fields.remove(0);
        return Some(Direct::States { part, fields });
    }
    Some(Direct::Var {
        name: known_var(name, vars)?,
        fields,
    })
}

fn known_var(name: &str, vars: &[String]) -> Option<String> {
    vars.iter().find(|v| *v == name).cloned()
}

/// Whether a node carries none of the step attributes (filters, `[]`, grouping, focus and
/// index bindings, ancestors) that give it path semantics.
fn plain(a: &Attrs) -> bool {
    !a.keep_array
        && !a.cons_array
        && !a.tuple
        && a.focus.is_none()
        && a.index.is_none()
        && a.stages.is_empty()
        && a.predicate.is_empty()
        && a.group.is_none()
        && a.ancestor.is_none()
        && a.ancestor_label.is_none()
        && a.seeking_parent.is_empty()
}

/// The fields of `v` read in turn: a missing field, or a field of a scalar, is undefined;
/// an array on the way maps the rest of the path over its items, which is left to jlens.
fn walk<'a>(mut v: &'a Value, fields: &[String]) -> Option<V<'a>> {
    for f in fields {
        match v {
            Value::Object(m) => match m.get(f) {
                Some(x) => v = x,
                None => return Some(V::Undefined),
            },
            Value::Array(_) => return None,
            _ => return Some(V::Undefined),
        }
    }
    if !fields.is_empty() && v.is_array() {
        return None;
    }
    Some(V::Ref(v))
}

fn literal(v: &Value) -> V<'_> {
    match v {
        Value::Bool(b) => V::Bool(*b),
        other => V::Ref(other),
    }
}

fn number(v: V<'_>) -> Option<f64> {
    match v {
        V::Num(n) => Some(n),
        V::Ref(Value::Number(n)) => n.as_f64(),
        _ => None,
    }
}

/// JSONata's Boolean value of a Boolean; other types are left to jlens.
fn boolean(v: V<'_>) -> Option<bool> {
    match v {
        V::Bool(b) | V::Ref(&Value::Bool(b)) => Some(b),
        _ => None,
    }
}

enum Scalar<'a> {
    Num(f64),
    Str(&'a str),
    Bool(bool),
    Null,
}

fn scalar(v: V<'_>) -> Option<Scalar<'_>> {
    Some(match v {
        V::Num(n) => Scalar::Num(n),
        V::Bool(b) => Scalar::Bool(b),
        V::Ref(Value::Number(n)) => Scalar::Num(n.as_f64()?),
        V::Ref(Value::String(s)) => Scalar::Str(s),
        V::Ref(Value::Bool(b)) => Scalar::Bool(*b),
        V::Ref(Value::Null) => Scalar::Null,
        _ => return None,
    })
}

/// A number as jlens outputs it: integral values below 2^53 as JSON integers, others as
/// floats (jlens `value::json_number`); `None` for a non-finite one.
fn json_number(n: f64) -> Option<Value> {
    if !n.is_finite() {
        return None;
    }
    Some(if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map(Value::Number)?
    })
}

/// A definition or state value as jlens outputs it: numbers through [`json_number`].
fn output(v: &Value) -> Option<Value> {
    Some(match v {
        Value::Number(n) => json_number(n.as_f64()?)?,
        Value::Array(a) => Value::Array(a.iter().map(output).collect::<Option<_>>()?),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| Some((k.clone(), output(x)?)))
                .collect::<Option<Map<_, _>>>()?,
        ),
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Env, Expr};
    use crate::clock::SeededRng;
    use crate::scope::no_context;
    use crate::variables::Variables;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    use serde_json::{json, Map, Value};
    use std::cell::Cell;

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            1 => Just(Value::Null),
            2 => any::<bool>().prop_map(Value::Bool),
            6 => (-3i64..10).prop_map(Value::from),
            1 => Just(json!(1_152_921_504_606_846_976u64)),
            2 => prop::sample::select(vec![0.5, -2.25, 5.0, 1e300, -0.0]).prop_map(|f| json!(f)),
            3 => prop::sample::select(vec!["", "a", "b", "é", "10", "\u{1F600}", "\u{FF61}"])
                .prop_map(|s| json!(s)),
        ];
        leaf.prop_recursive(3, 16, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                prop::collection::vec((prop::sample::select(vec!["x", "y"]), inner), 0..3)
                    .prop_map(|kv| Value::Object(
                        kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
                    )),
            ]
        })
    }

    fn expression() -> impl Strategy<Value = String> {
        let leaf = prop::sample::select(vec![
            "0",
            "1",
            "-2",
            "2.5",
            "1e308",
            "\"\"",
            "\"a\"",
            "\"b\"",
            "true",
            "false",
            "null",
            "$a",
            "$b",
            "$c",
            "$a.x",
            "$b.x.y",
            "$c.y",
            "$states.input",
            "$states.input.x",
            "$states.input.x.y",
            "$states.result.x",
            "$states.errorOutput",
        ])
        .prop_map(str::to_string);
        leaf.prop_recursive(4, 24, 3, |e| {
            let ops = prop::sample::select(vec![
                "+", "-", "*", "/", "%", "<", "<=", ">", ">=", "=", "!=", "and", "or", "??", "?:",
            ]);
            prop_oneof![
                (e.clone(), ops, e.clone()).prop_map(|(a, o, b)| format!("({a} {o} {b})")),
                e.clone().prop_map(|a| format!("-({a})")),
                e.clone().prop_map(|a| format!("$exists({a})")),
                e.clone().prop_map(|a| format!("$not({a})")),
                (e.clone(), e.clone(), e.clone())
                    .prop_map(|(c, a, b)| format!("({c} ? {a} : {b})")),
                (e.clone(), e.clone()).prop_map(|(c, a)| format!("({c} ? {a})")),
            ]
        })
    }

    #[test]
    fn direct_evaluation_agrees_with_jlens() {
        let direct = Cell::new(0u32);
        let mut runner = TestRunner::new(Config {
            cases: 6_000,
            ..Config::default()
        });
        let vars = prop::collection::vec(prop::option::weighted(0.9, json_value()), 3);
        runner
            .run(
                &(expression(), vars, json_value(), json_value()),
                |(src, vars, input, result)| {
                    let Ok(expr) = Expr::parse(&src) else {
                        return Ok(());
                    };
                    let mut scope = Variables::new();
                    let assigned: Map<String, Value> = ["a", "b", "c"]
                        .iter()
                        .zip(vars)
                        .filter_map(|(n, v)| Some((n.to_string(), v?)))
                        .collect();
                    scope.assign(assigned).unwrap();
                    let rng = SeededRng::new(1);
                    let env = Env {
                        input: &input,
                        result: Some(&result),
                        error_output: None,
                        context: &no_context,
                        vars: &scope,
                        now_ms: 0,
                        rng: &rng,
                    };
                    let Some(got) = expr.direct.as_ref().and_then(|d| d.eval(&env)) else {
                        return Ok(());
                    };
                    direct.set(direct.get() + 1);
                    let want = expr.eval_jlens(&env, "Output");
                    prop_assert!(
                        matches!(&want, Ok(w) if *w == got),
                        "{src}\n vars {scope:?}\n input {input}\n result {result}\n direct {got:?}\n jlens {want:?}"
                    );
                    Ok(())
                },
            )
            .unwrap();
        // The comparison is only worth something if the direct path answered often.
        assert!(direct.get() > 1_000, "direct answers: {}", direct.get());
    }

    /// Each construct's edge cases, answered directly and checked against jlens (the property
    /// test above draws them too, but rarely).
    #[test]
    fn each_construct_answers_as_jlens_does() {
        let input = json!({"n": -7, "f": 5.0, "big": 1_152_921_504_606_846_976u64,
            "s": "\u{FF61}", "t": "\u{1F600}", "z": null, "o": {"a": [1, 2.0], "b": {"c": 3}},
            "list": [1, 2], "one": [4]});
        let mut vars = Variables::new();
        vars.assign(
            json!({"i": 3, "x": 2.5, "yes": true, "no": false, "nil": null, "arr": [1, {"k": 2.0}],
                   "obj": {"k": 4, "deep": {"v": "w"}}})
            .as_object()
            .unwrap()
            .clone(),
        )
        .unwrap();
        let rng = SeededRng::new(1);
        let env = Env {
            input: &input,
            result: Some(&input),
            error_output: None,
            context: &no_context,
            vars: &vars,
            now_ms: 0,
            rng: &rng,
        };
        for (src, want) in [
            ("$states.input.n % 3", json!(-1)),
            ("7 % -3", json!(1)),
            ("$x * 2", json!(5)),
            ("$states.input.f", json!(5)),
            ("$states.input.big + 0", json!(1.152921504606847e18)),
            ("$states.input.o", json!({"a": [1, 2], "b": {"c": 3}})),
            ("$states.result.o.b.c", json!(3)),
            ("$arr", json!([1, {"k": 2}])),
            ("$obj.deep.v", json!("w")),
            ("$states.input.s < $states.input.t", json!(false)),
            ("\"a\" < \"b\"", json!(true)),
            ("$i <= 3 and $i >= 3 and $i > 2", json!(true)),
            ("$nil = null", json!(true)),
            ("$states.input.z != null", json!(false)),
            ("$i = \"3\"", json!(false)),
            ("$yes or $no", json!(true)),
            ("$not($no)", json!(true)),
            ("-$i", json!(-3)),
            ("$exists($nope) ? 1 : 2", json!(2)),
            ("$nope ? 1 : 2", json!(2)),
            ("$nope ?? $i", json!(3)),
            ("$no ?: $i", json!(3)),
            ("$yes ?: $i", json!(true)),
            ("($i + 1)", json!(4)),
        ] {
            let e = Expr::parse(src).unwrap();
            let direct = e.direct.as_ref().and_then(|d| d.eval(&env));
            assert_eq!(direct, Some(Some(want.clone())), "{src}");
            assert_eq!(e.eval_jlens(&env, "Output").unwrap(), Some(want), "{src}");
        }
        for src in ["$nope + 1", "$states.input.o.missing", "$nope.k"] {
            let e = Expr::parse(src).unwrap();
            assert_eq!(
                e.direct.as_ref().and_then(|d| d.eval(&env)),
                Some(None),
                "{src}"
            );
            assert_eq!(e.eval_jlens(&env, "Output").unwrap(), None, "{src}");
        }
        // Left to jlens: arrays on a path, errors, other types.
        for src in [
            "$states.input.one",
            "$states.input.o.a",
            "$arr.k",
            "$i + \"1\"",
            "1 / 0",
            "$i < \"4\"",
            "$i ? 1 : 2",
            "$not($i)",
            "$i and $yes",
        ] {
            let e = Expr::parse(src).unwrap();
            assert!(e.direct.is_some(), "{src} is not in the subset");
            assert_eq!(e.direct.as_ref().and_then(|d| d.eval(&env)), None, "{src}");
        }
    }

    #[test]
    fn the_common_forms_are_evaluated_directly() {
        for src in [
            "$exists($i) ? $i + 1 : 1",
            "$i < 5000",
            "$states.input.order.total >= 100 and $states.input.order.paid",
            "$retries ?? 0",
            "$states.result.Payload",
            "-($states.input.n) % 3 = 1",
            "$not($done)",
        ] {
            let e = Expr::parse(src).unwrap();
            assert!(e.direct.is_some(), "{src} is not direct");
        }
        for src in [
            "$states.input.items[0]",
            "$sum($states.input.items)",
            "$states.context.Execution.Id",
            "$uuid()",
            "$a & $b",
            "$x.y.z[]",
        ] {
            let e = Expr::parse(src).unwrap();
            assert!(e.direct.is_none(), "{src} is direct");
        }
    }
}
