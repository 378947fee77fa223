//! Virtual time and seedable randomness.
//!
//! The engine never sleeps: `Wait`, retry back-off and task durations move a [`Clock`].
//! Randomness (`States.UUID`, `States.MathRandom`, retry jitter) comes from an [`Rng`].

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// A source of (virtual) time in milliseconds since the Unix epoch.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now_ms(&self) -> i64;
    /// Moves the clock to `t`. The engine moves it forward for waits, back-off and task
    /// durations; for the branches of a Parallel or the iterations of a Map it rewinds to the
    /// instant they started (they run side by side in virtual time) and finally sets the
    /// latest end.
    fn set_ms(&self, t: i64);
    /// Moves the clock forward by `ms`.
    fn advance_ms(&self, ms: i64) {
        self.set_ms(self.now_ms().saturating_add(ms.max(0)));
    }
}

/// A clock that only moves when the engine (or a task handler) moves it.
#[derive(Debug)]
pub struct VirtualClock {
    now: AtomicI64,
}

impl VirtualClock {
    /// A clock starting at `start_ms` (epoch milliseconds).
    pub fn new(start_ms: i64) -> VirtualClock {
        VirtualClock {
            now: AtomicI64::new(start_ms),
        }
    }

    /// A clock starting at the wall-clock time of the call.
    pub fn starting_now() -> VirtualClock {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        VirtualClock::new(ms)
    }
}

impl Clock for VirtualClock {
    fn now_ms(&self) -> i64 {
        self.now.load(Ordering::Relaxed)
    }

    fn set_ms(&self, t: i64) {
        self.now.store(t, Ordering::Relaxed);
    }
}

/// A source of random numbers.
pub trait Rng: Send + Sync {
    /// 64 random bits.
    fn next_u64(&self) -> u64;

    /// A float in `[0, 1)`.
    fn next_f64(&self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A random version-4 UUID in its canonical text form.
    fn uuid_v4(&self) -> String {
        let a = self.next_u64().to_be_bytes();
        let b = self.next_u64().to_be_bytes();
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&a);
        bytes[8..].copy_from_slice(&b);
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(36);
        for (i, b) in bytes.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                out.push('-');
            }
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
        out
    }
}

/// SplitMix64: small, fast and seedable (not for cryptography).
#[derive(Debug)]
pub struct SeededRng {
    state: AtomicU64,
}

impl SeededRng {
    /// A generator with a fixed seed: the same seed gives the same sequence.
    pub fn new(seed: u64) -> SeededRng {
        SeededRng {
            state: AtomicU64::new(seed),
        }
    }

    /// A generator seeded from the system time and process id.
    pub fn from_entropy() -> SeededRng {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        SeededRng::new(t ^ (u64::from(std::process::id()) << 32))
    }
}

/// One SplitMix64 step.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng for SeededRng {
    fn next_u64(&self) -> u64 {
        let s = self
            .state
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
        splitmix64(s)
    }
}

/// An instant parsed from an ISO-8601 extended offset date-time (`2016-03-14T01:59:00Z`,
/// `2016-03-14T01:59:00.123+01:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instant {
    /// Seconds since the epoch (UTC).
    pub secs: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
}

impl Instant {
    /// Milliseconds since the epoch.
    pub fn as_millis(&self) -> i64 {
        self.secs * 1000 + i64::from(self.nanos / 1_000_000)
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Parses an ISO-8601 extended offset date-time, strictly (an offset or `Z` is required).
pub fn parse_timestamp(s: &str) -> Option<Instant> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let t = b.get(r)?;
        if t.is_empty() || !t.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(t).ok()?.parse().ok()
    };
    if b.len() < 17 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    let year = i64::from(num(0..4)?);
    let month = num(5..7)?;
    let day = num(8..10)?;
    let hour = num(11..13)?;
    let minute = num(14..16)?;
    let mut i = 16;
    let mut second = 0;
    let mut nanos = 0u32;
    if b.get(i) == Some(&b':') {
        second = num(i + 1..i + 3)?;
        i += 3;
        if b.get(i) == Some(&b'.') {
            let start = i + 1;
            let mut j = start;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            let digits = j - start;
            if digits == 0 || digits > 9 {
                return None;
            }
            let frac = num(start..j)?;
            nanos = frac * 10u32.pow((9 - digits) as u32);
            i = j;
        }
    }
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let offset_secs: i64 = match b.get(i) {
        Some(b'Z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            if oh > 18 || om > 59 {
                return None;
            }
            let v = i64::from(oh * 3600 + om * 60);
            if *sign == b'-' {
                -v
            } else {
                v
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset_secs;
    Some(Instant { secs, nanos })
}

/// Formats epoch milliseconds as `2024-01-01T00:00:00.000Z`.
pub fn format_millis(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        y,
        m,
        d,
        sod / 3600,
        (sod / 60) % 60,
        sod % 60,
        millis
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_with_zone_parse_and_compare_as_instants() {
        let a = parse_timestamp("2012-10-09T19:00:55Z").unwrap();
        let b = parse_timestamp("2012-10-09T20:00:55+01:00").unwrap();
        assert_eq!(a, b);
        let c = parse_timestamp("2012-10-09T19:00:55.5Z").unwrap();
        assert!(c > a);
    }

    #[test]
    fn timestamps_without_zone_or_with_bad_fields_are_rejected() {
        for s in [
            "2016-12-05T21:29:29",
            "2016-13-05T21:29:29Z",
            "2016-12-05T25:29:29Z",
            "2016-12-05 21:29:29Z",
            "2023-02-29T00:00:00Z",
            "2023-02-24",
            "",
        ] {
            assert!(parse_timestamp(s).is_none(), "{s}");
        }
        assert!(parse_timestamp("2024-02-29T00:00:00Z").is_some());
    }

    #[test]
    fn format_round_trips_through_parse() {
        let ms = 1_700_000_123_456;
        let s = format_millis(ms);
        assert_eq!(s, "2023-11-14T22:15:23.456Z");
        assert_eq!(parse_timestamp(&s).unwrap().as_millis(), ms);
    }

    #[test]
    fn seeded_rng_repeats_its_sequence() {
        let a = SeededRng::new(7);
        let b = SeededRng::new(7);
        assert_eq!(a.next_u64(), b.next_u64());
        let u = a.uuid_v4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }

    #[test]
    fn virtual_clock_only_moves_when_told() {
        let c = VirtualClock::new(1000);
        c.advance_ms(500);
        assert_eq!(c.now_ms(), 1500);
    }
}
