//! Time as a dependency, so tests move through cooldown windows without sleeping: the shared
//! [`shared::clock`] types, re-exported where this crate's users look for them.

pub use shared::clock::{Clock, ManualClock, SystemClock};
