//! AWS prices for `pipelines cost`: the table lives in `shared::prices`, where the
//! platform-report function reads the same figures.

pub use shared::prices::Prices;
