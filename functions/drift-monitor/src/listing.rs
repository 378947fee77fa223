//! Where a window's capture files are: SageMaker writes them under one folder per hour,
//! `<capture prefix>/yyyy/mm/dd/hh/` (UTC), in S3 or, for local runs, a directory.

use chrono::{DateTime, Duration, Utc};
use shared::storage::{classify_s3_error, ObjectUri, StorageError};
use std::path::PathBuf;

/// The capture location up to the hour folders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureLocation {
    /// `s3://bucket/prefix` (the prefix without its trailing slash, possibly empty).
    S3 {
        /// Bucket name.
        bucket: String,
        /// Key prefix.
        prefix: String,
    },
    /// `file://dir`.
    Dir(PathBuf),
}

impl CaptureLocation {
    /// Parses `s3://bucket[/prefix][/]` or `file://dir`.
    pub fn parse(text: &str) -> Result<Self, String> {
        if let Some(rest) = text.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(format!("capture_prefix {text:?} has no bucket"));
            }
            Ok(CaptureLocation::S3 {
                bucket: bucket.to_string(),
                prefix: prefix.trim_end_matches('/').to_string(),
            })
        } else if let Some(path) = text.strip_prefix("file://").filter(|p| !p.is_empty()) {
            Ok(CaptureLocation::Dir(PathBuf::from(path)))
        } else {
            Err(format!(
                "capture_prefix must be s3://bucket/prefix or file://dir, got {text:?}"
            ))
        }
    }

    /// The folder of `hour`'s capture (`…/yyyy/mm/dd/hh/`), as text.
    pub fn hour_folder(&self, hour: DateTime<Utc>) -> String {
        let tail = hour.format("%Y/%m/%d/%H/");
        match self {
            CaptureLocation::S3 { bucket, prefix } if prefix.is_empty() => {
                format!("s3://{bucket}/{tail}")
            }
            CaptureLocation::S3 { bucket, prefix } => format!("s3://{bucket}/{prefix}/{tail}"),
            CaptureLocation::Dir(dir) => format!("file://{}/{tail}", dir.display()),
        }
    }
}

/// The starts of the `hours` hours before `end` (exclusive), oldest first.
pub fn window_hours(end: DateTime<Utc>, hours: u32) -> Vec<DateTime<Utc>> {
    (1..=i64::from(hours))
        .rev()
        .map(|i| end - Duration::hours(i))
        .collect()
}

fn is_capture_file(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('_') && !name.starts_with('.')
}

/// The capture files of `hour`, sorted by name; an hour without a folder has none.
pub async fn list_hour(
    location: &CaptureLocation,
    hour: DateTime<Utc>,
    s3: Option<&aws_sdk_s3::Client>,
) -> Result<Vec<ObjectUri>, StorageError> {
    let tail = hour.format("%Y/%m/%d/%H/").to_string();
    match location {
        CaptureLocation::S3 { bucket, prefix } => {
            let key_prefix = if prefix.is_empty() {
                tail
            } else {
                format!("{prefix}/{tail}")
            };
            let folder = ObjectUri::S3 {
                bucket: bucket.clone(),
                key: key_prefix.clone(),
            };
            let client = s3.ok_or_else(|| StorageError::Failed {
                uri: folder.to_string(),
                detail: "no S3 client configured".into(),
            })?;
            let mut files = Vec::new();
            let mut pages = client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(&key_prefix)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| classify_s3_error(&folder, e))?;
                for object in page.contents() {
                    let (Some(key), size) = (object.key(), object.size().unwrap_or(0)) else {
                        continue;
                    };
                    let name = key.rsplit('/').next().unwrap_or(key);
                    if size > 0 && is_capture_file(name) {
                        files.push(ObjectUri::S3 {
                            bucket: bucket.clone(),
                            key: key.to_string(),
                        });
                    }
                }
            }
            files.sort_by_key(ToString::to_string);
            Ok(files)
        }
        CaptureLocation::Dir(dir) => {
            let folder = dir.join(tail);
            let entries = match std::fs::read_dir(shared::storage::local_path(&folder)) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                Err(e) => return Err(StorageError::from_read(&ObjectUri::File(folder), &e)),
            };
            let mut files: Vec<ObjectUri> = entries
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .filter(|e| is_capture_file(&e.file_name().to_string_lossy()))
                // Named under the folder as written (relative stays relative).
                .map(|e| ObjectUri::File(folder.join(e.file_name())))
                .collect();
            files.sort_by_key(ToString::to_string);
            Ok(files)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_window_is_the_hours_before_its_end() {
        let end = Utc.with_ymd_and_hms(2026, 11, 30, 1, 0, 0).unwrap();
        let hours = window_hours(end, 3);
        let folders: Vec<String> = hours
            .iter()
            .map(|&h| {
                CaptureLocation::parse("s3://b/dc/ep/AllTraffic/")
                    .unwrap()
                    .hour_folder(h)
            })
            .collect();
        assert_eq!(
            folders,
            [
                "s3://b/dc/ep/AllTraffic/2026/11/29/22/",
                "s3://b/dc/ep/AllTraffic/2026/11/29/23/",
                "s3://b/dc/ep/AllTraffic/2026/11/30/00/",
            ]
        );
    }

    #[test]
    fn bad_locations_are_refused() {
        for bad in ["s3://", "http://x/y", "file://", "bucket/prefix"] {
            assert!(CaptureLocation::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            CaptureLocation::parse("s3://b").unwrap(),
            CaptureLocation::S3 {
                bucket: "b".into(),
                prefix: String::new()
            }
        );
    }
}
