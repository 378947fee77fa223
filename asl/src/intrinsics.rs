//! The 18 intrinsic functions (`States.Format(...)`, `States.MathAdd(...)`, ...): parsed once
//! into a call tree, argument counts and literal types checked at parse time, evaluated with
//! AWS's argument rules.

use crate::error::{names, StatesError};
use crate::path::Path;
use crate::scope::Scope;
use serde_json::{Number, Value};
use std::fmt;

/// An intrinsic function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Func {
    Format,
    StringToJson,
    JsonToString,
    Array,
    ArrayPartition,
    ArrayContains,
    ArrayRange,
    ArrayGetItem,
    ArrayLength,
    ArrayUnique,
    Base64Encode,
    Base64Decode,
    Hash,
    JsonMerge,
    MathRandom,
    MathAdd,
    StringSplit,
    Uuid,
}

impl Func {
    fn from_name(name: &str) -> Option<Func> {
        Some(match name {
            "States.Format" => Func::Format,
            "States.StringToJson" => Func::StringToJson,
            "States.JsonToString" => Func::JsonToString,
            "States.Array" => Func::Array,
            "States.ArrayPartition" => Func::ArrayPartition,
            "States.ArrayContains" => Func::ArrayContains,
            "States.ArrayRange" => Func::ArrayRange,
            "States.ArrayGetItem" => Func::ArrayGetItem,
            "States.ArrayLength" => Func::ArrayLength,
            "States.ArrayUnique" => Func::ArrayUnique,
            "States.Base64Encode" => Func::Base64Encode,
            "States.Base64Decode" => Func::Base64Decode,
            "States.Hash" => Func::Hash,
            "States.JsonMerge" => Func::JsonMerge,
            "States.MathRandom" => Func::MathRandom,
            "States.MathAdd" => Func::MathAdd,
            "States.StringSplit" => Func::StringSplit,
            "States.UUID" => Func::Uuid,
            _ => return None,
        })
    }

    /// The function's name as written in ASL.
    pub fn name(self) -> &'static str {
        match self {
            Func::Format => "States.Format",
            Func::StringToJson => "States.StringToJson",
            Func::JsonToString => "States.JsonToString",
            Func::Array => "States.Array",
            Func::ArrayPartition => "States.ArrayPartition",
            Func::ArrayContains => "States.ArrayContains",
            Func::ArrayRange => "States.ArrayRange",
            Func::ArrayGetItem => "States.ArrayGetItem",
            Func::ArrayLength => "States.ArrayLength",
            Func::ArrayUnique => "States.ArrayUnique",
            Func::Base64Encode => "States.Base64Encode",
            Func::Base64Decode => "States.Base64Decode",
            Func::Hash => "States.Hash",
            Func::JsonMerge => "States.JsonMerge",
            Func::MathRandom => "States.MathRandom",
            Func::MathAdd => "States.MathAdd",
            Func::StringSplit => "States.StringSplit",
            Func::Uuid => "States.UUID",
        }
    }

    fn arity(self) -> (usize, usize) {
        match self {
            Func::Format => (1, usize::MAX),
            Func::Array => (0, usize::MAX),
            Func::StringToJson
            | Func::JsonToString
            | Func::ArrayLength
            | Func::ArrayUnique
            | Func::Base64Encode
            | Func::Base64Decode => (1, 1),
            Func::ArrayPartition
            | Func::ArrayContains
            | Func::ArrayGetItem
            | Func::Hash
            | Func::MathAdd
            | Func::StringSplit => (2, 2),
            Func::ArrayRange | Func::JsonMerge => (3, 3),
            Func::MathRandom => (2, 3),
            Func::Uuid => (0, 0),
        }
    }
}

/// An argument of an intrinsic call.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// A literal string, number, boolean or null.
    Literal(Value),
    /// A JSONPath (`$.x` or `$$.x`).
    Path(Path),
    /// A nested call.
    Call(Box<Call>),
}

/// A parsed intrinsic function call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The function.
    pub func: Func,
    /// Its arguments.
    pub args: Vec<Arg>,
    /// For `States.Format`: the template split at its `{}` placeholders.
    template: Option<Vec<Piece>>,
}

/// A part of a States.Format template.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Hole,
}

/// Why an intrinsic call text is invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntrinsicParseError(pub String);

impl fmt::Display for IntrinsicParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for IntrinsicParseError {}

const MAX_NESTING: usize = 32;

impl Call {
    /// Parses `States.Name(arg, ...)`.
    pub fn parse(src: &str) -> Result<Call, IntrinsicParseError> {
        let mut p = P {
            s: src,
            i: 0,
            depth: 0,
        };
        p.ws();
        let call = p.call()?;
        p.ws();
        if p.i != src.len() {
            return Err(IntrinsicParseError(format!(
                "unexpected text after the closing parenthesis in '{src}'"
            )));
        }
        Ok(call)
    }

    /// Evaluates the call.
    pub fn eval(&self, scope: &Scope<'_>) -> Result<Value, StatesError> {
        let mut args = Vec::with_capacity(self.args.len());
        for a in &self.args {
            args.push(match a {
                Arg::Literal(v) => v.clone(),
                Arg::Path(p) => match scope.select(p) {
                    Some(sel) => sel.to_value(),
                    None => {
                        return Err(StatesError::runtime(format!(
                            "The JsonPath argument for the function '{}' could not be found in the input '{}'",
                            self.func.name(),
                            p.as_str()
                        )))
                    }
                },
                Arg::Call(c) => c.eval(scope)?,
            });
        }
        apply(self, args, scope)
    }
}

struct P<'s> {
    s: &'s str,
    i: usize,
    depth: usize,
}

impl P<'_> {
    fn peek(&self) -> Option<char> {
        self.s[self.i..].chars().next()
    }
    fn ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.i += c.len_utf8();
            } else {
                break;
            }
        }
    }
    fn err(&self, m: &str) -> IntrinsicParseError {
        IntrinsicParseError(format!("{m} at position {} in '{}'", self.i, self.s))
    }

    fn call(&mut self) -> Result<Call, IntrinsicParseError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.err("intrinsic functions nested too deeply"));
        }
        let start = self.i;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == '.' {
                self.i += 1;
            } else {
                break;
            }
        }
        let name = &self.s[start..self.i];
        let func = Func::from_name(name)
            .ok_or_else(|| IntrinsicParseError(format!("unknown intrinsic function '{name}'")))?;
        self.ws();
        if self.peek() != Some('(') {
            return Err(self.err("expected '('"));
        }
        self.i += 1;
        let mut args = Vec::new();
        let mut template = None;
        self.ws();
        if self.peek() == Some(')') {
            self.i += 1;
        } else {
            loop {
                self.ws();
                if args.is_empty() && func == Func::Format && self.peek() == Some('\'') {
                    let (text, pieces) = self.string()?;
                    template = Some(pieces);
                    args.push(Arg::Literal(Value::String(text)));
                } else {
                    args.push(self.arg()?);
                }
                self.ws();
                match self.peek() {
                    Some(',') => self.i += 1,
                    Some(')') => {
                        self.i += 1;
                        break;
                    }
                    _ => return Err(self.err("expected ',' or ')'")),
                }
            }
        }
        self.depth -= 1;
        let call = Call {
            func,
            args,
            template,
        };
        check_static(&call)?;
        Ok(call)
    }

    fn arg(&mut self) -> Result<Arg, IntrinsicParseError> {
        match self.peek() {
            Some('\'') => Ok(Arg::Literal(Value::String(self.string()?.0))),
            Some('$') => {
                let start = self.i;
                let mut depth = 0i32;
                let mut quote: Option<char> = None;
                while let Some(c) = self.peek() {
                    if let Some(q) = quote {
                        if c == '\\' {
                            self.i += 1;
                            if let Some(n) = self.peek() {
                                self.i += n.len_utf8();
                            }
                            continue;
                        }
                        if c == q {
                            quote = None;
                        }
                    } else {
                        match c {
                            '\'' | '"' => quote = Some(c),
                            '[' | '(' => depth += 1,
                            ']' => depth -= 1,
                            ')' if depth == 0 => break,
                            ')' => depth -= 1,
                            ',' if depth == 0 => break,
                            c if c.is_whitespace() && depth == 0 => break,
                            _ => {}
                        }
                    }
                    self.i += c.len_utf8();
                }
                let text = &self.s[start..self.i];
                Path::parse(text)
                    .map(Arg::Path)
                    .map_err(|e| IntrinsicParseError(e.to_string()))
            }
            Some('S') => Ok(Arg::Call(Box::new(self.call()?))),
            Some(_) => {
                let start = self.i;
                while let Some(c) = self.peek() {
                    if c == ',' || c == ')' || c.is_whitespace() {
                        break;
                    }
                    self.i += c.len_utf8();
                }
                let tok = &self.s[start..self.i];
                match tok {
                    "true" => Ok(Arg::Literal(Value::Bool(true))),
                    "false" => Ok(Arg::Literal(Value::Bool(false))),
                    "null" => Ok(Arg::Literal(Value::Null)),
                    _ => serde_json::from_str::<Number>(tok)
                        .map(|n| Arg::Literal(Value::Number(n)))
                        .map_err(|_| {
                            IntrinsicParseError(format!("invalid argument '{tok}' in '{}'", self.s))
                        }),
                }
            }
            None => Err(self.err("unexpected end")),
        }
    }

    /// Parses a quoted literal; returns its text and its Format pieces.
    fn string(&mut self) -> Result<(String, Vec<Piece>), IntrinsicParseError> {
        self.i += 1; // opening quote
        let mut out = String::new();
        let mut pieces = Vec::new();
        let mut text = String::new();
        loop {
            let c = self.peek().ok_or_else(|| self.err("unterminated string"))?;
            self.i += c.len_utf8();
            match c {
                '\'' => {
                    if !text.is_empty() {
                        pieces.push(Piece::Text(text));
                    }
                    return Ok((out, pieces));
                }
                '\\' => {
                    let n = self.peek().ok_or_else(|| self.err("unterminated string"))?;
                    self.i += n.len_utf8();
                    out.push(n);
                    text.push(n);
                }
                '{' if self.peek() == Some('}') => {
                    self.i += 1;
                    out.push_str("{}");
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(Piece::Hole);
                }
                c => {
                    out.push(c);
                    text.push(c);
                }
            }
        }
    }
}

fn check_static(call: &Call) -> Result<(), IntrinsicParseError> {
    let (min, max) = call.func.arity();
    let n = call.args.len();
    if n < min || n > max {
        let expected = if min == max {
            format!("{min}")
        } else if max == usize::MAX {
            format!("at least {min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(IntrinsicParseError(format!(
            "{} takes {expected} argument(s), but {n} were given",
            call.func.name()
        )));
    }
    let lit = |i: usize| match call.args.get(i) {
        Some(Arg::Literal(v)) => Some(v),
        _ => None,
    };
    match call.func {
        Func::Format if matches!(call.args.first(), Some(Arg::Literal(v)) if !v.is_string()) => {
            return Err(IntrinsicParseError(
                "the first argument of States.Format must be a string".into(),
            ));
        }
        Func::JsonMerge if lit(2).is_some_and(|v| v != &Value::Bool(false)) => {
            return Err(IntrinsicParseError(
                "States.JsonMerge supports only shallow merges: its third argument must be false"
                    .into(),
            ));
        }
        _ => {}
    }
    Ok(())
}

fn fail(msg: impl Into<String>) -> StatesError {
    StatesError::in_state(names::INTRINSIC_FAILURE, msg)
}

/// An argument of the wrong type, or a number of values that does not fit the call: AWS fails
/// the state with `States.Runtime`, cause "Invalid arguments in States.<Name>" (after its usual
/// "An error occurred while executing the state ..." prefix).
fn invalid_arguments(f: Func) -> StatesError {
    StatesError::runtime(format!("Invalid arguments in {}", f.name()))
}

fn as_int(f: Func, v: &Value) -> Result<i64, StatesError> {
    if let Value::Number(n) = v {
        if let Some(i) = n.as_i64() {
            return Ok(i);
        }
        if let Some(x) = n.as_f64() {
            if x.fract() == 0.0 && x.abs() < 9.0e15 {
                return Ok(x as i64);
            }
        }
    }
    Err(invalid_arguments(f))
}

/// A number rounded half up to an integer (AWS accepts fractional bounds in MathRandom).
fn as_rounded_int(f: Func, v: &Value) -> Result<i64, StatesError> {
    match v {
        Value::Number(n) if n.as_i64().is_some() => Ok(n.as_i64().unwrap_or(0)),
        Value::Number(n) => match n.as_f64() {
            Some(x) if x.is_finite() && x.abs() < 9.0e15 => Ok((x + 0.5).floor() as i64),
            _ => as_int(f, v),
        },
        _ => as_int(f, v),
    }
}

fn as_str(f: Func, v: &Value) -> Result<&str, StatesError> {
    match v {
        Value::String(s) => Ok(s),
        _ => Err(invalid_arguments(f)),
    }
}

fn as_array(f: Func, v: Value) -> Result<Vec<Value>, StatesError> {
    match v {
        Value::Array(a) => Ok(a),
        _ => Err(invalid_arguments(f)),
    }
}

/// Compact JSON text of a value.
pub(crate) fn json_text(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Equality of JSON values with numbers compared by value (1 == 1.0).
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Renders a value the way States.Format does (Java's `toString` of the parsed JSON).
fn format_arg(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => out.push_str(s),
        Value::Object(m) => {
            out.push('{');
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push('=');
                format_arg(v, out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, v) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                format_arg(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&json_text(other)),
    }
}

fn int_value(i: i64) -> Value {
    Value::Number(Number::from(i))
}

fn apply(call: &Call, mut args: Vec<Value>, scope: &Scope<'_>) -> Result<Value, StatesError> {
    let f = call.func;
    match f {
        Func::Format => {
            let pieces: Vec<Piece> = match (&call.template, args.first()) {
                (Some(p), _) => p.clone(),
                (None, Some(Value::String(s))) => {
                    let mut pieces = Vec::new();
                    for (i, part) in s.split("{}").enumerate() {
                        if i > 0 {
                            pieces.push(Piece::Hole);
                        }
                        if !part.is_empty() {
                            pieces.push(Piece::Text(part.to_string()));
                        }
                    }
                    pieces
                }
                _ => return Err(invalid_arguments(f)),
            };
            let values = &args[1..];
            let holes = pieces.iter().filter(|p| **p == Piece::Hole).count();
            if holes != values.len() {
                return Err(invalid_arguments(f));
            }
            let mut out = String::new();
            let mut next = 0usize;
            for p in &pieces {
                match p {
                    Piece::Text(t) => out.push_str(t),
                    Piece::Hole => {
                        format_arg(&values[next], &mut out);
                        next += 1;
                    }
                }
            }
            Ok(Value::String(out))
        }
        Func::StringToJson => {
            let s = as_str(f, &args[0])?;
            if s.trim().is_empty() {
                return Ok(Value::Null);
            }
            serde_json::from_str(s).map_err(|_| {
                fail(format!(
                    "The value {} given to States.StringToJson is not valid JSON",
                    json_text(&args[0])
                ))
            })
        }
        Func::JsonToString => Ok(Value::String(json_text(&args[0]))),
        Func::Array => Ok(Value::Array(args)),
        Func::ArrayPartition => {
            let size = as_int(f, &args[1])?;
            let arr = as_array(f, args.swap_remove(0))?;
            if size <= 0 {
                return Err(fail(format!(
                    "The chunk size {size} given to States.ArrayPartition must be greater than 0"
                )));
            }
            Ok(Value::Array(
                arr.chunks(size as usize)
                    .map(|c| Value::Array(c.to_vec()))
                    .collect(),
            ))
        }
        Func::ArrayContains => {
            let needle = args.pop().unwrap_or(Value::Null);
            let arr = as_array(f, args.swap_remove(0))?;
            Ok(Value::Bool(arr.iter().any(|v| json_eq(v, &needle))))
        }
        Func::ArrayRange => {
            let start = as_int(f, &args[0])?;
            let end = as_int(f, &args[1])?;
            let step = as_int(f, &args[2])?;
            if step == 0 {
                return Err(fail("The step given to States.ArrayRange must not be 0"));
            }
            let mut out = Vec::new();
            let mut i = start;
            while (step > 0 && i <= end) || (step < 0 && i >= end) {
                out.push(int_value(i));
                if out.len() > 1000 {
                    return Err(fail(
                        "States.ArrayRange cannot produce more than 1000 items",
                    ));
                }
                i = i.saturating_add(step);
                if i == i64::MAX || i == i64::MIN {
                    break;
                }
            }
            Ok(Value::Array(out))
        }
        Func::ArrayGetItem => {
            let idx = as_int(f, &args[1])?;
            let arr = as_array(f, args.swap_remove(0))?;
            if idx < 0 || idx as usize >= arr.len() {
                return Err(fail(format!(
                    "The index {idx} given to States.ArrayGetItem is out of bounds for an array of length {}",
                    arr.len()
                )));
            }
            Ok(arr.into_iter().nth(idx as usize).unwrap_or(Value::Null))
        }
        Func::ArrayLength => {
            let arr = as_array(f, args.swap_remove(0))?;
            Ok(int_value(arr.len() as i64))
        }
        Func::ArrayUnique => {
            let arr = as_array(f, args.swap_remove(0))?;
            let mut out: Vec<Value> = Vec::with_capacity(arr.len());
            for v in arr {
                if !out.iter().any(|w| json_eq(w, &v)) {
                    out.push(v);
                }
            }
            Ok(Value::Array(out))
        }
        Func::Base64Encode => {
            let s = as_str(f, &args[0])?;
            if s.chars().count() > 10_000 {
                return Err(fail(
                    "The input of States.Base64Encode is longer than 10000 characters",
                ));
            }
            Ok(Value::String(crate::codec::base64_encode(s.as_bytes())))
        }
        Func::Base64Decode => {
            let s = as_str(f, &args[0])?;
            if s.len() > 10_000 {
                return Err(fail(
                    "The input of States.Base64Decode is longer than 10000 characters",
                ));
            }
            let bytes = crate::codec::base64_decode(s).ok_or_else(|| {
                fail(format!(
                    "The value {} given to States.Base64Decode is not valid base64",
                    json_text(&args[0])
                ))
            })?;
            String::from_utf8(bytes)
                .map(Value::String)
                .map_err(|_| fail("The decoded value of States.Base64Decode is not UTF-8 text"))
        }
        Func::Hash => {
            let data = value_as_hash_input(&args[0]);
            let alg = as_str(f, &args[1])?;
            if data.chars().count() > 10_000 {
                return Err(fail(
                    "The input of States.Hash is longer than 10000 characters",
                ));
            }
            crate::codec::hash_hex(alg, data.as_bytes())
                .map(Value::String)
                .ok_or_else(|| {
                    fail(format!(
                        "The hash algorithm '{alg}' is not supported: use MD5, SHA-1, SHA-256, SHA-384 or SHA-512"
                    ))
                })
        }
        Func::JsonMerge => {
            if args[2] != Value::Bool(false) {
                return Err(fail(
                    "States.JsonMerge supports only shallow merges: its third argument must be false",
                ));
            }
            let b = args.swap_remove(1);
            let a = args.swap_remove(0);
            match (a, b) {
                (Value::Object(mut a), Value::Object(b)) => {
                    for (k, v) in b {
                        a.insert(k, v);
                    }
                    Ok(Value::Object(a))
                }
                _ => Err(invalid_arguments(f)),
            }
        }
        Func::MathRandom => {
            let start = as_rounded_int(f, &args[0])?;
            let end = as_rounded_int(f, &args[1])?;
            if let Some(seed) = args.get(2) {
                as_int(f, seed)?;
            }
            if end <= start {
                return Err(fail(format!(
                    "The end {end} given to States.MathRandom must be greater than the start {start}"
                )));
            }
            let span = (end - start) as u64;
            let r = scope.rng.next_u64() % span;
            Ok(int_value(start + r as i64))
        }
        Func::MathAdd => {
            let round = |v: &Value| -> Result<i64, StatesError> {
                match v {
                    Value::Number(n) => {
                        if let Some(i) = n.as_i64() {
                            Ok(i)
                        } else {
                            let x = n.as_f64().unwrap_or(f64::NAN);
                            if x.is_finite() && x.abs() < 9.0e15 {
                                Ok((x + 0.5).floor() as i64)
                            } else {
                                Err(fail(format!(
                                    "The value {} given to States.MathAdd is out of range",
                                    json_text(v)
                                )))
                            }
                        }
                    }
                    _ => Err(invalid_arguments(f)),
                }
            };
            let a = round(&args[0])?;
            let b = round(&args[1])?;
            a.checked_add(b)
                .map(int_value)
                .ok_or_else(|| fail("States.MathAdd overflowed"))
        }
        Func::StringSplit => {
            let s = as_str(f, &args[0])?;
            let d = as_str(f, &args[1])?;
            let parts: Vec<Value> = if d.is_empty() {
                s.chars().map(|c| Value::String(c.to_string())).collect()
            } else {
                s.split(|c: char| d.contains(c))
                    .filter(|p| !p.is_empty())
                    .map(|p| Value::String(p.to_string()))
                    .collect()
            };
            Ok(Value::Array(parts))
        }
        Func::Uuid => Ok(Value::String(scope.rng.uuid_v4())),
    }
}

fn value_as_hash_input(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => json_text(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SeededRng;
    use crate::scope::no_context;
    use serde_json::json;

    fn run(expr: &str, input: Value) -> Result<Value, StatesError> {
        let rng = SeededRng::new(1);
        let scope = Scope::new(&input, &no_context, &rng);
        Call::parse(expr).unwrap().eval(&scope)
    }

    #[test]
    fn format_fills_placeholders_in_order() {
        let v = run(
            "States.Format('a={} b={}.', $.a, $.b)",
            json!({"a": 1, "b": "x"}),
        )
        .unwrap();
        assert_eq!(v, json!("a=1 b=x."));
    }

    #[test]
    fn format_renders_objects_like_java_maps() {
        let v = run(
            "States.Format('{}', $.o)",
            json!({"o": {"Arg1": 1, "Arg2": []}}),
        )
        .unwrap();
        assert_eq!(v, json!("{Arg1=1, Arg2=[]}"));
    }

    #[test]
    fn format_keeps_escaped_braces_and_quotes() {
        let v = run(r"States.Format('\{\} it\'s {}', 'x')", json!({})).unwrap();
        assert_eq!(v, json!("{} it's x"));
    }

    #[test]
    fn format_with_too_few_arguments_fails() {
        let e = run("States.Format('{} {}', 1)", json!({})).unwrap_err();
        assert_eq!(e.error, names::RUNTIME);
        assert_eq!(
            e.cause.as_deref(),
            Some("Invalid arguments in States.Format")
        );
    }

    #[test]
    fn every_intrinsic_fails_on_an_argument_of_the_wrong_type_as_aws_does() {
        let input = json!({"s": "a", "n": 1, "a": [1], "o": {"k": 1}});
        // Every intrinsic that constrains an argument's type, given a wrong one.
        let cases = [
            ("States.Format($.n)", "States.Format"),
            ("States.StringToJson($.n)", "States.StringToJson"),
            ("States.ArrayPartition($.s, 1)", "States.ArrayPartition"),
            ("States.ArrayPartition($.a, $.s)", "States.ArrayPartition"),
            ("States.ArrayContains($.o, 1)", "States.ArrayContains"),
            ("States.ArrayRange($.s, 2, 1)", "States.ArrayRange"),
            ("States.ArrayGetItem($.a, $.s)", "States.ArrayGetItem"),
            ("States.ArrayLength($.s)", "States.ArrayLength"),
            ("States.ArrayUnique($.n)", "States.ArrayUnique"),
            ("States.Base64Encode($.n)", "States.Base64Encode"),
            ("States.Base64Decode($.a)", "States.Base64Decode"),
            ("States.Hash($.s, $.n)", "States.Hash"),
            ("States.JsonMerge($.o, $.a, false)", "States.JsonMerge"),
            ("States.MathRandom($.s, 10)", "States.MathRandom"),
            ("States.MathAdd($.s, 1)", "States.MathAdd"),
            ("States.StringSplit($.n, ',')", "States.StringSplit"),
        ];
        for (expr, name) in cases {
            let e = run(expr, input.clone()).expect_err(expr);
            assert_eq!(e.error, names::RUNTIME, "{expr}");
            assert_eq!(
                e.cause.as_deref(),
                Some(format!("Invalid arguments in {name}").as_str()),
                "{expr}"
            );
        }
        // The other three take any value (or none): nothing to get wrong.
        for expr in [
            "States.JsonToString($.o)",
            "States.Array($.s, $.n)",
            "States.UUID()",
        ] {
            assert!(run(expr, input.clone()).is_ok(), "{expr}");
        }
    }

    #[test]
    fn math_add_rounds_each_argument_half_up() {
        assert_eq!(
            run("States.MathAdd(1.49, 1.5)", json!({})).unwrap(),
            json!(3)
        );
        assert_eq!(
            run("States.MathAdd(-1.5, -1.51)", json!({})).unwrap(),
            json!(-3)
        );
        assert_eq!(
            run("States.MathAdd(-2.5, 0)", json!({})).unwrap(),
            json!(-2)
        );
        assert_eq!(
            run("States.MathAdd($.i, 1)", json!({"i": 41})).unwrap(),
            json!(42)
        );
    }

    #[test]
    fn nested_calls_evaluate_inside_out() {
        let v = run(
            "States.ArrayLength(States.ArrayUnique(States.Array(1, 1, 2)))",
            json!({}),
        )
        .unwrap();
        assert_eq!(v, json!(2));
    }

    #[test]
    fn array_functions_follow_aws_rules() {
        assert_eq!(
            run("States.ArrayPartition(States.Array(1,2,3), 2)", json!({})).unwrap(),
            json!([[1, 2], [3]])
        );
        assert_eq!(
            run("States.ArrayRange(1, 9, 2)", json!({})).unwrap(),
            json!([1, 3, 5, 7, 9])
        );
        assert_eq!(
            run("States.ArrayGetItem(States.Array(1,2,3), 1)", json!({})).unwrap(),
            json!(2)
        );
        assert!(run("States.ArrayGetItem(States.Array(1), 5)", json!({})).is_err());
        assert_eq!(
            run("States.ArrayContains($.a, 1.0)", json!({"a": [1]})).unwrap(),
            json!(true)
        );
    }

    #[test]
    fn string_split_drops_empty_pieces() {
        assert_eq!(
            run("States.StringSplit(', , ,', ',')", json!({})).unwrap(),
            json!([" ", " "])
        );
        assert_eq!(
            run("States.StringSplit('a.b+c', '.+')", json!({})).unwrap(),
            json!(["a", "b", "c"])
        );
    }

    #[test]
    fn json_round_trips_and_blank_strings_parse_to_null() {
        assert_eq!(
            run("States.StringToJson(' ')", json!({})).unwrap(),
            json!(null)
        );
        assert_eq!(
            run("States.StringToJson($.s)", json!({"s": "{\"a\": [1]}"})).unwrap(),
            json!({"a": [1]})
        );
        assert_eq!(
            run("States.JsonToString($.o)", json!({"o": {"a": [1, "x"]}})).unwrap(),
            json!("{\"a\":[1,\"x\"]}")
        );
    }

    #[test]
    fn hash_and_base64_match_known_digests() {
        assert_eq!(
            run("States.Hash('input data', 'MD5')", json!({})).unwrap(),
            json!("812f45842bc6d66ee14572ce20db8e86")
        );
        assert_eq!(
            run("States.Base64Encode('Data to encode')", json!({})).unwrap(),
            json!("RGF0YSB0byBlbmNvZGU=")
        );
        assert_eq!(
            run("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", json!({})).unwrap(),
            json!("Data to encode")
        );
    }

    #[test]
    fn json_merge_is_shallow_and_right_wins() {
        let v = run(
            "States.JsonMerge($.a, $.b, false)",
            json!({"a": {"x": {"y": 1}, "k": 1}, "b": {"x": {"z": 2}}}),
        )
        .unwrap();
        assert_eq!(v, json!({"x": {"z": 2}, "k": 1}));
    }

    #[test]
    fn math_random_stays_in_range() {
        for _ in 0..20 {
            let v = run("States.MathRandom(1, 5)", json!({})).unwrap();
            let n = v.as_i64().unwrap();
            assert!((1..5).contains(&n));
        }
    }

    #[test]
    fn bad_calls_are_rejected_at_parse_time() {
        for bad in [
            "States.Nope(1)",
            "States.MathAdd(1)",
            "States.UUID(1)",
            "States.JsonMerge($.a, $.b, true)",
            "States.Array(1,",
            "States.Array(1) x",
        ] {
            assert!(Call::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths_with_commas_in_brackets_stay_one_argument() {
        let v = run("States.Array($['a,b'], 2)", json!({"a,b": 1})).unwrap();
        assert_eq!(v, json!([1, 2]));
    }
}
