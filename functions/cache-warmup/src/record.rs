//! Forecast records to cache items: pure parsing, no I/O.
//!
//! A JSON Lines record is one JSON object per line; a CSV file has a header line and one record
//! per line (quoted fields are supported, fields spanning lines are not). Every field of the
//! record becomes an attribute of the item (JSON types map to DynamoDB types; CSV values that are
//! JSON numbers become numbers, empty CSV values are left out), and the item gets the cache's own
//! attributes, which win over record fields of the same name:
//!
//! | attribute | value |
//! |---|---|
//! | [`PARTITION_KEY`] (`pk`) | the key fields' values joined by `#` |
//! | [`SORT_KEY`] (`forecast_date`) | the forecast date, `YYYY-MM-DD` |
//! | [`VERSION_ATTRIBUTE`] (`forecast_version`) | the forecast version |
//! | [`TTL_ATTRIBUTE`] (`expires_at`) | epoch seconds: midnight UTC of the date plus the TTL days |
//!
//! Nothing in an item depends on when it is written, so a rerun writes the same items.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;
use std::collections::HashMap;

/// The table's partition key: the forecast key (e.g. the item or store-item id).
pub const PARTITION_KEY: &str = "pk";
/// The table's sort key: the forecast date.
pub const SORT_KEY: &str = "forecast_date";
/// The attribute holding the forecast version.
pub const VERSION_ATTRIBUTE: &str = "forecast_version";
/// The table's TTL attribute (epoch seconds).
pub const TTL_ATTRIBUTE: &str = "expires_at";
/// DynamoDB's item size limit.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
/// Separator between the values of several key fields.
pub const KEY_SEPARATOR: char = '#';

/// A cache item: attribute name to value.
pub type Item = HashMap<String, AttributeValue>;

/// The layout of a forecast file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// One JSON object per line (`.jsonl`, `.ndjson`, `.json`, batch transform `.out`).
    Jsonl,
    /// A header line, then one record per line (`.csv`).
    Csv,
}

impl Format {
    /// The format a file name says, ignoring a `.gz` / `.gzip` suffix; `None` when unknown.
    pub fn infer(file_name: &str) -> Option<Format> {
        let lower = file_name.to_ascii_lowercase();
        let stem = lower
            .strip_suffix(".gz")
            .or_else(|| lower.strip_suffix(".gzip"))
            .unwrap_or(&lower);
        let extension = stem.rsplit_once('.').map(|(_, e)| e)?;
        match extension {
            "jsonl" | "ndjson" | "json" | "out" => Some(Format::Jsonl),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// What every item of one run shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemContext {
    /// The record fields whose values make the partition key, in order.
    pub key_fields: Vec<String>,
    /// The forecast date, `YYYY-MM-DD`.
    pub date: String,
    /// The forecast version.
    pub version: String,
    /// The TTL, epoch seconds.
    pub expires_at: i64,
}

/// A record that cannot become an item, and why.
pub type Malformed = String;

/// Builds the item of a JSON Lines `line` (without its line break).
pub fn jsonl_item(line: &[u8], context: &ItemContext) -> Result<Item, Malformed> {
    let value: Value = serde_json::from_slice(line).map_err(|e| format!("not valid JSON: {e}"))?;
    let Value::Object(fields) = value else {
        return Err(format!(
            "expected a JSON object, got {}",
            shared::json::kind(&value)
        ));
    };
    let mut key_parts = Vec::with_capacity(context.key_fields.len());
    for field in &context.key_fields {
        match fields.get(field) {
            Some(Value::String(s)) if !s.is_empty() => key_parts.push(s.clone()),
            Some(Value::Number(n)) => key_parts.push(n.to_string()),
            Some(other) if !other.is_null() && !matches!(other, Value::String(_)) => {
                return Err(format!(
                    "key field {field:?} must be a string or a number, got {}",
                    shared::json::kind(other)
                ))
            }
            _ => return Err(format!("key field {field:?} is missing or empty")),
        }
    }
    let mut item: Item = fields
        .into_iter()
        .map(|(name, value)| (name, attribute(value)))
        .collect();
    finish(&mut item, key_parts, context)?;
    Ok(item)
}

/// The columns of a CSV file, from its header line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvHeader {
    columns: Vec<String>,
    key_indexes: Vec<usize>,
}

impl CsvHeader {
    /// Parses the header `line`; every key field must be one of its columns.
    pub fn parse(line: &[u8], context: &ItemContext) -> Result<Self, Malformed> {
        let columns: Vec<String> = split_csv_line(line)?
            .into_iter()
            .map(|c| c.trim().to_string())
            .collect();
        let mut key_indexes = Vec::with_capacity(context.key_fields.len());
        for field in &context.key_fields {
            let index = columns.iter().position(|c| c == field).ok_or_else(|| {
                format!(
                    "header has no key column {field:?}; columns: {}",
                    columns.join(", ")
                )
            })?;
            key_indexes.push(index);
        }
        Ok(Self {
            columns,
            key_indexes,
        })
    }

    /// The column names.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }
}

/// Builds the item of a CSV data `line` (without its line break).
pub fn csv_item(line: &[u8], header: &CsvHeader, context: &ItemContext) -> Result<Item, Malformed> {
    let fields = split_csv_line(line)?;
    if fields.len() != header.columns.len() {
        return Err(format!(
            "{} fields, the header has {}",
            fields.len(),
            header.columns.len()
        ));
    }
    let mut key_parts = Vec::with_capacity(header.key_indexes.len());
    for &index in &header.key_indexes {
        let value = fields[index].trim();
        if value.is_empty() {
            return Err(format!("key field {:?} is empty", header.columns[index]));
        }
        key_parts.push(value.to_string());
    }
    let mut item: Item = HashMap::with_capacity(fields.len() + 4);
    for (name, value) in header.columns.iter().zip(fields) {
        if value.is_empty() {
            continue;
        }
        item.insert(name.clone(), csv_attribute(value));
    }
    finish(&mut item, key_parts, context)?;
    Ok(item)
}

fn finish(item: &mut Item, key_parts: Vec<String>, context: &ItemContext) -> Result<(), Malformed> {
    let key = key_parts.join(&KEY_SEPARATOR.to_string());
    item.insert(PARTITION_KEY.to_string(), AttributeValue::S(key));
    item.insert(
        SORT_KEY.to_string(),
        AttributeValue::S(context.date.clone()),
    );
    item.insert(
        VERSION_ATTRIBUTE.to_string(),
        AttributeValue::S(context.version.clone()),
    );
    item.insert(
        TTL_ATTRIBUTE.to_string(),
        AttributeValue::N(context.expires_at.to_string()),
    );
    let size = item_size(item);
    if size > MAX_ITEM_BYTES {
        return Err(format!(
            "item is {size} bytes, over DynamoDB's {MAX_ITEM_BYTES}"
        ));
    }
    Ok(())
}

/// The partition key value of an item built by this module.
pub fn partition_key(item: &Item) -> &str {
    match item.get(PARTITION_KEY) {
        Some(AttributeValue::S(key)) => key,
        _ => "",
    }
}

/// A JSON value as a DynamoDB attribute (numbers keep their text).
pub fn attribute(value: Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s),
        Value::Array(values) => AttributeValue::L(values.into_iter().map(attribute).collect()),
        Value::Object(fields) => AttributeValue::M(
            fields
                .into_iter()
                .map(|(name, value)| (name, attribute(value)))
                .collect(),
        ),
    }
}

/// A CSV value: a number when it is a JSON number (so `007` or `1e400` stay strings), else a string.
fn csv_attribute(value: String) -> AttributeValue {
    let trimmed = value.trim();
    let numeric = !trimmed.is_empty()
        && trimmed
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        && matches!(serde_json::from_str::<Value>(trimmed), Ok(Value::Number(n)) if n.as_f64().is_some_and(f64::is_finite));
    if numeric {
        AttributeValue::N(trimmed.to_string())
    } else {
        AttributeValue::S(value)
    }
}

/// DynamoDB's size of an item: names plus values (an estimate for numbers, exact otherwise).
pub fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => n.len().div_ceil(2) + 1,
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::L(values) => 3 + values.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(fields) => {
            3 + fields
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Ns(v) => v.iter().map(|n| n.len().div_ceil(2) + 1).sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| b.as_ref().len()).sum(),
        _ => 0,
    }
}

/// Splits one CSV line into its (unquoted) fields: RFC 4180 as `csv-core` reads it. A line
/// without quotes or carriage returns, the usual forecast row, is split on commas directly:
/// building a `csv-core` reader (its DFA) per line cost more than the rest of the item.
pub fn split_csv_line(line: &[u8]) -> Result<Vec<String>, Malformed> {
    if !line.is_empty() && memchr::memchr2(b'"', b'\r', line).is_none() {
        return line
            .split(|&b| b == b',')
            .enumerate()
            .map(|(index, field)| field_text(index, field))
            .collect();
    }
    split_with_csv_core(line)
}

/// The general path of [`split_csv_line`]: quotes, escaped quotes and carriage returns.
fn split_with_csv_core(line: &[u8]) -> Result<Vec<String>, Malformed> {
    let mut reader = csv_core::Reader::new();
    let mut input = line;
    let mut output = vec![0u8; line.len() + 1];
    let mut ends = vec![0usize; 32];
    let (mut out_len, mut ends_len) = (0, 0);
    loop {
        let (result, read, written, ended) =
            reader.read_record(input, &mut output[out_len..], &mut ends[ends_len..]);
        input = &input[read..];
        out_len += written;
        ends_len += ended;
        match result {
            csv_core::ReadRecordResult::InputEmpty => {
                // The next call, with no input left, ends the record.
            }
            csv_core::ReadRecordResult::OutputFull => output.resize(output.len() * 2, 0),
            csv_core::ReadRecordResult::OutputEndsFull => ends.resize(ends.len() * 2, 0),
            csv_core::ReadRecordResult::Record | csv_core::ReadRecordResult::End => break,
        }
    }
    let mut fields = Vec::with_capacity(ends_len);
    let mut start = 0;
    for &end in &ends[..ends_len] {
        fields.push(field_text(fields.len(), &output[start..end])?);
        start = end;
    }
    Ok(fields)
}

/// Field `index` (from 0) of a record as text.
fn field_text(index: usize, field: &[u8]) -> Result<String, Malformed> {
    std::str::from_utf8(field)
        .map(str::to_string)
        .map_err(|e| format!("field {} is not UTF-8: {e}", index + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(keys: &[&str]) -> ItemContext {
        ItemContext {
            key_fields: keys.iter().map(|k| k.to_string()).collect(),
            date: "2026-11-27".into(),
            version: "v7".into(),
            expires_at: 1_795_996_800,
        }
    }

    #[test]
    fn formats_are_inferred_from_the_name_under_a_gzip_suffix() {
        assert_eq!(Format::infer("part-0001.jsonl.gz"), Some(Format::Jsonl));
        assert_eq!(Format::infer("PART.CSV"), Some(Format::Csv));
        assert_eq!(Format::infer("input.jsonl.out"), Some(Format::Jsonl));
        assert_eq!(Format::infer("_SUCCESS"), None);
        assert_eq!(Format::infer("data.parquet"), None);
    }

    #[test]
    fn a_jsonl_record_keeps_its_fields_and_gets_the_cache_attributes() {
        let item = jsonl_item(
            br#"{"store_id": 12, "item_id": "A-1", "p50": 3.5, "quantiles": [1, 2], "meta": {"ok": true}, "note": null}"#,
            &context(&["store_id", "item_id"]),
        )
        .unwrap();
        assert_eq!(item[PARTITION_KEY], AttributeValue::S("12#A-1".into()));
        assert_eq!(item[SORT_KEY], AttributeValue::S("2026-11-27".into()));
        assert_eq!(item[VERSION_ATTRIBUTE], AttributeValue::S("v7".into()));
        assert_eq!(item[TTL_ATTRIBUTE], AttributeValue::N("1795996800".into()));
        assert_eq!(item["p50"], AttributeValue::N("3.5".into()));
        assert_eq!(
            item["quantiles"],
            AttributeValue::L(vec![
                AttributeValue::N("1".into()),
                AttributeValue::N("2".into())
            ])
        );
        assert_eq!(item["note"], AttributeValue::Null(true));
        assert!(matches!(item["meta"], AttributeValue::M(_)));
    }

    #[test]
    fn jsonl_records_without_their_key_or_not_objects_are_malformed() {
        let ctx = context(&["item_id"]);
        for (line, expected) in [
            (&br#"{"p50": 1}"#[..], "key field \"item_id\" is missing"),
            (br#"{"item_id": ""}"#, "missing or empty"),
            (br#"{"item_id": [1]}"#, "must be a string or a number"),
            (br#"[1, 2]"#, "expected a JSON object, got an array"),
            (br#"{"item_id": "A", "p50": "#, "not valid JSON"),
        ] {
            let reason = jsonl_item(line, &ctx).unwrap_err();
            assert!(reason.contains(expected), "{reason}");
        }
    }

    #[test]
    fn csv_lines_are_split_with_quotes_and_typed() {
        let ctx = context(&["item_id"]);
        let header = CsvHeader::parse(b"item_id,p50,label,zip,empty", &ctx).unwrap();
        let item = csv_item(br#""A,1",12.5,"say ""hi""",007,"#, &header, &ctx).unwrap();
        assert_eq!(item[PARTITION_KEY], AttributeValue::S("A,1".into()));
        assert_eq!(item["p50"], AttributeValue::N("12.5".into()));
        assert_eq!(item["label"], AttributeValue::S("say \"hi\"".into()));
        assert_eq!(item["zip"], AttributeValue::S("007".into()));
        assert!(!item.contains_key("empty"));
    }

    proptest::proptest! {
        #[test]
        fn quote_free_lines_split_as_csv_core_splits_them(
            line in proptest::collection::vec(
                proptest::sample::select(b"ab1,.- \xc3\xa9\xff".to_vec()), 0..40)
        ) {
            proptest::prop_assert_eq!(split_csv_line(&line), split_with_csv_core(&line));
        }
    }

    #[test]
    fn csv_problems_are_malformed_with_the_reason() {
        let ctx = context(&["item_id"]);
        let header = CsvHeader::parse(b"item_id,p50", &ctx).unwrap();
        assert!(csv_item(b"A,1,2", &header, &ctx)
            .unwrap_err()
            .contains("3 fields, the header has 2"));
        assert!(csv_item(b",1", &header, &ctx)
            .unwrap_err()
            .contains("is empty"));
        assert!(CsvHeader::parse(b"sku,p50", &ctx)
            .unwrap_err()
            .contains("no key column"));
    }

    #[test]
    fn oversized_items_are_malformed() {
        let big = "x".repeat(MAX_ITEM_BYTES);
        let line = format!(r#"{{"item_id": "A", "blob": "{big}"}}"#);
        assert!(jsonl_item(line.as_bytes(), &context(&["item_id"]))
            .unwrap_err()
            .contains("over DynamoDB's"));
    }

    #[test]
    fn the_same_record_always_makes_the_same_item() {
        let ctx = context(&["item_id"]);
        let line = br#"{"item_id": "A", "p50": 1.25}"#;
        assert_eq!(jsonl_item(line, &ctx), jsonl_item(line, &ctx));
    }
}
