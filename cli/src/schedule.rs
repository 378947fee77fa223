//! `pipelines schedule`: when every schedule of the template fires, exactly as EventBridge
//! Scheduler fires it (see `scheduler`), a week of every workflow's runs side by side, the
//! runs that overlap, and the daylight saving changes that skip or repeat a run.
//!
//! Overlap rule: a run occupies `[fire, fire + flexible window + run length)`, the run length
//! being the target's `Metadata.Pipelines.RunMinutes` or `--run-minutes` (default 30). Two
//! runs in the week that intersect are reported when they start the same workflow (two
//! trainings at once, or one run still going when the next starts), or when their workflows
//! reference a common data resource (an S3 bucket, DynamoDB table, Glue, Athena, SageMaker,
//! Redshift, RDS or EFS resource) or a common parameter naming data (`*Bucket*`, `*Table*`,
//! `*Endpoint*`, `*Database*`): a warm-up reading what a batch is still writing.

use crate::project::{parse_overrides, Project};
use crate::scheduler::{self, iso, DstNote, Schedule};
use crate::workflows::{self, ScheduledRun, Workflow};
use anyhow::{anyhow, Result};
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Fires listed per schedule when neither --count nor --until is given.
const DEFAULT_COUNT: usize = 5;
/// At most this many fires per schedule with --until.
const MAX_FIRES: usize = 10_000;

/// When every schedule fires (in local time and UTC), a week side by side, overlaps, DST.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  pipelines schedule                                   # next 5 fires of every schedule, the week ahead
  pipelines schedule --from 2027-03-20 --until 2027-04-05 --json
  pipelines schedule --expression 'cron(0 2 ? * SUN *)' --timezone Europe/Berlin --from 2027-03-20 --count 3 --json

Fire times follow EventBridge Scheduler: cron and at() in the schedule's zone, a local time that
daylight saving skips does not fire, a repeated one fires once (the first); rate() counts real time
from StartDate, or from --from when there is none. Times: RFC 3339, or YYYY-MM-DD[THH:MM[:SS]] in UTC.

Overlaps: a run lasts its target's Metadata.Pipelines.RunMinutes (or --run-minutes) plus the
flexible window; two runs that intersect are reported when they start the same workflow or share
a data resource (bucket, table, Glue/Athena/SageMaker resource, or a *Bucket*/*Table*/*Endpoint*/
*Database* parameter).

Exit status: 0 done (warnings allowed), 1 a schedule of the template breaks Scheduler's rules,
2 the expression, a time or the project cannot be used.")]
pub struct Args {
    /// The first time to list (default: now).
    #[arg(long, value_name = "TIME")]
    from: Option<String>,
    /// How many fires to list per schedule (default 5, or 10 with --expression).
    #[arg(long, value_name = "N", conflicts_with = "until")]
    count: Option<usize>,
    /// List fires before this time instead of a count.
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Evaluate this expression instead of the template's schedules.
    #[arg(long, value_name = "EXPR")]
    expression: Option<String>,
    /// The expression's time zone (with --expression).
    #[arg(
        long,
        value_name = "TZ",
        requires = "expression",
        default_value = "UTC"
    )]
    timezone: String,
    /// Length of a run, in minutes, where the target's metadata states none.
    #[arg(long, value_name = "MINUTES", default_value_t = 30)]
    run_minutes: u32,
    /// Override a template parameter (repeatable).
    #[arg(long = "parameter", value_name = "KEY=VALUE")]
    parameters: Vec<String>,
    /// The project folder (default: found upwards from the working directory).
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,
}

/// Runs the subcommand; returns the exit code.
pub fn run(args: Args) -> u8 {
    let outcome = match &args.expression {
        Some(expression) => one_expression(&args, expression),
        None => template_schedules(&args),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pipelines schedule: {e:#}");
            2
        }
    }
}

/// Where to start and where to stop.
struct Window {
    from: DateTime<Utc>,
    count: usize,
    until: Option<DateTime<Utc>>,
}

impl Window {
    fn new(args: &Args, default_count: usize) -> Result<Window> {
        let time = |text: &str, flag: &str| {
            scheduler::parse_time(text).ok_or_else(|| {
                anyhow!("{flag} {text:?} is not a time: use RFC 3339 (2027-03-20T00:00:00Z) or YYYY-MM-DD[THH:MM[:SS]] (UTC)")
            })
        };
        let from = match &args.from {
            Some(text) => time(text, "--from")?,
            None => Utc::now(),
        };
        let until = args
            .until
            .as_deref()
            .map(|t| time(t, "--until"))
            .transpose()?;
        let count = match (args.count, until) {
            (Some(n), _) => n,
            (None, Some(_)) => MAX_FIRES,
            (None, None) => default_count,
        };
        Ok(Window { from, count, until })
    }

    fn fires(&self, schedule: &Schedule) -> Vec<DateTime<Utc>> {
        schedule
            .fires(self.from)
            .take_while(|t| self.until.is_none_or(|u| *t < u))
            .take(self.count)
            .collect()
    }
}

fn one_expression(args: &Args, expression: &str) -> Result<u8> {
    let schedule = match Schedule::new(expression, &args.timezone, None, None) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("pipelines schedule: {e}");
            return Ok(2);
        }
    };
    let window = Window::new(args, 10)?;
    let fires = window.fires(&schedule);
    if args.json {
        let fires: Vec<String> = fires.into_iter().map(iso).collect();
        say!(
            "{}",
            json!({"expression": expression, "timezone": args.timezone, "fires": fires})
        );
        // stdout keeps the exact documented shape; the DST warnings go to stderr.
        for note in schedule.dst_notes(window.from, window.from + Duration::days(365)) {
            eprintln!("warning: {note}");
        }
        return Ok(0);
    }
    for fire in &fires {
        say!("{}  ({})", iso(*fire), local(&schedule, *fire));
    }
    for note in schedule.dst_notes(window.from, window.from + Duration::days(365)) {
        say!("warning: {note}");
    }
    Ok(0)
}

fn local(schedule: &Schedule, t: DateTime<Utc>) -> String {
    t.with_timezone(&schedule.zone)
        .format("%a %Y-%m-%d %H:%M %Z")
        .to_string()
}

fn template_schedules(args: &Args) -> Result<u8> {
    let project = Project::discover(args.project.as_deref(), &parse_overrides(&args.parameters)?)?;
    let template = &project.template;
    let window = Window::new(args, DEFAULT_COUNT)?;
    let runs = workflows::scheduled_runs(template)?;
    let all = workflows::workflows(template);
    let name_of = |id: &Option<String>| -> String {
        id.as_ref()
            .and_then(|id| all.iter().find(|w| w.logical_id == *id))
            .map(|w| w.name.clone())
            .unwrap_or_else(|| "-".into())
    };
    let year_on = window.from + Duration::days(365);
    let mut listed = Vec::new();
    let mut invalid = 0;
    for run in &runs {
        let r = &run.resource;
        let mut entry = json!({
            "logical_id": r.logical_id, "expression": r.expression, "timezone": r.timezone,
            "state": r.state, "start_date": r.start_date, "end_date": r.end_date,
            "flexible_window_minutes": r.flexible_window_minutes,
            "target": {"arn": run.target_arn, "logical_id": run.workflow, "name": name_of(&run.workflow)},
        });
        let mut notes = Vec::new();
        match &run.schedule {
            Ok(schedule) => {
                let fires: Vec<Value> = window
                    .fires(schedule)
                    .into_iter()
                    .map(|t| json!({"utc": iso(t), "local": local(schedule, t)}))
                    .collect();
                entry["fires"] = Value::from(fires);
                notes = schedule.dst_notes(window.from, year_on);
                entry["dst"] = json!(notes);
            }
            Err(e) => {
                invalid += 1;
                entry["error"] = Value::from(e.to_string());
            }
        }
        listed.push((entry, notes));
    }
    let week = week_runs(template, &runs, &all, window.from, args.run_minutes);
    let overlaps = overlaps(&week, &runs, &all);
    if args.json {
        say!(
            "{}",
            json!({"from": iso(window.from), "overlaps": overlaps,
                "schedules": listed.into_iter().map(|(entry, _)| entry).collect::<Vec<_>>()})
        );
    } else {
        print!("{}", render(&listed, &week, &overlaps, &all, window.from));
    }
    Ok(u8::from(invalid > 0))
}

/// One run in the week ahead.
struct WeekRun {
    schedule: usize,
    workflow: Option<String>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

fn week_runs(
    template: &crate::template::Template,
    runs: &[ScheduledRun],
    all: &[Workflow],
    from: DateTime<Utc>,
    default_minutes: u32,
) -> Vec<WeekRun> {
    let to = from + Duration::days(7);
    let mut out = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let Some(schedule) = run.enabled() else {
            continue;
        };
        let minutes = run
            .workflow
            .as_ref()
            .filter(|id| all.iter().any(|w| w.logical_id == **id))
            .and_then(|id| workflows::metadata_number(template, id, "RunMinutes"))
            .unwrap_or(default_minutes.into());
        let length = Duration::seconds(
            ((minutes + f64::from(run.resource.flexible_window_minutes)) * 60.0) as i64,
        );
        for start in schedule.fires(from).take_while(|t| *t < to).take(MAX_FIRES) {
            out.push(WeekRun {
                schedule: i,
                workflow: run.workflow.clone(),
                start,
                end: start + length,
            });
        }
    }
    out.sort_by_key(|r| r.start);
    out
}

fn overlaps(week: &[WeekRun], runs: &[ScheduledRun], all: &[Workflow]) -> Vec<Value> {
    let find = |id: &Option<String>| {
        id.as_ref()
            .and_then(|id| all.iter().find(|w| w.logical_id == *id))
    };
    let mut grouped: BTreeMap<(usize, usize, String), (usize, DateTime<Utc>)> = BTreeMap::new();
    for (i, a) in week.iter().enumerate() {
        for b in week[i + 1..].iter().take_while(|b| b.start < a.end) {
            let reason = match (find(&a.workflow), find(&b.workflow)) {
                (Some(x), Some(y)) if x.logical_id == y.logical_id => {
                    format!("both start {}", x.name)
                }
                (Some(x), Some(y)) => {
                    // Named in the key's schedule order, so one pair is one line whichever
                    // of its runs starts first.
                    let (x, y) = if a.schedule <= b.schedule {
                        (x, y)
                    } else {
                        (y, x)
                    };
                    let shared: Vec<&str> =
                        x.data.intersection(&y.data).map(String::as_str).collect();
                    if shared.is_empty() {
                        continue;
                    }
                    format!("{} and {} both use {}", x.name, y.name, shared.join(", "))
                }
                _ => continue,
            };
            let key = (
                a.schedule.min(b.schedule),
                a.schedule.max(b.schedule),
                reason,
            );
            grouped.entry(key).or_insert((0, b.start)).0 += 1;
        }
    }
    grouped
        .into_iter()
        .map(|((a, b, reason), (count, first))| {
            json!({
                "schedules": [runs[a].resource.logical_id, runs[b].resource.logical_id],
                "reason": reason, "count": count, "first": iso(first),
            })
        })
        .collect()
}

fn render(
    listed: &[(Value, Vec<DstNote>)],
    week: &[WeekRun],
    overlaps: &[Value],
    all: &[Workflow],
    from: DateTime<Utc>,
) -> String {
    let text = |v: &Value| {
        v.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string())
    };
    let mut out = String::new();
    for (s, notes) in listed {
        out.push_str(&format!(
            "{}  {}  {}  ({}) → {}\n",
            text(&s["logical_id"]),
            text(&s["expression"]),
            text(&s["timezone"]),
            text(&s["state"]),
            text(&s["target"]["name"]),
        ));
        if let Some(e) = s.get("error") {
            out.push_str(&format!("    error: {}\n", text(e)));
        }
        for fire in s["fires"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "    {}  {}\n",
                text(&fire["utc"]),
                text(&fire["local"])
            ));
        }
        for note in notes {
            out.push_str(&format!("    warning: {note}\n"));
        }
    }
    out.push_str(&week_table(week, all, from));
    for o in overlaps {
        out.push_str(&format!(
            "warning: overlap: {} and {}: {} ({} time(s) this week, first at {})\n",
            text(&o["schedules"][0]),
            text(&o["schedules"][1]),
            text(&o["reason"]),
            o["count"],
            text(&o["first"]),
        ));
    }
    out
}

/// Seven days from `from`'s date (UTC), one column per scheduled workflow, the runs' UTC times.
fn week_table(week: &[WeekRun], all: &[Workflow], from: DateTime<Utc>) -> String {
    let mut columns: Vec<String> = Vec::new();
    for run in week {
        let name = run
            .workflow
            .as_ref()
            .and_then(|id| all.iter().find(|w| w.logical_id == *id))
            .map(|w| w.name.clone())
            .unwrap_or_else(|| "(other target)".into());
        if !columns.contains(&name) {
            columns.push(name);
        }
    }
    let first_day = from.date_naive();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for day in 0..8 {
        let date = first_day + Duration::days(day);
        let mut row = vec![date.format("%a %m-%d").to_string()];
        for column in &columns {
            let times: Vec<String> = week
                .iter()
                .filter(|r| r.start.date_naive() == date)
                .filter(|r| {
                    r.workflow
                        .as_ref()
                        .and_then(|id| all.iter().find(|w| w.logical_id == *id))
                        .map(|w| &w.name)
                        .unwrap_or(&"(other target)".to_string())
                        == column
                })
                .map(|r| r.start.format("%H:%M").to_string())
                .collect();
            row.push(match times.len() {
                0 => "-".into(),
                1..=4 => times.join(" "),
                n => format!("{}…{} ×{n}", times[0], times[n - 1]),
            });
        }
        if day < 7 || row.iter().skip(1).any(|c| c != "-") {
            rows.push(row);
        }
    }
    let mut header = vec!["week (UTC)".to_string()];
    header.extend(columns);
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .chain(std::iter::once(&header))
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = format!("\n{}", line(&header));
    for row in &rows {
        out.push_str(&line(row));
    }
    out
}
