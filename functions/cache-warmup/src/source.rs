//! Where the day's forecasts are: the files under an `s3://bucket/prefix/` (or a `file://`
//! directory, for local runs), or one named object. Listing only: reading goes through
//! [`shared::storage`], which streams and gzip-decodes.

use crate::record::Format;
use shared::storage::{classify_s3_error, Compression, ObjectUri, StorageError};
use std::path::{Path, PathBuf};

/// One forecast file to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Where it is.
    pub uri: ObjectUri,
    /// Its layout.
    pub format: Format,
    /// Its compression.
    pub compression: Compression,
    /// Its size in bytes.
    pub size: u64,
    /// Its S3 ETag (none for local files).
    pub etag: Option<String>,
}

/// A file under the location that is not loaded, and why.
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct SkippedFile {
    /// The file.
    pub uri: String,
    /// Why it is not loaded.
    pub reason: String,
}

/// What a location holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// The forecast files, sorted by name.
    pub files: Vec<SourceFile>,
    /// Files that are not forecasts (markers, manifests, unknown formats, empty files).
    pub skipped: Vec<SkippedFile>,
}

impl Listing {
    /// A version that names this exact set of files: FNV-1a over their names, sizes and ETags,
    /// so an unchanged rerun gets the same version and a rewritten output a new one.
    pub fn content_version(&self) -> String {
        let mut hash = Fnv::default();
        for file in &self.files {
            hash.write(file.uri.to_string().as_bytes());
            hash.write(&file.size.to_le_bytes());
            hash.write(file.etag.as_deref().unwrap_or("").as_bytes());
        }
        format!("{:016x}", hash.finish())
    }

    fn add(&mut self, uri: ObjectUri, size: u64, etag: Option<String>) {
        let name = uri.file_name().to_string();
        let skip = |reason: &str| SkippedFile {
            uri: uri.to_string(),
            reason: reason.to_string(),
        };
        if name.is_empty() {
            return; // a "folder" marker
        }
        if name.starts_with('_') || name.starts_with('.') {
            self.skipped.push(skip("marker or hidden file"));
        } else if let Some(format) = Format::infer(&name) {
            if size == 0 {
                self.skipped.push(skip("empty file"));
            } else {
                self.files.push(SourceFile {
                    compression: Compression::infer(&name),
                    uri,
                    format,
                    size,
                    etag,
                });
            }
        } else {
            self.skipped.push(skip(
                "not a forecast file (expected .jsonl, .ndjson, .json, .out or .csv, optionally .gz)",
            ));
        }
    }
}

/// 64-bit FNV-1a: small, stable across Rust releases (unlike `DefaultHasher`).
#[derive(Debug, Clone, Copy)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    /// Hashes `bytes` into the state.
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// The hash.
    pub fn finish(&self) -> u64 {
        self.0
    }

    /// The hash of `bytes`.
    pub fn hash(bytes: &[u8]) -> u64 {
        let mut h = Fnv::default();
        h.write(bytes);
        h.finish()
    }
}

/// Lists the forecast files at `location`: `s3://bucket/prefix/` (every object under the prefix),
/// `s3://bucket/key.jsonl` (one object, when the last segment names a forecast format),
/// `file://dir` (recursively) or `file://file.csv`.
pub async fn list(
    location: &str,
    s3: Option<&aws_sdk_s3::Client>,
) -> Result<Listing, StorageError> {
    if let Some(rest) = location.strip_prefix("s3://") {
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(StorageError::InvalidUri {
                uri: location.to_string(),
                reason: "expected s3://bucket/prefix/".to_string(),
            });
        }
        let last = key.rsplit('/').next().unwrap_or(key);
        if !key.is_empty() && Format::infer(last).is_some() {
            let uri = ObjectUri::S3 {
                bucket: bucket.to_string(),
                key: key.to_string(),
            };
            return single_s3_object(uri, s3).await;
        }
        let prefix = if key.is_empty() || key.ends_with('/') {
            key.to_string()
        } else {
            format!("{key}/")
        };
        list_s3(bucket, &prefix, s3).await
    } else if let Some(path) = location.strip_prefix("file://") {
        if path.is_empty() {
            return Err(StorageError::InvalidUri {
                uri: location.to_string(),
                reason: "expected file://path".to_string(),
            });
        }
        list_local(Path::new(path)).await
    } else {
        Err(StorageError::InvalidUri {
            uri: location.to_string(),
            reason: "only s3:// and file:// locations are supported".to_string(),
        })
    }
}

fn need_s3<'a>(
    uri: &ObjectUri,
    s3: Option<&'a aws_sdk_s3::Client>,
) -> Result<&'a aws_sdk_s3::Client, StorageError> {
    s3.ok_or_else(|| StorageError::Failed {
        uri: uri.to_string(),
        detail: "no S3 client configured".to_string(),
    })
}

async fn single_s3_object(
    uri: ObjectUri,
    s3: Option<&aws_sdk_s3::Client>,
) -> Result<Listing, StorageError> {
    let client = need_s3(&uri, s3)?;
    let ObjectUri::S3 { bucket, key } = &uri else {
        return Err(StorageError::Failed {
            uri: uri.to_string(),
            detail: "not an S3 URI".to_string(),
        });
    };
    let head = client
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| classify_s3_error(&uri, e))?;
    let mut listing = Listing::default();
    let size = head.content_length().unwrap_or(0).max(0) as u64;
    let etag = head.e_tag().map(str::to_string);
    listing.add(uri, size, etag);
    Ok(listing)
}

async fn list_s3(
    bucket: &str,
    prefix: &str,
    s3: Option<&aws_sdk_s3::Client>,
) -> Result<Listing, StorageError> {
    let uri = ObjectUri::S3 {
        bucket: bucket.to_string(),
        key: prefix.to_string(),
    };
    let client = need_s3(&uri, s3)?;
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    let mut listing = Listing::default();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify_s3_error(&uri, e))?;
        for object in page.contents() {
            let Some(key) = object.key() else { continue };
            if key.ends_with('/') {
                continue;
            }
            listing.add(
                ObjectUri::S3 {
                    bucket: bucket.to_string(),
                    key: key.to_string(),
                },
                object.size().unwrap_or(0).max(0) as u64,
                object.e_tag().map(str::to_string),
            );
        }
    }
    listing.files.sort_by_key(|f| f.uri.to_string());
    Ok(listing)
}

async fn list_local(path: &Path) -> Result<Listing, StorageError> {
    let uri_of = |p: &Path| ObjectUri::File(p.to_path_buf());
    // Paths are read through `local_path` but named as written (relative stays relative).
    let metadata = tokio::fs::metadata(shared::storage::local_path(path))
        .await
        .map_err(|e| StorageError::from_read(&uri_of(path), &e))?;
    let mut listing = Listing::default();
    if metadata.is_file() {
        listing.add(uri_of(path), metadata.len(), None);
        return Ok(listing);
    }
    let mut folders: Vec<PathBuf> = vec![path.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let mut entries = tokio::fs::read_dir(shared::storage::local_path(&folder))
            .await
            .map_err(|e| StorageError::from_read(&uri_of(&folder), &e))?;
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|e| StorageError::from_read(&uri_of(&folder), &e))?
        {
            let entry_path = folder.join(entry.file_name());
            let metadata = entry
                .metadata()
                .await
                .map_err(|e| StorageError::from_read(&uri_of(&entry_path), &e))?;
            if metadata.is_dir() {
                folders.push(entry_path);
            } else {
                listing.add(uri_of(&entry_path), metadata.len(), None);
            }
        }
    }
    listing.files.sort_by_key(|f| f.uri.to_string());
    listing.skipped.sort_by(|a, b| a.uri.cmp(&b.uri));
    Ok(listing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_local_folder_lists_forecast_files_and_skips_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("part")).unwrap();
        std::fs::write(dir.path().join("b.csv"), "item_id\nA\n").unwrap();
        std::fs::write(dir.path().join("part/a.jsonl.gz"), "x").unwrap();
        std::fs::write(dir.path().join("_SUCCESS"), "").unwrap();
        std::fs::write(dir.path().join("empty.jsonl"), "").unwrap();
        std::fs::write(dir.path().join("model.parquet"), "x").unwrap();
        let location = format!("file://{}", dir.path().display());
        let listing = list(&location, None).await.unwrap();
        let names: Vec<&str> = listing.files.iter().map(|f| f.uri.file_name()).collect();
        assert_eq!(names, ["b.csv", "a.jsonl.gz"]);
        assert_eq!(listing.files[1].compression, Compression::Gzip);
        assert_eq!(listing.files[1].format, Format::Jsonl);
        assert_eq!(listing.skipped.len(), 3, "{:?}", listing.skipped);
        let again = list(&location, None).await.unwrap();
        assert_eq!(listing.content_version(), again.content_version());
    }

    #[tokio::test]
    async fn a_missing_folder_is_not_found() {
        let error = list("file:///definitely/not/here/", None)
            .await
            .unwrap_err();
        assert!(matches!(error, StorageError::NotFound { .. }), "{error}");
    }

    #[test]
    fn fnv_matches_the_reference_values() {
        assert_eq!(Fnv::hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(Fnv::hash(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
