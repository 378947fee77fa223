//! `data-quality`: hourly data-quality checks of the lake tables on Athena.
#![forbid(unsafe_code)]
