//! What the parallel reader needs of a format's parser ([`crate::parallel`]): forks that parse
//! blocks of whole lines on their own, line counts to place errors, and tallies to merge.

use crate::error::EvaluateError;
use crate::tally::Tally;

/// A streaming parser that can hand blocks to forks of itself.
pub trait BlockParser: Send + Sized + 'static {
    /// Parses the complete records in what was carried + `chunk`, keeping any incomplete tail.
    fn feed(&mut self, chunk: &[u8]) -> Result<(), EvaluateError>;
    /// Parses what is left and returns the tally.
    fn finish(self) -> Result<Tally, EvaluateError>;
    /// Whether the header, if the format has one, has been read.
    fn has_header(&self) -> bool;
    /// A parser for a later part of the same input, starting on a record boundary: the same
    /// layout, an empty tally, lines counted from 0. `None` before the header is read.
    fn fork(&self) -> Option<Self>;
    /// Lines consumed so far.
    fn lines(&self) -> u64;
    /// The rows tallied so far, leaving an empty tally.
    fn take_tally(&mut self) -> Tally;
    /// The tally being filled.
    fn tally_mut(&mut self) -> &mut Tally;
    /// Whether the parser stands at a record boundary after the header.
    fn at_record_boundary(&self) -> bool;
    /// Drops an incomplete record left at the end of the data fed so far, and says whether
    /// there was one.
    fn drop_incomplete_record(&mut self) -> bool;
    /// Whether `body` (whole lines, from a record boundary) may go to a fork. `split_quoted`:
    /// whether blocks whose records might continue past their end are worth the bet.
    fn splittable(&self, body: &[u8], split_quoted: bool) -> bool;
}
