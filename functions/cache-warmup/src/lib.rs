//! `cache-warmup`: each morning, after the batch forecast has written its predictions, loads
//! the day's forecasts into the serving cache (a DynamoDB table) and warms the real-time
//! SageMaker endpoint.
//!
//! 1. The date comes from the event ([`input`]); the files from the event's `source_uri` or the
//!    configured `FORECAST_LOCATION` convention: one or many JSON Lines or CSV files, optionally
//!    gzip ([`source`]).
//! 2. The files are streamed line by line into items ([`record`]): the record's fields, the key,
//!    the date, the forecast version and a TTL. Nothing depends on the time of the run, so a
//!    rerun writes the same items. A malformed line is reported with its file and line and
//!    skipped or fatal, as configured. A key seen twice is written once (the first occurrence).
//! 3. Items go out in BatchWriteItem calls of 25, [`settings::Settings::write_concurrency`] at a
//!    time, with `UnprocessedItems` and throttling retried with back-off and full jitter
//!    ([`writer`], [`backoff`]).
//! 4. Optionally a few InvokeEndpoint calls warm the endpoint ([`endpoint`]).
//! 5. The result counts items read, written and failed; the run fails with a typed error when
//!    nothing is found for the date or when failures exceed `MAX_FAILURE_SHARE`. EMF metrics
//!    either way.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod backoff;
pub mod endpoint;
pub mod error;
pub mod input;
pub mod record;
pub mod settings;
pub mod source;
pub mod writer;

use backoff::{Jitter, RandomJitter, Sleeper, TokioSleeper};
use endpoint::EndpointWarmup;
use error::CacheWarmupError;
use futures::stream::{self, StreamExt};
use input::WarmupInput;
use record::{CsvHeader, Format, Item, ItemContext};
use serde::{Deserialize, Serialize};
use settings::{MalformedPolicy, Settings};
use shared::metrics::{MetricsLogger, Unit};
use shared::storage::{self, StorageError};
use source::{Fnv, Listing, SkippedFile, SourceFile};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncBufReadExt;
use writer::{BatchOutcome, Writer, BATCH_SIZE};

/// The function's name: the `Service` metric dimension.
pub const SERVICE: &str = "cache-warmup";
/// How many problems (malformed lines, failed writes) the result and the error list.
pub const MAX_REPORTED_PROBLEMS: usize = 20;

/// What the handler needs, built once per cold start.
#[derive(Debug, Clone)]
pub struct Deps {
    s3: Option<aws_sdk_s3::Client>,
    dynamodb: aws_sdk_dynamodb::Client,
    sagemaker: Option<aws_sdk_sagemakerruntime::Client>,
    settings: Settings,
    sleeper: Arc<dyn Sleeper>,
    jitter: Arc<dyn Jitter>,
}

impl Deps {
    /// Clients from the standard AWS configuration (honours `AWS_ENDPOINT_URL`), settings from
    /// the environment.
    pub async fn from_env() -> Result<Self, CacheWarmupError> {
        let settings = Settings::from_env()?;
        let config = shared::aws::load_config().await;
        Ok(Self::new(&config, settings))
    }

    /// Clients from `config`. DynamoDB's own retries are off: [`writer`] retries with full
    /// jitter and counts what it retries. The SageMaker client makes one attempt per call, so
    /// the reported latencies are the endpoint's.
    pub fn new(config: &aws_config::SdkConfig, settings: Settings) -> Self {
        let dynamodb = aws_sdk_dynamodb::config::Builder::from(config)
            .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
            .timeout_config(shared::aws::call_timeouts(Duration::from_secs(10), None))
            .build();
        let sagemaker = settings.endpoint.as_ref().map(|_| {
            let conf = aws_sdk_sagemakerruntime::config::Builder::from(config)
                .retry_config(aws_sdk_sagemakerruntime::config::retry::RetryConfig::disabled())
                .timeout_config(shared::aws::call_timeouts(Duration::from_secs(65), None))
                .build();
            aws_sdk_sagemakerruntime::Client::from_conf(conf)
        });
        Self::with_clients(
            aws_sdk_dynamodb::Client::from_conf(dynamodb),
            Some(shared::aws::s3_client(config)),
            sagemaker,
            settings,
        )
    }

    /// Dependencies with the given clients (no S3 client: `file://` sources only).
    pub fn with_clients(
        dynamodb: aws_sdk_dynamodb::Client,
        s3: Option<aws_sdk_s3::Client>,
        sagemaker: Option<aws_sdk_sagemakerruntime::Client>,
        settings: Settings,
    ) -> Self {
        Self {
            s3,
            dynamodb,
            sagemaker,
            settings,
            sleeper: Arc::new(TokioSleeper),
            jitter: Arc::new(RandomJitter::default()),
        }
    }

    /// The same dependencies waiting through `sleeper` between retries.
    pub fn with_sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self
    }

    /// The same dependencies drawing back-off jitter from `jitter`.
    pub fn with_jitter(mut self, jitter: Arc<dyn Jitter>) -> Self {
        self.jitter = jitter;
        self
    }

    /// The settings in use.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }
}

/// A malformed line or an item that could not be written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Problem {
    /// The file (empty for a write failure).
    pub uri: String,
    /// The 1-based line (0 for a write failure).
    pub line: u64,
    /// What went wrong.
    pub reason: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.uri.is_empty() {
            write!(f, "{}", self.reason)
        } else {
            write!(f, "{} line {}: {}", self.uri, self.line, self.reason)
        }
    }
}

/// The result of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WarmupOutput {
    /// The forecast date.
    pub date: String,
    /// Data records read (blank lines and CSV headers excluded).
    pub items_read: u64,
    /// Items the cache table accepted.
    pub items_written: u64,
    /// Items not written: malformed lines plus writes given up on.
    pub items_failed: u64,
    /// Forecast files read.
    pub files: u64,
    /// Wall time of the run, in milliseconds.
    pub duration_ms: u64,
    /// The endpoint warm-up, when an endpoint is configured.
    pub endpoint_warmup: Option<EndpointWarmup>,
    /// Where the forecasts were read.
    pub source: String,
    /// The cache table.
    pub table: String,
    /// The version stamped on the items.
    pub forecast_version: String,
    /// The items' TTL (epoch seconds).
    pub expires_at: i64,
    /// Of the failed items, the malformed lines.
    pub malformed_lines: u64,
    /// Records whose key was already read in this run (not written again, not failures).
    pub duplicate_keys: u64,
    /// BatchWriteItem (and PutItem) calls made.
    pub write_requests: u64,
    /// Calls retried after throttling.
    pub throttled_requests: u64,
    /// Items that came back in `UnprocessedItems` (once per time they did).
    pub unprocessed_retries: u64,
    /// The first problems, with file and line.
    pub problems: Vec<Problem>,
    /// Files under the location that are not forecasts.
    pub skipped_files: Vec<SkippedFile>,
}

/// The Lambda entry point: decodes the event, then [`warm`]s.
pub async fn handle(
    deps: &Deps,
    event: serde_json::Value,
) -> Result<WarmupOutput, CacheWarmupError> {
    warm(deps, WarmupInput::from_event(event)?).await
}

/// Loads the forecasts `input` names into the cache and warms the endpoint.
pub async fn warm(deps: &Deps, input: WarmupInput) -> Result<WarmupOutput, CacheWarmupError> {
    let started = Instant::now();
    let settings = &deps.settings;
    let date = input.resolve_date(settings.time_zone)?;
    let date_text = date.format("%Y-%m-%d").to_string();
    let version = input.version()?;
    let location = match input.source_uri.as_deref().map(str::trim) {
        Some(uri) if !uri.is_empty() => uri.to_string(),
        _ => settings.location_for(date).ok_or_else(|| {
            CacheWarmupError::Configuration(
                "FORECAST_LOCATION is not set and the event names no source_uri".to_string(),
            )
        })?,
    };
    let on_malformed = input.on_malformed.unwrap_or(settings.on_malformed);
    let expires_at = date
        .and_hms_opt(0, 0, 0)
        .map(|midnight| midnight.and_utc().timestamp())
        .unwrap_or_default()
        + i64::from(settings.ttl_days) * 86_400;
    tracing::info!(date = %date_text, source = %location, table = %settings.table_name, trigger = ?input.trigger, "cache warm-up started");

    let loaded = load(
        deps,
        &date_text,
        &location,
        version,
        expires_at,
        on_malformed,
    )
    .await;
    let warmup = match (&settings.endpoint, &deps.sagemaker) {
        (Some(request), Some(client)) if request.requests > 0 => {
            Some(endpoint::warm_up(client, request).await)
        }
        _ => None,
    };
    let duration = started.elapsed();
    let mut output = match loaded {
        Ok(output) => output,
        Err(error) => {
            emit_failure_metrics(warmup.as_ref());
            if let Some(w) = &warmup {
                tracing::info!(endpoint = %w.endpoint_name, succeeded = w.succeeded, failed = w.failed, "endpoint warmed despite the failed load");
            }
            return Err(error);
        }
    };
    output.duration_ms = duration.as_millis() as u64;
    output.endpoint_warmup = warmup;
    emit_metrics(&output, duration);
    tracing::info!(
        date = %output.date, items_read = output.items_read, items_written = output.items_written,
        items_failed = output.items_failed, duplicate_keys = output.duplicate_keys, files = output.files,
        throttled_requests = output.throttled_requests, duration_ms = output.duration_ms,
        "cache warm-up finished"
    );
    check_failures(&output, settings.max_failure_share)?;
    if let Some(w) = &output.endpoint_warmup {
        if w.requests > 0 && w.succeeded == 0 {
            return Err(CacheWarmupError::EndpointWarmupFailed {
                written: output.items_written,
                detail: w.first_error.clone().unwrap_or_default(),
            });
        }
    }
    Ok(output)
}

/// Fails the run when the failed items exceed `allowed` of the items read.
pub fn check_failures(output: &WarmupOutput, allowed: f64) -> Result<(), CacheWarmupError> {
    if output.items_failed == 0 || output.items_read == 0 {
        return Ok(());
    }
    let share = output.items_failed as f64 / output.items_read as f64;
    if share <= allowed {
        return Ok(());
    }
    Err(CacheWarmupError::TooManyFailures {
        date: output.date.clone(),
        read: output.items_read,
        written: output.items_written,
        failed: output.items_failed,
        malformed: output.malformed_lines,
        share,
        allowed,
        samples: output
            .problems
            .iter()
            .take(5)
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "),
    })
}

/// What the reading side counted.
#[derive(Debug, Default)]
struct ReadState {
    files: u64,
    items_read: u64,
    malformed: u64,
    duplicates: u64,
    problems: Vec<Problem>,
    seen: HashSet<u64>,
    batch: Vec<Item>,
    writer_stopped: bool,
}

/// Lists, streams, parses and writes; the counts of the result (without warm-up and duration).
async fn load(
    deps: &Deps,
    date: &str,
    location: &str,
    version: Option<String>,
    expires_at: i64,
    on_malformed: MalformedPolicy,
) -> Result<WarmupOutput, CacheWarmupError> {
    let settings = &deps.settings;
    let listing: Listing = source::list(location, deps.s3.as_ref())
        .await
        .map_err(|e| CacheWarmupError::from_storage(date, e))?;
    for skipped in &listing.skipped {
        tracing::warn!(uri = %skipped.uri, reason = %skipped.reason, "file skipped");
    }
    if listing.files.is_empty() {
        return Err(CacheWarmupError::ForecastsNotFound {
            date: date.to_string(),
            location: location.to_string(),
            detail: format!("no forecast files ({} other files)", listing.skipped.len()),
        });
    }
    let context = ItemContext {
        key_fields: settings.key_fields.clone(),
        date: date.to_string(),
        version: version.unwrap_or_else(|| listing.content_version()),
        expires_at,
    };

    let (sender, receiver) =
        tokio::sync::mpsc::channel::<Vec<Item>>(settings.write_concurrency * 2);
    let writer = Writer {
        client: deps.dynamodb.clone(),
        table: Arc::from(settings.table_name.as_str()),
        backoff: settings.backoff,
        sleeper: deps.sleeper.clone(),
        jitter: deps.jitter.clone(),
    };
    let concurrency = settings.write_concurrency;
    let consumer = tokio::spawn(async move {
        let mut total = BatchOutcome::default();
        let results = stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|batch| (batch, receiver))
        })
        .map(|batch| {
            let writer = writer.clone();
            async move { writer.write_batch(batch).await }
        })
        .buffer_unordered(concurrency);
        let mut results = std::pin::pin!(results);
        while let Some(result) = results.next().await {
            match result {
                Ok(outcome) => total.merge(outcome, MAX_REPORTED_PROBLEMS),
                Err(failure) => return Err(failure),
            }
        }
        Ok(total)
    });

    let mut state = ReadState::default();
    let mut read_error = None;
    for file in &listing.files {
        if let Err(error) = read_file(deps, file, &context, on_malformed, &mut state, &sender).await
        {
            read_error = Some(error);
            break;
        }
        if state.writer_stopped {
            break;
        }
    }
    if read_error.is_none() && !state.batch.is_empty() {
        let batch = std::mem::take(&mut state.batch);
        let _ = sender.send(batch).await;
    }
    drop(sender);
    let written = consumer
        .await
        .map_err(|e| CacheWarmupError::CacheWriteFailed(format!("the writer task stopped: {e}")))?
        .map_err(|failure| CacheWarmupError::CacheWriteFailed(failure.to_string()))?;
    if let Some(error) = read_error {
        return Err(error);
    }
    if state.items_read == 0 {
        return Err(CacheWarmupError::ForecastsNotFound {
            date: date.to_string(),
            location: location.to_string(),
            detail: format!("{} files hold no records", state.files),
        });
    }
    let mut problems = state.problems;
    let room = MAX_REPORTED_PROBLEMS.saturating_sub(problems.len());
    problems.extend(
        written
            .problems
            .into_iter()
            .take(room)
            .map(|reason| Problem {
                uri: String::new(),
                line: 0,
                reason,
            }),
    );
    Ok(WarmupOutput {
        date: date.to_string(),
        items_read: state.items_read,
        items_written: written.written,
        items_failed: state.malformed + written.failed,
        files: state.files,
        duration_ms: 0,
        endpoint_warmup: None,
        source: location.to_string(),
        table: settings.table_name.clone(),
        forecast_version: context.version,
        expires_at,
        malformed_lines: state.malformed,
        duplicate_keys: state.duplicates,
        write_requests: written.requests,
        throttled_requests: written.throttled,
        unprocessed_retries: written.unprocessed,
        problems,
        skipped_files: listing.skipped,
    })
}

/// Streams one file into batches on `sender`.
async fn read_file(
    deps: &Deps,
    file: &SourceFile,
    context: &ItemContext,
    on_malformed: MalformedPolicy,
    state: &mut ReadState,
    sender: &tokio::sync::mpsc::Sender<Vec<Item>>,
) -> Result<(), CacheWarmupError> {
    let uri = file.uri.to_string();
    let mut stream = storage::open(&file.uri, file.compression, deps.s3.as_ref())
        .await
        .map_err(|e| CacheWarmupError::from_storage(&context.date, e))?;
    state.files += 1;
    let mut line = Vec::with_capacity(4096);
    let mut line_number: u64 = 0;
    let mut header: Option<CsvHeader> = None;
    loop {
        line.clear();
        let read = stream.read_until(b'\n', &mut line).await.map_err(|e| {
            CacheWarmupError::from_storage(&context.date, StorageError::from_read(&file.uri, &e))
        })?;
        if read == 0 {
            return Ok(());
        }
        line_number += 1;
        let mut text = line.as_slice();
        if line_number == 1 {
            text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
        }
        while let Some((last, rest)) = text.split_last() {
            if *last == b'\n' || *last == b'\r' {
                text = rest;
            } else {
                break;
            }
        }
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed = match file.format {
            Format::Jsonl => record::jsonl_item(text, context),
            Format::Csv => match &header {
                Some(header) => record::csv_item(text, header, context),
                None => {
                    // Without its header no line of the file can be read: fatal whatever the policy.
                    let parsed = CsvHeader::parse(text, context).map_err(|reason| {
                        CacheWarmupError::MalformedRecord {
                            uri: uri.clone(),
                            line: line_number,
                            reason,
                        }
                    })?;
                    header = Some(parsed);
                    continue;
                }
            },
        };
        state.items_read += 1;
        match parsed {
            Ok(item) => {
                if !state
                    .seen
                    .insert(Fnv::hash(record::partition_key(&item).as_bytes()))
                {
                    state.duplicates += 1;
                    if state.duplicates <= 5 {
                        tracing::warn!(uri = %uri, line = line_number, key = record::partition_key(&item), "duplicate key: the first occurrence is kept");
                    }
                    continue;
                }
                state.batch.push(item);
                if state.batch.len() == BATCH_SIZE {
                    let batch = std::mem::replace(&mut state.batch, Vec::with_capacity(BATCH_SIZE));
                    if sender.send(batch).await.is_err() {
                        // The writer stopped on a fatal error; it reports it.
                        state.writer_stopped = true;
                        return Ok(());
                    }
                }
            }
            Err(reason) => {
                state.malformed += 1;
                tracing::warn!(uri = %uri, line = line_number, reason = %reason, "malformed forecast record");
                if on_malformed == MalformedPolicy::Fail {
                    return Err(CacheWarmupError::MalformedRecord {
                        uri,
                        line: line_number,
                        reason,
                    });
                }
                if state.problems.len() < MAX_REPORTED_PROBLEMS {
                    state.problems.push(Problem {
                        uri: uri.clone(),
                        line: line_number,
                        reason,
                    });
                }
            }
        }
    }
}

fn emit_metrics(output: &WarmupOutput, elapsed: Duration) {
    let mut metrics = MetricsLogger::new(SERVICE);
    metrics.property("ForecastDate", output.date.clone());
    metrics.put("ItemsRead", output.items_read as f64, Unit::Count);
    metrics.put("ItemsWritten", output.items_written as f64, Unit::Count);
    metrics.put("ItemsFailed", output.items_failed as f64, Unit::Count);
    metrics.put("MalformedLines", output.malformed_lines as f64, Unit::Count);
    metrics.put("DuplicateKeys", output.duplicate_keys as f64, Unit::Count);
    metrics.put("ForecastFiles", output.files as f64, Unit::Count);
    metrics.put(
        "ThrottledRequests",
        output.throttled_requests as f64,
        Unit::Count,
    );
    let seconds = elapsed.as_secs_f64();
    metrics.put("LoadDuration", seconds * 1000.0, Unit::Milliseconds);
    if seconds > 0.0 {
        metrics.put(
            "ItemsWrittenPerSecond",
            output.items_written as f64 / seconds,
            Unit::CountPerSecond,
        );
    }
    put_warmup_metrics(&mut metrics, output.endpoint_warmup.as_ref());
    metrics.flush();
}

fn emit_failure_metrics(warmup: Option<&EndpointWarmup>) {
    let mut metrics = MetricsLogger::new(SERVICE);
    metrics.put("LoadFailed", 1.0, Unit::Count);
    put_warmup_metrics(&mut metrics, warmup);
    metrics.flush();
}

fn put_warmup_metrics(metrics: &mut MetricsLogger, warmup: Option<&EndpointWarmup>) {
    if let Some(w) = warmup {
        for latency in &w.latencies_ms {
            metrics.put("EndpointWarmupLatency", *latency, Unit::Milliseconds);
        }
        metrics.put("EndpointWarmupFailures", f64::from(w.failed), Unit::Count);
    }
}
