//! The hot loop of CSV parsing: lines without quotes, once the header is read. One pass over
//! the bytes finds the fields and parses the two numbers as it goes. A line that is anything
//! but plain (too few fields, white space around a number, exponents, long mantissas, a blank
//! line...) is left to the general path, which gives it the same result or the same error.

use shared::{decimal::scan_decimal, swar};

use crate::rows::parse_number;

/// What a field of a record is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldRole {
    /// Not asked for.
    Ignored,
    /// The actual value.
    Actual,
    /// The predicted value.
    Predicted,
    /// The segment column with this position in the request.
    Segment(u8),
}

/// Most segment columns the fast path takes; requests with more use the general path.
pub const MAX_FAST_SEGMENTS: usize = 4;

/// The roles of the fields `0..needed` of a record, or `None` when the fast path cannot serve
/// the layout (one field used twice, or too many segment columns).
pub fn field_roles(
    actual: usize,
    predicted: usize,
    segments: &[usize],
    needed: usize,
) -> Option<Vec<FieldRole>> {
    if segments.len() > MAX_FAST_SEGMENTS {
        return None;
    }
    let mut roles = vec![FieldRole::Ignored; needed];
    let uses = segments
        .iter()
        .enumerate()
        .map(|(k, &field)| (field, FieldRole::Segment(k as u8)))
        .chain([
            (actual, FieldRole::Actual),
            (predicted, FieldRole::Predicted),
        ]);
    for (field, role) in uses {
        let slot = roles.get_mut(field)?;
        if *slot != FieldRole::Ignored {
            return None;
        }
        *slot = role;
    }
    Some(roles)
}

/// One plain record: its two numbers and where its segment values are.
#[derive(Debug, Default)]
pub struct PlainRow {
    /// The actual value.
    pub actual: f64,
    /// The predicted value.
    pub predicted: f64,
    /// Byte ranges of the segment values, in request order.
    pub segments: [(usize, usize); MAX_FAST_SEGMENTS],
}

/// Reads the record that starts at `start` in `data` (which ends with a line break) into `row`
/// and returns where the next record starts, or `None` when the line is not plain.
#[inline]
pub fn scan_record(
    data: &[u8],
    start: usize,
    roles: &[FieldRole],
    row: &mut PlainRow,
) -> Option<usize> {
    let last = roles.len().checked_sub(1)?;
    let mut pos = start;
    for (i, role) in roles.iter().enumerate() {
        let end = if data.get(pos) == Some(&b'"') {
            quoted_field(data, pos, *role, row)?
        } else {
            match role {
                FieldRole::Actual => {
                    let (value, end) = scan_decimal(data, pos)?;
                    row.actual = value;
                    end
                }
                FieldRole::Predicted => {
                    let (value, end) = scan_decimal(data, pos)?;
                    row.predicted = value;
                    end
                }
                FieldRole::Ignored | FieldRole::Segment(_) => {
                    let end = swar::field_end(data, pos);
                    if let FieldRole::Segment(k) = role {
                        row.segments[usize::from(*k)] = (pos, end);
                    }
                    end
                }
            }
        };
        match data.get(end) {
            Some(b',') if i < last => pos = end + 1,
            // Fields after the last one asked for are skipped whole.
            Some(b',') => return skip_to_line_end(data, end),
            Some(b'\n') if i == last => return Some(end + 1),
            Some(b'\r') if i == last && data.get(end + 1) == Some(&b'\n') => return Some(end + 2),
            _ => return None,
        }
    }
    None
}

/// The start of the next line, past fields nobody asked for, if they hold no quote and no
/// carriage return but a final CRLF's (those make the line the general path's).
fn skip_to_line_end(data: &[u8], from: usize) -> Option<usize> {
    let newline = memchr::memchr(b'\n', &data[from..])?;
    let rest = &data[from..from + newline];
    let rest = rest.strip_suffix(b"\r").unwrap_or(rest);
    memchr::memchr2(b'"', b'\r', rest)
        .is_none()
        .then_some(from + newline + 1)
}

/// A quoted field at `pos` whose content has no quote and no line break (anything else is left
/// to `csv-core`): its value goes where `role` says, and the index after the closing quote is
/// returned. Numbers inside quotes are read by the general parser, as `csv-core`'s would be.
#[inline]
fn quoted_field(data: &[u8], pos: usize, role: FieldRole, row: &mut PlainRow) -> Option<usize> {
    let content = pos + 1;
    let close = content + memchr::memchr2(b'"', b'\n', data.get(content..)?)?;
    if data[close] != b'"' {
        return None;
    }
    let value = &data[content..close];
    match role {
        FieldRole::Actual => row.actual = parse_number(value)?,
        FieldRole::Predicted => row.predicted = parse_number(value)?,
        FieldRole::Segment(k) => row.segments[usize::from(k)] = (content, close),
        FieldRole::Ignored => {}
    }
    Some(close + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles_of(header: &str, segments: &[&str]) -> Vec<FieldRole> {
        let names: Vec<&str> = header.split(',').collect();
        let at = |n: &str| names.iter().position(|c| *c == n).unwrap();
        let segments: Vec<usize> = segments.iter().map(|s| at(s)).collect();
        let needed = segments
            .iter()
            .chain([&at("actual"), &at("prediction")])
            .max()
            .unwrap()
            + 1;
        field_roles(at("actual"), at("prediction"), &segments, needed).unwrap()
    }

    #[test]
    fn a_plain_record_gives_its_numbers_segments_and_next_start() {
        let roles = roles_of("store,actual,prediction,sku,extra", &["sku", "store"]);
        let data = b"s1,10.5,-3,k9,zzz\ns2,1,2,k8,y\r\n";
        let mut row = PlainRow::default();
        let next = scan_record(data, 0, &roles, &mut row).unwrap();
        assert_eq!(next, 18);
        assert_eq!((row.actual, row.predicted), (10.5, -3.0));
        assert_eq!(&data[row.segments[0].0..row.segments[0].1], b"k9");
        assert_eq!(&data[row.segments[1].0..row.segments[1].1], b"s1");
        assert_eq!(scan_record(data, next, &roles, &mut row), Some(data.len()));
    }

    #[test]
    fn a_crlf_segment_value_loses_its_carriage_return() {
        let roles = roles_of("actual,prediction,store", &["store"]);
        let data = b"1,2,s1\r\n";
        let mut row = PlainRow::default();
        assert_eq!(scan_record(data, 0, &roles, &mut row), Some(data.len()));
        assert_eq!(&data[row.segments[0].0..row.segments[0].1], b"s1");
    }

    #[test]
    fn lines_that_are_not_plain_are_left_to_the_general_path() {
        let roles = roles_of("actual,prediction,store", &["store"]);
        let mut row = PlainRow::default();
        for line in [
            &b"\n"[..],
            b"1,2\n",
            b" 1,2,s\n",
            b"1e3,2,s\n",
            b"1,abc,s\n",
            b"1,,s\n",
            b"1234567890123456,2,s\n",
            b"-,2,s\n",
            b".,2,s\n",
            b"1,2,s",
        ] {
            assert_eq!(scan_record(line, 0, &roles, &mut row), None, "{line:?}");
        }
    }

    #[test]
    fn layouts_that_use_a_field_twice_have_no_fast_path() {
        assert_eq!(field_roles(0, 0, &[], 1), None);
        assert_eq!(field_roles(0, 1, &[1], 2), None);
        assert_eq!(field_roles(0, 1, &[2, 3, 4, 5, 6], 7), None);
        assert!(field_roles(0, 1, &[2], 3).is_some());
    }

    proptest::proptest! {
        #[test]
        fn decimals_read_exactly_like_the_general_parser(text in "-?[0-9]{0,9}(\\.[0-9]{0,9})?") {
            let data = format!("{text},");
            match scan_decimal(data.as_bytes(), 0) {
                Some((value, end)) => {
                    proptest::prop_assert_eq!(end, text.len());
                    proptest::prop_assert_eq!(Some(value), parse_number(text.as_bytes()));
                }
                None => proptest::prop_assert!(
                    parse_number(text.as_bytes()).is_none()
                        || text.bytes().filter(u8::is_ascii_digit).count() > 15,
                    "{:?} left to the general parser although it is plain", text
                ),
            }
        }
    }
}
