//! `Succeed`: ends the execution (or branch) successfully.

use super::Reader;

/// A Succeed state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Succeed;

pub(crate) fn parse(r: &mut Reader<'_>) -> Succeed {
    r.check_fields(&["InputPath", "OutputPath"]);
    Succeed
}
