//! Pattern mining recovers what the sample generator planted (crate::sample's list), at the
//! planted rates, for the right agents — read back from a real store.
//!
//! Planted rates, given that a person edits the output at all (88% of outputs; 12% are
//! accepted as-is, which removes nothing):
//! - each filler opener/closer is deleted with probability 0.85 → 0.88 × 0.85 = 0.748 of the
//!   outputs that contain it;
//! - each formal word is replaced with probability 0.7 → 0.88 × 0.7 = 0.616;
//! - "Next step: …" is added to 60% of operational outputs → 0.88 × 0.6 × ⅓ ≈ 0.176 of all;
//! - The Strategist's "It is recommended that" → "We recommend that" with probability 0.7
//!   (first-person pronouns rise, formal words drop).
//!
//! The Auditor's last 7 days differ (2% accepted as-is), so these rates are checked over the
//! settlements before that.

use chrono::{Duration, NaiveDate};
use redline_core::patterns::{self, AgentPatterns, Category, Scope, ALL_AGENTS};
use redline_core::sample::{self, SampleSpec};
use redline_core::store::Store;

const EDITED: f64 = 0.88;

fn mined() -> patterns::Report {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    let end = sample::end_of_day(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
    store
        .upsert_batch(&sample::generate(&SampleSpec {
            count: 30_000,
            seed: 21,
            end,
            ..Default::default()
        }))
        .unwrap();
    // Stop before The Auditor's regression, whose edits follow other rates.
    let scope = Scope {
        to: Some(end - Duration::days(sample::REGRESSION_DAYS)),
        ..Default::default()
    };
    redline_core::mining::mine_store(&store, &scope).unwrap()
}

fn agent<'a>(r: &'a patterns::Report, name: &str) -> &'a AgentPatterns {
    r.agents.iter().find(|a| a.agent == name).unwrap()
}

fn near(share: f64, planted: f64, what: &str) {
    assert!(
        (share - planted).abs() <= 0.05,
        "{what}: mined {share:.3}, planted {planted:.3}"
    );
}

#[test]
fn planted_patterns_are_recovered_at_their_rates_for_the_right_agents() {
    let r = mined();
    // The kinds of edit: every agent's filler openers and closers come out as filler or cuts,
    // its formal words as tone; counts are per operation, settlements at most the agent's.
    for a in &r.agents {
        let kind = |k: &str| a.edit_kinds.iter().find(|x| x.kind.key() == k);
        for k in ["filler", "tone", "detail"] {
            let x = kind(k).unwrap_or_else(|| panic!("{}: no {k} edits", a.agent));
            assert!(x.outputs <= a.settlements && x.outputs <= x.edits, "{x:?}");
            assert!(!x.examples.is_empty(), "{x:?}");
        }
        let total: usize = a.edit_kinds.iter().map(|x| x.edits).sum();
        assert!(total > 0 && a.edit_kinds.windows(2).all(|w| w[0].edits >= w[1].edits));
    }
    assert_eq!(r.agents.len(), 6);
    assert_eq!(r.agents.last().unwrap().agent, ALL_AGENTS);
    for name in sample::AGENTS {
        let a = agent(&r, name);
        // Filler openers and closers: deleted, each as one maximal phrase, near 74.8%.
        for filler in [
            "let me analyze this for you",
            "i hope this helps",
            "great question",
        ] {
            let top: Vec<&str> = a.deleted.iter().take(12).map(|p| p.text.as_str()).collect();
            let p = a
                .deleted
                .iter()
                .find(|p| p.text == filler)
                .unwrap_or_else(|| panic!("{name}: {filler:?} not among {top:?}"));
            assert!(
                top.contains(&filler),
                "{name}: {filler:?} is not in the top 12: {top:?}"
            );
            near(
                p.share.value,
                EDITED * 0.85,
                &format!("{name} deletes {filler:?}"),
            );
            assert!(p.support >= 30, "{name}: {p:?}");
            assert!(!p.examples.is_empty());
        }
        // Formal words → plain ones. The Auditor's last body sentence is cut in 60% of outputs
        // with 3–4 sentences: a sentence that is cut is deleted, not edited. Given that a body
        // has the sentence, it has n = 2, 3, 4 sentences with odds 2 : 3 : 4 and the sentence
        // is last with probability 1/n.
        let not_cut = if name == "The Auditor" {
            1.0 - 0.6 * (3.0 / 9.0 / 3.0 + 4.0 / 9.0 / 4.0)
        } else {
            1.0
        };
        for (from, to) in [
            ("utilize", "use"),
            ("commence", "start"),
            ("in order to", "to"),
        ] {
            let rep = a
                .replacements
                .iter()
                .find(|x| x.from == from && x.to == to)
                .unwrap_or_else(|| panic!("{name}: no {from} → {to} in {:?}", a.replacements));
            // The planted rate is that of the pair: its target's share of the outputs with it.
            assert_eq!(rep.targets[0].to, to);
            near(
                rep.targets[0].hits as f64 / rep.support as f64,
                EDITED * 0.7 * not_cut,
                &format!("{name}: {from} → {to}"),
            );
        }
        // Added next steps on operational intents.
        let next = a
            .added
            .iter()
            .find(|p| p.text.starts_with("next step"))
            .unwrap_or_else(|| panic!("{name}: no added next step in {:?}", a.added));
        near(
            next.share.value,
            EDITED * 0.6 / 3.0,
            &format!("{name} adds a next step"),
        );
        // A recommendation to remove filler comes first.
        assert_eq!(
            a.recommendations[0].kind, "remove",
            "{name}: {:?}",
            a.recommendations
        );
    }

    // The Strategist's tone shift is its own: the stiff opener is replaced, contractions rise.
    let strategist = agent(&r, "The Strategist");
    let stiff = strategist
        .replacements
        .iter()
        .find(|x| x.from == "it is recommended" && x.to == "we recommend")
        .expect("the Strategist's stiff opener");
    near(
        stiff.share.value,
        EDITED * 0.7,
        "it is recommended → we recommend",
    );
    let shift = |a: &AgentPatterns, feature: &str| {
        a.tone
            .iter()
            .find(|t| t.feature == feature)
            .unwrap()
            .clone()
    };
    // "We recommend": first-person pronouns rise for the Strategist only (the others lose
    // theirs with the deleted "Let me …" and "I hope …" fillers), and its formal words drop
    // most ("recommended" on top of the formal words every agent loses).
    let we = shift(strategist, "first_person");
    assert!(we.significant && we.mean_change > 0.0, "{we:?}");
    let formal = shift(strategist, "formal_words");
    assert!(formal.significant && formal.mean_change < 0.0, "{formal:?}");
    for name in sample::AGENTS.iter().filter(|n| **n != "The Strategist") {
        let a = agent(&r, name);
        assert!(
            a.replacements.iter().all(|x| x.from != "it is recommended"),
            "{name} has the Strategist's pattern"
        );
        assert!(shift(a, "first_person").mean_change < 0.0, "{name}");
        assert!(
            shift(a, "formal_words").mean_change > formal.mean_change,
            "{name}"
        );
    }
    assert!(
        strategist
            .recommendations
            .iter()
            .any(|x| x.kind == "tone" && x.text.starts_with("Write in the first person")),
        "{:?}",
        strategist.recommendations
    );

    // The Auditor's hedges and shortening are the Auditor's alone.
    let auditor = agent(&r, "The Auditor");
    let hedge = "it is worth noting that this may vary depending on circumstances";
    let h = auditor
        .deleted
        .iter()
        .find(|p| p.text == hedge)
        .unwrap_or_else(|| panic!("no hedge in {:?}", auditor.deleted));
    // Hedges are kept 30% of the time when edited: 0.88 × 0.7.
    near(h.share.value, EDITED * 0.7, "the Auditor's hedge");
    let words = |a: &AgentPatterns| {
        let t = a.tone.iter().find(|t| t.feature == "words").unwrap();
        t.mean_change / t.mean_ai
    };
    let trimmed = |a: &AgentPatterns| {
        a.categories.get(&Category::Trimmed).copied().unwrap_or(0) as f64 / a.settlements as f64
    };
    assert!(shift(auditor, "hedges").significant);
    for name in sample::AGENTS.iter().filter(|n| **n != "The Auditor") {
        let a = agent(&r, name);
        assert!(
            a.deleted.iter().all(|p| p.text != hedge),
            "{name} has the hedge"
        );
        assert!(!shift(a, "hedges").significant, "{name} hedges");
        assert!(words(auditor) < words(a), "the Auditor is shortened most");
        assert!(trimmed(auditor) > trimmed(a), "the Auditor is trimmed most");
    }
    assert!(auditor.recommendations.iter().any(|x| x.kind == "length"));
    // Every settlement has one category. 12% are planted as accepted as-is; an edit that
    // happens to change nothing (no filler, no formal word drawn) adds to them.
    for a in &r.agents {
        assert_eq!(a.categories.values().sum::<usize>(), a.settlements);
        let as_is = a.categories[&Category::AcceptedAsIs] as f64 / a.settlements as f64;
        assert!(as_is >= 0.12 - 0.05, "{}: {as_is}", a.agent);
    }
}
