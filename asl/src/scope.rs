//! What a path, template or intrinsic reads when it is evaluated.

use crate::clock::Rng;
use crate::path::{Path, Root, Selection};
use serde_json::Value;
use std::cell::OnceCell;

/// The data a path or template is evaluated against: the state's data (`$`), the context
/// object (`$$`, built only when a path asks for it) and the random source.
pub struct Scope<'a> {
    /// The data `$` refers to.
    pub input: &'a Value,
    context_builder: &'a dyn Fn() -> Value,
    context: OnceCell<Value>,
    /// Randomness for `States.UUID` and `States.MathRandom`.
    pub rng: &'a dyn Rng,
}

impl<'a> Scope<'a> {
    /// A scope over `input`; `context` builds the context object on first use.
    pub fn new(input: &'a Value, context: &'a dyn Fn() -> Value, rng: &'a dyn Rng) -> Scope<'a> {
        Scope {
            input,
            context_builder: context,
            context: OnceCell::new(),
            rng,
        }
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
        }
    }

    /// The document `path` reads (for error texts).
    pub fn document_of(&self, path: &Path) -> &Value {
        match path.root() {
            Root::Data => self.input,
            Root::Context => self.context(),
        }
    }
}

/// The empty context object builder, for evaluations outside an execution.
pub fn no_context() -> Value {
    Value::Object(serde_json::Map::new())
}
