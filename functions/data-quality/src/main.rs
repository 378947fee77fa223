//! Boots the `data-quality` Lambda.
fn main() {}
