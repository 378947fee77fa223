//! `cache-warmup`: loads the day's batch forecasts into the serving cache and warms the endpoint.
#![forbid(unsafe_code)]
