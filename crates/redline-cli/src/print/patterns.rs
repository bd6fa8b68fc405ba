//! Printing what the miner found: edit operations, patterns, improvements and their replay.

use super::*;

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

pub(super) fn phrase_line(p: &redline_core::patterns::Phrase) {
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

/// An agent's heading: its settlements and what a phrase needs to be listed.
fn agent_head(a: &redline_core::patterns::AgentPatterns) {
    say!(
        "\n{} — {} settlements (a phrase needs at least {} of the outputs people edited, and to be changed more often than ordinary words beyond chance)",
        a.agent,
        a.settlements,
        a.min_hits
    );
}

pub fn patterns(r: &redline_core::patterns::Report, json: bool) -> Result<()> {
    if json {
        return json_out(r);
    }
    if r.agents.is_empty() {
        say!("no settlements in this range");
    }
    for a in &r.agents {
        agent_head(a);
        say!(" taken out, cut or rewritten (share of the outputs that contained it, 95% CI, times taken out of times present):");
        a.deleted.iter().take(15).for_each(phrase_line);
        say!(" added, more often than taken out beyond chance (share of all outputs):");
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

pub(super) fn improvements_json(r: &redline_core::patterns::Report) -> Vec<serde_json::Value> {
    r.agents
        .iter()
        .map(|a| serde_json::json!({"agent": a.agent, "settlements": a.settlements, "min_hits": a.min_hits, "recommendations": a.recommendations, "rejection_patterns": a.rejection_patterns}))
        .collect()
}

pub fn improvements(r: &redline_core::patterns::Report, json: bool) -> Result<()> {
    if json {
        return json_out(&improvements_json(r));
    }
    for a in &r.agents {
        agent_head(a);
        if a.recommendations.is_empty() {
            say!("  nothing stands out: no phrase is changed often enough, or more often than ordinary words beyond chance");
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
                    "   “{}”: {:.0}% vs {:.0}% ({:.1}× as common, p = {:.1e}, q = {:.1e})",
                    r.text,
                    r.in_rejected.value * 100.0,
                    r.elsewhere.value * 100.0,
                    r.lift,
                    r.p_value,
                    r.q_value
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
