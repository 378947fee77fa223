//! The Lambda Kafka event and the partial batch response: [`shared::kafka`], with this
//! function's counts as the response summary.

pub use shared::kafka::{
    is_kafka_event, partitions, IncomingRecord, KafkaBatchItemFailure, KafkaItemIdentifier,
    PartitionRecords, RecordPosition,
};

/// The response to a Kafka batch: `batchItemFailures` for Lambda, [`crate::Summary`] for people.
pub type KafkaBatchResponse = shared::kafka::KafkaBatchResponse<crate::Summary>;
