//! AWS configuration from the standard provider chain.

/// Loads the SDK configuration from `aws_config` defaults: region, credentials and, importantly
/// for tests, `AWS_ENDPOINT_URL` (and the per-service `AWS_ENDPOINT_URL_<SERVICE>`), so every
/// client built from it talks to a local AWS-compatible server when one is configured.
pub async fn load_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await
}

#[cfg(feature = "s3")]
/// Builds an S3 client from `config`, using path-style addressing when a custom endpoint is
/// configured (local servers such as moto do not resolve virtual-hosted bucket names).
pub fn s3_client(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let custom_endpoint = config.endpoint_url().is_some();
    let s3_config = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(custom_endpoint)
        .build();
    aws_sdk_s3::Client::from_conf(s3_config)
}

/// Time limits for every call of a client: `attempt` per try and, when given, `total` for the
/// call with the SDK's retries inside it, so one hung call cannot eat an invocation's deadline.
pub fn call_timeouts(
    attempt: std::time::Duration,
    total: Option<std::time::Duration>,
) -> aws_config::timeout::TimeoutConfig {
    let builder = aws_config::timeout::TimeoutConfig::builder().operation_attempt_timeout(attempt);
    match total {
        Some(total) => builder.operation_timeout(total).build(),
        None => builder.build(),
    }
}

/// `config` with [`call_timeouts`] for every client built from it (`Client::new(&config)`); its
/// other time limits (connect, read) are kept, as a service config builder's `timeout_config`
/// keeps them (`TimeoutConfig::take_defaults_from`).
pub fn with_call_timeouts(
    config: &aws_config::SdkConfig,
    attempt: std::time::Duration,
    total: Option<std::time::Duration>,
) -> aws_config::SdkConfig {
    let mut timeouts = call_timeouts(attempt, total);
    if let Some(base) = config.timeout_config() {
        timeouts.take_defaults_from(base);
    }
    config.to_builder().timeout_config(timeouts).build()
}
