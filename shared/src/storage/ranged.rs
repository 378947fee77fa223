//! S3 objects read as consecutive byte ranges, several in flight at once and handed on in
//! order. One GET stream reaches only part of a Lambda's network bandwidth; a few concurrent
//! ranged GETs fill it, as AWS advises for large objects. Each range is pinned to the first
//! response's ETag, so an object overwritten mid-read fails instead of mixing two versions.

use super::{classify_s3_error, ObjectStream, ObjectUri, StorageError, READ_BUFFER_BYTES};
use futures::{FutureExt, StreamExt};
use tokio::io::BufReader;
use tokio_util::task::AbortOnDropHandle;

/// Bytes in one ranged GET.
pub const PART_BYTES: u64 = 8 << 20;
/// Ranged GETs downloading at once, ahead of the reader.
pub const PARTS_IN_FLIGHT: usize = 4;

/// Opens `s3://bucket/key` for reading in parts of `part_bytes`, `in_flight` of them
/// downloading ahead of the reader. Small objects (one part) take a single GET.
pub async fn open_ranged(
    client: &aws_sdk_s3::Client,
    uri: &ObjectUri,
    part_bytes: u64,
    in_flight: usize,
) -> Result<ObjectStream, StorageError> {
    let ObjectUri::S3 { bucket, key } = uri else {
        return Err(StorageError::Failed {
            uri: uri.to_string(),
            detail: "not an S3 URI".into(),
        });
    };
    let part_bytes = part_bytes.max(1);
    let first = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .range(range(0, part_bytes))
        .send()
        .await;
    let first = match first {
        Ok(first) => first,
        // An empty object has no byte 0: S3 refuses the range, a plain GET reads it.
        Err(error) if is_invalid_range(&error) => {
            let object = client
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| classify_s3_error(uri, e))?;
            return Ok(whole(object.body));
        }
        Err(error) => return Err(classify_s3_error(uri, error)),
    };
    let total = first.content_range().and_then(total_size);
    let Some(total) = total.filter(|total| *total > part_bytes) else {
        // The whole object came back: it fits in one part, or the server ignored the range.
        return Ok(whole(first.body));
    };
    let etag = first.e_tag().map(str::to_string);
    let head = futures::stream::once(collect(uri.clone(), first.body));
    let (client, uri, bucket, key) = (client.clone(), uri.clone(), bucket.clone(), key.clone());
    let rest = futures::stream::iter((1..total.div_ceil(part_bytes)).map(move |index| {
        let start = index * part_bytes;
        let request = client
            .get_object()
            .bucket(&bucket)
            .key(&key)
            .range(range(start, part_bytes.min(total - start)))
            .set_if_match(etag.clone());
        // A task per part, so it downloads while the reader works on earlier parts; stopped if
        // the reader goes away before taking it.
        let part = AbortOnDropHandle::new(tokio::spawn(fetch(uri.clone(), request)));
        let uri = uri.clone();
        part.map(move |joined| {
            joined.unwrap_or_else(|e| {
                Err(StorageError::Failed {
                    uri: uri.to_string(),
                    detail: format!("a download task stopped: {e}"),
                })
            })
        })
    }))
    .buffered(in_flight.max(1));
    let parts = head
        .chain(rest)
        .map(|part| part.map_err(std::io::Error::other));
    Ok(Box::pin(tokio_util::io::StreamReader::new(parts)))
}

/// `bytes=start-end` for `len` bytes from `start`.
fn range(start: u64, len: u64) -> String {
    format!("bytes={start}-{}", start + len - 1)
}

/// The total size in a `Content-Range: bytes 0-99/1234` header.
fn total_size(content_range: &str) -> Option<u64> {
    content_range.rsplit_once('/')?.1.trim().parse().ok()
}

fn is_invalid_range<R>(
    error: &aws_sdk_s3::error::SdkError<aws_sdk_s3::operation::get_object::GetObjectError, R>,
) -> bool {
    use aws_sdk_s3::error::ProvideErrorMetadata;
    error
        .as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "InvalidRange")
}

fn whole(body: aws_sdk_s3::primitives::ByteStream) -> ObjectStream {
    Box::pin(BufReader::with_capacity(
        READ_BUFFER_BYTES,
        body.into_async_read(),
    ))
}

async fn fetch(
    uri: ObjectUri,
    request: aws_sdk_s3::operation::get_object::builders::GetObjectFluentBuilder,
) -> Result<bytes::Bytes, StorageError> {
    let object = request.send().await.map_err(|error| {
        use aws_sdk_s3::error::ProvideErrorMetadata;
        let code = error.as_service_error().and_then(|e| e.code());
        if code == Some("PreconditionFailed") {
            StorageError::Failed {
                uri: uri.to_string(),
                detail: "the object changed while it was being read (its ETag no longer matches)"
                    .into(),
            }
        } else {
            classify_s3_error(&uri, error)
        }
    })?;
    collect(uri, object.body).await
}

async fn collect(
    uri: ObjectUri,
    body: aws_sdk_s3::primitives::ByteStream,
) -> Result<bytes::Bytes, StorageError> {
    body.collect()
        .await
        .map(|data| data.into_bytes())
        .map_err(|e| StorageError::Unavailable {
            uri: uri.to_string(),
            detail: format!("the download broke off: {e}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges_give_the_total_size() {
        assert_eq!(total_size("bytes 0-8388607/243097693"), Some(243_097_693));
        assert_eq!(total_size("bytes 0-9/*"), None);
        assert_eq!(total_size("garbage"), None);
        assert_eq!(range(16, 8), "bytes=16-23");
    }
}
