//! Monitor mode: stream a window of capture files, score every feature against the baseline,
//! decide, publish the drift event, write the report.

use crate::capture::CaptureTally;
use crate::error::DriftMonitorError;
use crate::input::MonitorRequest;
use crate::listing::{list_hour, window_hours, CaptureLocation};
use crate::profile::Baseline;
use crate::publish::{drift_detail, event_id, publish, timestamp};
use crate::report::{FeatureScore, MonitorReport, Status};
use crate::Deps;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use futures::StreamExt;
use shared::metrics::{MetricsLogger, Unit};
use shared::storage::{self, Compression, ObjectUri, StorageError};
use tokio::io::{AsyncBufReadExt, AsyncReadExt};

/// Largest baseline profile read, in bytes.
pub const MAX_BASELINE_BYTES: u64 = 64 << 20;

/// Runs one monitor request.
pub async fn monitor(
    deps: &Deps,
    request: MonitorRequest,
) -> Result<MonitorReport, DriftMonitorError> {
    request
        .validate()
        .map_err(DriftMonitorError::InvalidInput)?;
    let invalid = DriftMonitorError::InvalidInput;
    let baseline_uri =
        ObjectUri::parse(&request.baseline_uri).map_err(|e| invalid(e.to_string()))?;
    let location = CaptureLocation::parse(&request.capture_prefix).map_err(invalid)?;
    let report_prefix = request.report_prefix.trim_end_matches('/');
    let end = request
        .window_end
        .unwrap_or_else(|| deps.clock.now())
        .duration_trunc(TimeDelta::hours(1))
        .map_err(|e| DriftMonitorError::InvalidInput(format!("window_end: {e}")))?;
    let report_uri = ObjectUri::parse(&format!(
        "{report_prefix}/{}/{}.json",
        request.model_name,
        end.format("%Y%m%dT%HZ")
    ))
    .map_err(|e| DriftMonitorError::InvalidInput(format!("report_prefix: {e}")))?;

    let baseline = read_baseline(deps, &baseline_uri).await?;
    if baseline.model_name != request.model_name {
        return Err(DriftMonitorError::InvalidBaseline {
            uri: baseline_uri.to_string(),
            detail: format!(
                "it profiles model {:?}, not {:?}",
                baseline.model_name, request.model_name
            ),
        });
    }

    let hours = window_hours(end, request.window_hours);
    let mut files = Vec::new();
    let mut hours_with_data = 0u32;
    for &hour in &hours {
        let listed = list_hour(&location, hour, deps.s3.as_ref())
            .await
            .map_err(|e| capture_error(&location, hour, e))?;
        hours_with_data += u32::from(!listed.is_empty());
        files.extend(listed);
    }
    let files_read = files.len() as u64;
    let tally = read_capture_files(deps, CaptureTally::new(&baseline), files).await?;

    let thresholds = request.thresholds;
    let score =
        |t: &crate::tally::LiveTally| FeatureScore::new(t.profile(), &t.measures(), &thresholds);
    let status = if tally.rows >= request.min_rows {
        Status::Ok
    } else {
        Status::InsufficientData
    };
    let mut report = MonitorReport {
        model_name: request.model_name.clone(),
        model_version: request.model_version.clone(),
        baseline_uri: baseline_uri.to_string(),
        capture_prefix: request.capture_prefix.clone(),
        window_start: timestamp(hours.first().copied().unwrap_or(end)),
        window_end: timestamp(end),
        status,
        rows: tally.rows,
        min_rows: request.min_rows,
        records: tally.records,
        malformed_records: tally.malformed_records,
        malformed_rows: tally.malformed_rows,
        files_read,
        hours_with_data,
        thresholds,
        features: tally.features.iter().map(score).collect(),
        prediction: tally.prediction.as_ref().map(score),
        drift_detected: false,
        drifted_features: Vec::new(),
        warnings: Vec::new(),
        event_id: None,
        event_published: false,
        kafka_published: false,
        summary_published: false,
        report_uri: report_uri.to_string(),
    };
    report.decide();
    if report.drift_detected {
        report.event_id = Some(event_id(&request.model_name, end, request.window_hours));
    }
    if let (true, Some(detail)) = (request.publish, drift_detail(&report)) {
        publish(&deps.events, &deps.event_bus, &detail).await?;
        report.event_published = true;
        if let Some(kafka) = &deps.kafka {
            let published = kafka
                .publish(&request.model_name, detail.to_string().into_bytes())
                .await?;
            tracing::info!(
                topic = kafka.topic(),
                partition = published.partition,
                offset = published.offset,
                "drift event produced to Kafka"
            );
            report.kafka_published = true;
        }
    }
    if let (true, Some(topic)) = (request.publish, &deps.notifications_topic_arn) {
        match crate::summary::publish(&deps.sns, topic, &report).await {
            Ok(_) => report.summary_published = true,
            Err(error) => tracing::warn!(%error, "the run summary was not posted"),
        }
    }
    let body = serde_json::to_vec_pretty(&report)
        .map_err(|e| DriftMonitorError::InvalidInput(format!("cannot encode the report: {e}")))?;
    crate::sink::put(deps, &report_uri, body).await?;
    emit_metrics(&report);
    tracing::info!(
        model = %report.model_name, rows = report.rows, status = ?report.status,
        drift_detected = report.drift_detected, drifted = ?report.drifted_features,
        report = %report.report_uri, "drift monitor run finished"
    );
    Ok(report)
}

async fn read_baseline(deps: &Deps, uri: &ObjectUri) -> Result<Baseline, DriftMonitorError> {
    let not_found = |uri| DriftMonitorError::BaselineNotFound { uri };
    let stream = storage::open(uri, Compression::infer(uri.file_name()), deps.s3.as_ref())
        .await
        .map_err(|e| DriftMonitorError::from_storage(e, not_found))?;
    let mut bytes = Vec::new();
    stream
        .take(MAX_BASELINE_BYTES + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| {
            DriftMonitorError::from_storage(StorageError::from_read(uri, &e), not_found)
        })?;
    let invalid = |detail: String| DriftMonitorError::InvalidBaseline {
        uri: uri.to_string(),
        detail,
    };
    if bytes.len() as u64 > MAX_BASELINE_BYTES {
        return Err(invalid(format!("larger than {MAX_BASELINE_BYTES} bytes")));
    }
    let baseline: Baseline = serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?;
    baseline.validate().map_err(invalid)?;
    Ok(baseline)
}

fn capture_error(
    location: &CaptureLocation,
    hour: DateTime<Utc>,
    error: StorageError,
) -> DriftMonitorError {
    DriftMonitorError::from_storage(error, |_| {
        DriftMonitorError::InvalidInput(format!(
            "the capture location of {} does not exist (no such bucket)",
            location.hour_folder(hour)
        ))
    })
}

/// Capture files read at once, at most (and at most one per core). Each S3 file reads ahead
/// `PARTS_IN_FLIGHT × PART_BYTES` (32 MiB), so this bounds the read-ahead to 128 MiB.
pub const MAX_FILES_IN_FLIGHT: usize = 4;

/// Counts `files` into `empty` (a tally with no counts): one task per file, up to
/// [`MAX_FILES_IN_FLIGHT`] at a time, each with its own tally, merged as they finish (counts are
/// integers, so the result does not depend on the order). Memory: a line buffer, a tally and
/// the stream's read-ahead per task.
pub async fn read_capture_files(
    deps: &Deps,
    empty: CaptureTally,
    files: Vec<ObjectUri>,
) -> Result<CaptureTally, DriftMonitorError> {
    let parallel = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(MAX_FILES_IN_FLIGHT);
    let mut tasks = futures::stream::iter(files)
        .map(|file| {
            let (deps, mut tally) = (deps.clone(), empty.clone());
            tokio::spawn(async move {
                read_capture_file(&deps, &file, &mut tally)
                    .await
                    .map(|()| tally)
            })
        })
        .buffer_unordered(parallel);
    let mut total = empty.clone();
    while let Some(joined) = tasks.next().await {
        let tally = joined.map_err(|e| {
            DriftMonitorError::StorageFailed(format!("a capture reader stopped: {e}"))
        })??;
        total.merge(tally);
    }
    Ok(total)
}

/// Streams one capture file into `tally`: the lines of each buffer the stream fills are counted
/// where they lie, and only a line cut by the buffer's end is copied (memory: the stream's
/// buffer and one line).
pub async fn read_capture_file(
    deps: &Deps,
    uri: &ObjectUri,
    tally: &mut CaptureTally,
) -> Result<(), DriftMonitorError> {
    let compression = Compression::infer(uri.file_name());
    if let (ObjectUri::File(path), Compression::None) = (uri, compression) {
        // A plain local file by blocking reads on a thread of its own: no copy through tokio's
        // file buffer, no hand-over per read.
        let (uri, path, mut work) = (uri.clone(), path.clone(), tally.clone());
        let counted = tokio::task::spawn_blocking(move || {
            read_local_capture_file(&uri, &path, &mut work).map(|()| work)
        })
        .await
        .map_err(|e| {
            DriftMonitorError::StorageFailed(format!("a capture reader stopped: {e}"))
        })??;
        *tally = counted;
        return Ok(());
    }
    let mut stream = storage::open(uri, compression, deps.s3.as_ref())
        .await
        .map_err(|e| DriftMonitorError::from_storage(e, gone))?;
    let mut lines = LineSplitter::default();
    loop {
        let buffer = match stream.fill_buf().await {
            Ok(buffer) => buffer,
            Err(e) => {
                return Err(DriftMonitorError::from_storage(
                    StorageError::from_read(uri, &e),
                    gone,
                ))
            }
        };
        if buffer.is_empty() {
            lines.finish(|line| tally.add_line(line));
            return Ok(());
        }
        let read = buffer.len();
        lines.feed(buffer, |line| tally.add_line(line));
        stream.consume(read);
    }
}

/// Bytes read at a time from a local capture file.
const LOCAL_READ_BYTES: usize = 1 << 20;

/// [`read_capture_file`] of a plain local file, by blocking reads (memory: the read buffer and
/// one line).
fn read_local_capture_file(
    uri: &ObjectUri,
    path: &std::path::Path,
    tally: &mut CaptureTally,
) -> Result<(), DriftMonitorError> {
    use std::io::Read;
    let failed = |e: StorageError| DriftMonitorError::from_storage(e, gone);
    let mut file = storage::open_file(uri, path).map_err(failed)?;
    let mut buffer = vec![0u8; LOCAL_READ_BYTES];
    let mut lines = LineSplitter::default();
    loop {
        match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => lines.feed(&buffer[..read], |line| tally.add_line(line)),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(failed(StorageError::from_read(uri, &e))),
        }
    }
    lines.finish(|line| tally.add_line(line));
    Ok(())
}

fn gone(uri: String) -> DriftMonitorError {
    DriftMonitorError::StorageFailed(format!("capture file {uri} vanished while reading"))
}

/// Cuts a byte stream fed in pieces into lines (without their `\n` or `\r\n`), holding only
/// the part of a line that a piece's end cut.
#[derive(Debug, Default)]
pub struct LineSplitter {
    partial: Vec<u8>,
}

impl LineSplitter {
    /// Calls `line` with every line that `piece` completes.
    pub fn feed(&mut self, piece: &[u8], mut line: impl FnMut(&[u8])) {
        let mut rest = piece;
        if !self.partial.is_empty() {
            let Some(end) = memchr::memchr(b'\n', rest) else {
                self.partial.extend_from_slice(rest);
                return;
            };
            self.partial.extend_from_slice(&rest[..end]);
            line(trim_cr(&self.partial));
            self.partial.clear();
            rest = &rest[end + 1..];
        }
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', rest) {
            line(trim_cr(&rest[start..end]));
            start = end + 1;
        }
        self.partial.extend_from_slice(&rest[start..]);
    }

    /// Calls `line` with the last line when the stream did not end with a line break.
    pub fn finish(&mut self, mut line: impl FnMut(&[u8])) {
        if !self.partial.is_empty() {
            line(trim_cr(&self.partial));
            self.partial.clear();
        }
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn emit_metrics(report: &MonitorReport) {
    let Ok(model) = MetricsLogger::new(crate::SERVICE).dimension("Model", &report.model_name)
    else {
        return;
    };
    {
        let mut run = model.clone();
        run.put("RowsMonitored", report.rows as f64, Unit::Count);
        run.put(
            "MalformedRecords",
            report.malformed_records as f64,
            Unit::Count,
        );
        run.put(
            "DriftDetected",
            f64::from(u8::from(report.drift_detected)),
            Unit::Count,
        );
        run.put(
            "FeaturesDrifted",
            report.drifted_features.len() as f64,
            Unit::Count,
        );
        run.put(
            "InsufficientData",
            f64::from(u8::from(report.status == Status::InsufficientData)),
            Unit::Count,
        );
        run.flush();
    }
    for score in report.scores() {
        if let Ok(mut feature) = model.clone().dimension("Feature", &score.feature) {
            feature.put("Psi", score.psi, Unit::None);
            if let Some(ks) = score.ks {
                feature.put("Ks", ks, Unit::None);
            }
            feature.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LineSplitter;

    #[test]
    fn lines_cut_anywhere_come_out_whole() {
        let text = b"{\"a\":1}\r\n\n{\"b\":22}\nlast";
        let whole: Vec<Vec<u8>> = vec![
            b"{\"a\":1}".to_vec(),
            b"".to_vec(),
            b"{\"b\":22}".to_vec(),
            b"last".to_vec(),
        ];
        for piece in 1..=text.len() {
            let mut got = Vec::new();
            let mut lines = LineSplitter::default();
            for chunk in text.chunks(piece) {
                lines.feed(chunk, |l| got.push(l.to_vec()));
            }
            lines.finish(|l| got.push(l.to_vec()));
            assert_eq!(got, whole, "pieces of {piece}");
        }
    }
}
