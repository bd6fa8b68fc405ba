//! Printing an export's report, a dataset's validation and the export targets.

use super::*;

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
