//! The functions AWS Step Functions adds to JSONata, and the one it takes away (`$eval`):
//! <https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html>.

use crate::clock::{Rng, SeededRng};
use jlens_core::{Bindings, Error, HostFunction};
use serde_json::Value;
use std::sync::LazyLock;

type JResult = jlens_core::Result<Option<Value>>;

fn err(code: &str, message: impl Into<String>) -> Error {
    Error::new(code).with("message", message.into())
}

/// Argument `i`, or undefined when the call passed fewer (`$range()`): the functions are bound
/// without a signature, so the count is theirs to check.
fn arg(args: &[Option<Value>], i: usize) -> &Option<Value> {
    args.get(i).unwrap_or(&None)
}

fn number(v: &Option<Value>, f: &str, i: usize) -> Result<f64, Error> {
    v.as_ref().and_then(Value::as_f64).ok_or_else(|| {
        err(
            "T0410",
            format!("Argument {} of function {f} must be a number", i + 1),
        )
    })
}

fn num_value(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

/// `$partition(array, size)`: the array cut into chunks of `size` items (the last may be
/// shorter).
fn partition(args: &[Option<Value>]) -> JResult {
    let items = match arg(args, 0) {
        Some(Value::Array(a)) => a.clone(),
        Some(v) => vec![v.clone()],
        None => return Ok(None),
    };
    let size = number(arg(args, 1), "$partition", 1)?;
    if size < 1.0 || size.fract() != 0.0 {
        return Err(err(
            "D3001",
            "The size of a partition must be a positive integer",
        ));
    }
    let chunks: Vec<Value> = items
        .chunks(size as usize)
        .map(|c| Value::Array(c.to_vec()))
        .collect();
    Ok(Some(Value::Array(chunks)))
}

/// `$range(start, end, step)`: `start`, `start + step`, ... up to `end` (included when a step
/// lands on it), as a JSONata sequence (one item stands alone).
fn range(args: &[Option<Value>]) -> JResult {
    let start = number(arg(args, 0), "$range", 0)?;
    let end = number(arg(args, 1), "$range", 1)?;
    let step = number(arg(args, 2), "$range", 2)?;
    if step == 0.0 || !step.is_finite() {
        return Err(err("D3001", "The step of $range must not be zero"));
    }
    let mut out = Vec::new();
    let mut x = start;
    while (step > 0.0 && x <= end) || (step < 0.0 && x >= end) {
        out.push(num_value(x));
        if out.len() > 1_000_000 {
            return Err(err("D3001", "$range would return more than 1000000 items"));
        }
        x += step;
    }
    Ok(match out.len() {
        0 => None,
        1 => out.pop(),
        _ => Some(Value::Array(out)),
    })
}

/// `$hash(value, algorithm)`: the lower-case hex digest of a string.
fn hash(args: &[Option<Value>]) -> JResult {
    let Some(v) = arg(args, 0) else {
        return Ok(None);
    };
    let data = match v {
        Value::String(s) => s.clone(),
        other => crate::intrinsics::json_text(other),
    };
    let alg = match arg(args, 1) {
        Some(Value::String(a)) => a.as_str(),
        None => "SHA-256",
        Some(_) => return Err(err("T0410", "The algorithm of $hash must be a string")),
    };
    crate::codec::hash_hex(alg, data.as_bytes())
        .map(|h| Some(Value::String(h)))
        .ok_or_else(|| {
            err(
                "D3001",
                format!("The hash algorithm '{alg}' is not supported: use MD5, SHA-1, SHA-256, SHA-384 or SHA-512"),
            )
        })
}

/// `$parse(text)`: the JSON value the text holds.
fn parse(args: &[Option<Value>]) -> JResult {
    match arg(args, 0) {
        None => Ok(None),
        Some(Value::String(s)) => serde_json::from_str::<Value>(s)
            .map(|v| Some(normalise_zero(v)))
            .map_err(|e| err("D3001", format!("$parse: the text is not JSON: {e}"))),
        Some(_) => Err(err("T0410", "The argument of $parse must be a string")),
    }
}

/// `-0` parses to `0` (JSON has one zero).
fn normalise_zero(v: Value) -> Value {
    match &v {
        Value::Number(n) if n.as_f64() == Some(0.0) => Value::from(0),
        _ => v,
    }
}

/// The value of Java's `new java.util.Random(seed).nextDouble()`: AWS's `$random(seed)`.
pub fn java_random_double(seed: i64) -> f64 {
    const MULT: i64 = 0x5DEE_CE66D;
    const MASK: i64 = (1 << 48) - 1;
    let mut s = (seed ^ MULT) & MASK;
    let mut next = |bits: u32| -> i64 {
        s = (s.wrapping_mul(MULT).wrapping_add(0xB)) & MASK;
        ((s as u64) >> (48 - bits)) as i64
    };
    let hi = next(26);
    let lo = next(27);
    ((hi << 27) + lo) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// The AWS functions that need no per-evaluation state, and `$eval` refused.
pub fn aws_functions() -> Bindings {
    Bindings::new()
        .function(
            "partition",
            HostFunction::new(2, |a, _| partition(a)).without_input(),
        )
        .function(
            "range",
            HostFunction::new(3, |a, _| range(a)).without_input(),
        )
        .function("hash", HostFunction::new(2, |a, _| hash(a)).without_input())
        .function(
            "parse",
            HostFunction::new(1, |a, _| parse(a)).without_input(),
        )
        .function(
            "eval",
            HostFunction::new(2, |_, _| {
                Err(err(
                    "D3199",
                    "The function $eval is not supported by AWS Step Functions",
                ))
            })
            .without_input(),
        )
}

static BASE: LazyLock<Bindings> = LazyLock::new(aws_functions);

/// A fresh copy of the AWS bindings (cheap: the functions are shared).
pub(crate) fn base_bindings() -> Bindings {
    BASE.clone()
}

/// Adds `$random([seed])` and `$uuid()` drawing from a generator seeded with `seed` (one per
/// evaluation, taken from the execution's random source).
pub(crate) fn seeded(b: Bindings, seed: u64) -> Bindings {
    let rng = std::sync::Arc::new(SeededRng::new(seed));
    let r2 = rng.clone();
    b.function(
        "random",
        HostFunction::new(1, move |a, _| match &a.first().cloned().flatten() {
            None => Ok(Some(num_value_f(rng.next_f64()))),
            Some(Value::Number(n)) => {
                let s = n
                    .as_i64()
                    .unwrap_or_else(|| n.as_f64().unwrap_or(0.0) as i64);
                Ok(Some(num_value_f(java_random_double(s))))
            }
            Some(_) => Err(err("T0410", "The seed of $random must be a number")),
        })
        .without_input(),
    )
    .function(
        "uuid",
        HostFunction::new(0, move |_, _| Ok(Some(Value::String(r2.uuid_v4())))).without_input(),
    )
}

fn num_value_f(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn java_random_matches_the_jdk() {
        // new java.util.Random(42).nextDouble() and new java.util.Random(0).nextDouble()
        assert_eq!(java_random_double(42), 0.7275636800328681);
        assert_eq!(java_random_double(0), 0.730967787376657);
    }

    #[test]
    fn range_includes_the_end_when_a_step_lands_on_it() {
        let a = |s: i64, e: i64, st: i64| {
            range(&[Some(json!(s)), Some(json!(e)), Some(json!(st))]).unwrap()
        };
        assert_eq!(a(0, 9, 3), Some(json!([0, 3, 6, 9])));
        assert_eq!(a(0, 10, 3), Some(json!([0, 3, 6, 9])));
        assert_eq!(a(1, 9, 9), Some(json!(1)));
    }

    #[test]
    fn partition_cuts_into_chunks() {
        assert_eq!(
            partition(&[Some(json!([0, 1, 2])), Some(json!(2))]).unwrap(),
            Some(json!([[0, 1], [2]]))
        );
    }

    #[test]
    fn fewer_arguments_than_a_function_reads_are_undefined_not_a_panic() {
        // Found by the `parse_definition` fuzz target: `{% $range() %}` indexed past the
        // arguments and panicked.
        let e = range(&[]).unwrap_err().to_string();
        assert!(e.starts_with("T0410"), "{e}");
        assert!(range(&[Some(json!(0)), Some(json!(3))]).is_err());
        assert_eq!(partition(&[]).unwrap(), None);
        assert!(partition(&[Some(json!([1]))]).is_err());
        assert_eq!(hash(&[]).unwrap(), None);
        assert_eq!(
            hash(&[Some(json!("abc"))]).unwrap(),
            Some(json!(
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
            ))
        );
        assert_eq!(parse(&[]).unwrap(), None);
    }

    #[test]
    fn parse_and_hash() {
        assert_eq!(parse(&[Some(json!("-0"))]).unwrap(), Some(json!(0)));
        assert_eq!(
            hash(&[Some(json!("abc")), Some(json!("MD5"))]).unwrap(),
            Some(json!("900150983cd24fb0d6963f7d28e17f72"))
        );
    }
}
