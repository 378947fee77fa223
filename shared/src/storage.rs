//! Objects named by URI (`s3://bucket/key`, or `file://path` for local runs), opened as
//! buffered async streams, optionally gzip-decoded on the fly. Nothing is read whole.

use async_compression::tokio::bufread::GzipDecoder;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use std::fmt;
use std::path::PathBuf;
use std::pin::Pin;
use tokio::io::{AsyncBufRead, BufReader};

mod ranged;
pub use ranged::{open_ranged, PARTS_IN_FLIGHT, PART_BYTES};

/// Read buffer size: large enough that per-read overhead vanishes next to parsing.
const READ_BUFFER_BYTES: usize = 1 << 20;

/// Where an object lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectUri {
    /// An S3 object.
    S3 {
        /// Bucket name.
        bucket: String,
        /// Object key.
        key: String,
    },
    /// A local file; `file://relative/path` is taken relative to the folder
    /// [`set_local_root`] sets (default: the working directory), `file:///absolute/path` as
    /// absolute. The path is kept as written; [`local_path`] resolves it.
    File(PathBuf),
}

impl ObjectUri {
    /// Parses `s3://bucket/key` or `file://path`.
    pub fn parse(uri: &str) -> Result<Self, StorageError> {
        let invalid = |why: &str| StorageError::InvalidUri {
            uri: uri.to_string(),
            reason: why.to_string(),
        };
        if let Some(rest) = uri.strip_prefix("s3://") {
            let (bucket, key) = rest
                .split_once('/')
                .ok_or_else(|| invalid("expected s3://bucket/key"))?;
            if bucket.is_empty() || key.is_empty() {
                return Err(invalid("expected s3://bucket/key with a bucket and a key"));
            }
            Ok(ObjectUri::S3 {
                bucket: bucket.to_string(),
                key: key.to_string(),
            })
        } else if let Some(path) = uri.strip_prefix("file://") {
            if path.is_empty() {
                return Err(invalid("expected file://path"));
            }
            Ok(ObjectUri::File(PathBuf::from(path)))
        } else {
            Err(invalid("only s3:// and file:// URIs are supported"))
        }
    }

    /// The last path segment (object or file name), used to infer format and compression.
    pub fn file_name(&self) -> &str {
        let full = match self {
            ObjectUri::S3 { key, .. } => key.as_str(),
            ObjectUri::File(path) => path.to_str().unwrap_or_default(),
        };
        full.rsplit('/').next().unwrap_or(full)
    }
}

impl fmt::Display for ObjectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectUri::S3 { bucket, key } => write!(f, "s3://{bucket}/{key}"),
            ObjectUri::File(path) => write!(f, "file://{}", path.display()),
        }
    }
}

/// How a data file is laid out (the evaluation predictions, the drift monitor's training data).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Comma-separated values with a header row (RFC 4180 quoting).
    Csv,
    /// One JSON object per line; columns may be dotted paths into nested objects.
    Jsonl,
}

impl Format {
    /// Infers the format from a file name (`.csv`; `.jsonl`, `.ndjson`, `.json`), ignoring a
    /// trailing `.gz` or `.gzip`.
    pub fn infer(file_name: &str) -> Option<Self> {
        let lower = file_name.to_ascii_lowercase();
        let stem = lower
            .strip_suffix(".gz")
            .or_else(|| lower.strip_suffix(".gzip"))
            .unwrap_or(&lower);
        if stem.ends_with(".csv") {
            Some(Format::Csv)
        } else if [".jsonl", ".ndjson", ".json"]
            .iter()
            .any(|e| stem.ends_with(e))
        {
            Some(Format::Jsonl)
        } else {
            None
        }
    }
}

/// How an object's bytes are compressed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// Plain bytes.
    None,
    /// gzip (RFC 1952), possibly multi-member.
    Gzip,
}

impl Compression {
    /// Gzip when the name ends in `.gz` or `.gzip`, else none.
    pub fn infer(file_name: &str) -> Self {
        let lower = file_name.to_ascii_lowercase();
        if lower.ends_with(".gz") || lower.ends_with(".gzip") {
            Compression::Gzip
        } else {
            Compression::None
        }
    }
}

/// Why an object could not be read.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StorageError {
    /// The URI is malformed or of an unsupported scheme.
    #[error("invalid object URI {uri:?}: {reason}")]
    InvalidUri {
        /// The URI as given.
        uri: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No object (or bucket, or file) at the URI.
    #[error("no object at {uri}")]
    NotFound {
        /// The URI.
        uri: String,
    },
    /// A transient failure (throttling, 5xx, network, timeout): worth a retry.
    #[error("storage unavailable reading {uri}: {detail}")]
    Unavailable {
        /// The URI.
        uri: String,
        /// What happened.
        detail: String,
    },
    /// The bytes are not valid for their declared compression.
    #[error("corrupt data in {uri}: {detail}")]
    Corrupt {
        /// The URI.
        uri: String,
        /// What happened.
        detail: String,
    },
    /// Any other failure (access denied, a directory instead of a file, ...).
    #[error("cannot read {uri}: {detail}")]
    Failed {
        /// The URI.
        uri: String,
        /// What happened.
        detail: String,
    },
}

impl StorageError {
    /// Classifies an I/O error met while reading the stream of `uri` (a storage error carried
    /// inside it, as ranged reads send theirs, is returned as it was).
    pub fn from_read(uri: &ObjectUri, error: &std::io::Error) -> Self {
        if let Some(inner) = error
            .get_ref()
            .and_then(|e| e.downcast_ref::<StorageError>())
        {
            return inner.clone();
        }
        let uri = uri.to_string();
        let detail = error.to_string();
        match error.kind() {
            std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof => {
                StorageError::Corrupt { uri, detail }
            }
            std::io::ErrorKind::NotFound => StorageError::NotFound { uri },
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::IsADirectory => {
                StorageError::Failed { uri, detail }
            }
            _ => StorageError::Unavailable { uri, detail },
        }
    }
}

/// A buffered async byte stream over an object's (decompressed) content.
pub type ObjectStream = Pin<Box<dyn AsyncBufRead + Send>>;

/// The folder relative `file://` paths are resolved against; `None`: the working directory.
static LOCAL_ROOT: std::sync::RwLock<Option<PathBuf>> = std::sync::RwLock::new(None);

/// Sets the folder that relative `file://` paths name files in, for the whole process
/// (`None`: the working directory, the default). The local runner sets the project root, so
/// that `file://events/...` in sample events and mocks works from anywhere without the
/// process changing its working directory. A Lambda function never sets it.
pub fn set_local_root(root: Option<PathBuf>) {
    match LOCAL_ROOT.write() {
        Ok(mut slot) => *slot = root,
        Err(poisoned) => *poisoned.into_inner() = root,
    }
}

/// `path` as the process opens it: a relative path under the folder [`set_local_root`] set,
/// else unchanged.
pub fn local_path(path: &std::path::Path) -> std::borrow::Cow<'_, std::path::Path> {
    if path.is_absolute() {
        return std::borrow::Cow::Borrowed(path);
    }
    let root = match LOCAL_ROOT.read() {
        Ok(slot) => slot.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    match root {
        Some(root) => std::borrow::Cow::Owned(root.join(path)),
        None => std::borrow::Cow::Borrowed(path),
    }
}

/// Opens the local file `path` (named by `uri`; relative paths through [`local_path`]) for
/// plain blocking reads; a directory is refused with `Failed`, a missing file is `NotFound`.
pub fn open_file(uri: &ObjectUri, path: &std::path::Path) -> Result<std::fs::File, StorageError> {
    let file =
        std::fs::File::open(local_path(path)).map_err(|e| StorageError::from_read(uri, &e))?;
    let metadata = file
        .metadata()
        .map_err(|e| StorageError::from_read(uri, &e))?;
    if metadata.is_dir() {
        return Err(StorageError::Failed {
            uri: uri.to_string(),
            detail: "is a directory".to_string(),
        });
    }
    Ok(file)
}

/// Opens the object at `uri` as a stream, gzip-decoding it when `compression` says so.
/// `s3` is needed only for `s3://` URIs.
pub async fn open(
    uri: &ObjectUri,
    compression: Compression,
    s3: Option<&aws_sdk_s3::Client>,
) -> Result<ObjectStream, StorageError> {
    let raw: ObjectStream = match uri {
        ObjectUri::File(path) => {
            let mut file = tokio::fs::File::from_std(open_file(uri, path)?);
            // Fewer, larger reads on tokio's blocking pool (its default is 2 MiB a read).
            file.set_max_buf_size(READ_BUFFER_BYTES * 4);
            Box::pin(BufReader::with_capacity(READ_BUFFER_BYTES, file))
        }
        ObjectUri::S3 { .. } => {
            let client = s3.ok_or_else(|| StorageError::Failed {
                uri: uri.to_string(),
                detail: "no S3 client configured".to_string(),
            })?;
            open_ranged(client, uri, PART_BYTES, PARTS_IN_FLIGHT).await?
        }
    };
    Ok(match compression {
        Compression::None => raw,
        Compression::Gzip => {
            let mut decoder = GzipDecoder::new(raw);
            decoder.multiple_members(true);
            Box::pin(BufReader::with_capacity(READ_BUFFER_BYTES, decoder))
        }
    })
}

/// Maps an S3 SDK error to a storage error: missing key or bucket → `NotFound`; what
/// [`crate::retry::classify`] calls retryable → `Unavailable`; anything else → `Failed`.
pub fn classify_s3_error<E>(
    uri: &ObjectUri,
    error: SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> StorageError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let uri_text = uri.to_string();
    match &error {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or_default();
            let message = service.err().message().unwrap_or_default().to_string();
            let status = service.raw().status().as_u16();
            match code {
                "NoSuchKey" | "NoSuchBucket" | "NotFound" => {
                    StorageError::NotFound { uri: uri_text }
                }
                _ if crate::retry::classify_code(code, status).is_retryable() => {
                    StorageError::Unavailable {
                        uri: uri_text,
                        detail: format!("{code}: {message}"),
                    }
                }
                _ => StorageError::Failed {
                    uri: uri_text,
                    detail: format!("{code}: {message}"),
                },
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            StorageError::Unavailable {
                uri: uri_text,
                detail: format!(
                    "{}",
                    aws_smithy_types::error::display::DisplayErrorContext(&error)
                ),
            }
        }
        _ => StorageError::Failed {
            uri: uri_text,
            detail: format!(
                "{}",
                aws_smithy_types::error::display::DisplayErrorContext(&error)
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[test]
    fn s3_uris_split_into_bucket_and_key() {
        assert_eq!(
            ObjectUri::parse("s3://my-bucket/eval/run 1/predictions.csv.gz").unwrap(),
            ObjectUri::S3 {
                bucket: "my-bucket".into(),
                key: "eval/run 1/predictions.csv.gz".into()
            }
        );
    }

    #[test]
    fn malformed_uris_are_rejected_with_the_reason() {
        for bad in ["s3://bucket-only", "s3:///key", "http://x/y", "", "file://"] {
            let err = ObjectUri::parse(bad).unwrap_err();
            assert!(
                matches!(err, StorageError::InvalidUri { .. }),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn file_name_and_compression_are_inferred_from_the_last_segment() {
        let uri = ObjectUri::parse("s3://b/a/b/preds.JSONL.GZ").unwrap();
        assert_eq!(uri.file_name(), "preds.JSONL.GZ");
        assert_eq!(Compression::infer(uri.file_name()), Compression::Gzip);
        assert_eq!(Compression::infer("x.csv"), Compression::None);
    }

    #[tokio::test]
    async fn a_missing_local_file_is_not_found() {
        let uri = ObjectUri::parse("file:///definitely/not/here.csv").unwrap();
        let err = open(&uri, Compression::None, None).await.err().unwrap();
        assert!(matches!(err, StorageError::NotFound { .. }), "{err}");
    }

    #[tokio::test]
    async fn gzip_files_are_decoded_while_streaming() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.csv.gz");
        let mut encoder = flate2::write::GzEncoder::new(
            std::fs::File::create(&path).unwrap(),
            flate2::Compression::default(),
        );
        encoder.write_all(b"a,b\n1,2\n").unwrap();
        encoder.finish().unwrap();
        let uri = ObjectUri::File(path);
        let mut stream = open(&uri, Compression::Gzip, None).await.unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "a,b\n1,2\n");
    }

    #[tokio::test]
    async fn corrupt_gzip_is_reported_as_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.gz");
        std::fs::write(&path, b"this is not gzip").unwrap();
        let uri = ObjectUri::File(path);
        let mut stream = open(&uri, Compression::Gzip, None).await.unwrap();
        let mut buf = Vec::new();
        let err = stream.read_to_end(&mut buf).await.unwrap_err();
        assert!(matches!(
            StorageError::from_read(&uri, &err),
            StorageError::Corrupt { .. }
        ));
    }
}
