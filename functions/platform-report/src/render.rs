//! The report as a self-contained HTML page (inline styles, no scripts, nothing fetched) and as
//! a Markdown summary (lists only, so it reads the same in Slack, e-mail and a Markdown viewer).
//! A missing value is written "no data".

use crate::registry::VersionView;
use crate::report::{ModelWeek, Report, WorkflowWeek};
use std::fmt::Write;

/// The text for a missing value.
pub const NO_DATA: &str = "no data";

/// A count, or "no data".
pub fn count(v: Option<f64>) -> String {
    v.map_or(NO_DATA.into(), |n| format!("{n:.0}"))
}

/// A duration in ms as `1 h 02 min`, `4 min 05 s` or `12.3 s`, or "no data".
pub fn duration(ms: Option<f64>) -> String {
    let Some(ms) = ms else { return NO_DATA.into() };
    let s = ms / 1000.0;
    if s < 60.0 {
        format!("{s:.1} s")
    } else if s < 3600.0 {
        format!("{} min {:02} s", (s / 60.0) as u64, (s % 60.0) as u64)
    } else {
        format!(
            "{} h {:02} min",
            (s / 3600.0) as u64,
            (s % 3600.0 / 60.0) as u64
        )
    }
}

/// A USD amount, or "no data".
pub fn usd(v: Option<f64>) -> String {
    v.map_or(NO_DATA.into(), |n| format!("${n:.4}"))
}

fn number(v: Option<f64>) -> String {
    v.map_or(NO_DATA.into(), |n| format!("{n:.3}"))
}

/// HTML-escapes `text`.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn week(report: &Report) -> String {
    format!(
        "{} to {}",
        report.start.format("%Y-%m-%d"),
        (report.end - chrono::Duration::seconds(1)).format("%Y-%m-%d")
    )
}

fn failures(w: &WorkflowWeek) -> Option<f64> {
    let parts = [w.failed, w.timed_out, w.aborted];
    parts
        .iter()
        .any(Option::is_some)
        .then(|| parts.iter().flatten().sum())
}

fn gate(v: &VersionView) -> String {
    let decision = match v.gate_passed {
        Some(true) => "passed",
        Some(false) => "failed",
        None => NO_DATA,
    };
    match (&v.gate_metric, v.gate_threshold) {
        (Some(m), Some(t)) => format!("{decision} ({m} threshold {t})"),
        _ => decision.to_string(),
    }
}

fn metric_pairs(
    latest: &VersionView,
    production: Option<&VersionView>,
) -> Vec<(String, String, String)> {
    latest
        .metrics
        .iter()
        .map(|(name, value)| {
            let prod = production
                .and_then(|p| p.metrics.get(name))
                .map_or(NO_DATA.to_string(), |v| v.to_string());
            (name.clone(), value.to_string(), prod)
        })
        .collect()
}

fn version_label(v: &VersionView) -> String {
    v.version
        .map_or_else(|| v.arn.clone(), |n| format!("version {n}"))
}

/// The Markdown summary; `link` is where the full page is.
pub fn markdown(report: &Report, link: &str) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# Platform report {}, week {}\n",
        report.environment,
        week(report)
    );
    if let Some(failure) = &report.metrics_failure {
        let _ = writeln!(
            md,
            "CloudWatch could not be read ({failure}): its figures show no data.\n"
        );
    }
    let _ = writeln!(md, "## Workflows\n");
    for w in &report.workflows {
        let _ = writeln!(
            md,
            "- **{}**: {} started, {} succeeded, {} failed, {} timed out, {} aborted; p50 {}, p95 {}; {} transitions, {}",
            w.workflow.name,
            count(w.started),
            count(w.succeeded),
            count(w.failed),
            count(w.timed_out),
            count(w.aborted),
            duration(w.p50_ms),
            duration(w.p95_ms),
            count(w.transitions),
            usd(w.cost_usd),
        );
    }
    let _ = writeln!(
        md,
        "\nStep Functions cost of the week (list price): {}\n",
        usd(report.total_cost_usd())
    );
    let _ = writeln!(md, "## Models\n");
    for m in &report.models {
        let _ = writeln!(md, "- **{}**: {}", m.name, model_line(m));
    }
    let dq = &report.data_quality;
    let _ = writeln!(
        md,
        "\n## Data quality\n\n- {} checks run, {} failed, {} could not run",
        count(dq.checks_run),
        count(dq.checks_failed),
        count(dq.checks_errored)
    );
    for check in dq.failing.iter().take(10) {
        let _ = writeln!(
            md,
            "- {} on {}: failed {} times",
            check.check, check.table, check.failures
        );
    }
    let _ = writeln!(md, "\nFull report: {link}");
    md
}

fn model_line(m: &ModelWeek) -> String {
    let registry = match &m.registry {
        Err(e) => format!("registry: {NO_DATA} ({e})"),
        Ok(r) => {
            let latest = r
                .latest
                .as_ref()
                .map_or(format!("latest candidate: {NO_DATA}"), |v| {
                    let metric = v
                        .gate_metric
                        .as_ref()
                        .and_then(|g| v.metrics.get(g).map(|x| format!("{g} {x}")))
                        .unwrap_or_else(|| NO_DATA.into());
                    let prod = r
                        .production
                        .as_ref()
                        .and_then(|p| v.gate_metric.as_ref().and_then(|g| p.metrics.get(g)))
                        .map_or(NO_DATA.to_string(), |x| x.to_string());
                    format!(
                        "latest {} {metric} (production {prod}), gate {}",
                        version_label(v),
                        gate(v)
                    )
                });
            // A group without versions has no deployment history: "no data", not zeros.
            if r.latest.is_none() {
                format!("{latest}; deployments {NO_DATA}")
            } else {
                format!(
                    "{latest}; {} deployed, {} rolled back",
                    r.deployments, r.rollbacks
                )
            }
        }
    };
    let worst = m
        .psi
        .iter()
        .filter_map(|(f, v)| v.map(|v| (f, v)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(format!("PSI {NO_DATA}"), |(f, v)| {
            format!("highest PSI {v:.3} ({f})")
        });
    format!(
        "{registry}; drift detected in {} runs, {worst}",
        count(m.drift_detected_runs)
    )
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:72rem;color:#1f2933;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d9e2ec;padding-bottom:.3rem}
h3{font-size:1rem;margin:1.2rem 0 .4rem}p.sub{color:#52606d;margin-top:0}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin:.5rem 0}
th,td{border:1px solid #d9e2ec;padding:.35rem .6rem;text-align:right}th{background:#f0f4f8}
td:first-child,th:first-child{text-align:left}.nodata{color:#9aa5b1;font-style:italic}
.bad{color:#b42318;font-weight:600}.good{color:#027a48}.warn{color:#b54708;font-weight:600}
.note{background:#fffbea;border:1px solid #f0b429;padding:.5rem .8rem;border-radius:4px}";

fn cell(text: String) -> String {
    if text == NO_DATA {
        format!("<td class=\"nodata\">{NO_DATA}</td>")
    } else {
        format!("<td>{}</td>", escape(&text))
    }
}

fn flagged(text: String, bad: bool) -> String {
    if bad && text != NO_DATA {
        format!("<td class=\"bad\">{}</td>", escape(&text))
    } else {
        cell(text)
    }
}

/// The self-contained HTML page.
pub fn html(report: &Report) -> String {
    let mut h = String::new();
    let title = format!(
        "Platform report {}, week {}",
        report.environment,
        week(report)
    );
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body><h1>{}</h1><p class=\"sub\">{} to {} (UTC). Missing sources show as <span class=\"nodata\">no data</span>, never as zero.</p>",
        escape(&title),
        escape(&title),
        report.start.to_rfc3339(),
        report.end.to_rfc3339()
    );
    if let Some(failure) = &report.metrics_failure {
        let _ = write!(
            h,
            "<p class=\"note\">CloudWatch could not be read: {}</p>",
            escape(failure)
        );
    }
    if let Some(failure) = &report.durations_failure {
        let _ = write!(
            h,
            "<p class=\"note\">Duration percentiles could not be read: {}</p>",
            escape(failure)
        );
    }
    let _ = write!(h, "<h2>Workflows</h2><table><tr><th>Workflow</th><th>Started</th><th>Succeeded</th><th>Failed</th><th>Timed out</th><th>Aborted</th><th>p50 duration</th><th>p95 duration</th><th>State transitions</th><th>Cost (USD)</th></tr>");
    for w in &report.workflows {
        let _ = write!(
            h,
            "<tr><td>{}</td>{}{}{}{}{}{}{}{}{}</tr>",
            escape(&w.workflow.name),
            cell(count(w.started)),
            cell(count(w.succeeded)),
            flagged(count(w.failed), w.failed.is_some_and(|n| n > 0.0)),
            flagged(count(w.timed_out), w.timed_out.is_some_and(|n| n > 0.0)),
            flagged(count(w.aborted), w.aborted.is_some_and(|n| n > 0.0)),
            cell(duration(w.p50_ms)),
            cell(duration(w.p95_ms)),
            cell(count(w.transitions)),
            cell(usd(w.cost_usd)),
        );
    }
    let failed = report.workflows.iter().filter_map(failures).sum::<f64>();
    let _ = write!(
        h,
        "</table><p>Step Functions cost of the week: <b>{}</b> (Standard transitions at ${} each, list price read {}, before the free tier; transitions = started executions × transitions per execution). Executions that did not succeed: <b>{failed:.0}</b>.</p>",
        escape(&usd(report.total_cost_usd())),
        report.transition_price.0,
        escape(&report.transition_price.1)
    );
    let _ = write!(h, "<h2>Models</h2>");
    for m in &report.models {
        model_html(&mut h, m);
    }
    let dq = &report.data_quality;
    let _ = write!(
        h,
        "<h2>Data quality</h2><table><tr><th>Checks run</th><th>Failed</th><th>Could not run</th></tr><tr>{}{}{}</tr></table>",
        cell(count(dq.checks_run)).replace("<td>", "<td style=\"text-align:left\">"),
        flagged(count(dq.checks_failed), dq.checks_failed.is_some_and(|n| n > 0.0)),
        flagged(count(dq.checks_errored), dq.checks_errored.is_some_and(|n| n > 0.0)),
    );
    if !dq.failing.is_empty() {
        let _ = write!(
            h,
            "<table><tr><th>Check</th><th>Table</th><th>Failures</th></tr>"
        );
        for c in &dq.failing {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td class=\"bad\">{:.0}</td></tr>",
                escape(&c.check),
                escape(&c.table),
                c.failures
            );
        }
        let _ = write!(h, "</table>");
    }
    let _ = writeln!(h, "</body></html>");
    h
}

fn model_html(h: &mut String, m: &ModelWeek) {
    let _ = write!(
        h,
        "<h3>{} <small class=\"sub\">({})</small></h3>",
        escape(&m.name),
        escape(&m.group)
    );
    match &m.registry {
        Err(e) => {
            let _ = write!(
                h,
                "<p>Registry: <span class=\"nodata\">{NO_DATA}</span> ({})</p>",
                escape(e)
            );
        }
        Ok(r) => {
            let _ = write!(
                h,
                "<p>Deployments this week: <b>{}</b> · rollbacks: <b{}>{}</b> · versions registered: <b>{}</b></p>",
                r.deployments,
                if r.rollbacks > 0 { " class=\"bad\"" } else { "" },
                r.rollbacks,
                r.registered
            );
            match &r.latest {
                None => {
                    let _ = write!(
                        h,
                        "<p>Latest candidate: <span class=\"nodata\">{NO_DATA}</span></p>"
                    );
                }
                Some(latest) => {
                    let gate_class = match latest.gate_passed {
                        Some(true) => "good",
                        Some(false) => "bad",
                        None => "nodata",
                    };
                    let prod = r
                        .production
                        .as_ref()
                        .map_or(NO_DATA.to_string(), version_label);
                    let _ = write!(
                        h,
                        "<p>Latest candidate {} against production {}: gate <span class=\"{gate_class}\">{}</span></p><table><tr><th>Metric</th><th>Candidate</th><th>Production</th></tr>",
                        escape(&version_label(latest)),
                        escape(&prod),
                        escape(&gate(latest))
                    );
                    for (name, candidate, production) in metric_pairs(latest, r.production.as_ref())
                    {
                        let _ = write!(
                            h,
                            "<tr><td>{}</td>{}{}</tr>",
                            escape(&name),
                            cell(candidate),
                            cell(production)
                        );
                    }
                    let _ = write!(h, "</table>");
                }
            }
        }
    }
    let (warn, act) = m.psi_levels;
    let _ = write!(
        h,
        "<p>Drift monitor: drift detected in <b>{}</b> runs; most features drifted in one run: <b>{}</b>.</p>",
        escape(&count(m.drift_detected_runs)),
        escape(&count(m.max_features_drifted))
    );
    if m.psi.is_empty() {
        let _ = write!(
            h,
            "<p>PSI per feature: <span class=\"nodata\">{NO_DATA}</span></p>"
        );
    } else {
        let _ = write!(
            h,
            "<table><tr><th>Feature</th><th>Highest PSI (warn {warn}, act {act})</th></tr>"
        );
        for (feature, psi) in &m.psi {
            let class = match psi {
                Some(v) if *v >= act => " class=\"bad\"",
                Some(v) if *v >= warn => " class=\"warn\"",
                Some(_) => "",
                None => " class=\"nodata\"",
            };
            let _ = write!(
                h,
                "<tr><td>{}</td><td{class}>{}</td></tr>",
                escape(feature),
                escape(&number(*psi))
            );
        }
        let _ = write!(h, "</table>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_values_read_no_data_and_present_ones_their_value() {
        assert_eq!(count(None), "no data");
        assert_eq!(count(Some(0.0)), "0");
        assert_eq!(duration(None), "no data");
        assert_eq!(duration(Some(754_000.0)), "12 min 34 s");
        assert_eq!(duration(Some(3_725_000.0)), "1 h 02 min");
        assert_eq!(usd(Some(0.00075)), "$0.0008");
        assert_eq!(escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
