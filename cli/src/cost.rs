//! `pipelines cost`: what the platform costs per month, per workflow and per service, against
//! the design's budget.
//!
//! - Runs per month: every fire of the schedules that start a workflow in the month (by
//!   `scheduler`; rate() without `StartDate` counted from the month's start), plus expected
//!   events for triggered workflows (`Metadata.Pipelines.EventsPerMonth`, or `--events`).
//! - Standard state machines: state transitions per run from a local run of the default test
//!   case (`HappyPath` of `events/<name>/mock-config.json`, as `pipelines run` does it).
//! - Express state machines: one request per run, and GB-seconds of the stated duration and
//!   memory (`DurationMs`, `MemoryMB`; defaults `--express-duration-ms`, 64 MB), rounded up to
//!   AWS's 100 ms and 64 MB billing steps.
//! - Lambda: invocations (direct runs plus the calls each state machine's local run makes, times
//!   its runs), GB-seconds from `MemorySize` (the function's, else `Globals.Function`, else 128)
//!   and the stated duration (`Metadata.Pipelines.DurationMs`, else `--lambda-duration-ms`),
//!   priced by the function's architecture.
//! - EventBridge Scheduler: one invocation per fire (retries are not counted).
//!
//! Free tiers (monthly, per account) are subtracted per service after the per-workflow figures,
//! which are list prices. EventBridge rules' events, CloudWatch, S3, Glue and SageMaker are not
//! counted.

use crate::prices::Prices;
use crate::project::{parse_overrides, Project};
use crate::run::{run_local, RunSetup};
use crate::scheduler::iso;
use crate::template::Template;
use crate::workflows::{self, Kind, Workflow};
use anyhow::{anyhow, bail, Result};
use asl::history::Details;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What the platform costs per month.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  pipelines cost                                   # next calendar month
  pipelines cost --month 2027-02 --json
  pipelines cost --events drift-bridge=300 --lambda-duration-ms 800 --prices my-prices.json

Prices are us-east-1 list prices read 2026-11-30 (see --json's \"prices\"); --prices FILE replaces
any of those fields (a JSON object). Free tiers applied, per month and account: Step Functions
Standard 4,000 transitions, Lambda 1M requests and 400,000 GB-seconds, EventBridge Scheduler 14M
invocations (Express has none); --no-free-tier leaves them out.

Exit status: 0 within budget, 1 over budget or a workflow's local run failed, 2 the input could
not be used.")]
pub struct Args {
    /// The calendar month (YYYY-MM; default: next month).
    #[arg(long, value_name = "YYYY-MM")]
    month: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// A JSON file of prices replacing the built-in ones (any subset of fields).
    #[arg(long, value_name = "FILE")]
    prices: Option<PathBuf>,
    /// Expected runs per month of a triggered workflow (repeatable), e.g. drift-bridge=300.
    #[arg(long = "events", value_name = "WORKFLOW=N")]
    events: Vec<String>,
    /// Duration of one Lambda invocation, in ms, where the function's metadata states none.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    lambda_duration_ms: u64,
    /// Duration of one Express execution, in ms, where the state machine's metadata states none.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    express_duration_ms: u64,
    /// Leave the free tiers out.
    #[arg(long)]
    no_free_tier: bool,
    /// Override a template parameter (repeatable).
    #[arg(long = "parameter", value_name = "KEY=VALUE")]
    parameters: Vec<String>,
    /// The project folder (default: found upwards from the working directory).
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,
}

/// Runs the subcommand; returns the exit code.
pub fn run(args: Args) -> u8 {
    let bill = crate::run::runtime().and_then(|rt| rt.block_on(bill(&args)));
    match bill {
        Ok(bill) => {
            if args.json {
                say!("{}", json!(bill));
            } else {
                print!("{}", render(&bill));
            }
            u8::from(!bill.within_budget || !bill.failed_runs.is_empty())
        }
        Err(e) => {
            eprintln!("pipelines cost: {e:#}");
            2
        }
    }
}

/// One workflow's runs and Step Functions charges (list prices).
#[derive(Debug, Serialize)]
pub struct WorkflowCost {
    /// Logical id.
    pub logical_id: String,
    /// Short name.
    pub name: String,
    /// Standard, Express or function.
    pub kind: Kind,
    /// Runs per month.
    pub runs: f64,
    /// Where the runs come from (schedule: count, or events: count and source).
    pub runs_from: Vec<String>,
    /// The test case run locally (Standard and Express state machines that run).
    pub test_case: Option<String>,
    /// State transitions of one run (Standard).
    pub transitions_per_run: Option<u64>,
    /// State transitions per month (Standard).
    pub transitions: f64,
    /// Billed GB-seconds per month (Express).
    pub express_gb_seconds: f64,
    /// Step Functions charge, USD, before free tiers.
    pub step_functions_usd: f64,
}

/// One function's invocations and charges (list prices).
#[derive(Debug, Serialize)]
pub struct FunctionCost {
    /// Logical id.
    pub logical_id: String,
    /// Short name.
    pub name: String,
    /// MemorySize, MB.
    pub memory_mb: f64,
    /// arm64 or x86_64.
    pub architecture: String,
    /// Duration of one invocation, ms.
    pub duration_ms: f64,
    /// `metadata` or `default` (the flag).
    pub duration_from: String,
    /// Invocations per month.
    pub invocations: f64,
    /// Who invokes it, with how many invocations.
    pub invoked_by: Vec<String>,
    /// GB-seconds per month.
    pub gb_seconds: f64,
    /// Request and compute charge, USD, before free tiers.
    pub usd: f64,
}

/// One service line of the bill.
#[derive(Debug, Serialize)]
pub struct ServiceLine {
    /// What is billed.
    pub service: String,
    /// How much of it.
    pub quantity: f64,
    /// Its unit.
    pub unit: String,
    /// Charge before the free tier, USD.
    pub gross_usd: f64,
    /// The free tier applied, in `unit` (0 when none or left out).
    pub free_quantity: f64,
    /// Charge after the free tier, USD.
    pub net_usd: f64,
}

/// The month's bill.
#[derive(Debug, Serialize)]
pub struct Bill {
    /// YYYY-MM.
    pub month: String,
    /// The prices used.
    pub prices: Prices,
    /// Whether free tiers were subtracted.
    pub free_tiers_applied: bool,
    /// Per workflow (state machines and functions that run on their own).
    pub workflows: Vec<WorkflowCost>,
    /// Per function.
    pub functions: Vec<FunctionCost>,
    /// Scheduler invocations per month.
    pub scheduler_invocations: f64,
    /// Per service.
    pub services: Vec<ServiceLine>,
    /// The month's total, USD, after free tiers.
    pub total_usd: f64,
    /// The budget, USD.
    pub budget_usd: f64,
    /// Whether the total is within it.
    pub within_budget: bool,
    /// Workflows whose local run could not be made, with why.
    pub failed_runs: Vec<String>,
    /// Assumptions worth knowing.
    pub notes: Vec<String>,
}

fn month_bounds(text: Option<&str>) -> Result<(String, DateTime<Utc>, DateTime<Utc>)> {
    let first = match text {
        Some(text) => NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
            .map_err(|_| anyhow!("--month {text:?} is not YYYY-MM"))?,
        None => {
            let today = Utc::now().date_naive();
            next_month(today.with_day(1).unwrap_or(today))
        }
    };
    let start = first.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    let end = next_month(first).and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    match (start, end) {
        (Some(s), Some(e)) => Ok((first.format("%Y-%m").to_string(), s, e)),
        _ => bail!("--month out of range"),
    }
}

fn next_month(first: NaiveDate) -> NaiveDate {
    first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first)
}

/// A number property of a function: its own, else `Globals.Function`'s.
fn function_property(template: &Template, id: &str, key: &str) -> Option<Value> {
    let own = template
        .resource(id)
        .and_then(|r| r.pointer(&format!("/Properties/{key}")));
    let global = template.body.pointer(&format!("/Globals/Function/{key}"));
    own.or(global).and_then(|v| {
        template
            .resolve(v, &format!("Resources.{id}.Properties.{key}"))
            .ok()
    })
}

async fn bill(args: &Args) -> Result<Bill> {
    let project = Project::discover(args.project.as_deref(), &parse_overrides(&args.parameters)?)?;
    let prices = match &args.prices {
        Some(path) => Prices::load(path)?,
        None => Prices::default(),
    };
    let (month, start, end) = month_bounds(args.month.as_deref())?;
    let template = &project.template;
    let all = workflows::workflows(template);
    let mut notes = Vec::new();

    // Runs per workflow: schedules, then events.
    let mut runs: BTreeMap<String, (f64, Vec<String>)> = BTreeMap::new();
    let mut scheduler_invocations = 0.0;
    for scheduled in workflows::scheduled_runs(template)? {
        let Some(schedule) = scheduled.enabled() else {
            continue;
        };
        let fires = schedule.fires(start).take_while(|t| *t < end).count() as f64;
        scheduler_invocations += fires;
        if let Some(id) = &scheduled.workflow {
            let entry = runs.entry(id.clone()).or_default();
            entry.0 += fires;
            entry
                .1
                .push(format!("{}: {fires}", scheduled.resource.logical_id));
        }
    }
    let mut flagged = BTreeMap::new();
    for pair in &args.events {
        let (name, count) = pair
            .split_once('=')
            .ok_or_else(|| anyhow!("--events takes WORKFLOW=N, got {pair:?}"))?;
        let count: f64 = count
            .parse()
            .ok()
            .filter(|n: &f64| *n >= 0.0)
            .ok_or_else(|| anyhow!("--events {pair:?}: N is a number of runs per month"))?;
        let workflow = all
            .iter()
            .find(|w| w.name == name || w.logical_id == name)
            .ok_or_else(|| anyhow!("--events {pair:?}: no workflow {name:?} in the template"))?;
        flagged.insert(workflow.logical_id.clone(), count);
    }
    for w in &all {
        let stated = workflows::metadata_number(template, &w.logical_id, "EventsPerMonth");
        let (count, from) = match (flagged.get(&w.logical_id), stated) {
            (Some(n), _) => (*n, "--events"),
            (None, Some(n)) => (n, "Metadata.Pipelines.EventsPerMonth"),
            (None, None) => continue,
        };
        let entry = runs.entry(w.logical_id.clone()).or_default();
        entry.0 += count;
        entry.1.push(format!("events ({from}): {count}"));
    }

    // Step Functions, and the Lambda calls each state machine's run makes.
    let mut calls: BTreeMap<String, Vec<(String, f64)>> = BTreeMap::new();
    let mut failed_runs = Vec::new();
    let mut costs = Vec::new();
    shared::storage::set_local_root(Some(project.root.clone()));
    for w in &all {
        let Some((count, from)) = runs.get(&w.logical_id).cloned() else {
            continue;
        };
        let mut cost = WorkflowCost {
            logical_id: w.logical_id.clone(),
            name: w.name.clone(),
            kind: w.kind,
            runs: count,
            runs_from: from,
            test_case: None,
            transitions_per_run: None,
            transitions: 0.0,
            express_gb_seconds: 0.0,
            step_functions_usd: 0.0,
        };
        if w.kind != Kind::Function {
            match run_local(&project, &w.logical_id, RunSetup::quiet()).await {
                Ok(local) => {
                    if local.result.status != asl::Status::Succeeded {
                        notes.push(format!(
                            "{}: the local run of {} ended {}; its transitions and calls are counted",
                            w.name,
                            local.test_case,
                            local.result.status.as_str()
                        ));
                    }
                    for (function, n) in lambda_calls(template, &all, &local.result) {
                        calls
                            .entry(function)
                            .or_default()
                            .push((w.name.clone(), n as f64 * count));
                    }
                    cost.transitions_per_run = Some(local.result.transitions);
                    cost.test_case = Some(local.test_case);
                }
                Err(e) => failed_runs.push(format!("{}: {e:#}", w.name)),
            }
        }
        match w.kind {
            Kind::Standard => {
                cost.transitions = count * cost.transitions_per_run.unwrap_or(0) as f64;
                cost.step_functions_usd = cost.transitions * prices.standard_transition_usd;
            }
            Kind::Express => {
                let duration = workflows::metadata_number(template, &w.logical_id, "DurationMs")
                    .unwrap_or(args.express_duration_ms as f64);
                let memory = workflows::metadata_number(template, &w.logical_id, "MemoryMB")
                    .unwrap_or(prices.express_memory_step_mb);
                let billed_ms = round_up(duration, prices.express_duration_step_ms);
                let billed_mb = round_up(memory, prices.express_memory_step_mb);
                cost.express_gb_seconds = count * billed_ms / 1000.0 * billed_mb / 1024.0;
                cost.step_functions_usd = count * prices.express_request_usd
                    + cost.express_gb_seconds * prices.express_gb_second_usd;
            }
            Kind::Function => {
                calls
                    .entry(w.logical_id.clone())
                    .or_default()
                    .push(("its own runs".into(), count));
            }
        }
        costs.push(cost);
    }

    // Lambda.
    let mut functions = Vec::new();
    for w in all.iter().filter(|w| w.kind == Kind::Function) {
        let Some(callers) = calls.get(&w.logical_id) else {
            continue;
        };
        let invocations = sum(callers.iter().map(|(_, n)| *n));
        let memory_mb = function_property(template, &w.logical_id, "MemorySize")
            .and_then(|v| v.as_f64().or_else(|| v.as_str()?.parse().ok()))
            .unwrap_or(128.0);
        let architecture = function_property(template, &w.logical_id, "Architectures")
            .and_then(|v| v.get(0)?.as_str().map(str::to_string))
            .unwrap_or_else(|| "x86_64".into());
        let (duration_ms, duration_from) =
            match workflows::metadata_number(template, &w.logical_id, "DurationMs") {
                Some(ms) => (ms, "metadata"),
                None => (args.lambda_duration_ms as f64, "default"),
            };
        let gb_seconds = invocations * duration_ms / 1000.0 * memory_mb / 1024.0;
        let usd = invocations * prices.lambda_request_usd
            + gb_seconds * gb_second_price(&prices, &architecture);
        functions.push(FunctionCost {
            logical_id: w.logical_id.clone(),
            name: w.name.clone(),
            memory_mb,
            architecture,
            duration_ms,
            duration_from: duration_from.into(),
            invocations,
            invoked_by: callers
                .iter()
                .map(|(who, n)| format!("{who}: {n}"))
                .collect(),
            gb_seconds,
            usd,
        });
    }

    let services = services(
        &prices,
        &costs,
        &functions,
        scheduler_invocations,
        !args.no_free_tier,
    );
    let total_usd = sum(services.iter().map(|s| s.net_usd));
    if functions.iter().any(|f| f.duration_from == "default") {
        notes.push(format!(
            "functions without Metadata.Pipelines.DurationMs are counted at {} ms (--lambda-duration-ms)",
            args.lambda_duration_ms
        ));
    }
    notes.push(format!(
        "rate() schedules without StartDate are counted from {}",
        iso(start)
    ));
    let unrated: Vec<String> = template
        .functions()
        .into_iter()
        .filter(|f| f.event_types.iter().any(|t| !t.starts_with("Schedule")))
        .filter(|f| !runs.contains_key(&f.logical_id) && !calls.contains_key(&f.logical_id))
        .map(|f| format!("{} ({})", f.logical_id, f.event_types.join(", ")))
        .collect();
    if !unrated.is_empty() {
        notes.push(format!(
            "triggered functions counted at 0 runs, no expected event rate stated: {} (set Metadata.Pipelines.EventsPerMonth or --events NAME=N)",
            unrated.join(", ")
        ));
    }
    Ok(Bill {
        month,
        free_tiers_applied: !args.no_free_tier,
        workflows: costs,
        functions,
        scheduler_invocations,
        services,
        total_usd,
        budget_usd: prices.budget_usd,
        within_budget: total_usd <= prices.budget_usd,
        prices,
        failed_runs,
        notes,
    })
}

/// A sum that is 0, not -0, when empty.
fn sum(values: impl Iterator<Item = f64>) -> f64 {
    values.fold(0.0, |a, b| a + b)
}

fn round_up(value: f64, step: f64) -> f64 {
    if step > 0.0 {
        (value / step).ceil() * step
    } else {
        value
    }
}

fn gb_second_price(prices: &Prices, architecture: &str) -> f64 {
    if architecture == "arm64" {
        prices.lambda_gb_second_arm64_usd
    } else {
        prices.lambda_gb_second_x86_64_usd
    }
}

/// Lambda invocations per function (logical id) in one execution's history.
fn lambda_calls(
    template: &Template,
    all: &[Workflow],
    result: &asl::ExecutionResult,
) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for event in &result.history {
        let name = match &event.details {
            Details::TaskScheduled {
                resource_type,
                resource,
                parameters,
                ..
            } if resource_type == "lambda" && resource.starts_with("invoke") => {
                serde_json::from_str::<Value>(parameters)
                    .ok()
                    .and_then(|p| p.get("FunctionName")?.as_str().map(str::to_string))
            }
            Details::LambdaScheduled { resource, .. } => Some(resource.clone()),
            _ => None,
        };
        let Some(name) = name else { continue };
        let function = all.iter().filter(|w| w.kind == Kind::Function).find(|w| {
            let names = workflows::arn_of(template, &w.logical_id);
            let bare = unqualified(&name);
            names.iter().any(|a| a == bare) || template.physical_name(&w.logical_id) == bare
        });
        if let Some(function) = function {
            *out.entry(function.logical_id.clone()).or_default() += 1;
        }
    }
    out
}

/// A function ARN or name without its `:version` or `:alias`.
fn unqualified(name: &str) -> &str {
    let parts: Vec<&str> = name.split(':').collect();
    if name.starts_with("arn:") && parts.len() > 7 {
        let cut: usize = parts[..7].iter().map(|p| p.len() + 1).sum::<usize>() - 1;
        &name[..cut]
    } else if !name.starts_with("arn:") && parts.len() == 2 {
        parts[0]
    } else {
        name
    }
}

fn services(
    prices: &Prices,
    workflows: &[WorkflowCost],
    functions: &[FunctionCost],
    scheduler_invocations: f64,
    free: bool,
) -> Vec<ServiceLine> {
    let line = |service: &str, quantity: f64, unit: &str, price: f64, free_quantity: f64| {
        let free_quantity = if free {
            free_quantity.min(quantity)
        } else {
            0.0
        };
        ServiceLine {
            service: service.into(),
            quantity,
            unit: unit.into(),
            gross_usd: quantity * price,
            free_quantity,
            net_usd: (quantity - free_quantity) * price,
        }
    };
    let transitions = sum(workflows.iter().map(|w| w.transitions));
    let express: Vec<&WorkflowCost> = workflows
        .iter()
        .filter(|w| w.kind == Kind::Express)
        .collect();
    let requests = sum(functions.iter().map(|f| f.invocations));
    let gb = |arch: &str| {
        sum(functions
            .iter()
            .filter(|f| (f.architecture == "arm64") == (arch == "arm64"))
            .map(|f| f.gb_seconds))
    };
    let (arm, x86) = (gb("arm64"), gb("x86_64"));
    let arm_free = prices.lambda_free_gb_seconds.min(arm);
    vec![
        line(
            "Step Functions Standard",
            transitions,
            "state transitions",
            prices.standard_transition_usd,
            prices.standard_free_transitions,
        ),
        line(
            "Step Functions Express requests",
            sum(express.iter().map(|w| w.runs)),
            "requests",
            prices.express_request_usd,
            0.0,
        ),
        line(
            "Step Functions Express duration",
            sum(express.iter().map(|w| w.express_gb_seconds)),
            "GB-seconds",
            prices.express_gb_second_usd,
            0.0,
        ),
        line(
            "Lambda requests",
            requests,
            "requests",
            prices.lambda_request_usd,
            prices.lambda_free_requests,
        ),
        line(
            "Lambda compute (arm64)",
            arm,
            "GB-seconds",
            prices.lambda_gb_second_arm64_usd,
            arm_free,
        ),
        line(
            "Lambda compute (x86_64)",
            x86,
            "GB-seconds",
            prices.lambda_gb_second_x86_64_usd,
            prices.lambda_free_gb_seconds - arm_free,
        ),
        line(
            "EventBridge Scheduler",
            scheduler_invocations,
            "invocations",
            prices.scheduler_invocation_usd,
            prices.scheduler_free_invocations,
        ),
    ]
}

fn render(bill: &Bill) -> String {
    let p = &bill.prices;
    let mut out = format!(
        "pipelines cost: {} (prices: {}, read {})\n\nWorkflows\n",
        bill.month, p.region, p.read_on
    );
    for w in &bill.workflows {
        let per_run = match (w.kind, w.transitions_per_run, &w.test_case) {
            (Kind::Standard, Some(t), Some(case)) => {
                format!(
                    ", {t} transitions per run ({case}), ${:.4}",
                    w.step_functions_usd
                )
            }
            (Kind::Express, _, _) => format!(
                ", {:.1} GB-s, ${:.4}",
                w.express_gb_seconds, w.step_functions_usd
            ),
            _ => ", Lambda: see Functions".into(),
        };
        out.push_str(&format!(
            "  {:<28} {:<9} {:>10} runs{per_run}  [{}]\n",
            w.name,
            json!(w.kind).as_str().unwrap_or_default(),
            w.runs,
            w.runs_from.join("; ")
        ));
    }
    out.push_str("\nFunctions\n");
    for f in &bill.functions {
        out.push_str(&format!(
            "  {:<28} {} MB {:<7} {} ms ({}) {:>10} invocations {:>12.1} GB-s  ${:.4}  [{}]\n",
            f.name,
            f.memory_mb,
            f.architecture,
            f.duration_ms,
            f.duration_from,
            f.invocations,
            f.gb_seconds,
            f.usd,
            f.invoked_by.join("; ")
        ));
    }
    out.push_str(
        "\nServices                              quantity        gross    free tier          net\n",
    );
    for s in bill.services.iter().filter(|s| s.quantity > 0.0) {
        out.push_str(&format!(
            "  {:<32} {:>14.1} {:>10.4} {:>12.1} {:>12.4}  ({})\n",
            s.service, s.quantity, s.gross_usd, s.free_quantity, s.net_usd, s.unit
        ));
    }
    out.push_str(&format!(
        "\nTotal: ${:.2} per month; budget ${:.2}: {} ({:.1} %)\n",
        bill.total_usd,
        bill.budget_usd,
        if bill.within_budget { "within" } else { "OVER" },
        if bill.budget_usd > 0.0 {
            bill.total_usd / bill.budget_usd * 100.0
        } else {
            0.0
        }
    ));
    out.push_str(&if bill.free_tiers_applied {
        format!(
            "Free tiers applied (monthly, per account): Step Functions Standard {} transitions, Lambda {} requests and {} GB-seconds, EventBridge Scheduler {} invocations; Express has none. --no-free-tier leaves them out.\n",
            p.standard_free_transitions, p.lambda_free_requests, p.lambda_free_gb_seconds, p.scheduler_free_invocations
        )
    } else {
        "Free tiers left out (--no-free-tier): list prices throughout.\n".to_string()
    });
    for failed in &bill.failed_runs {
        out.push_str(&format!(
            "error: local run failed, transitions unknown: {failed}\n"
        ));
    }
    for note in &bill.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_lose_their_version_or_alias() {
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:worker";
        assert_eq!(unqualified(&format!("{arn}:live")), arn);
        assert_eq!(unqualified(&format!("{arn}:$LATEST")), arn);
        assert_eq!(unqualified(arn), arn);
        assert_eq!(unqualified("worker:7"), "worker");
        assert_eq!(unqualified("worker"), "worker");
    }

    #[test]
    fn express_billing_rounds_up_to_its_steps() {
        assert_eq!(round_up(250.0, 100.0), 300.0);
        assert_eq!(round_up(300.0, 100.0), 300.0);
        assert_eq!(round_up(65.0, 64.0), 128.0);
        assert_eq!(round_up(65.0, 0.0), 65.0);
    }

    #[test]
    fn a_month_runs_from_its_first_day_to_the_next_months() {
        let (name, start, end) = month_bounds(Some("2027-12")).unwrap();
        assert_eq!(name, "2027-12");
        assert_eq!(iso(start), "2027-12-01T00:00:00Z");
        assert_eq!(iso(end), "2028-01-01T00:00:00Z");
        assert!(month_bounds(Some("2027-13")).is_err());
        assert!(month_bounds(Some("December")).is_err());
    }
}
