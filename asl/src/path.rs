//! JSONPath as Amazon States Language uses it (Jayway-flavoured).
//!
//! Two kinds of paths exist:
//! - [`Path`]: a query that reads from a document. A *definite* path (only names and
//!   indexes) yields one value or "not found"; an *indefinite* path (wildcards, slices,
//!   unions, filters, deep scan) always yields a list, possibly empty.
//! - [`ReferencePath`]: names and indexes only, used by `ResultPath` to *write* a value.
//!
//! Paths are parsed once; evaluation borrows from the document and clones nothing.

use serde_json::{Map, Value};
use std::fmt;

/// Where a path starts: the state's data (`$`) or the context object (`$$`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Root {
    /// `$`: the current data.
    Data,
    /// `$$`: the context object.
    Context,
    /// `$name`: a workflow variable ([`Path::variable`] names it).
    Variable,
}

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// `.name` or `['name']`.
    Field(String),
    /// `[n]`; negative counts from the end (Jayway).
    Index(i64),
    /// `.*` or `[*]`.
    Wildcard,
    /// `[a,b]` of names.
    FieldUnion(Vec<String>),
    /// `[0,1]` of indexes.
    IndexUnion(Vec<i64>),
    /// `[start:end:step]`.
    Slice(Option<i64>, Option<i64>, Option<i64>),
    /// `..` followed by the next segment (applied to every descendant).
    Descendants,
    /// `[?(expr)]`.
    Filter(Box<FilterExpr>),
    /// A Jayway function as the last step: `.length()`, `.min()`, `.max()`, `.avg()`,
    /// `.sum()`, `.stddev()`.
    Function(PathFn),
}

/// A Jayway path function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathFn {
    /// Number of items (array), entries (object) or characters (string).
    Length,
    /// Smallest number.
    Min,
    /// Largest number.
    Max,
    /// Average.
    Avg,
    /// Sum.
    Sum,
    /// Standard deviation (population).
    Stddev,
}

/// A parsed JSONPath query.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    src: String,
    root: Root,
    var: Option<String>,
    segments: Vec<Segment>,
    definite: bool,
}

/// Why a path string is not a valid path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError {
    /// The path text.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid JSONPath '{}': {}", self.path, self.message)
    }
}

impl std::error::Error for PathError {}

/// The values a path selected.
#[derive(Debug)]
pub enum Selection<'a> {
    /// A definite path found its value.
    One(&'a Value),
    /// An indefinite path: every match, in document order.
    Many(Vec<&'a Value>),
    /// A value computed by a path function (`.length()`, ...).
    Computed(Value),
}

impl Selection<'_> {
    /// Turns the selection into an owned JSON value (a list for indefinite paths).
    pub fn to_value(&self) -> Value {
        match self {
            Selection::One(v) => (*v).clone(),
            Selection::Many(vs) => Value::Array(vs.iter().map(|v| (*v).clone()).collect()),
            Selection::Computed(v) => v.clone(),
        }
    }
}

/// A filter expression inside `[?( ... )]`.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterExpr {
    /// `a || b`
    Or(Box<FilterExpr>, Box<FilterExpr>),
    /// `a && b`
    And(Box<FilterExpr>, Box<FilterExpr>),
    /// `!a`
    Not(Box<FilterExpr>),
    /// `a OP b`
    Compare(Operand, CmpOp, Operand),
    /// `@.x` alone: the value exists (and is not `false`/`null` for Jayway? exists).
    Exists(Operand),
}

/// A comparison operator in a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// A value inside a filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// `@...`: relative to the current item.
    Current(Vec<Segment>),
    /// `$...`: relative to the document root.
    Root(Vec<Segment>),
    /// A literal.
    Literal(Value),
}

const MAX_DEPTH: usize = 64;

impl Path {
    /// Parses a path such as `$.a.b[0]`, `$$.Execution.Input` or `$.items[?(@.x > 1)]`.
    pub fn parse(src: &str) -> Result<Path, PathError> {
        let err = |m: &str| PathError {
            path: src.to_string(),
            message: m.to_string(),
        };
        let mut var = None;
        let (root, rest) = if let Some(r) = src.strip_prefix("$$") {
            (Root::Context, r)
        } else if let Some(r) = src
            .strip_prefix('$')
            .filter(|r| r.starts_with(|c: char| c.is_alphabetic() || c == '_'))
        {
            let end = r
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(r.len());
            var = Some(r[..end].to_string());
            (Root::Variable, &r[end..])
        } else if let Some(r) = src.strip_prefix('$') {
            (Root::Data, r)
        } else {
            return Err(err("a path must start with '$'"));
        };
        let mut p = Parser {
            s: rest.as_bytes(),
            src: rest,
            i: 0,
            depth: 0,
        };
        let segments = p.segments(false).map_err(|m| err(&m))?;
        if p.i != p.s.len() {
            return Err(err("unexpected characters at the end"));
        }
        if let Some(i) = segments
            .iter()
            .position(|s| matches!(s, Segment::Function(_)))
        {
            if i + 1 != segments.len() || i == 0 {
                return Err(err("a path function must be the last step, after a value"));
            }
        }
        let definite = segments.iter().all(|s| {
            matches!(
                s,
                Segment::Field(_) | Segment::Index(_) | Segment::Function(_)
            )
        });
        Ok(Path {
            src: src.to_string(),
            root,
            var,
            segments,
            definite,
        })
    }

    /// The text the path was parsed from.
    pub fn as_str(&self) -> &str {
        &self.src
    }

    /// Whether the path reads the data, the context object (`$$`) or a variable.
    pub fn root(&self) -> Root {
        self.root
    }

    /// The variable a `$name...` path reads.
    pub fn variable(&self) -> Option<&str> {
        self.var.as_deref()
    }

    /// Whether the path selects at most one value (names and indexes only).
    pub fn is_definite(&self) -> bool {
        self.definite
    }

    /// Whether the path is just `$` (or `$$`).
    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// The path's segments.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Evaluates the path on `doc` (the data or the context object, as [`Path::root`] says).
    /// Returns `None` when a definite path finds nothing.
    pub fn select<'a>(&self, doc: &'a Value) -> Option<Selection<'a>> {
        if let Some(Segment::Function(f)) = self.segments.last() {
            let base = Path {
                src: String::new(),
                root: self.root,
                var: None,
                segments: self.segments[..self.segments.len() - 1].to_vec(),
                definite: self.segments[..self.segments.len() - 1]
                    .iter()
                    .all(|s| matches!(s, Segment::Field(_) | Segment::Index(_))),
            };
            let items: Vec<&Value> = match base.select(doc)? {
                Selection::One(Value::Array(a)) => a.iter().collect(),
                Selection::One(v) => {
                    return match (f, v) {
                        (PathFn::Length, Value::Object(m)) => {
                            Some(Selection::Computed(m.len().into()))
                        }
                        (PathFn::Length, Value::String(s)) => {
                            Some(Selection::Computed(s.chars().count().into()))
                        }
                        _ => None,
                    }
                }
                Selection::Many(vs) => vs,
                Selection::Computed(_) => return None,
            };
            return apply_fn(*f, &items).map(Selection::Computed);
        }
        if self.definite {
            let mut cur = doc;
            for seg in &self.segments {
                cur = step_definite(cur, seg)?;
            }
            Some(Selection::One(cur))
        } else {
            let mut out = Vec::new();
            select_many(doc, doc, &self.segments, &mut out);
            Some(Selection::Many(out))
        }
    }

    /// Jayway's rendering of a definite path for error texts: `$['a']['b'][0]`.
    pub fn bracket_notation(&self) -> String {
        let mut s = String::from("$");
        for seg in &self.segments {
            match seg {
                Segment::Field(f) => {
                    s.push_str("['");
                    s.push_str(f);
                    s.push_str("']");
                }
                Segment::Index(i) => {
                    s.push('[');
                    s.push_str(&i.to_string());
                    s.push(']');
                }
                _ => {}
            }
        }
        s
    }
}

fn apply_fn(f: PathFn, items: &[&Value]) -> Option<Value> {
    if f == PathFn::Length {
        return Some(items.len().into());
    }
    let nums: Vec<f64> = items.iter().filter_map(|v| v.as_f64()).collect();
    if nums.is_empty() {
        return None;
    }
    let n = nums.len() as f64;
    let sum: f64 = nums.iter().sum();
    let x = match f {
        PathFn::Min => nums.iter().copied().fold(f64::INFINITY, f64::min),
        PathFn::Max => nums.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        PathFn::Sum => sum,
        PathFn::Avg => sum / n,
        PathFn::Stddev => {
            let mean = sum / n;
            (nums.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n).sqrt()
        }
        PathFn::Length => n,
    };
    serde_json::Number::from_f64(x).map(Value::Number)
}

fn step_definite<'a>(cur: &'a Value, seg: &Segment) -> Option<&'a Value> {
    match (seg, cur) {
        (Segment::Field(f), Value::Object(m)) => m.get(f.as_str()),
        (Segment::Index(i), Value::Array(a)) => {
            let idx = if *i < 0 { a.len() as i64 + i } else { *i };
            if idx < 0 {
                None
            } else {
                a.get(idx as usize)
            }
        }
        _ => None,
    }
}

fn slice_indices(
    len: usize,
    start: Option<i64>,
    end: Option<i64>,
    step: Option<i64>,
) -> Vec<usize> {
    let len = len as i64;
    let step = step.unwrap_or(1);
    if step <= 0 {
        return Vec::new();
    }
    let norm = |v: i64| if v < 0 { (len + v).max(0) } else { v.min(len) };
    let s = start.map(norm).unwrap_or(0);
    let e = end.map(norm).unwrap_or(len);
    let mut out = Vec::new();
    let mut i = s;
    while i < e {
        out.push(i as usize);
        i += step;
    }
    out
}

fn select_many<'a>(root: &'a Value, cur: &'a Value, segs: &[Segment], out: &mut Vec<&'a Value>) {
    let Some((seg, rest)) = segs.split_first() else {
        out.push(cur);
        return;
    };
    match seg {
        Segment::Field(_) | Segment::Index(_) => {
            if let Some(v) = step_definite(cur, seg) {
                select_many(root, v, rest, out);
            }
        }
        Segment::Wildcard => match cur {
            Value::Object(m) => m.values().for_each(|v| select_many(root, v, rest, out)),
            Value::Array(a) => a.iter().for_each(|v| select_many(root, v, rest, out)),
            _ => {}
        },
        Segment::FieldUnion(fs) => {
            if let Value::Object(m) = cur {
                for f in fs {
                    if let Some(v) = m.get(f.as_str()) {
                        select_many(root, v, rest, out);
                    }
                }
            }
        }
        Segment::IndexUnion(is) => {
            if let Value::Array(_) = cur {
                for i in is {
                    if let Some(v) = step_definite(cur, &Segment::Index(*i)) {
                        select_many(root, v, rest, out);
                    }
                }
            }
        }
        Segment::Slice(s, e, st) => {
            if let Value::Array(a) = cur {
                for i in slice_indices(a.len(), *s, *e, *st) {
                    select_many(root, &a[i], rest, out);
                }
            }
        }
        Segment::Filter(f) => match cur {
            Value::Array(a) => {
                for v in a {
                    if eval_filter(root, v, f) {
                        select_many(root, v, rest, out);
                    }
                }
            }
            Value::Object(_) if eval_filter(root, cur, f) => select_many(root, cur, rest, out),
            _ => {}
        },
        Segment::Descendants => {
            // Apply `rest` at this node and at every descendant.
            descend(root, cur, rest, out);
        }
        // Functions are applied by `Path::select` to the whole selection.
        Segment::Function(_) => out.push(cur),
    }
}

fn descend<'a>(root: &'a Value, cur: &'a Value, rest: &[Segment], out: &mut Vec<&'a Value>) {
    select_many(root, cur, rest, out);
    match cur {
        Value::Object(m) => m.values().for_each(|v| descend(root, v, rest, out)),
        Value::Array(a) => a.iter().for_each(|v| descend(root, v, rest, out)),
        _ => {}
    }
}

fn operand_value<'a>(root: &'a Value, cur: &'a Value, op: &'a Operand) -> Option<&'a Value> {
    let (base, segs) = match op {
        Operand::Literal(v) => return Some(v),
        Operand::Current(s) => (cur, s),
        Operand::Root(s) => (root, s),
    };
    let mut v = base;
    for s in segs {
        v = step_definite(v, s)?;
    }
    Some(v)
}

fn compare(a: &Value, op: CmpOp, b: &Value) -> bool {
    use std::cmp::Ordering;
    let ord = match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            x.partial_cmp(&y)
        }
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => {
            return match op {
                CmpOp::Eq => a == b,
                CmpOp::Ne => a != b,
                _ => false,
            }
        }
    };
    match (op, ord) {
        (CmpOp::Eq, Some(o)) => o == Ordering::Equal,
        (CmpOp::Ne, Some(o)) => o != Ordering::Equal,
        (CmpOp::Ne, None) => true,
        (CmpOp::Lt, Some(o)) => o == Ordering::Less,
        (CmpOp::Le, Some(o)) => o != Ordering::Greater,
        (CmpOp::Gt, Some(o)) => o == Ordering::Greater,
        (CmpOp::Ge, Some(o)) => o != Ordering::Less,
        _ => false,
    }
}

fn eval_filter(root: &Value, cur: &Value, f: &FilterExpr) -> bool {
    match f {
        FilterExpr::Or(a, b) => eval_filter(root, cur, a) || eval_filter(root, cur, b),
        FilterExpr::And(a, b) => eval_filter(root, cur, a) && eval_filter(root, cur, b),
        FilterExpr::Not(a) => !eval_filter(root, cur, a),
        FilterExpr::Exists(op) => operand_value(root, cur, op).is_some(),
        FilterExpr::Compare(a, op, b) => {
            match (operand_value(root, cur, a), operand_value(root, cur, b)) {
                (Some(x), Some(y)) => compare(x, *op, y),
                _ => false,
            }
        }
    }
}

struct Parser<'s> {
    s: &'s [u8],
    src: &'s str,
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    /// Parses segments until the end, or (inside a filter) until a character that cannot
    /// continue a path.
    fn segments(&mut self, in_filter: bool) -> Result<Vec<Segment>, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("path nested too deeply".into());
        }
        let mut segs = Vec::new();
        loop {
            match self.peek() {
                None => break,
                Some(b'.') => {
                    if self.s.get(self.i + 1) == Some(&b'.') {
                        self.i += 2;
                        segs.push(Segment::Descendants);
                        match self.peek() {
                            Some(b'[') => continue,
                            Some(b'*') => {
                                self.i += 1;
                                segs.push(Segment::Wildcard);
                            }
                            _ => {
                                let name = self.dot_name(in_filter)?;
                                segs.push(Segment::Field(name));
                            }
                        }
                    } else {
                        self.i += 1;
                        if self.peek() == Some(b'*') {
                            self.i += 1;
                            segs.push(Segment::Wildcard);
                        } else {
                            let name = self.dot_name(in_filter)?;
                            segs.push(self.field_or_function(name));
                        }
                    }
                }
                Some(b'[') => {
                    self.i += 1;
                    let seg = self.bracket()?;
                    segs.push(seg);
                }
                Some(_) if in_filter => break,
                Some(c) => return Err(format!("unexpected character '{}'", c as char)),
            }
        }
        self.depth -= 1;
        Ok(segs)
    }

    fn field_or_function(&mut self, name: String) -> Segment {
        if let Some(f) = name.strip_suffix("()") {
            let func = match f {
                "length" => Some(PathFn::Length),
                "min" => Some(PathFn::Min),
                "max" => Some(PathFn::Max),
                "avg" => Some(PathFn::Avg),
                "sum" => Some(PathFn::Sum),
                "stddev" => Some(PathFn::Stddev),
                _ => None,
            };
            if let Some(func) = func {
                return Segment::Function(func);
            }
        }
        Segment::Field(name)
    }

    fn dot_name(&mut self, in_filter: bool) -> Result<String, String> {
        let start = self.i;
        while let Some(c) = self.peek() {
            if c == b'.' || c == b'[' || c == b']' {
                break;
            }
            if in_filter
                && matches!(
                    c,
                    b' ' | b')' | b'=' | b'!' | b'<' | b'>' | b'&' | b'|' | b'\t' | b'\n' | b'\r'
                )
            {
                break;
            }
            self.i += 1;
        }
        if self.i == start {
            return Err("empty name after '.'".into());
        }
        Ok(self.src[start..self.i].to_string())
    }

    fn quoted(&mut self) -> Result<String, String> {
        let q = match self.peek() {
            Some(q @ (b'\'' | b'"')) => q,
            _ => return Err("expected a quoted name".into()),
        };
        self.i += 1;
        let mut out = String::new();
        loop {
            let rest = &self.src[self.i..];
            let mut chars = rest.chars();
            let c = chars.next().ok_or("unterminated string")?;
            self.i += c.len_utf8();
            if c as u32 == q as u32 {
                return Ok(out);
            }
            if c == '\\' {
                // Only an escaped quote is unescaped; any other backslash is literal (as AWS
                // reads `$['a\"b']`).
                let n = self.src[self.i..]
                    .chars()
                    .next()
                    .ok_or("unterminated string")?;
                if n as u32 == q as u32 {
                    self.i += n.len_utf8();
                    out.push(n);
                } else {
                    out.push('\\');
                }
            } else {
                out.push(c);
            }
        }
    }

    fn int(&mut self) -> Result<i64, String> {
        self.skip_ws();
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.src[start..self.i]
            .parse::<i64>()
            .map_err(|_| "expected an integer".to_string())
    }

    fn bracket(&mut self) -> Result<Segment, String> {
        self.skip_ws();
        let seg = match self.peek() {
            Some(b'*') => {
                self.i += 1;
                Segment::Wildcard
            }
            Some(b'\'' | b'"') => {
                let mut names = vec![self.quoted()?];
                self.skip_ws();
                while self.peek() == Some(b',') {
                    self.i += 1;
                    self.skip_ws();
                    names.push(self.quoted()?);
                    self.skip_ws();
                }
                if names.len() == 1 {
                    Segment::Field(names.pop().unwrap_or_default())
                } else {
                    Segment::FieldUnion(names)
                }
            }
            Some(b'?') => {
                self.i += 1;
                self.skip_ws();
                if self.peek() != Some(b'(') {
                    return Err("expected '(' after '?'".into());
                }
                self.i += 1;
                let e = self.filter_or()?;
                self.skip_ws();
                if self.peek() != Some(b')') {
                    return Err("expected ')' to close the filter".into());
                }
                self.i += 1;
                Segment::Filter(Box::new(e))
            }
            Some(b':') => self.slice(None)?,
            Some(b'-' | b'0'..=b'9') => {
                let first = self.int()?;
                self.skip_ws();
                match self.peek() {
                    Some(b':') => self.slice(Some(first))?,
                    Some(b',') => {
                        let mut is = vec![first];
                        while self.peek() == Some(b',') {
                            self.i += 1;
                            is.push(self.int()?);
                            self.skip_ws();
                        }
                        Segment::IndexUnion(is)
                    }
                    _ => Segment::Index(first),
                }
            }
            _ => return Err("unexpected character after '['".into()),
        };
        self.skip_ws();
        if self.peek() != Some(b']') {
            return Err("expected ']'".into());
        }
        self.i += 1;
        Ok(seg)
    }

    fn opt_int(&mut self) -> Result<Option<i64>, String> {
        self.skip_ws();
        if matches!(self.peek(), Some(b'-' | b'0'..=b'9')) {
            Ok(Some(self.int()?))
        } else {
            Ok(None)
        }
    }

    fn slice(&mut self, start: Option<i64>) -> Result<Segment, String> {
        // at ':'
        self.i += 1;
        let end = self.opt_int()?;
        self.skip_ws();
        let step = if self.peek() == Some(b':') {
            self.i += 1;
            self.opt_int()?
        } else {
            None
        };
        Ok(Segment::Slice(start, end, step))
    }

    fn filter_or(&mut self) -> Result<FilterExpr, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("filter nested too deeply".into());
        }
        let mut left = self.filter_and()?;
        loop {
            self.skip_ws();
            if self.s[self.i..].starts_with(b"||") {
                self.i += 2;
                let right = self.filter_and()?;
                left = FilterExpr::Or(Box::new(left), Box::new(right));
            } else {
                break;
            }
        }
        self.depth -= 1;
        Ok(left)
    }

    fn filter_and(&mut self) -> Result<FilterExpr, String> {
        let mut left = self.filter_unary()?;
        loop {
            self.skip_ws();
            if self.s[self.i..].starts_with(b"&&") {
                self.i += 2;
                let right = self.filter_unary()?;
                left = FilterExpr::And(Box::new(left), Box::new(right));
            } else {
                break;
            }
        }
        Ok(left)
    }

    fn filter_unary(&mut self) -> Result<FilterExpr, String> {
        self.skip_ws();
        match self.peek() {
            Some(b'!') if self.s.get(self.i + 1) != Some(&b'=') => {
                self.i += 1;
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err("filter nested too deeply".into());
                }
                let e = self.filter_unary()?;
                self.depth -= 1;
                Ok(FilterExpr::Not(Box::new(e)))
            }
            Some(b'(') => {
                self.i += 1;
                let e = self.filter_or()?;
                self.skip_ws();
                if self.peek() != Some(b')') {
                    return Err("expected ')'".into());
                }
                self.i += 1;
                Ok(e)
            }
            _ => {
                let left = self.operand()?;
                self.skip_ws();
                let op = if self.s[self.i..].starts_with(b"==") {
                    Some((CmpOp::Eq, 2))
                } else if self.s[self.i..].starts_with(b"!=") {
                    Some((CmpOp::Ne, 2))
                } else if self.s[self.i..].starts_with(b"<=") {
                    Some((CmpOp::Le, 2))
                } else if self.s[self.i..].starts_with(b">=") {
                    Some((CmpOp::Ge, 2))
                } else if self.s[self.i..].starts_with(b"<") {
                    Some((CmpOp::Lt, 1))
                } else if self.s[self.i..].starts_with(b">") {
                    Some((CmpOp::Gt, 1))
                } else {
                    None
                };
                match op {
                    Some((op, n)) => {
                        self.i += n;
                        let right = self.operand()?;
                        Ok(FilterExpr::Compare(left, op, right))
                    }
                    None => Ok(FilterExpr::Exists(left)),
                }
            }
        }
    }

    fn operand(&mut self) -> Result<Operand, String> {
        self.skip_ws();
        match self.peek() {
            Some(b'@') => {
                self.i += 1;
                let segs = self.segments(true)?;
                check_definite(&segs)?;
                Ok(Operand::Current(segs))
            }
            Some(b'$') => {
                self.i += 1;
                let segs = self.segments(true)?;
                check_definite(&segs)?;
                Ok(Operand::Root(segs))
            }
            Some(b'\'' | b'"') => Ok(Operand::Literal(Value::String(self.quoted()?))),
            Some(_) => {
                let start = self.i;
                while let Some(c) = self.src[self.i..].chars().next() {
                    if matches!(c, ' ' | ')' | '=' | '!' | '<' | '>' | '&' | '|') {
                        break;
                    }
                    self.i += c.len_utf8();
                }
                let tok = &self.src[start..self.i];
                let v: Value = match tok {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "null" => Value::Null,
                    _ => serde_json::from_str::<serde_json::Number>(tok)
                        .map(Value::Number)
                        .map_err(|_| format!("unexpected token '{tok}' in filter"))?,
                };
                Ok(Operand::Literal(v))
            }
            None => Err("unexpected end of filter".into()),
        }
    }
}

fn check_definite(segs: &[Segment]) -> Result<(), String> {
    if segs
        .iter()
        .all(|s| matches!(s, Segment::Field(_) | Segment::Index(_)))
    {
        Ok(())
    } else {
        Err("filter operands must be simple paths".into())
    }
}

/// A path that names one place in a document (`$`, `$.a.b`, `$['a'][0]`), used to write
/// results (`ResultPath`).
#[derive(Debug, Clone, PartialEq)]
pub struct ReferencePath {
    src: String,
    segments: Vec<Segment>,
}

/// Why a value could not be written at a reference path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteError;

impl ReferencePath {
    /// Parses a reference path: only names and non-negative indexes, rooted at `$`.
    pub fn parse(src: &str) -> Result<ReferencePath, PathError> {
        let p = Path::parse(src)?;
        let bad = |m: &str| PathError {
            path: src.to_string(),
            message: m.to_string(),
        };
        if p.root != Root::Data {
            return Err(bad("a reference path must point into the state's data ($)"));
        }
        if !p.definite || p.segments.iter().any(|s| matches!(s, Segment::Function(_))) {
            return Err(bad("a reference path may only contain names and indexes"));
        }
        Ok(ReferencePath {
            src: src.to_string(),
            segments: p.segments,
        })
    }

    /// The text the path was parsed from.
    pub fn as_str(&self) -> &str {
        &self.src
    }

    /// Whether the path is `$` (the whole document).
    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// Writes `value` into `doc` at this path, creating objects for missing names.
    /// Fails when a step meets a value that is neither an object (for names) nor an
    /// array with that index (for indexes).
    pub fn write(&self, doc: &mut Value, value: Value) -> Result<(), WriteError> {
        if self.segments.is_empty() {
            *doc = value;
            return Ok(());
        }
        let mut cur = doc;
        let last = self.segments.len() - 1;
        for (n, seg) in self.segments.iter().enumerate() {
            match seg {
                Segment::Field(f) => {
                    let Value::Object(m) = cur else {
                        return Err(WriteError);
                    };
                    if n == last {
                        m.insert(f.clone(), value);
                        return Ok(());
                    }
                    cur = m
                        .entry(f.clone())
                        .or_insert_with(|| Value::Object(Map::new()));
                    if cur.is_null() {
                        *cur = Value::Object(Map::new());
                    }
                }
                Segment::Index(i) => {
                    let Value::Array(a) = cur else {
                        return Err(WriteError);
                    };
                    let idx = if *i < 0 { a.len() as i64 + i } else { *i };
                    if idx < 0 || idx as usize >= a.len() {
                        return Err(WriteError);
                    }
                    let slot = &mut a[idx as usize];
                    if n == last {
                        *slot = value;
                        return Ok(());
                    }
                    cur = slot;
                }
                _ => return Err(WriteError),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sel(p: &str, doc: &Value) -> Option<Value> {
        Path::parse(p).unwrap().select(doc).map(|s| s.to_value())
    }

    #[test]
    fn definite_path_reads_nested_fields_and_indexes() {
        let doc = json!({"a": {"b": [10, 20, {"c": "x"}]}});
        assert_eq!(sel("$.a.b[1]", &doc), Some(json!(20)));
        assert_eq!(sel("$.a.b[2].c", &doc), Some(json!("x")));
        assert_eq!(sel("$['a']['b'][0]", &doc), Some(json!(10)));
        assert_eq!(sel("$.a.b[-1].c", &doc), Some(json!("x")));
    }

    #[test]
    fn definite_path_reports_missing_values_as_none() {
        let doc = json!({"a": 1});
        assert_eq!(sel("$.b", &doc), None);
        assert_eq!(sel("$.a.b", &doc), None);
        assert_eq!(sel("$.a[3]", &doc), None);
    }

    #[test]
    fn indefinite_path_yields_a_list_even_when_empty() {
        let doc = json!({});
        assert_eq!(sel("$.items[*]", &doc), Some(json!([])));
        assert_eq!(sel("$.items[1:]", &doc), Some(json!([])));
        let doc = json!({"items": [{"v": 1}, {"v": 2}, {"w": 3}]});
        assert_eq!(sel("$.items[*].v", &doc), Some(json!([1, 2])));
        assert_eq!(sel("$.items[:1].v", &doc), Some(json!([1])));
        assert_eq!(sel("$..v", &doc), Some(json!([1, 2])));
        assert_eq!(sel("$.items[0,2]", &doc), Some(json!([{"v": 1}, {"w": 3}])));
    }

    #[test]
    fn filter_selects_matching_items() {
        let doc = json!({"users": [{"year": 1997, "status": 0}, {"year": 1998, "status": 1}]});
        assert_eq!(
            sel("$.users[?(@.status == 0)]", &doc),
            Some(json!([{"year": 1997, "status": 0}]))
        );
        assert_eq!(
            sel("$.users[?(@.year > 1997 && @.status != 0)].year", &doc),
            Some(json!([1998]))
        );
        assert_eq!(sel("$.users[?(@.missing)]", &doc), Some(json!([])));
    }

    #[test]
    fn bracket_names_may_hold_escaped_quotes() {
        let doc = json!({"Test\\\"\"Name\"": "v"});
        assert_eq!(sel("$['Test\\\"\"Name\"']", &doc), Some(json!("v")));
        let doc = json!({"it's": 1});
        assert_eq!(sel("$['it\\'s']", &doc), Some(json!(1)));
    }

    #[test]
    fn path_functions_compute_over_the_selection() {
        let doc = json!({"items": [1, 2, 3, 6], "o": {"a": 1}, "rows": [{"v": 2}, {"v": 4}]});
        assert_eq!(sel("$.items.length()", &doc), Some(json!(4)));
        assert_eq!(sel("$.o.length()", &doc), Some(json!(1)));
        assert_eq!(sel("$.items.max()", &doc), Some(json!(6.0)));
        assert_eq!(sel("$.rows[*].v.sum()", &doc), Some(json!(6.0)));
        assert_eq!(sel("$.rows[*].v.avg()", &doc), Some(json!(3.0)));
        assert!(Path::parse("$.length().a").is_err());
    }

    #[test]
    fn non_ascii_after_a_union_comma_is_an_error_not_a_panic() {
        // Found by the fuzzer: a union whose second name is not quoted.
        assert!(Path::parse("$.inms[\"\t]\u{c}Sta\u{8a}3\",\u{8a}\t3\",").is_err());
        assert!(Path::parse("$.a[?(@.b == \u{e9}\u{e9})]").is_err());
    }

    #[test]
    fn invalid_paths_are_rejected() {
        for p in ["", "a.b", "$.", "$[", "$.a[?(@.x ==", "$.a]"] {
            assert!(Path::parse(p).is_err(), "{p} should be invalid");
        }
    }

    #[test]
    fn reference_path_creates_missing_objects() {
        let mut doc = json!({"a": 1});
        ReferencePath::parse("$.x.y")
            .unwrap()
            .write(&mut doc, json!(2))
            .unwrap();
        assert_eq!(doc, json!({"a": 1, "x": {"y": 2}}));
    }

    #[test]
    fn reference_path_fails_through_a_scalar() {
        let mut doc = json!({"a": 1});
        let r = ReferencePath::parse("$.a.b").unwrap();
        assert_eq!(r.write(&mut doc, json!(2)), Err(WriteError));
    }

    #[test]
    fn reference_path_rejects_wildcards() {
        assert!(ReferencePath::parse("$.a[*]").is_err());
        assert!(ReferencePath::parse("$$.a").is_err());
        assert!(ReferencePath::parse("$.a.length()").is_err());
    }

    #[test]
    fn bracket_notation_matches_jayway_error_texts() {
        let p = Path::parse("$.NoSuchOutputPath").unwrap();
        assert_eq!(p.bracket_notation(), "$['NoSuchOutputPath']");
    }
}
