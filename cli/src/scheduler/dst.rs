//! Daylight saving time as it meets a schedule: the offset changes of a zone in a period, and
//! the local times of a cron or at() schedule that a change skips (Scheduler does not fire
//! them) or repeats (Scheduler fires once, at the first occurrence). rate() counts real time,
//! so no change touches it.

use super::{iso, Expression, Schedule};
use chrono::{DateTime, Duration, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// What a change does to a local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DstKind {
    /// The clocks jump over it: it does not exist, and Scheduler skips that run.
    Skipped,
    /// The clocks go back over it: it happens twice, and Scheduler fires once, at the first.
    Repeated,
}

/// The local times of one schedule that one offset change skips or repeats.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DstNote {
    /// Skipped or repeated.
    pub kind: DstKind,
    /// The local date of the change.
    pub date: String,
    /// The schedule's local times (`HH:MM`) concerned.
    pub local_times: Vec<String>,
    /// The time zone.
    pub zone: String,
    /// When the change happens (UTC).
    pub change_at: String,
    /// For repeated times: when Scheduler fires them (UTC, the first occurrence).
    pub fires_at: Vec<String>,
}

impl std::fmt::Display for DstNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let times = self.local_times.join(", ");
        match self.kind {
            DstKind::Skipped => write!(
                f,
                "{times} local does not exist on {} in {} (clocks go forward at {}): Scheduler skips that run",
                self.date, self.zone, self.change_at
            ),
            DstKind::Repeated => write!(
                f,
                "{times} local happens twice on {} in {} (clocks go back at {}): Scheduler fires once, at the first ({})",
                self.date,
                self.zone,
                self.change_at,
                self.fires_at.join(", ")
            ),
        }
    }
}

/// An offset change: at `at`, the zone's offset from UTC goes from `before` to `after` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// When (UTC).
    pub at: DateTime<Utc>,
    /// Offset before, in seconds.
    pub before: i32,
    /// Offset after, in seconds.
    pub after: i32,
}

fn offset(zone: Tz, t: DateTime<Utc>) -> i32 {
    zone.offset_from_utc_datetime(&t.naive_utc())
        .fix()
        .local_minus_utc()
}

/// Every offset change of `zone` in `[from, to)`, found hour by hour, then to the second.
pub fn transitions(zone: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Transition> {
    let mut out = Vec::new();
    let mut t = from;
    while t < to {
        let next = t + Duration::hours(1);
        let (before, after) = (offset(zone, t), offset(zone, next));
        if before != after {
            let (mut lo, mut hi) = (t, next);
            while hi - lo > Duration::seconds(1) {
                let mid = lo + (hi - lo) / 2;
                if offset(zone, mid) == before {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push(Transition {
                at: hi,
                before,
                after,
            });
        }
        t = next;
    }
    out
}

/// The notes for `schedule` between `from` and `to`.
pub fn notes(schedule: &Schedule, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DstNote> {
    let zone = schedule.zone;
    let mut out = Vec::new();
    for change in transitions(zone, from, to) {
        let naive = change.at.naive_utc();
        let (kind, start, end) = if change.after > change.before {
            let start = naive + Duration::seconds(change.before.into());
            (
                DstKind::Skipped,
                start,
                naive + Duration::seconds(change.after.into()),
            )
        } else {
            let start = naive + Duration::seconds(change.after.into());
            (
                DstKind::Repeated,
                start,
                naive + Duration::seconds(change.before.into()),
            )
        };
        let within = |t: &NaiveDateTime| *t >= start && *t < end;
        let locals: Vec<NaiveDateTime> = match &schedule.expression {
            Expression::Rate(_) => Vec::new(),
            Expression::At(at) => within(at).then_some(*at).into_iter().collect(),
            Expression::Cron(cron) => {
                let mut minute = start;
                let mut found = Vec::new();
                while minute < end {
                    if cron.matches_local(minute) {
                        found.push(minute);
                    }
                    minute += Duration::minutes(1);
                }
                found
            }
        };
        if locals.is_empty() {
            continue;
        }
        let fires_at = match kind {
            DstKind::Skipped => Vec::new(),
            DstKind::Repeated => locals
                .iter()
                .filter_map(|l| zone.from_local_datetime(l).earliest())
                .map(|t| iso(t.with_timezone(&Utc)))
                .collect(),
        };
        out.push(DstNote {
            kind,
            date: start.date().to_string(),
            local_times: locals
                .iter()
                .map(|l| l.format("%H:%M").to_string())
                .collect(),
            zone: zone.name().to_string(),
            change_at: iso(change.at),
            fires_at,
        });
    }
    out
}
