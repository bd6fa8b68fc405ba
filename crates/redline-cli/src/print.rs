//! How the CLI prints results: plain text for people, JSON for scripts.

use anyhow::Result;
use redline_core::diff::{self, SpanKind};
use redline_core::import::ImportReport;
use redline_core::store::{CountRow, Page, Store};
use redline_core::Settlement;
use serde::Serialize;
use std::collections::BTreeMap;

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
    for bad in &r.bad {
        tell!("line {}: {}", bad.line, bad.reason);
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

pub fn edit_ops(ops: &[redline_core::patterns::ops::EditOp], json: bool) -> Result<()> {
    if json {
        return json_out(&ops);
    }
    if ops.is_empty() {
        say!("no edits: the final version is the AI output");
    }
    for op in ops {
        use redline_core::patterns::ops::OpKind;
        let show = |t: &str| format!("{:?}", t);
        match op.kind {
            OpKind::Delete => say!(
                "delete   ai {}..{}  {}",
                op.old_start,
                op.old_end,
                show(&op.old_text)
            ),
            OpKind::Insert => say!(
                "insert   final {}..{}  {}",
                op.new_start,
                op.new_end,
                show(&op.new_text)
            ),
            OpKind::Replace => say!(
                "replace  ai {}..{} → final {}..{}  {} → {}",
                op.old_start,
                op.old_end,
                op.new_start,
                op.new_end,
                show(&op.old_text),
                show(&op.new_text)
            ),
        }
    }
    Ok(())
}

fn phrase_line(p: &redline_core::patterns::Phrase) {
    let share = |e: Option<redline_core::stats::Estimate>| {
        e.map_or("–".to_owned(), |e| format!("{:.0}%", e.value * 100.0))
    };
    let trend = p.trend.as_ref().map_or(String::new(), |t| {
        format!("  [{} {}→{}]", t.direction, share(t.early), share(t.late))
    });
    // How a phrase taken out went: cut outright, or rewritten into other words.
    let how = p
        .cut_share
        .map_or(String::new(), |c| format!("  ({:.0}% cut)", c * 100.0));
    say!(
        "  {:>4}  {:<16} {:>6} of {:<6} {}{how}{trend}",
        format!("{:.0}%", p.share.value * 100.0),
        format!(
            "[{:.0}–{:.0}]",
            p.share.low.unwrap_or(0.0) * 100.0,
            p.share.high.unwrap_or(1.0) * 100.0
        ),
        p.hits,
        p.support,
        p.text
    );
    if let Some(c) = &p.context {
        say!("        e.g. “{c}”");
    }
}

pub fn patterns(r: &redline_core::patterns::Report, json: bool) -> Result<()> {
    if json {
        return json_out(r);
    }
    if r.agents.is_empty() {
        say!("no settlements in this range");
    }
    for a in &r.agents {
        say!("\n{} — {} settlements", a.agent, a.settlements);
        say!(" taken out, cut or rewritten (share of the outputs that contained it, 95% CI, times taken out of times present):");
        a.deleted.iter().take(15).for_each(phrase_line);
        say!(" added (share of all outputs):");
        a.added.iter().take(10).for_each(phrase_line);
        say!(" replaced (share of the outputs that contained it; most often by):");
        for x in a.replacements.iter().take(10) {
            let to: Vec<String> = x
                .targets
                .iter()
                .map(|t| format!("{} ({})", t.to, t.hits))
                .collect();
            say!(
                "  {:>4}  {:>6} of {:<6} {} → {}",
                format!("{:.0}%", x.share.value * 100.0),
                x.hits,
                x.support,
                x.from,
                if to.is_empty() {
                    "(within longer rewrites)".to_owned()
                } else {
                    to.join(", ")
                }
            );
            if let Some(c) = &x.context {
                say!("        e.g. “{c}”");
            }
        }
        if !a.structure.is_empty() {
            say!(" structure:");
            for p in &a.structure {
                say!(
                    "  {:>4}  {}",
                    format!("{:.0}%", p.share.value * 100.0),
                    p.text
                );
            }
        }
        say!(" tone (final − AI output; * = significant: p < 0.01 and |d| ≥ 0.2):");
        for t in &a.tone {
            say!(
                "  {}{:<16} {:+8.2} {:<22} d = {:+.2}  p = {:.1e}",
                if t.significant { "*" } else { " " },
                t.feature,
                t.mean_change,
                t.unit,
                t.effect_size,
                t.p_value
            );
        }
        let cats: Vec<String> = a
            .categories
            .iter()
            .map(|(c, n)| {
                format!(
                    "{} {:.0}%",
                    c.label(),
                    100.0 * *n as f64 / a.settlements.max(1) as f64
                )
            })
            .collect();
        say!(" categories: {}", cats.join(" · "));
        if !a.edit_kinds.is_empty() {
            say!(" kinds of edit (share of the edit operations, settlements with one):");
            for k in &a.edit_kinds {
                say!(
                    "  {:>4.0}%  {:<16} {:>7} edits in {} settlements",
                    k.share * 100.0,
                    k.label,
                    k.edits,
                    k.outputs
                );
                if let Some(e) = &k.example {
                    say!("        e.g. “{}” → “{}”", e.old, e.new);
                }
            }
        }
    }
    Ok(())
}

fn improvements_json(r: &redline_core::patterns::Report) -> Vec<serde_json::Value> {
    r.agents
        .iter()
        .map(|a| serde_json::json!({"agent": a.agent, "settlements": a.settlements, "recommendations": a.recommendations, "rejection_patterns": a.rejection_patterns}))
        .collect()
}

pub fn improvements(r: &redline_core::patterns::Report, json: bool) -> Result<()> {
    if json {
        return json_out(&improvements_json(r));
    }
    for a in &r.agents {
        say!("\n{} — {} settlements", a.agent, a.settlements);
        if a.recommendations.is_empty() {
            say!("  nothing stands out: no pattern is frequent and consistent enough");
        }
        for (i, rec) in a.recommendations.iter().enumerate() {
            say!("  {}. {}", i + 1, rec.text);
            if !rec.examples.is_empty() {
                say!("     e.g. {}", rec.examples.join(", "));
            }
        }
        if !a.rejection_patterns.is_empty() {
            say!("  common rejection patterns (in rejected outputs vs the others):");
            for r in &a.rejection_patterns {
                say!(
                    "   “{}”: {:.0}% vs {:.0}% ({:.1}× as common, p = {:.1e})",
                    r.text,
                    r.in_rejected.value * 100.0,
                    r.elsewhere.value * 100.0,
                    r.lift,
                    r.p_value
                );
            }
        }
    }
    Ok(())
}

/// The improvements, then per agent what replaying the candidate changes found.
pub fn improvements_validated(
    r: &redline_core::patterns::Report,
    replays: &[(String, redline_core::patterns::replay::Replay)],
    json: bool,
) -> Result<()> {
    use redline_core::patterns::replay::Replay;
    if json {
        let replay: Vec<_> = replays
            .iter()
            .map(|(agent, r)| serde_json::json!({"agent": agent, "replay": r}))
            .collect();
        return json_out(&serde_json::json!({"agents": improvements_json(r), "replay": replay}));
    }
    improvements(r, false)?;
    let pct = |x: f64| format!("{:.1}%", x * 100.0);
    for (agent, replay) in replays {
        say!("\n{agent} — replayed");
        match replay {
            Replay::TooSmall {
                settlements,
                needed,
            } => say!(
                "  too few settlements to split by time: {settlements}, at least {needed} needed (half to mine, half to replay)"
            ),
            Replay::Done(d) => {
                say!(
                    "  mined {} settlements ({} – {}), replayed {} ({} – {}); {} words of editing with no change",
                    d.earlier.settlements,
                    d.earlier.from.format("%Y-%m-%d"),
                    d.earlier.to.format("%Y-%m-%d"),
                    d.replayed,
                    d.later.from.format("%Y-%m-%d"),
                    d.later.to.format("%Y-%m-%d"),
                    d.baseline_edits
                );
                say!("  {}", d.summary);
                for rule in d.rules.iter().take(15) {
                    say!(
                        "  {} {:>7} ({} to {})  in {:>5} outputs  {}",
                        if rule.validated { "✓" } else { " " },
                        pct(rule.saved.value),
                        pct(rule.saved.low),
                        pct(rule.saved.high),
                        rule.applies,
                        rule.text
                    );
                }
            }
        }
    }
    Ok(())
}

pub fn export_report(r: &redline_core::export::Report, json: bool) -> Result<()> {
    if json {
        return json_out(r);
    }
    // Where this format goes, when that service is closing or gone (on stderr: a notice).
    for t in redline_core::export::targets::for_format(&r.format)
        .filter(|t| t.standing != redline_core::export::targets::Standing::Open)
    {
        tell!(
            "note: {}: {} — {} (checked {}, {})",
            t.service,
            t.standing.name(),
            t.detail,
            t.checked,
            t.source
        );
    }
    let path = r
        .path
        .as_ref()
        .map_or(String::new(), |p| p.display().to_string());
    say!(
        "wrote {} examples ({} format, {} bytes{}) to {path}",
        r.written,
        r.format,
        r.bytes,
        if r.encrypted {
            ", encrypted with age"
        } else {
            ""
        }
    );
    if let Some(v) = &r.validation_path {
        say!(
            "  {} for training, {} for validation in {}",
            r.train,
            r.validation,
            v.display()
        );
    }
    let agents: Vec<String> = r
        .per_agent
        .iter()
        .map(|(a, n)| format!("{a} {n}"))
        .collect();
    say!("  per agent: {}", agents.join(" · "));
    if r.undesirable > 0 {
        say!(
            "  KTO: {} finals labelled true, {} drafts below the acceptance bar labelled false",
            r.written,
            r.undesirable
        );
    }
    say!("  left out: {}", redline_core::export::describe_skips(r));
    for (why, n) in &r.excluded_reasons {
        say!("    excluded: {n} × {why}");
    }
    if r.gold > 0 {
        say!("  gold: {} (exported whatever their acceptance)", r.gold);
    }
    if let Some(v) = &r.validation_report {
        say!(
            "  validation: {} ({} examples, {} billable tokens per epoch)",
            if v.ok { "passed" } else { "FAILED" },
            v.examples,
            v.billable_tokens
        );
        for f in &v.failures {
            say!("    fails: {f}");
        }
        for w in &v.warnings {
            say!("    note: {w}");
        }
    }
    if r.redactions.is_empty() {
        say!("  redacted: nothing found");
    } else {
        let found: Vec<String> = r
            .redactions
            .iter()
            .map(|(k, n)| format!("{} {n}", k.placeholder().to_lowercase()))
            .collect();
        say!("  redacted: {}", found.join(" · "));
    }
    Ok(())
}

pub fn validation(r: &redline_core::validate::Report, json: bool) -> Result<()> {
    if json {
        return json_out(r);
    }
    say!(
        "{}: {} examples in {} lines{}",
        if r.ok { "passed" } else { "FAILED" },
        r.examples,
        r.lines,
        r.shape
            .map_or(String::new(), |s| format!(" ({s:?} format)"))
    );
    for f in &r.failures {
        say!("  fails: {f}");
    }
    for e in r.errors.iter().take(20) {
        say!("    {}", e.message);
    }
    if r.error_count > 20 {
        say!("    … and {} more", r.error_count - 20);
    }
    for w in &r.warnings {
        say!("  note: {w}");
    }
    let d = |x: &redline_core::validate::Distribution| {
        format!(
            "min {} · mean {:.0} · p50 {} · p90 {} · max {}",
            x.min, x.mean, x.p50, x.p90, x.max
        )
    };
    if r.examples > 0 {
        say!("  messages per example: {}", d(&r.messages_per_example));
        say!("  tokens per example:   {}", d(&r.tokens_per_example));
        say!(
            "  tokens per assistant message: {}",
            d(&r.tokens_per_assistant_message)
        );
        say!(
            "  billable: {} tokens per epoch; default {} epochs → {} tokens ({})",
            r.billable_tokens,
            r.default_epochs,
            r.billable_tokens_all_epochs,
            r.tokenizer
        );
        say!(
            "  {} over the {}-token limit; {} exact and {} near duplicates; {:.0}% distinct bigrams; {} system prompts",
            r.over_context_limit,
            r.context_limit,
            r.duplicates_exact,
            r.duplicates_near,
            r.distinct_bigrams * 100.0,
            r.system_prompts
        );
    }
    Ok(())
}

/// The fine-tuning targets table (`export::targets`).
pub fn targets(json: bool) -> Result<()> {
    use redline_core::export::targets::TARGETS;
    if json {
        return json_out(&TARGETS);
    }
    for t in TARGETS {
        say!(
            "{} [{}] — {}",
            t.service,
            t.standing.name(),
            t.formats.join(", ")
        );
        say!("  {}", t.detail);
        say!("  checked {}: {}", t.checked, t.source);
    }
    Ok(())
}
