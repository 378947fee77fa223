//! A fast reader for the usual capture record: one pass over the line that checks it is JSON and
//! finds the three strings of each payload, without serde's per-field machinery (which was about
//! a quarter of the monitor's time under `perf`).
//!
//! It only ever says "this line is the record serde would read, with these strings" or "not
//! sure": a line with a backslash anywhere (an escaped string needs unescaping), a `null` where a
//! payload or one of its strings goes, a repeated field, a struct written as an array, nesting
//! deeper than [`MAX_DEPTH`], or anything that is not JSON gets `None`, and the caller reads it
//! with `serde_json` as before. Every line it accepts is one that `serde_json` accepts with the
//! same strings (the tests check this against `serde_json` on generated and damaged records).

/// Nesting accepted (`serde_json` allows 128).
pub const MAX_DEPTH: usize = 64;

/// The strings of one payload (`endpointInput` or `endpointOutput`), borrowed from the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawPayload<'a> {
    /// `observedContentType`, when present.
    pub content_type: Option<&'a str>,
    /// `data`.
    pub data: &'a str,
    /// `encoding`.
    pub encoding: &'a str,
}

/// The payloads of one capture record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RawRecord<'a> {
    /// `captureData.endpointInput`, when present.
    pub input: Option<RawPayload<'a>>,
    /// `captureData.endpointOutput`, when present.
    pub output: Option<RawPayload<'a>>,
}

/// Reads `line` as a capture record; `None` when not sure (see the module's documentation).
pub fn scan_record(line: &str) -> Option<RawRecord<'_>> {
    // One branch-free pass over the line: a backslash anywhere, and whether any control
    // character (tabs and line breaks between tokens included) needs looking for in the
    // strings.
    let seen = line.bytes().fold(0u8, |seen, b| {
        seen | u8::from(b == b'\\') | (u8::from(b < 0x20) << 1)
    });
    if seen & 1 != 0 {
        return None;
    }
    let control = seen & 2 != 0;
    let mut s = Scanner {
        text: line,
        bytes: line.as_bytes(),
        at: 0,
        depth: 0,
        control,
    };
    let mut record = None;
    s.object(|s, key| {
        if key == "captureData" && record.is_none() {
            record = Some(s.capture_data()?);
            Some(())
        } else if key == "captureData" {
            None
        } else {
            s.skip_value()
        }
    })?;
    s.whitespace();
    (s.at == s.bytes.len()).then_some(())?;
    record
}

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    depth: usize,
    /// Whether the line has control characters (else strings need no check for them).
    control: bool,
}

impl<'a> Scanner<'a> {
    fn whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    /// Skips white space, then consumes `byte` if it comes next.
    fn eat(&mut self, byte: u8) -> bool {
        self.whitespace();
        let next = self.bytes.get(self.at) == Some(&byte);
        self.at += usize::from(next);
        next
    }

    /// A string (the line has no backslash, so the next quote ends it); control characters
    /// are not JSON.
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"').then_some(())?;
        let start = self.at;
        let len = memchr::memchr(b'"', &self.bytes[start..])?;
        let content = &self.bytes[start..start + len];
        if self.control && content.iter().any(|&b| b < 0x20) {
            return None;
        }
        self.at = start + len + 1;
        // Quotes are ASCII, so both ends are character boundaries.
        self.text.get(start..start + len)
    }

    /// An object: calls `field` with each key, the scanner then before the value, which
    /// `field` must consume.
    fn object(&mut self, mut field: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.eat(b'{').then_some(())?;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        if !self.eat(b'}') {
            loop {
                let key = self.string()?;
                self.eat(b':').then_some(())?;
                field(self, key)?;
                if self.eat(b'}') {
                    break;
                }
                self.eat(b',').then_some(())?;
            }
        }
        self.depth -= 1;
        Some(())
    }

    fn capture_data(&mut self) -> Option<RawRecord<'a>> {
        let mut record = RawRecord::default();
        let (mut input_seen, mut output_seen) = (false, false);
        self.object(|s, key| match key {
            "endpointInput" if !input_seen => {
                input_seen = true;
                record.input = Some(s.payload()?);
                Some(())
            }
            "endpointOutput" if !output_seen => {
                output_seen = true;
                record.output = Some(s.payload()?);
                Some(())
            }
            "endpointInput" | "endpointOutput" => None,
            _ => s.skip_value(),
        })?;
        Some(record)
    }

    fn payload(&mut self) -> Option<RawPayload<'a>> {
        let (mut content_type, mut data, mut encoding) = (None, None, None);
        self.object(|s, key| {
            let slot = match key {
                "observedContentType" => &mut content_type,
                "data" => &mut data,
                "encoding" => &mut encoding,
                _ => return s.skip_value(),
            };
            if slot.is_some() {
                return None;
            }
            *slot = Some(s.string()?);
            Some(())
        })?;
        Some(RawPayload {
            content_type,
            data: data?,
            encoding: encoding?,
        })
    }

    /// Any JSON value, checked and skipped.
    fn skip_value(&mut self) -> Option<()> {
        self.whitespace();
        match *self.bytes.get(self.at)? {
            b'{' => self.object(|s, _| s.skip_value()),
            b'[' => {
                self.at += 1;
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return None;
                }
                if !self.eat(b']') {
                    loop {
                        self.skip_value()?;
                        if self.eat(b']') {
                            break;
                        }
                        self.eat(b',').then_some(())?;
                    }
                }
                self.depth -= 1;
                Some(())
            }
            b'"' => self.string().map(|_| ()),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.bytes[self.at..].starts_with(word).then_some(())?;
        self.at += word.len();
        Some(())
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, the JSON number grammar.
    fn number(&mut self) -> Option<()> {
        let digits = |s: &mut Self| {
            let start = s.at;
            while s.bytes.get(s.at).is_some_and(u8::is_ascii_digit) {
                s.at += 1;
            }
            s.at - start
        };
        self.at += usize::from(self.bytes.get(self.at) == Some(&b'-'));
        match self.bytes.get(self.at) {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return None,
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            (digits(self) > 0).then_some(())?;
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.at) {
            self.at += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.at) {
                self.at += 1;
            }
            (digits(self) > 0).then_some(())?;
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    use serde::Deserialize;

    /// The record as the serde path reads it (the same derive as `capture::Record`).
    #[derive(Deserialize)]
    struct Record {
        #[serde(rename = "captureData")]
        capture_data: CaptureData,
    }
    #[derive(Deserialize)]
    struct CaptureData {
        #[serde(rename = "endpointInput", default)]
        endpoint_input: Option<Payload>,
        #[serde(rename = "endpointOutput", default)]
        endpoint_output: Option<Payload>,
    }
    #[derive(Deserialize)]
    struct Payload {
        #[serde(rename = "observedContentType", default)]
        observed_content_type: Option<String>,
        data: String,
        encoding: String,
    }

    type Owned = (Option<String>, String, String);

    fn owned(p: Option<RawPayload<'_>>) -> Option<Owned> {
        p.map(|p| {
            (
                p.content_type.map(str::to_string),
                p.data.to_string(),
                p.encoding.to_string(),
            )
        })
    }

    fn by_serde(line: &str) -> Option<(Option<Owned>, Option<Owned>)> {
        let record: Record = serde_json::from_str(line).ok()?;
        let own = |p: Option<Payload>| p.map(|p| (p.observed_content_type, p.data, p.encoding));
        Some((
            own(record.capture_data.endpoint_input),
            own(record.capture_data.endpoint_output),
        ))
    }

    /// Whenever the scanner answers, serde reads the same line the same way.
    fn agrees(line: &str) -> Result<bool, TestCaseError> {
        let Some(fast) = scan_record(line) else {
            return Ok(false);
        };
        let serde = by_serde(line);
        prop_assert_eq!(
            Some((owned(fast.input), owned(fast.output))),
            serde,
            "{}",
            line
        );
        Ok(true)
    }

    const SAMPLE: &str = r#"{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"5.638,9.52,gamma","encoding":"CSV"},"endpointOutput":{"observedContentType":"text/csv; charset=utf-8","mode":"OUTPUT","data":"11.319","encoding":"CSV"}},"eventMetadata":{"eventId":"00-000000000","inferenceTime":"2026-11-29T00:30:00Z"},"eventVersion":"0"}"#;

    #[test]
    fn the_usual_record_is_read_and_unusual_ones_left_to_serde() {
        let fast = scan_record(SAMPLE).unwrap();
        assert_eq!(fast.input.unwrap().data, "5.638,9.52,gamma");
        assert_eq!(
            fast.output.unwrap().content_type,
            Some("text/csv; charset=utf-8")
        );
        assert!(agrees(SAMPLE).unwrap());
        for unsure in [
            // escaped strings, null payloads, repeated fields, arrays for structs, not JSON
            r#"{"captureData":{"endpointInput":{"data":"a\"b","encoding":"CSV"}}}"#,
            r#"{"captureData":{"endpointInput":null}}"#,
            r#"{"captureData":{"endpointInput":{"data":"1","data":"2","encoding":"CSV"}}}"#,
            r#"{"captureData":{},"captureData":{}}"#,
            r#"{"captureData":[{"data":"1","encoding":"CSV"}]}"#,
            r#"{"captureData":{"endpointInput":{"data":"1","encoding":"CSV"}}} x"#,
            r#"{"captureData":{"x":01}}"#,
            r#"{"captureData":{"x":[1,]}}"#,
            r#"{"captureData":{"endpointInput":{"encoding":"CSV"}}}"#,
            "{\"captureData\":{\"x\":\"tab\there\"}}",
        ] {
            assert_eq!(scan_record(unsure), None, "{unsure}");
        }
        let deep = format!(
            r#"{{"captureData":{{}},"x":{}{}}}"#,
            "[".repeat(MAX_DEPTH),
            "]".repeat(MAX_DEPTH)
        );
        assert_eq!(scan_record(&deep), None);
        let empty = r#" {"captureData" : { } , "e":[true,false,null,-0.5e+3,{"k":[]}]} "#;
        assert_eq!(scan_record(empty), Some(RawRecord::default()));
        assert!(agrees(empty).unwrap());
    }

    fn json_value() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_string()),
            Just("true".to_string()),
            Just("false".to_string()),
            "-?(0|[1-9][0-9]{0,3})(\\.[0-9]{1,3})?([eE][+-]?[0-9]{1,2})?",
            "\"[a-z ,.:;/0-9]{0,8}\"",
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                proptest::collection::vec(("[a-zA-Z]{1,12}", inner), 0..4).prop_map(|v| {
                    let fields: Vec<String> =
                        v.into_iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                    format!("{{{}}}", fields.join(","))
                }),
            ]
        })
    }

    /// `{"k": v, ...}` of `fields`, with some white space.
    fn object(fields: Vec<(String, String)>) -> String {
        let fields: Vec<String> = fields
            .into_iter()
            .map(|(k, v)| format!("\"{k}\" :\t{v}"))
            .collect();
        format!("{{ {}}}", fields.join(",\n"))
    }

    fn extras() -> impl Strategy<Value = Vec<(String, String)>> {
        proptest::collection::vec(("[a-zA-Z]{1,12}", json_value()), 0..3)
    }

    /// Payloads as SageMaker writes them, now and then with a field missing, repeated or null.
    fn payload() -> impl Strategy<Value = String> {
        (
            proptest::option::of("\"[a-z/;= ]{0,12}\""),
            "\"[0-9a-z.,]{0,20}\"",
            prop_oneof![6 => Just("\"CSV\""), 3 => Just("\"JSON\""), 1 => Just("null")],
            extras(),
            0..24u8,
        )
            .prop_map(|(content_type, data, encoding, mut fields, odd)| {
                fields.extend(content_type.map(|c| ("observedContentType".into(), c)));
                match odd {
                    0 => fields.push(("data".into(), data.clone())),
                    1 => fields.push(("data".into(), "null".into())),
                    2 => fields.push(("data".into(), "17".into())),
                    _ => {}
                }
                if odd != 3 {
                    fields.push(("data".into(), data));
                }
                if odd != 4 {
                    fields.push(("encoding".into(), encoding.into()));
                }
                fields
            })
            .prop_shuffle()
            .prop_map(object)
    }

    fn record() -> impl Strategy<Value = String> {
        let endpoint = |name: &'static str| {
            proptest::option::weighted(
                0.8,
                prop_oneof![15 => payload(), 1 => Just("null".to_string())],
            )
            .prop_map(move |p| p.map(|p| (name.to_string(), p)))
        };
        let capture = (
            endpoint("endpointInput"),
            endpoint("endpointOutput"),
            extras(),
        )
            .prop_map(|(input, output, mut fields)| {
                fields.extend(input);
                fields.extend(output);
                fields
            })
            .prop_shuffle()
            .prop_map(object);
        (proptest::option::weighted(0.9, capture), extras(), 0..20u8)
            .prop_map(|(capture, mut fields, odd)| {
                if let Some(c) = capture {
                    if odd == 0 {
                        fields.push(("captureData".into(), c.clone()));
                    }
                    fields.push(("captureData".into(), c));
                }
                fields
            })
            .prop_shuffle()
            .prop_map(|fields| format!("{}\r", object(fields)))
    }

    #[test]
    fn the_generated_records_are_mostly_read_by_the_scanner() {
        // Else the agreement tests below would compare little.
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let strategy = record();
        let (mut fast, mut payloads) = (0, 0);
        for _ in 0..1000 {
            let line = strategy.new_tree(&mut runner).unwrap().current();
            if let Some(record) = scan_record(&line) {
                fast += 1;
                payloads += usize::from(record.input.is_some() || record.output.is_some());
            }
        }
        assert!(
            fast > 300 && payloads > 100,
            "{fast} read, {payloads} with a payload"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn generated_records_read_as_serde_reads_them(line in record()) {
            agrees(&line)?;
        }

        #[test]
        fn damaged_records_are_never_read_otherwise_than_by_serde(
            line in record(),
            cut in 0usize..400,
            insert in proptest::sample::select(vec!["", "\"", "}", "{", ",", ":", "]", "0", "-", "x", "\\"]),
        ) {
            let at = cut.min(line.len());
            let damaged = format!("{}{}{}", &line[..at], insert, &line[at..]);
            agrees(&damaged)?;
            agrees(&line[..at])?;
        }

        #[test]
        fn the_sample_damaged_anywhere(cut in 0usize..SAMPLE.len(), byte in 0u8..128) {
            let mut damaged = SAMPLE.as_bytes().to_vec();
            damaged[cut] = byte;
            if let Ok(line) = std::str::from_utf8(&damaged) {
                agrees(line)?;
            }
        }
    }
}
