//! Boots the `cache-warmup` Lambda.
fn main() {}
