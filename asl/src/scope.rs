//! What a path, template or intrinsic reads when it is evaluated.

use crate::clock::Rng;
use crate::path::{Path, Root, Selection};
use crate::variables::Variables;
use serde_json::Value;
use std::cell::OnceCell;

static NULL: Value = Value::Null;

/// The data a path or template is evaluated against: the state's data (`$`), the context
/// object (`$$`, built only when a path asks for it) and the random source.
pub struct Scope<'a> {
    /// The data `$` refers to.
    pub input: &'a Value,
    context_builder: &'a dyn Fn() -> Value,
    context: OnceCell<Value>,
    /// Randomness for `States.UUID` and `States.MathRandom`.
    pub rng: &'a dyn Rng,
    /// The workflow variables `$name` paths read.
    pub vars: Option<&'a Variables>,
}

impl<'a> Scope<'a> {
    /// A scope over `input`; `context` builds the context object on first use.
    pub fn new(input: &'a Value, context: &'a dyn Fn() -> Value, rng: &'a dyn Rng) -> Scope<'a> {
        Scope {
            input,
            context_builder: context,
            context: OnceCell::new(),
            rng,
            vars: None,
        }
    }

    /// The same scope, with the workflow variables `$name` paths read.
    pub fn with_vars(mut self, vars: &'a Variables) -> Scope<'a> {
        self.vars = Some(vars);
        self
    }

    fn variable(&self, path: &Path) -> Option<&Value> {
        self.vars?.get(path.variable()?)
    }

    /// The context object.
    pub fn context(&self) -> &Value {
        self.context.get_or_init(|| (self.context_builder)())
    }

    /// Evaluates `path` against the data or the context object.
    pub fn select(&self, path: &Path) -> Option<Selection<'_>> {
        match path.root() {
            Root::Data => path.select(self.input),
            Root::Context => path.select(self.context()),
            Root::Variable => path.select(self.variable(path)?),
        }
    }

    /// The document `path` reads (for error texts).
    pub fn document_of(&self, path: &Path) -> &Value {
        match path.root() {
            Root::Data => self.input,
            Root::Context => self.context(),
            Root::Variable => self.variable(path).unwrap_or(&NULL),
        }
    }
}

/// The empty context object builder, for evaluations outside an execution.
pub fn no_context() -> Value {
    Value::Object(serde_json::Map::new())
}
