//! Sample data: realistic settlements from five agents over several months, with the systematic
//! edits people make, so that every screen has something true to show on first launch.
//!
//! Deterministic: the same [`SampleSpec`] always gives the same settlements. What is planted
//! (and what later analyses must find):
//! - filler openers and closers ("Let me analyze this for you.", "I hope this helps!") that people
//!   delete about 85% of the time;
//! - formal words people replace ("utilize" → "use", "in order to" → "to", "leverage" → "use");
//! - content people add: a "Next step: …" line on operational intents, an owner on strategic ones;
//! - outputs people shorten (The Auditor's last sentences), and a tone shift (The Strategist's
//!   stiff "It is recommended that" → "We recommend", contractions);
//! - The Entrepreneur's prompt v2 (after the first third of the span) stops most filler;
//! - **The Auditor regresses** in the last 7 days: it pads and hedges, and people rewrite more.
//! - **An emerging pattern**: in the last 7 days The Operator starts ending its drafts with
//!   "Source: internal wiki." — a line it never wrote before and people delete.
//!
//! Each settlement's acceptance rate is the share of the AI output's words kept
//! ([`crate::diff::DiffCounts::kept_share`]), as a diff logger would record it; about 5% have none.

use crate::diff;
use crate::model::{
    Acceptance, AgentName, IntentType, Settlement, SettlementId, Source, SourceKind,
};
use crate::rng::Rng;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};

/// What to generate.
#[derive(Clone, Debug)]
pub struct SampleSpec {
    pub count: usize,
    pub seed: u64,
    /// The end of the span: settlements fall in the `days` before it, never after it.
    pub end: DateTime<Utc>,
    pub days: u32,
    /// Body sentences per output: 1 gives realistic texts of a few hundred characters; larger
    /// values make long texts (for benchmarks).
    pub body_scale: usize,
}

impl Default for SampleSpec {
    fn default() -> Self {
        Self {
            count: 3000,
            seed: 1,
            end: Utc::now(),
            days: 180,
            body_scale: 1,
        }
    }
}

/// The last second of a day (UTC), for a span that ends on that day.
pub fn end_of_day(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(23, 59, 59).expect("valid time").and_utc()
}

/// The agents of the sample data.
pub const AGENTS: [&str; 5] = [
    "The Entrepreneur",
    "The Auditor",
    "The Strategist",
    "The Operator",
    "The Librarian",
];

/// The agent whose acceptance drops in the last [`REGRESSION_DAYS`] days.
pub const REGRESSING_AGENT: &str = "The Auditor";
pub const REGRESSION_DAYS: i64 = 7;
/// The agent that starts writing [`EMERGING_LINE`] in the last [`EMERGING_DAYS`] days.
pub const EMERGING_AGENT: &str = "The Operator";
pub const EMERGING_DAYS: i64 = 7;
/// A line people delete whenever it appears (never written before the last week).
pub const EMERGING_LINE: &str = "Source: internal wiki.";

const OPENERS: [&str; 4] = [
    "Let me analyze this for you.",
    "Great question!",
    "Certainly! Here is my analysis.",
    "I'd be happy to help with that.",
];
const CLOSERS: [&str; 3] = [
    "I hope this helps!",
    "Let me know if you have any other questions.",
    "Feel free to reach out if you need anything else.",
];
const HEDGES: [&str; 3] = [
    "It is worth noting that this may vary depending on circumstances.",
    "However, there could potentially be other considerations to keep in mind.",
    "Of course, results may differ and further review might be needed.",
];
/// Formal words and what people replace them with.
const REPLACEMENTS: [(&str, &str); 4] = [
    ("utilize", "use"),
    ("in order to", "to"),
    ("leverage", "use"),
    ("commence", "start"),
];
const TOPICS: [&str; 12] = [
    "the Pro plan pricing",
    "the Q3 hiring plan",
    "the vendor contract renewal",
    "the onboarding checklist",
    "churn in EU accounts",
    "the data retention policy",
    "the partner referral program",
    "the support backlog",
    "the expense approval flow",
    "the annual security audit",
    "the marketing budget split",
    "the warehouse move",
];
const PEOPLE: [&str; 6] = ["Dana", "Ravi", "Mei", "Jonas", "Amara", "Luis"];
const DAYS: [&str; 5] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];

const STRATEGIC: [&str; 6] = [
    "We should utilize {t} as a lever for growth next quarter.",
    "The main risk in {t} is timing, so we need a decision this month.",
    "In order to protect margins, {t} should favour annual contracts.",
    "Three options exist for {t}: keep it, simplify it, or retire it.",
    "Customers who touch {t} renew at a higher rate than the rest.",
    "A phased rollout of {t} lowers the risk of a bad first impression.",
];
const OPERATIONAL: [&str; 6] = [
    "Commence work on {t} by assigning one owner.",
    "The checklist for {t} has four steps, and two are done.",
    "In order to finish {t}, the team needs access to the shared drive.",
    "Leverage the existing template for {t} to save a day.",
    "The blocker on {t} is a missing approval from finance.",
    "Move {t} to the weekly review so it stays visible.",
];
const REFERENCE: [&str; 6] = [
    "The policy on {t} was last updated in March.",
    "The current document for {t} lives in the operations wiki.",
    "Utilize the summary table for {t} rather than the raw export.",
    "The definitions for {t} follow the finance glossary.",
    "Two older versions of {t} exist and both are archived.",
    "The contact for questions on {t} is the operations lead.",
];

/// Generate `spec.count` settlements, oldest first.
pub fn generate(spec: &SampleSpec) -> Vec<Settlement> {
    (0..spec.count).map(|i| generate_one(spec, i)).collect()
}

/// Generate the `index`-th settlement of `spec` on its own (so large sets can be streamed).
pub fn generate_one(spec: &SampleSpec, index: usize) -> Settlement {
    let mut rng = Rng(spec
        .seed
        .wrapping_mul(0x2545_F491_4F6C_DD1D)
        .wrapping_add(index as u64));
    rng.next();
    let end = spec.end;
    let span = Duration::days(i64::from(spec.days.max(1)));
    let created_at = timestamp(&mut rng, end, span, index, spec.count);
    let agent = AGENTS[rng.below(AGENTS.len())];
    let kind = [
        IntentType::STRATEGIC,
        IntentType::OPERATIONAL,
        IntentType::REFERENCE,
    ][rng.below(3)];
    let topic = rng.pick(&TOPICS);
    let progress = 1.0 - (end - created_at).num_seconds() as f64 / span.num_seconds() as f64;
    let regressing =
        agent == REGRESSING_AGENT && end - created_at < Duration::days(REGRESSION_DAYS);
    let emerging = agent == EMERGING_AGENT && end - created_at < Duration::days(EMERGING_DAYS);
    let prompt_version = if agent == "The Entrepreneur" && progress > 1.0 / 3.0 {
        "v2"
    } else {
        "v1"
    };

    let (ai, human) = draft_and_edit(
        &mut rng,
        spec,
        agent,
        kind,
        topic,
        regressing,
        prompt_version,
    );
    // No randomness here: the rest of the sample stays exactly as it was.
    let ai = if emerging {
        format!("{ai} {EMERGING_LINE}")
    } else {
        ai
    };
    let error = rng.chance(0.02);
    let final_output = if error {
        format!(
            "Rewritten by hand: {} needs a fresh look; the draft missed the point.",
            capitalise(topic)
        )
    } else {
        human
    };
    let acceptance = (!rng.chance(0.05)).then(|| {
        let share = diff::counts(&ai, &final_output).kept_share();
        Acceptance::new((share * 100.0).round() / 100.0).expect("a share is in 0..1")
    });
    let processing_ms = 600 + (rng.unit() * rng.unit() * 6000.0) as u64;
    let intent = match kind {
        IntentType::STRATEGIC => format!("Should we change {topic}? Give me a recommendation."),
        IntentType::OPERATIONAL => format!("What are the next steps for {topic}?"),
        _ => format!("Where do we keep the facts about {topic}?"),
    };
    Settlement {
        id: SettlementId::new(format!("sample-{}-{index:06}", spec.seed)).expect("non-empty"),
        agent: AgentName::new(agent).expect("non-empty"),
        intent_type: IntentType::new(kind),
        intent,
        system_prompt: Some(format!(
            "You are {agent}. Answer {kind} requests for a small company's admin. Prompt {prompt_version}."
        )),
        ai_output: ai,
        final_output,
        created_at,
        acceptance_rate: acceptance,
        prompt_version: Some(prompt_version.to_owned()),
        processing_ms: Some(processing_ms),
        error: Some(error),
        source: Source {
            kind: SourceKind::Sample,
            id: format!("seed {}", spec.seed),
            last_edited: None,
        },
    }
}

/// Spread settlements evenly over the span (oldest first) with jitter; weekends are moved to
/// the Friday before, and times fall in working hours.
fn timestamp(
    rng: &mut Rng,
    end: DateTime<Utc>,
    span: Duration,
    index: usize,
    count: usize,
) -> DateTime<Utc> {
    let slot = (index as f64 + rng.unit()) / count.max(1) as f64;
    let back = span.num_seconds() as f64 * (1.0 - slot);
    let mut day = (end - Duration::seconds(back as i64)).date_naive();
    match day.weekday() {
        Weekday::Sat if !rng.chance(0.15) => day -= Duration::days(1),
        Weekday::Sun if !rng.chance(0.15) => day -= Duration::days(2),
        _ => {}
    }
    let seconds = 8 * 3600 + (rng.unit() * 10.0 * 3600.0) as u32;
    let t = day
        .and_hms_opt(seconds / 3600, (seconds / 60) % 60, seconds % 60)
        .expect("valid time")
        .and_utc();
    if t > end {
        // Later today than now: pull it back into the last hour instead, in whole seconds like
        // every other timestamp (so it survives a millisecond round trip).
        let back = end - Duration::seconds((rng.unit() * 3600.0) as i64);
        return chrono::SubsecRound::trunc_subsecs(back, 0);
    }
    t
}

/// The agent's draft and the person's edit of it.
fn draft_and_edit(
    rng: &mut Rng,
    spec: &SampleSpec,
    agent: &str,
    kind: &str,
    topic: &str,
    regressing: bool,
    prompt_version: &str,
) -> (String, String) {
    let pool: &[&str] = match kind {
        IntentType::STRATEGIC => &STRATEGIC,
        IntentType::OPERATIONAL => &OPERATIONAL,
        _ => &REFERENCE,
    };
    let n_body = (2 + rng.below(3)) * spec.body_scale.max(1);
    // Distinct sentences, in a random order (Fisher–Yates).
    let mut order: Vec<usize> = (0..pool.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }
    let mut body: Vec<String> = (0..n_body)
        .map(|k| pool[order[k % pool.len()]].replace("{t}", topic))
        .map(|s| capitalise(&s))
        .collect();
    if agent == "The Strategist" {
        body.insert(0, format!("It is recommended that {topic} be reviewed."));
    }
    let filler_rate = match (agent, prompt_version) {
        ("The Entrepreneur", "v2") => 0.15,
        ("The Entrepreneur", _) => 0.8,
        ("The Librarian", _) => 0.25,
        _ => 0.5,
    };
    let opener = rng.chance(filler_rate).then(|| rng.pick(&OPENERS));
    let closer = rng.chance(filler_rate * 0.8).then(|| rng.pick(&CLOSERS));
    let hedges: Vec<&str> = if regressing {
        (0..2 + rng.below(2)).map(|_| rng.pick(&HEDGES)).collect()
    } else if agent == "The Auditor" && rng.chance(0.5) {
        vec![rng.pick(&HEDGES)]
    } else {
        Vec::new()
    };

    let join = |parts: Vec<&str>| parts.join(" ");
    let mut ai_parts: Vec<&str> = Vec::new();
    ai_parts.extend(opener);
    ai_parts.extend(body.iter().map(String::as_str));
    ai_parts.extend(hedges.iter().copied());
    ai_parts.extend(closer);
    let ai = join(ai_parts);

    // The person's edit.
    if rng.chance(if regressing { 0.02 } else { 0.12 }) {
        return (ai.clone(), ai); // accepted as is
    }
    let mut kept: Vec<String> = Vec::new();
    if let Some(o) = opener {
        if !rng.chance(0.85) {
            kept.push(o.to_owned());
        }
    }
    let mut human_body: Vec<String> = body
        .iter()
        .map(|s| {
            let mut s = s.clone();
            for (formal, plain) in REPLACEMENTS {
                if rng.chance(0.7) {
                    s = replace_word(&s, formal, plain);
                }
            }
            if agent == "The Strategist" && rng.chance(0.7) {
                s = s
                    .replace("It is recommended that", "We recommend that")
                    .replace("we need", "we'll need")
                    .replace("do not", "don't");
            }
            s
        })
        .collect();
    if agent == "The Auditor" && human_body.len() > 2 && rng.chance(0.6) {
        human_body.truncate(human_body.len() - 1); // shortened
    }
    kept.extend(human_body);
    for h in &hedges {
        if !rng.chance(if regressing { 0.9 } else { 0.7 }) {
            kept.push((*h).to_owned());
        }
    }
    if regressing && rng.chance(0.6) {
        kept.push(format!(
            "Bottom line: decide on {topic} this week and tell {}.",
            rng.pick(&PEOPLE)
        ));
    }
    match kind {
        IntentType::OPERATIONAL if rng.chance(0.6) => kept.push(format!(
            "Next step: {} owns {topic}, due {}.",
            rng.pick(&PEOPLE),
            rng.pick(&DAYS)
        )),
        IntentType::STRATEGIC if rng.chance(0.4) => {
            kept.push(format!("Owner: {}.", rng.pick(&PEOPLE)))
        }
        _ => {}
    }
    if let Some(c) = closer {
        if !rng.chance(0.85) {
            kept.push(c.to_owned());
        }
    }
    let human = kept.join(" ");
    (ai, human)
}

/// Replace a word or phrase, matching a capitalised start of sentence too.
fn replace_word(s: &str, from: &str, to: &str) -> String {
    s.replace(from, to)
        .replace(&capitalise(from), &capitalise(to))
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(count: usize) -> SampleSpec {
        SampleSpec {
            count,
            seed: 42,
            end: end_of_day(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()),
            ..Default::default()
        }
    }

    #[test]
    fn deterministic_by_seed() {
        assert_eq!(generate(&spec(200)), generate(&spec(200)));
        let other = generate(&SampleSpec {
            seed: 43,
            ..spec(200)
        });
        assert_ne!(generate(&spec(200))[0].ai_output, other[0].ai_output);
    }

    #[test]
    fn spans_the_period_with_every_agent_and_kind() {
        let all = generate(&spec(3000));
        let first = all.iter().map(|s| s.created_at).min().unwrap();
        let last = all.iter().map(|s| s.created_at).max().unwrap();
        assert!((last - first).num_days() >= 170, "{first} .. {last}");
        for agent in AGENTS {
            assert!(all.iter().filter(|s| s.agent.as_str() == agent).count() > 400);
        }
        let ids: std::collections::HashSet<_> = all.iter().map(|s| s.id.clone()).collect();
        assert_eq!(ids.len(), 3000);
    }

    fn mean_acceptance<'a>(items: impl Iterator<Item = &'a Settlement>) -> f64 {
        let v: Vec<f64> = items
            .filter_map(|s| s.acceptance_rate.map(f64::from))
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    }

    #[test]
    fn the_auditor_regresses_recently() {
        let all = generate(&spec(6000));
        let end = spec(1).end;
        let auditor = |recent: bool| {
            all.iter().filter(move |s| {
                s.agent.as_str() == REGRESSING_AGENT
                    && ((end - s.created_at).num_days() < REGRESSION_DAYS) == recent
            })
        };
        let before = mean_acceptance(auditor(false));
        let recent = mean_acceptance(auditor(true));
        assert!(
            before - recent > 0.1,
            "before {before:.2}, recent {recent:.2}"
        );
    }

    /// The hours of a week (every fourth hour from a Friday midnight) at which the sample
    /// made by `spec_at(end)` and checked at `end` raises no alert for the regressing agent
    /// of a kind `wanted` accepts.
    fn unflagged_hours(
        spec_at: impl Fn(DateTime<Utc>) -> SampleSpec,
        wanted: impl Fn(&crate::analytics::Alert) -> bool,
    ) -> Vec<String> {
        use crate::analytics::{alerts, observe, BAR};
        let start = end_of_day(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
        (0..42)
            .map(|k| start + Duration::hours(4 * k))
            .filter(|&end| {
                let observed: Vec<_> = generate(&spec_at(end))
                    .iter()
                    // (older settlements fall in neither of the alerts' windows: the last 7
                    // days and the 30 before)
                    .filter(|s| {
                        s.agent.as_str() == REGRESSING_AGENT
                            && end - s.created_at < Duration::days(37)
                    })
                    .map(observe)
                    .collect();
                !alerts(&observed, end, BAR).iter().any(&wanted)
            })
            .map(|end| end.format("%a %H:%M").to_string())
            .collect()
    }

    /// The planted regression is plain whenever it is looked at. On the Dashboard's e2e spec
    /// (3,000 over 90 days, seed 5, ending at the moment of the check) the Auditor's last 7
    /// days against the 30 before raise a drop (what leads its regression incident); on the
    /// 3,000 the prompt-workflow e2e test loads from the welcome page (180 days, seed 1) the
    /// Auditor is flagged (the Experiments view starts from it) — at every fourth hour of a
    /// week. (With a 14-day regression the 30 days before held a week of it: on Sundays the
    /// drop fell short of 10 points, and 1,500 settlements left the Auditor unflagged at 14 of
    /// 84 hours from Sunday to Tuesday.)
    #[test]
    fn the_regression_is_flagged_at_every_hour_of_the_week() {
        use crate::analytics::Alert;
        let dashboard = unflagged_hours(
            |end| SampleSpec {
                count: 3000,
                seed: 5,
                end,
                days: 90,
                ..Default::default()
            },
            |a| matches!(a, Alert::Drop { .. }),
        );
        let welcome = unflagged_hours(
            |end| SampleSpec {
                count: 3000,
                seed: 1,
                end,
                ..Default::default()
            },
            |_| true,
        );
        assert!(
            dashboard.is_empty() && welcome.is_empty(),
            "no drop on the Dashboard's spec at {dashboard:?}; not flagged on the welcome page's at {welcome:?}"
        );
    }

    #[test]
    fn filler_is_usually_deleted() {
        let all = generate(&spec(3000));
        let with_opener: Vec<_> = all
            .iter()
            .filter(|s| OPENERS.iter().any(|o| s.ai_output.starts_with(o)) && s.is_edited())
            .collect();
        let removed = with_opener
            .iter()
            .filter(|s| !OPENERS.iter().any(|o| s.final_output.contains(o)))
            .count();
        let share = removed as f64 / with_opener.len() as f64;
        assert!(
            with_opener.len() > 300 && (0.75..0.95).contains(&share),
            "{share}"
        );
    }

    #[test]
    fn body_scale_makes_long_texts() {
        let long = generate_one(
            &SampleSpec {
                body_scale: 30,
                ..spec(10)
            },
            3,
        );
        assert!(long.ai_output.len() > 1500, "{}", long.ai_output.len());
    }
}
