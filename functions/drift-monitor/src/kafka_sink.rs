//! The drift event on a Kafka topic (Amazon MSK), where configured: the topic the drift bridge's
//! MSK event source reads (`DriftKafkaTopic` in the template), for platforms whose monitoring
//! already speaks Kafka. The record is the EventBridge event's `detail` (the bridge decodes the
//! same object from both), keyed by the model name, so one model's events stay in one partition
//! in order.
//!
//! Configuration (environment, read once per cold start):
//! - `DRIFT_KAFKA_BOOTSTRAP_SERVERS`: `host:port` list, comma-separated (unset or empty: no Kafka);
//! - `DRIFT_KAFKA_TOPIC`: the topic (required with the servers; it must exist);
//! - `DRIFT_KAFKA_AUTH`: `msk-iam` (default: TLS and SASL/OAUTHBEARER with a SigV4-signed token,
//!   MSK's IAM access control on port 9098) or `plaintext` (a local broker).
//!
//! The partition is Kafka's default partitioner's for a keyed record:
//! `toPositive(murmur2(key)) % partitions` (Apache Kafka `BuiltInPartitioner.partitionForKey`),
//! so consumers that rely on key placement see the same placement as from a Java producer.

use crate::error::DriftMonitorError;
use aws_types::region::Region;
use aws_types::sdk_config::SharedCredentialsProvider;
use rskafka::client::partition::{Compression, UnknownTopicHandling};
use rskafka::client::{ClientBuilder, OauthBearerCredentials, OauthCallback, SaslConfig};
use rskafka::record::Record;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// How long one publish may take in all (connecting, metadata, produce, retries).
pub const PUBLISH_TIMEOUT: Duration = Duration::from_secs(30);

/// How the function authenticates to the brokers.
#[derive(Clone)]
pub enum KafkaAuth {
    /// No TLS, no SASL: a local broker.
    Plaintext,
    /// TLS and SASL/OAUTHBEARER with an MSK IAM token signed by `credentials` for `region`.
    MskIam {
        /// The cluster's region.
        region: Region,
        /// The function's credentials (its execution role in Lambda).
        credentials: SharedCredentialsProvider,
    },
}

impl std::fmt::Debug for KafkaAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KafkaAuth::Plaintext => f.write_str("Plaintext"),
            KafkaAuth::MskIam { region, .. } => write!(f, "MskIam({region})"),
        }
    }
}

/// Where drift events go on Kafka.
#[derive(Debug, Clone)]
pub struct KafkaSink {
    brokers: Vec<String>,
    topic: String,
    auth: KafkaAuth,
    timeout: Duration,
}

/// What one publish did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    /// The partition the record went to.
    pub partition: i32,
    /// Its offset there.
    pub offset: i64,
}

impl KafkaSink {
    /// A sink for `topic` on `brokers` (`host:port` each), giving up after [`PUBLISH_TIMEOUT`].
    pub fn new(brokers: Vec<String>, topic: impl Into<String>, auth: KafkaAuth) -> Self {
        Self {
            brokers,
            topic: topic.into(),
            auth,
            timeout: PUBLISH_TIMEOUT,
        }
    }

    /// The same sink giving up after `timeout` instead.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The sink the environment describes (see the module doc): `Ok(None)` without
    /// `DRIFT_KAFKA_BOOTSTRAP_SERVERS`; an error message for a half or wrong configuration.
    /// `config` gives the region and credentials of `msk-iam`.
    pub fn from_env(config: &aws_config::SdkConfig) -> Result<Option<Self>, String> {
        let setting = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let Some(servers) = setting("DRIFT_KAFKA_BOOTSTRAP_SERVERS") else {
            return Ok(None);
        };
        let brokers: Vec<String> = servers
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if let Some(bad) = brokers.iter().find(|b| !valid_broker(b)) {
            return Err(format!(
                "DRIFT_KAFKA_BOOTSTRAP_SERVERS: {bad:?} is not host:port"
            ));
        }
        let topic = setting("DRIFT_KAFKA_TOPIC").ok_or(
            "DRIFT_KAFKA_TOPIC is required with DRIFT_KAFKA_BOOTSTRAP_SERVERS".to_string(),
        )?;
        let auth = match setting("DRIFT_KAFKA_AUTH").as_deref().unwrap_or("msk-iam") {
            "plaintext" => KafkaAuth::Plaintext,
            "msk-iam" => KafkaAuth::MskIam {
                region: config
                    .region()
                    .cloned()
                    .ok_or("DRIFT_KAFKA_AUTH=msk-iam needs a region (AWS_REGION)".to_string())?,
                credentials: config
                    .credentials_provider()
                    .ok_or("DRIFT_KAFKA_AUTH=msk-iam needs AWS credentials".to_string())?,
            },
            other => {
                return Err(format!(
                    "DRIFT_KAFKA_AUTH must be msk-iam or plaintext, got {other:?}"
                ))
            }
        };
        Ok(Some(Self::new(brokers, topic, auth)))
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Produces one record (`key`, `value`) to the key's partition of the topic, within the
    /// sink's timeout ([`PUBLISH_TIMEOUT`] by default). `PublishFailed` when the brokers cannot be reached, refuse the
    /// client, do not have the topic, or do not acknowledge the record.
    pub async fn publish(&self, key: &str, value: Vec<u8>) -> Result<Published, DriftMonitorError> {
        let failed = |what: &str, detail: String| {
            DriftMonitorError::PublishFailed(format!(
                "Kafka topic {} on {}: {what}: {detail}",
                self.topic,
                self.brokers.join(",")
            ))
        };
        let attempt = async {
            let client = self
                .client()
                .build()
                .await
                .map_err(|e| failed("cannot connect", e.to_string()))?;
            let partitions = client
                .list_topics()
                .await
                .map_err(|e| failed("cannot read the topic's metadata", e.to_string()))?
                .into_iter()
                .find(|t| t.name == self.topic)
                .map(|t| t.partitions.len())
                .filter(|&n| n > 0)
                .ok_or_else(|| failed("no such topic", "create it first".to_string()))?;
            let partition = partition_for_key(key.as_bytes(), partitions);
            let producer = client
                .partition_client(&self.topic, partition, UnknownTopicHandling::Error)
                .await
                .map_err(|e| failed("cannot reach the partition leader", e.to_string()))?;
            let record = Record {
                key: Some(key.as_bytes().to_vec()),
                value: Some(value),
                headers: BTreeMap::new(),
                timestamp: chrono::Utc::now(),
            };
            let offsets = producer
                .produce(vec![record], Compression::NoCompression)
                .await
                .map_err(|e| failed("the record was not acknowledged", e.to_string()))?;
            let offset = offsets
                .first()
                .copied()
                .ok_or_else(|| failed("the record was not acknowledged", "no offset".into()))?;
            Ok(Published { partition, offset })
        };
        tokio::time::timeout(self.timeout, attempt)
            .await
            .map_err(|_| failed("timed out", format!("after {:?}", self.timeout)))?
    }

    fn client(&self) -> ClientBuilder {
        // rskafka retries connection errors forever by default: a Lambda must give up in time.
        let backoff = rskafka::BackoffConfig {
            deadline: Some(self.timeout / 2),
            ..rskafka::BackoffConfig::default()
        };
        let builder = ClientBuilder::new(self.brokers.clone())
            .client_id("drift-monitor")
            .backoff_config(backoff);
        match &self.auth {
            KafkaAuth::Plaintext => builder,
            KafkaAuth::MskIam {
                region,
                credentials,
            } => builder
                .tls_config(Arc::new(tls_config()))
                .sasl_config(SaslConfig::Oauthbearer(OauthBearerCredentials {
                    callback: msk_iam_token(region.clone(), credentials.clone()),
                    authz_id: None,
                    bearer_kvs: Vec::new(),
                })),
        }
    }
}

/// A broker address: a non-empty host, `:`, a port number.
fn valid_broker(address: &str) -> bool {
    address
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok())
}

/// Kafka's partition for a keyed record: `toPositive(murmur2(key)) % partitions` (Apache Kafka,
/// `BuiltInPartitioner.partitionForKey` and `Utils.toPositive`: the sign bit cleared).
pub fn partition_for_key(key: &[u8], partitions: usize) -> i32 {
    let hash = murmur2::murmur2(key, murmur2::KAFKA_SEED) & 0x7fff_ffff;
    let partitions = u32::try_from(partitions.max(1)).unwrap_or(u32::MAX);
    i32::try_from(hash % partitions).unwrap_or(0)
}

/// TLS to MSK: the system's root certificates (MSK's are publicly trusted), ring as the
/// provider (the one rskafka's TLS transport enables).
fn tls_config() -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for error in &native.errors {
        tracing::warn!(%error, "a system root certificate could not be loaded");
    }
    let (added, ignored) = roots.add_parsable_certificates(native.certs);
    tracing::debug!(added, ignored, "root certificates for Kafka TLS");
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map(|builder| builder.with_root_certificates(roots).with_no_client_auth())
        .unwrap_or_else(|e| {
            // The provider's defaults always include TLS 1.2 and 1.3; keep a usable config.
            tracing::error!(error = %e, "TLS defaults refused");
            rustls::ClientConfig::builder_with_protocol_versions(&[&rustls::version::TLS13])
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth()
        })
}

/// The OAUTHBEARER token callback: an MSK IAM token (a SigV4-presigned `kafka-cluster:Connect`
/// URL, base64url) from the function's credentials, made at each connection.
fn msk_iam_token(region: Region, credentials: SharedCredentialsProvider) -> OauthCallback {
    Arc::new(move || {
        let (region, credentials) = (region.clone(), credentials.clone());
        Box::pin(async move {
            aws_msk_iam_sasl_signer::generate_auth_token_from_credentials_provider(
                region,
                credentials,
            )
            .await
            .map(|(token, _expires_ms)| token)
            .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_land_where_the_java_client_puts_them() {
        // Apache Kafka's own test vectors for Utils.murmur2 (UtilsTest.testMurmur2), signed.
        let cases: [(&[u8], i32); 3] = [
            (b"21", -973932308),
            (b"foobar", -790332482),
            (b"a-little-bit-long-string", -985981536),
        ];
        for (key, murmur) in cases {
            let positive = (murmur as u32) & 0x7fff_ffff;
            assert_eq!(partition_for_key(key, 7), (positive % 7) as i32);
            assert_eq!(murmur2::murmur2(key, murmur2::KAFKA_SEED) as i32, murmur);
        }
        assert_eq!(partition_for_key(b"anything", 1), 0);
    }

    #[test]
    fn broker_addresses_are_host_and_port() {
        assert!(valid_broker(
            "b-1.cluster.kafka.us-east-1.amazonaws.com:9098"
        ));
        assert!(valid_broker("127.0.0.1:9092"));
        assert!(!valid_broker("localhost"));
        assert!(!valid_broker(":9092"));
        assert!(!valid_broker("host:port"));
    }
}
