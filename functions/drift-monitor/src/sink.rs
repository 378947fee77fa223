//! Writing a small JSON document (a baseline profile, a report) to an `s3://` or `file://` URI.

use crate::error::DriftMonitorError;
use crate::Deps;
use shared::storage::ObjectUri;

/// Writes `body` at `uri` (S3 PutObject with `Content-Type: application/json`, or a file whose
/// folders are created), replacing what was there: a rerun overwrites its own output.
pub async fn put(deps: &Deps, uri: &ObjectUri, body: Vec<u8>) -> Result<(), DriftMonitorError> {
    let failed = |detail: String| DriftMonitorError::WriteFailed {
        uri: uri.to_string(),
        detail,
    };
    match uri {
        ObjectUri::S3 { bucket, key } => {
            let client = deps
                .s3
                .as_ref()
                .ok_or_else(|| failed("no S3 client configured".into()))?;
            client
                .put_object()
                .bucket(bucket)
                .key(key)
                .content_type("application/json")
                .body(body.into())
                .send()
                .await
                .map_err(|e| {
                    failed(aws_smithy_types::error::display::DisplayErrorContext(&e).to_string())
                })?;
        }
        ObjectUri::File(path) => {
            let path = shared::storage::local_path(path);
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| failed(e.to_string()))?;
            }
            std::fs::write(&path, body).map_err(|e| failed(e.to_string()))?;
        }
    }
    Ok(())
}
