//! Time as a dependency: runs read the time and wait through a [`Clock`], so tests move through
//! polling back-offs and deadlines without sleeping. The shared [`shared::clock`] types,
//! re-exported where this crate's users look for them.

pub use shared::clock::{Clock, ManualClock, SystemClock};
