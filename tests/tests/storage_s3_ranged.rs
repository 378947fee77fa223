//! Ranged parallel reads of S3 objects against a local moto server: the bytes come back whole
//! and in order whatever the part size, small and empty objects work, and an object overwritten
//! mid-read fails rather than mixing two versions.

use aws_sdk_s3::primitives::ByteStream;
use integration_tests::LocalAws;
use shared::storage::{self, open_ranged, Compression, ObjectUri, StorageError};
use tokio::io::AsyncReadExt;

async fn bucket_with(key: &str, body: Vec<u8>) -> (aws_sdk_s3::Client, ObjectUri) {
    let config = LocalAws::shared().sdk_config().await;
    let client = shared::aws::s3_client(&config);
    let bucket = LocalAws::unique_name("ranged");
    client.create_bucket().bucket(&bucket).send().await.unwrap();
    put(&client, &bucket, key, body).await;
    let uri = ObjectUri::parse(&format!("s3://{bucket}/{key}")).unwrap();
    (client, uri)
}

async fn put(client: &aws_sdk_s3::Client, bucket: &str, key: &str, body: Vec<u8>) {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body))
        .send()
        .await
        .unwrap();
}

/// Bytes that differ at every offset, so a part out of place would show.
fn numbered(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[tokio::test]
async fn parts_come_back_whole_and_in_order() {
    let body = numbered(100_003);
    let (client, uri) = bucket_with("data/numbers.bin", body.clone()).await;
    for (part, in_flight) in [
        (1_000, 1),
        (1_000, 4),
        (4_096, 3),
        (100_003, 2),
        (1 << 20, 4),
    ] {
        let mut stream = open_ranged(&client, &uri, part, in_flight).await.unwrap();
        let mut read = Vec::new();
        stream.read_to_end(&mut read).await.unwrap();
        assert_eq!(read.len(), body.len(), "part {part}, {in_flight} in flight");
        assert!(
            read == body,
            "part {part}, {in_flight} in flight: bytes out of order"
        );
    }
}

#[tokio::test]
async fn empty_and_one_byte_objects_read_back() {
    for body in [Vec::new(), vec![7u8]] {
        let (client, uri) = bucket_with("small.bin", body.clone()).await;
        let mut stream = open_ranged(&client, &uri, 1_000, 4).await.unwrap();
        let mut read = Vec::new();
        stream.read_to_end(&mut read).await.unwrap();
        assert_eq!(read, body);
    }
}

#[tokio::test]
async fn an_object_overwritten_mid_read_fails_as_changed() {
    let (client, uri) = bucket_with("moving.bin", numbered(50_000)).await;
    let ObjectUri::S3 { bucket, key } = &uri else {
        unreachable!()
    };
    let mut stream = open_ranged(&client, &uri, 1_000, 2).await.unwrap();
    let mut first = vec![0u8; 1_000];
    stream.read_exact(&mut first).await.unwrap();
    put(&client, bucket, key, numbered(60_000)).await;
    let mut rest = Vec::new();
    let error = stream.read_to_end(&mut rest).await.unwrap_err();
    match StorageError::from_read(&uri, &error) {
        StorageError::Failed { detail, uri: named } => {
            assert!(
                detail.contains("changed while it was being read"),
                "{detail}"
            );
            assert_eq!(named, uri.to_string());
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn gzip_objects_read_through_ranges_decode_whole() {
    use std::io::Write;
    let text: Vec<u8> = (0..200_000)
        .flat_map(|i| format!("{i}\n").into_bytes())
        .collect();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&text).unwrap();
    let (client, uri) = bucket_with("lines.txt.gz", encoder.finish().unwrap()).await;
    let mut stream = storage::open(&uri, Compression::Gzip, Some(&client))
        .await
        .unwrap();
    let mut read = Vec::new();
    stream.read_to_end(&mut read).await.unwrap();
    assert!(read == text);
}

#[tokio::test]
async fn a_missing_object_is_not_found() {
    let (client, uri) = bucket_with("present.bin", numbered(10)).await;
    let ObjectUri::S3 { bucket, .. } = &uri else {
        unreachable!()
    };
    let missing = ObjectUri::parse(&format!("s3://{bucket}/absent.bin")).unwrap();
    let error = open_ranged(&client, &missing, 1_000, 2)
        .await
        .err()
        .unwrap();
    assert!(matches!(error, StorageError::NotFound { .. }), "{error:?}");
}
