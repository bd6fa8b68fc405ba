//! How the CLI prints results: plain text for people, JSON for scripts.

use anyhow::Result;
use redline_core::diff::{self, SpanKind};
use redline_core::import::ImportReport;
use redline_core::store::{CountRow, Page, Store};
use redline_core::Settlement;
use serde::Serialize;
use std::collections::BTreeMap;
mod export;
mod patterns;
pub use export::{export_report, targets, validation};
pub use patterns::{edit_ops, improvements, improvements_validated, patterns};

pub fn json_out(value: &impl Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub fn import_report(r: &ImportReport, json: bool) -> Result<()> {
    if json {
        return json_out(r);
    }
    let w = &r.written;
    if r.rejected {
        say!(
            "nothing imported: {} of {} records are bad and --strict was given",
            r.bad_total,
            r.records
        );
    } else {
        say!(
            "{}: {} records read; {} new, {} updated, {} unchanged, {} skipped",
            r.path.display(),
            r.records,
            w.inserted,
            w.updated,
            w.unchanged,
            r.bad_total
        );
    }
    if r.cancelled {
        say!("cancelled: the batches before the cancel were imported; run again to finish");
    }
    for run in &r.bad_runs {
        if run.first == run.last {
            tell!("line {}: {}", run.first, run.reason);
        } else {
            tell!("lines {}–{}: {}", run.first, run.last, run.reason);
        }
    }
    if r.bad_total > r.bad.len() as u64 {
        tell!("… and {} more bad lines", r.bad_total - r.bad.len() as u64);
    }
    Ok(())
}

#[derive(Serialize)]
struct Stats<'a> {
    total: u64,
    by_agent: BTreeMap<&'a str, u64>,
    by_intent_type: BTreeMap<&'a str, u64>,
    by_month: BTreeMap<&'a str, u64>,
    rows: &'a [CountRow],
}

pub fn stats(rows: &[CountRow], json: bool) -> Result<()> {
    let mut s = Stats {
        total: 0,
        by_agent: BTreeMap::new(),
        by_intent_type: BTreeMap::new(),
        by_month: BTreeMap::new(),
        rows,
    };
    for r in rows {
        s.total += r.count;
        *s.by_agent.entry(&r.agent).or_default() += r.count;
        let kind = if r.intent_type.is_empty() {
            "unknown"
        } else {
            &r.intent_type
        };
        *s.by_intent_type.entry(kind).or_default() += r.count;
        *s.by_month.entry(&r.month).or_default() += r.count;
    }
    if json {
        return json_out(&s);
    }
    say!("{} settlements", s.total);
    for (title, map) in [
        ("agent", &s.by_agent),
        ("intent type", &s.by_intent_type),
        ("month", &s.by_month),
    ] {
        say!("\nby {title}:");
        let width = map.keys().map(|k| k.chars().count()).max().unwrap_or(0);
        for (k, n) in map {
            say!("  {k:<width$}  {n:>8}");
        }
    }
    Ok(())
}

pub fn page(p: &Page, json: bool) -> Result<()> {
    if json {
        return json_out(p);
    }
    if p.total == 0 {
        say!("no settlements match");
        return Ok(());
    }
    for s in &p.items {
        let rate = s
            .acceptance_rate
            .map_or("   –".to_string(), |a| format!("{:>3.0}%", a * 100.0));
        say!(
            "{}  {}  {:<18} {:<12} {}  {}",
            s.created_at.format("%Y-%m-%d %H:%M"),
            rate,
            s.agent.as_str(),
            s.intent_type.to_string(),
            s.id,
            one_line(&s.preview, 60)
        );
    }
    let last = p.offset + p.items.len() as u64;
    say!("{}–{} of {}", (p.offset + 1).min(last), last, p.total);
    Ok(())
}

fn one_line(text: &str, max: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() > max {
        flat.chars().take(max - 1).chain(['…']).collect()
    } else {
        flat
    }
}

pub fn settlement(s: Settlement, json: bool) -> Result<()> {
    let detail = diff::detail(s);
    if json {
        return json_out(&detail);
    }
    let diff::Detail {
        settlement: s,
        spans,
        counts,
        coarse,
        sentences,
    } = detail;
    say!("id:           {}", s.id);
    say!("agent:        {}", s.agent);
    say!("intent type:  {}", s.intent_type);
    say!("created:      {}", s.created_at.to_rfc3339());
    if let Some(a) = s.acceptance_rate {
        say!("acceptance:   {:.0}% (from the source)", a.get() * 100.0);
    }
    say!(
        "words kept:   {} of {} ({:.0}%), {} deleted, {} added",
        counts.kept,
        counts.old_words,
        counts.kept_share() * 100.0,
        counts.deleted,
        counts.inserted
    );
    if let Some(v) = &s.prompt_version {
        say!("prompt:       {v}");
    }
    if let Some(ms) = s.processing_ms {
        say!("processing:   {ms} ms");
    }
    if let Some(e) = s.error {
        say!("error:        {e}");
    }
    say!("source:       {} {}", s.source.kind, s.source.id);
    say!("\nintent:\n{}\n", s.intent);
    if coarse {
        say!("note:         a very long rewrite: the alignment stopped at its time limit, so part of it shows as deleted and added whole");
    }
    let c = &sentences;
    say!(
        "sentences:    {} kept, {} edited, {} moved, {} split, {} merged, {} deleted, {} added, {} rewritten",
        c.kept, c.edited, c.moved, c.split, c.merged, c.deleted, c.inserted, c.rewritten
    );
    say!("diff ([-deleted-] {{+added+}}; a moved sentence [~from~] {{~to~}}):");
    let mut out = String::new();
    for span in &spans {
        let (open, close) = match (span.kind, span.moved) {
            (SpanKind::Equal, _) => ("", ""),
            (SpanKind::Delete, false) => ("[-", "-]"),
            (SpanKind::Insert, false) => ("{+", "+}"),
            (SpanKind::Delete, true) => ("[~", "~]"),
            (SpanKind::Insert, true) => ("{~", "~}"),
        };
        out.push_str(open);
        out.push_str(&span.text);
        out.push_str(close);
    }
    say!("{out}");
    Ok(())
}

pub fn info(store: &Store, json: bool) -> Result<()> {
    let info = store.info()?;
    if json {
        return json_out(&info);
    }
    say!("store:        {}", info.path.display());
    say!("schema:       v{}", info.schema_version);
    say!("settlements:  {}", info.settlements);
    say!("size:         {:.1} MB", info.file_bytes as f64 / 1e6);
    Ok(())
}

fn pct(e: &redline_core::stats::Estimate) -> String {
    match (e.low, e.high) {
        (Some(lo), Some(hi)) => format!(
            "{:.0}% [{:.0}–{:.0}]",
            e.value * 100.0,
            lo * 100.0,
            hi * 100.0
        ),
        _ => format!("{:.0}%", e.value * 100.0),
    }
}

pub fn summary(s: &redline_core::analytics::Summary, json: bool) -> Result<()> {
    if json {
        return json_out(s);
    }
    say!(
        "{} settlements in {} (to {}); accepted = acceptance ≥ {:.0}%",
        s.settlements,
        s.range.label(),
        s.to.format("%Y-%m-%d %H:%M UTC"),
        s.threshold * 100.0
    );
    if let Some(note) = &s.freshness.note {
        say!("note: {note}");
    }
    if let Some(o) = &s.overall {
        say!("overall acceptance: {} (95% interval)", pct(o));
    }
    system(&s.system);
    for a in &s.agents {
        say!("\n{} — {} settlements", a.agent, a.settlements);
        say!(
            "  acceptance  {}   accepted {}   median edit cost {} words ({:.0}%)   satisfaction {:.0}/100",
            pct(&a.acceptance),
            pct(&a.accepted),
            a.median_edit_cost,
            a.median_edit_cost_norm * 100.0,
            a.satisfaction
        );
        if a.acceptance_from_source < a.settlements {
            say!(
                "  ({} of {} acceptances computed from the texts: the source gave none)",
                a.settlements - a.acceptance_from_source,
                a.settlements
            );
        }
        if let Some(w) = &a.week_over_week {
            say!(
                "  last 7 days {} vs the 7 before {}: {:+.1} points",
                pct(&w.last_7d),
                pct(&w.previous_7d),
                w.change * 100.0
            );
        }
        if let Some((slope, p)) = a
            .trend
            .as_ref()
            .and_then(|t| t.slope_per_week.zip(t.p_value))
        {
            say!(
                "  trend {:+.1} points per week (p = {:.4} over {} weekly means{})",
                slope * 100.0,
                p,
                a.trend.as_ref().map_or(0, |t| t.weeks),
                if p < 0.05 { ", significant" } else { "" }
            );
        }
        if let Some(k) = &a.intent_effect {
            say!(
                "  intent types differ? Kruskal–Wallis H = {:.2}, p = {:.4}, ε² = {:.3}",
                k.h,
                k.p_value,
                k.epsilon_squared
            );
        }
        if !a.weekdays.is_empty() {
            let days: Vec<String> = a
                .weekdays
                .iter()
                .map(|d| format!("{} {:.0}%", d.day, d.acceptance.value * 100.0))
                .collect();
            say!("  by weekday: {}", days.join(" · "));
        }
        if let Some(season) = &a.seasonality {
            say!(
                "  weekly cycle over {} days: Kruskal–Wallis p = {:.4}, ε² = {:.3}, weekday means span {:.1} points",
                season.span_days,
                season.weekday_effect.p_value,
                season.weekday_effect.epsilon_squared,
                season.amplitude * 100.0
            );
        }
        if let (Some(best), Some(worst)) = (&a.best_day, &a.worst_day) {
            say!(
                "  best day {} ({:.0}%), worst day {} ({:.0}%)",
                best.day,
                best.acceptance.value * 100.0,
                worst.day,
                worst.acceptance.value * 100.0
            );
        }
        if let (Some(best), Some(worst)) = (&a.best_intent, &a.worst_intent) {
            say!("  best intent type: {best}; worst: {worst}");
        }
        for i in &a.intents {
            say!(
                "    {:<12} {} (n = {}{})",
                i.intent_type,
                pct(&i.acceptance),
                i.acceptance.n,
                if i.small { ", small" } else { "" }
            );
        }
        if let Some(ms) = a.avg_processing_ms {
            say!("  average processing {:.0} ms", ms);
        }
        if let Some(e) = &a.error_rate {
            say!("  error rate {}", pct(e));
        }
    }
    Ok(())
}

fn contrast_line(c: &redline_core::analytics::Contrast) -> String {
    let side = |e: &Option<redline_core::stats::Estimate>| {
        e.as_ref().map_or("no data".to_string(), |e| {
            format!("{} (n = {})", pct(e), e.n)
        })
    };
    let diff = c
        .difference
        .as_ref()
        .map_or("–".to_string(), |d| match (d.low, d.high) {
            (Some(l), Some(h)) => format!(
                "{:+.1} points [{:+.1}, {:+.1}]",
                d.value * 100.0,
                l * 100.0,
                h * 100.0
            ),
            _ => format!("{:+.1} points", d.value * 100.0),
        });
    let test = match (c.p_value, c.effect) {
        (Some(p), Some(r)) => format!("Mann–Whitney p = {p:.4}, effect r = {r:+.2}"),
        _ => "too few settlements to test".to_string(),
    };
    format!("{} vs {}: {diff}; {test}", side(&c.a), side(&c.b))
}

pub fn comparison(c: &redline_core::analytics::Comparison, json: bool) -> Result<()> {
    if json {
        return json_out(c);
    }
    say!("{} vs {} over {}", c.agent_a, c.agent_b, c.range.label());
    say!("acceptance  {}", contrast_line(&c.acceptance));
    for i in &c.by_intent {
        say!("  {:<12} {}", i.intent_type, contrast_line(&i.contrast));
    }
    let q = |q: &Option<redline_core::analytics::Quartiles>| {
        q.as_ref().map_or("no data".to_string(), |q| {
            format!(
                "min {} · q1 {} · median {} · q3 {} · max {}",
                q.min, q.q1, q.median, q.q3, q.max
            )
        })
    };
    say!("edit cost (words) {}: {}", c.agent_a, q(&c.edit_cost_a));
    say!("edit cost (words) {}: {}", c.agent_b, q(&c.edit_cost_b));
    Ok(())
}

fn system(s: &redline_core::analytics::System) {
    if let Some(sat) = s.satisfaction {
        say!(
            "intents processed: {} ({} intent types); satisfaction {:.0}/100",
            s.intents_processed,
            s.intent_types,
            sat
        );
    }
    let q = &s.data_quality;
    if let Some(score) = q.score {
        say!(
            "data quality: {:.1}/100 ({} checked: {} missing fields, {} empty texts, {} duplicates, {} implausible rates)",
            score, q.checked, q.missing_fields, q.empty_texts, q.duplicates, q.implausible_rates
        );
    }
    let r = &s.readiness;
    say!(
        "fine-tuning readiness: {} settlements above {:.0}% (the design asks for {}){}",
        r.above_bar,
        r.bar * 100.0,
        r.needed,
        if r.ready {
            " — ready"
        } else {
            " — not yet"
        }
    );
    if let Some(rate) = s.ab_success_rate {
        say!(
            "A/B success rate: {:.0}% of completed experiments won by the candidate",
            rate * 100.0
        );
    }
    if !s.goals.is_empty() {
        let goals: Vec<String> = s
            .goals
            .iter()
            .map(|g| {
                if g.reached {
                    format!("{:.0}% reached", g.target * 100.0)
                } else {
                    format!(
                        "{:.0}% ({:.1} points to go)",
                        g.target * 100.0,
                        g.gap * 100.0
                    )
                }
            })
            .collect();
        say!("success criteria: {}", goals.join(" · "));
    }
}

pub fn alerts(records: &[redline_core::analytics::AlertRecord], json: bool) -> Result<()> {
    if json {
        return json_out(&records);
    }
    if records.is_empty() {
        say!("no alerts");
    }
    for r in records {
        let state = match (r.cleared, r.acknowledged) {
            (Some(t), _) => format!("cleared {}", t.format("%Y-%m-%d %H:%M")),
            (None, Some(_)) => "acknowledged".to_string(),
            (None, None) => "OPEN".to_string(),
        };
        say!("[{state}] {}", r.message);
        say!(
            "    key \"{}\"; raised {}",
            r.key,
            r.first_raised.format("%Y-%m-%d %H:%M UTC")
        );
    }
    Ok(())
}

/// Incidents, most severe first: one line each, then its parts indented (when it has more
/// than one), each with the key to acknowledge it by.
pub fn incidents(list: &[redline_core::learning::Incident], json: bool, empty: &str) -> Result<()> {
    if json {
        return json_out(&list);
    }
    if list.is_empty() {
        say!("{empty}");
    }
    for i in list {
        let severity = i.severity.name().to_uppercase();
        let state = if i.open { "OPEN" } else { "acknowledged" };
        say!("[{severity}, {state}] {}", i.summary);
        say!(
            "    key \"{}\"; raised {}",
            i.key,
            i.first_raised.format("%Y-%m-%d %H:%M UTC")
        );
        if i.parts.len() > 1 {
            for p in &i.parts {
                let ack = if p.acknowledged.is_some() {
                    " (acknowledged)"
                } else {
                    ""
                };
                say!("    - {}{ack}: {}", p.kind.replace('_', " "), p.message);
            }
        }
    }
    Ok(())
}
