//! The weekly performance report: agent trends, detected issues, experiments and their results,
//! suggested experiments, time saved — as Markdown and as one self-contained HTML file with
//! embedded SVG charts (no script, no external resource). Every text from the data is escaped.

use super::detect;
use super::incidents::{self, Incident};
use super::roi::{self, Roi};
use super::suggest::{self, Suggestion};
use crate::analytics;
use crate::experiments::{self, Status};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::fmt::Write;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AgentLine {
    pub agent: String,
    pub settlements_7d: usize,
    pub acceptance_7d: Option<f64>,
    pub acceptance_prev_7d: Option<f64>,
    pub acceptance_30d: Option<f64>,
    /// Weekly mean acceptance for the last 12 weeks, oldest first (`None` for an empty week).
    pub weekly: Vec<Option<f64>>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExperimentLine {
    pub id: String,
    pub agent: String,
    pub status: &'static str,
    pub n_a: usize,
    pub n_b: usize,
    pub planned: (u64, u64),
    pub verdict: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WeeklyReport {
    pub generated: DateTime<Utc>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub agents: Vec<AgentLine>,
    /// What needs attention, one incident per agent with its parts.
    pub incidents: Vec<Incident>,
    pub experiments: Vec<ExperimentLine>,
    pub suggestions: Vec<Suggestion>,
    pub roi: Roi,
    /// Recommended actions, most urgent first.
    pub actions: Vec<String>,
}

/// Build the report for the week ending at `now`.
pub fn build(store: &Store, now: DateTime<Utc>) -> Result<WeeklyReport, StoreError> {
    let findings = detect::auto_detect_regression(store, now)?;
    let suggestions = suggest::suggest_experiments(store, now, &findings)?;
    let roi = roi::estimate(store, now)?;
    let obs = analytics::observations(store, Some(now - Duration::weeks(12)), Some(now))?;
    let mut names: Vec<&str> = obs.iter().map(|o| o.agent.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mean = |agent: &str, from: DateTime<Utc>, to: DateTime<Utc>| {
        let v: Vec<f64> = obs
            .iter()
            .filter(|o| o.agent == agent && o.at > from && o.at <= to)
            .map(|o| o.acceptance)
            .collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    let agents = names
        .iter()
        .map(|a| AgentLine {
            agent: a.to_string(),
            settlements_7d: obs
                .iter()
                .filter(|o| o.agent == *a && o.at > now - Duration::days(7))
                .count(),
            acceptance_7d: mean(a, now - Duration::days(7), now),
            acceptance_prev_7d: mean(a, now - Duration::days(14), now - Duration::days(7)),
            acceptance_30d: mean(a, now - Duration::days(30), now),
            weekly: (0..12)
                .map(|w| {
                    let end = now - Duration::weeks(11 - w);
                    mean(a, end - Duration::weeks(1), end)
                })
                .collect(),
        })
        .collect();
    let mut lines = Vec::new();
    for e in experiments::list(store)? {
        let in_period = e.status == Status::Running
            || e.completed.is_some_and(|c| c > now - Duration::days(7))
            || e.deployed.is_some_and(|d| d > now - Duration::days(7));
        if !in_period {
            continue;
        }
        let r = experiments::results(store, &e)?;
        lines.push(ExperimentLine {
            id: e.id.clone(),
            agent: e.agent.clone(),
            status: e.status.name(),
            n_a: r.a.n,
            n_b: r.b.n,
            planned: e.planned,
            verdict: e.reason.clone().unwrap_or(r.verdict.reason),
        });
    }
    // Suggestions carry the finding behind them; findings without one come after.
    let mut actions: Vec<String> = suggestions.iter().map(|s| s.title.clone()).collect();
    actions.extend(
        findings
            .iter()
            .filter(|f| f.kind == "drop" || f.kind == "rejections_rising")
            .filter(|f| suggestions.iter().all(|s| s.agent != f.agent))
            .map(|f| format!("Look into it: {}", f.message)),
    );
    actions.extend(
        lines
            .iter()
            .filter(|l| l.status == "Completed" && !l.verdict.starts_with("No winner"))
            .map(|l| format!("Deploy the winner of {} ({}).", l.id, l.agent)),
    );
    Ok(WeeklyReport {
        generated: now,
        from: now - Duration::days(7),
        to: now,
        agents,
        incidents: incidents::of_findings(findings, now),
        experiments: lines,
        suggestions,
        roi,
        actions,
    })
}

/// "high: The Auditor", "medium: no new data".
fn severity(i: &Incident) -> String {
    let level = i.severity.name();
    let what = if i.agent.is_empty() {
        "no new data"
    } else {
        i.agent.as_str()
    };
    format!("{level}: {what}")
}

fn pct(x: Option<f64>) -> String {
    x.map_or("–".into(), |v| format!("{:.1}%", v * 100.0))
}

fn change(now: Option<f64>, before: Option<f64>) -> String {
    match (now, before) {
        (Some(a), Some(b)) => format!("{:+.1} pts", (a - b) * 100.0),
        _ => "–".into(),
    }
}

/// Escape text for HTML element content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Markdown table cells: no line breaks, pipes escaped.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

impl WeeklyReport {
    pub fn markdown(&self) -> String {
        let mut m = String::new();
        let _ = writeln!(
            m,
            "# Redline weekly report\n\n{} to {} (generated {})\n",
            self.from.format("%Y-%m-%d"),
            self.to.format("%Y-%m-%d"),
            self.generated.format("%Y-%m-%d %H:%M UTC")
        );
        let _ = writeln!(m, "## Recommended actions\n");
        if self.actions.is_empty() {
            let _ = writeln!(m, "Nothing needs attention this week.\n");
        }
        for a in &self.actions {
            let _ = writeln!(m, "- {}", cell(a));
        }
        let _ = writeln!(
            m,
            "\n## Agents\n\n| Agent | Settlements (7 days) | Acceptance (7 days) | Week over week | Acceptance (30 days) |\n|---|---:|---:|---:|---:|"
        );
        for a in &self.agents {
            let _ = writeln!(
                m,
                "| {} | {} | {} | {} | {} |",
                cell(&a.agent),
                a.settlements_7d,
                pct(a.acceptance_7d),
                change(a.acceptance_7d, a.acceptance_prev_7d),
                pct(a.acceptance_30d)
            );
        }
        let _ = writeln!(m, "\n## Detected issues\n");
        if self.incidents.is_empty() {
            let _ = writeln!(m, "None.");
        }
        for i in &self.incidents {
            let _ = writeln!(m, "- **{}**: {}", severity(i), cell(&i.summary));
            if i.parts.len() > 1 {
                for p in &i.parts {
                    let _ = writeln!(m, "  - {}: {}", p.kind.replace('_', " "), cell(&p.message));
                }
            }
        }
        let _ = writeln!(m, "\n## Experiments\n");
        if self.experiments.is_empty() {
            let _ = writeln!(m, "No experiment ran this week.");
        }
        for e in &self.experiments {
            let _ = writeln!(
                m,
                "- **{}** ({}, {}): A {} / B {} of {} + {} planned. {}",
                cell(&e.id),
                cell(&e.agent),
                e.status.replace('_', " "),
                e.n_a,
                e.n_b,
                e.planned.0,
                e.planned.1,
                cell(&e.verdict)
            );
        }
        let _ = writeln!(m, "\n## Suggested experiments\n");
        if self.suggestions.is_empty() {
            let _ = writeln!(
                m,
                "None: no agent shows a gap or issue the data can pin down."
            );
        }
        for s in &self.suggestions {
            let _ = writeln!(m, "- {}", cell(&s.title));
        }
        let r = &self.roi;
        let _ = writeln!(
            m,
            "\n## Editing time\n\n{:.1} hours of editing in the last 7 days ({:+.1} against the week before), at {} s per changed word.",
            r.hours_last_week,
            r.hours_last_week - r.hours_week_before,
            r.settings.seconds_per_word
        );
        let _ = writeln!(
            m,
            "\n| Agent | Editing last week | Per settlement (4 weeks) | Trend (12 weeks) |\n|---|---:|---:|---|"
        );
        for a in &r.agents {
            let _ = writeln!(
                m,
                "| {} | {:.0} min | {} | {} |",
                cell(&a.agent),
                a.weekly_minutes.last().copied().unwrap_or(0.0),
                a.seconds_per_settlement
                    .map_or("–".into(), |s| format!("{s:.0} s")),
                a.trend.map_or("–".into(), |(slope, p)| format!(
                    "{slope:+.1} min/week each week{}",
                    if p < 0.05 { "" } else { " (not significant)" }
                ))
            );
        }
        for d in &r.deployments {
            let _ = writeln!(
                m,
                "- {} ({}): {} → {} seconds of editing per settlement after deployment.",
                cell(&d.experiment),
                cell(&d.agent),
                d.before.map_or("–".into(), |v| format!("{v:.0}")),
                d.after.map_or("–".into(), |v| format!("{v:.0}"))
            );
        }
        if r.hours_saved_per_week > 0.0 {
            let _ = writeln!(
                m,
                "\nDeployed winners save about {:.1} hours a week.",
                r.hours_saved_per_week
            );
        }
        if let Some(w) = r.break_even_weeks {
            let _ = writeln!(m, "The fine-tuning spend pays back in about {w:.0} weeks.");
        }
        if r.llm_calls > 0 {
            let _ = writeln!(
                m,
                "Redline's own LLM calls: {} ({} input, {} output tokens; {:.2} at the prices entered).",
                r.llm_calls, r.llm_input_tokens, r.llm_output_tokens, r.llm_cost
            );
        }
        m
    }

    /// One self-contained HTML page: inline CSS, SVG charts, no script, no external resource.
    pub fn html(&self) -> String {
        let mut h = String::new();
        let title = format!(
            "Redline weekly report, {} to {}",
            self.from.format("%Y-%m-%d"),
            self.to.format("%Y-%m-%d")
        );
        let _ = write!(
            h,
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"><style>body{{font:14px/1.5 system-ui,sans-serif;max-width:980px;margin:24px auto;padding:0 16px;color:#1d1d1f}}table{{border-collapse:collapse;width:100%}}th,td{{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left}}td.n{{text-align:right;font-variant-numeric:tabular-nums}}h2{{margin-top:28px}}.muted{{color:#666}}</style></head><body>\n<h1>{}</h1>\n<p class=\"muted\">Generated {}</p>\n",
            esc(&title),
            esc(&title),
            self.generated.format("%Y-%m-%d %H:%M UTC")
        );
        let list = |h: &mut String, items: &[String], empty: &str| {
            if items.is_empty() {
                let _ = writeln!(h, "<p>{}</p>", esc(empty));
            } else {
                let _ = writeln!(h, "<ul>");
                for i in items {
                    let _ = writeln!(h, "<li>{}</li>", esc(i));
                }
                let _ = writeln!(h, "</ul>");
            }
        };
        let _ = writeln!(h, "<h2>Recommended actions</h2>");
        list(&mut h, &self.actions, "Nothing needs attention this week.");
        let _ = writeln!(h, "<h2>Agents</h2>\n{}", self.trend_svg());
        let _ = writeln!(h, "<table><thead><tr><th>Agent</th><th>Settlements (7 days)</th><th>Acceptance (7 days)</th><th>Week over week</th><th>Acceptance (30 days)</th></tr></thead><tbody>");
        for a in &self.agents {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&a.agent),
                a.settlements_7d,
                pct(a.acceptance_7d),
                change(a.acceptance_7d, a.acceptance_prev_7d),
                pct(a.acceptance_30d)
            );
        }
        let _ = writeln!(h, "</tbody></table>\n<h2>Detected issues</h2>");
        if self.incidents.is_empty() {
            let _ = writeln!(h, "<p>None.</p>");
        } else {
            let _ = writeln!(h, "<ul>");
            for i in &self.incidents {
                let _ = write!(
                    h,
                    "<li><strong>{}</strong>: {}",
                    esc(&severity(i)),
                    esc(&i.summary)
                );
                if i.parts.len() > 1 {
                    let parts: Vec<String> = i
                        .parts
                        .iter()
                        .map(|p| format!("{}: {}", p.kind.replace('_', " "), p.message))
                        .collect();
                    h.push('\n');
                    list(&mut h, &parts, "");
                }
                let _ = writeln!(h, "</li>");
            }
            let _ = writeln!(h, "</ul>");
        }
        let _ = writeln!(h, "<h2>Experiments</h2>");
        let exps: Vec<String> = self
            .experiments
            .iter()
            .map(|e| {
                format!(
                    "{} ({}, {}): A {} / B {} of {} + {} planned. {}",
                    e.id,
                    e.agent,
                    e.status.replace('_', " "),
                    e.n_a,
                    e.n_b,
                    e.planned.0,
                    e.planned.1,
                    e.verdict
                )
            })
            .collect();
        list(&mut h, &exps, "No experiment ran this week.");
        let _ = writeln!(h, "<h2>Suggested experiments</h2>");
        let sugg: Vec<String> = self.suggestions.iter().map(|s| s.title.clone()).collect();
        list(
            &mut h,
            &sugg,
            "None: no agent shows a gap or issue the data can pin down.",
        );
        let r = &self.roi;
        let _ = writeln!(
            h,
            "<h2>Editing time</h2>\n<p>{:.1} hours of editing in the last 7 days ({:+.1} against the week before), at {} s per changed word.</p>\n{}",
            r.hours_last_week,
            r.hours_last_week - r.hours_week_before,
            r.settings.seconds_per_word,
            self.effort_svg()
        );
        let _ = writeln!(h, "</body></html>");
        h
    }

    /// Weekly mean acceptance per agent, 12 weeks.
    fn trend_svg(&self) -> String {
        const COLOURS: [&str; 6] = [
            "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00",
        ];
        let (w, hgt, l, r, t, b) = (760.0, 260.0, 44.0, 170.0, 12.0, 30.0);
        let x = |i: usize| l + i as f64 * (w - l - r) / 11.0;
        let y = |v: f64| t + (1.0 - v) * (hgt - t - b);
        let mut s = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {hgt}\" width=\"{w}\" height=\"{hgt}\" role=\"img\" aria-label=\"Weekly mean acceptance per agent, last 12 weeks\">");
        for k in 0..=5 {
            let v = k as f64 * 0.2;
            let _ = write!(s, "<line x1=\"{l}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{:.0}%</text>", w - r, y(v), y(v), l - 6.0, y(v) + 4.0, v * 100.0);
        }
        let _ = write!(s, "<text x=\"{l}\" y=\"{}\" font-size=\"11\">Weeks (oldest left) · weekly mean acceptance</text>", hgt - 8.0);
        for (k, a) in self.agents.iter().enumerate() {
            let colour = COLOURS[k % COLOURS.len()];
            let mut d = String::new();
            let mut pen = false;
            for (i, v) in a.weekly.iter().enumerate() {
                match v {
                    Some(v) => {
                        let _ =
                            write!(d, "{}{:.1},{:.1}", if pen { "L" } else { "M" }, x(i), y(*v));
                        pen = true;
                    }
                    None => pen = false,
                }
            }
            if !d.is_empty() {
                let _ = write!(
                    s,
                    "<path d=\"{d}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>"
                );
            }
            let ly = t + 14.0 + k as f64 * 18.0;
            let _ = write!(s, "<rect x=\"{}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{colour}\"/><text x=\"{}\" y=\"{:.1}\" font-size=\"12\">{}</text>", w - r + 14.0, ly - 10.0, w - r + 32.0, ly, esc(&a.agent));
        }
        s.push_str("</svg>");
        s
    }

    /// Editing hours per agent in the last 7 days, as bars.
    fn effort_svg(&self) -> String {
        let rows: Vec<(String, f64)> = self
            .roi
            .agents
            .iter()
            .map(|a| {
                (
                    a.agent.clone(),
                    a.weekly_minutes.last().copied().unwrap_or(0.0) / 60.0,
                )
            })
            .collect();
        let max = rows.iter().map(|r| r.1).fold(0.0f64, f64::max).max(0.1);
        let (w, row, l) = (640.0, 24.0, 170.0);
        let hgt = rows.len() as f64 * row + 10.0;
        let mut s = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {hgt}\" width=\"{w}\" height=\"{hgt}\" role=\"img\" aria-label=\"Editing hours per agent, last week\">");
        for (i, (agent, hours)) in rows.iter().enumerate() {
            let y0 = 5.0 + i as f64 * row;
            let bw = (w - l - 80.0) * hours / max;
            let _ = write!(s, "<text x=\"{}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\">{}</text><rect x=\"{l}\" y=\"{:.1}\" width=\"{:.1}\" height=\"16\" fill=\"#0072b2\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{hours:.1} h</text>", l - 8.0, y0 + 15.0, esc(agent), y0 + 3.0, bw.max(1.0), l + bw + 6.0, y0 + 15.0);
        }
        s.push_str("</svg>");
        s
    }
}
