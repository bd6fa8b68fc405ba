//! Prompt variants composed offline from an agent's mined edit patterns (the design's
//! generate_prompt_variants without an LLM): each variant adds a short block of rules to the
//! current prompt — drop what people delete, use the words they substitute, include what they
//! add, match the voice and length they edit towards — with its rationale and the evidence
//! (recommendations with their example settlements). Deterministic: the same patterns always
//! give the same variants.
//!
//! The deletion and replacement rules come from the replay-validated list (issue 13, item 7):
//! the agent's whole history is split by time, rules mined from the earlier half are applied
//! to the later half's outputs, and only those whose saved editing has a 95% interval above
//! zero become rules ([`crate::patterns::replay`]). When the agent has too few settlements to
//! split, the recent mining's rules are used and each says it is unvalidated. Tone, length and
//! added content cannot be replayed; their rationale says so.

use crate::job::{no_progress, Cancel};
use crate::patterns::replay::{Replay, RuleOutcome};
use crate::patterns::{self, AgentPatterns, Recommendation};
use crate::prompts::{self, PromptVersion};
use crate::store::{Filter, Store, StoreError};
use serde::Serialize;

/// How many recent settlements the design's workflow analyses.
pub const DEFAULT_LAST: usize = 30;

/// One proposed prompt.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PromptVariant {
    /// A short name: "Cut the filler".
    pub title: String,
    pub prompt: String,
    /// Why, in a sentence.
    pub rationale: String,
    /// The rules added to the current prompt.
    pub rules: Vec<String>,
    /// The findings behind it, each with example settlement ids.
    pub evidence: Vec<Recommendation>,
}

/// What generation produced for one agent.
#[derive(Clone, Debug, Serialize)]
pub struct Generated {
    pub agent: String,
    /// Settlements analysed.
    pub analysed: usize,
    /// The prompt the variants build on (the active version), if the agent has one.
    pub current: Option<PromptVersion>,
    pub variants: Vec<PromptVariant>,
    /// Why there are fewer than three variants, when there are.
    pub note: Option<String>,
}

struct Part {
    title: &'static str,
    rationale: String,
    rules: Vec<String>,
    evidence: Vec<Recommendation>,
}

fn quoted(items: &[String]) -> String {
    items
        .iter()
        .map(|t| format!("“{t}”"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn evidence(p: &AgentPatterns, kind: &str, needle: &str) -> Vec<Recommendation> {
    p.recommendations
        .iter()
        .filter(|r| r.kind == kind && (needle.is_empty() || r.text.contains(needle)))
        .cloned()
        .collect()
}

/// The recommendations of `kind` that cite one of `phrases`.
fn cited(p: &AgentPatterns, kind: &str, phrases: &[String]) -> Vec<Recommendation> {
    phrases
        .iter()
        .flat_map(|t| evidence(p, kind, &format!("“{t}”")))
        .collect()
}

fn tone_shift<'a>(p: &'a AgentPatterns, feature: &str) -> Option<&'a patterns::ToneShift> {
    p.tone
        .iter()
        .find(|t| t.feature == feature && t.significant)
}

/// The first `limit` phrases (in rank order) that do not overlap one already taken: of
/// "bottom line decide" and "bottom line decide on", only the first to rank is kept.
fn distinct(phrases: Vec<String>, limit: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in phrases {
        if out.len() == limit {
            break;
        }
        if !out
            .iter()
            .any(|q| q.contains(p.as_str()) || p.contains(q.as_str()))
        {
            out.push(p);
        }
    }
    out
}

/// What replay said of the deletion and replacement rules.
#[derive(Clone, Debug)]
pub enum Check {
    /// Replayed: the validated rules, and how many of the later settlements were replayed.
    Replayed {
        validated: Vec<RuleOutcome>,
        replayed: usize,
    },
    /// Not replayed, and why.
    Unchecked(String),
}

impl Check {
    /// Replay the agent's whole history (see the module's documentation).
    pub fn of_agent(store: &Store, agent: &str) -> Result<Check, StoreError> {
        let scope = patterns::Scope {
            agent: Some(agent.to_owned()),
            ..Default::default()
        };
        let found = crate::mining::replay_store(store, &scope, &mut no_progress, &Cancel::new())?;
        Ok(match found {
            Some(Replay::Done(r)) => Check::Replayed {
                validated: r.rules.into_iter().filter(|r| r.validated).collect(),
                replayed: r.replayed,
            },
            Some(Replay::TooSmall { settlements, needed }) => Check::Unchecked(format!(
                "replay needs {needed} settlements to split by time and this agent has {settlements}"
            )),
            None => Check::Unchecked("replay was cancelled".into()),
        })
    }

    fn validated(&self, kind: &str) -> Option<Vec<&RuleOutcome>> {
        match self {
            Check::Replayed { validated, .. } => {
                Some(validated.iter().filter(|r| r.kind == kind).collect())
            }
            Check::Unchecked(_) => None,
        }
    }

    /// The sentence a rationale ends with.
    fn says(&self, rules: &[&RuleOutcome]) -> String {
        match self {
            Check::Replayed { replayed, .. } => format!(
                " Replayed on the agent's later {replayed} settlements, each would have saved editing: {}.",
                rules
                    .iter()
                    .map(|r| format!(
                        "{} {:.1}% (95% interval {:.1}–{:.1}%)",
                        r.text,
                        100.0 * r.saved.value,
                        100.0 * r.saved.low,
                        100.0 * r.saved.high
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            Check::Unchecked(why) => format!(" Unvalidated: {why}."),
        }
    }
}

/// The building blocks the evidence supports, in a fixed order.
fn parts(p: &AgentPatterns, check: &Check) -> Vec<Part> {
    let mut out = Vec::new();
    let (deleted, deleted_rules): (Vec<String>, Vec<&RuleOutcome>) =
        match check.validated("leave_out") {
            Some(rules) => {
                let kept = distinct(rules.iter().map(|r| r.phrase.clone()).collect(), 5);
                let rules = rules
                    .into_iter()
                    .filter(|r| kept.contains(&r.phrase))
                    .collect();
                (kept, rules)
            }
            None => {
                let recent: Vec<String> = p
                    .deleted
                    .iter()
                    .filter(|x| x.share.value >= 0.5 && x.support >= 3)
                    .map(|x| x.text.clone())
                    .collect();
                (distinct(recent, 5), Vec::new())
            }
        };
    if !deleted.is_empty() {
        out.push(Part {
            title: "Cut what people delete",
            rationale: format!(
                "People consistently delete {} from this agent's outputs.{}",
                quoted(&deleted),
                check.says(&deleted_rules)
            ),
            rules: vec![format!("Leave out these phrases: {}.", quoted(&deleted))],
            evidence: cited(p, "remove", &deleted),
        });
    }
    let (mut plain_rules, replace_rules): (Vec<String>, Vec<&RuleOutcome>) =
        match check.validated("replace") {
            Some(rules) => {
                let rules: Vec<&RuleOutcome> = rules.into_iter().take(5).collect();
                let text = rules
                    .iter()
                    .filter_map(|r| {
                        let to = r.replacement.as_ref()?;
                        Some(format!("Write “{to}”, not “{}”.", r.phrase))
                    })
                    .collect();
                (text, rules)
            }
            None => (
                p.replacements
                    .iter()
                    .filter(|r| r.share.value >= 0.4 && r.support >= 3)
                    .take(5)
                    .map(|r| format!("Write “{}”, not “{}”.", r.to, r.from))
                    .collect(),
                Vec::new(),
            ),
        };
    let replacement_rules = plain_rules.len();
    let replaced_any = replacement_rules > 0;
    // The replacements' evidence: those the rules name (all of the recent mining's when
    // replay could not check them).
    let mut plain_evidence = match check {
        Check::Replayed { .. } => cited(
            p,
            "replace",
            &replace_rules
                .iter()
                .map(|r| r.phrase.clone())
                .collect::<Vec<_>>(),
        ),
        Check::Unchecked(_) => evidence(p, "replace", ""),
    };
    if tone_shift(p, "formal_words").is_some_and(|t| t.mean_change < 0.0) {
        plain_rules.push(
            "Prefer plain words to formal ones and connectives (“utilize”, “therefore”).".into(),
        );
        plain_evidence.extend(evidence(p, "tone", "formal"));
    }
    if tone_shift(p, "hedges").is_some_and(|t| t.mean_change < 0.0) {
        plain_rules.push(
            "Say what you recommend directly; do not hedge with “may”, “might” or “potentially”."
                .into(),
        );
        plain_evidence.extend(evidence(p, "tone", "Hedge"));
    }
    if !plain_rules.is_empty() {
        let checked = if replaced_any {
            check.says(&replace_rules)
        } else {
            String::new()
        };
        out.push(Part {
            title: "Plain, direct wording",
            rationale: format!(
                "People swap formal or hedged wording for plain, direct words.{checked}{}",
                if plain_rules.len() > replacement_rules {
                    " Formal and hedged wording (tone) is not replayed."
                } else {
                    ""
                }
            ),
            rules: plain_rules,
            evidence: plain_evidence,
        });
    }
    let added: Vec<String> = p
        .added
        .iter()
        .filter(|x| x.share.value >= 0.15 && x.words >= 2)
        .map(|x| x.text.clone())
        .collect();
    let added = distinct(added, 3);
    if !added.is_empty() {
        out.push(Part {
            title: "Include what people add",
            rationale: format!(
                "People add {} by hand to a good share of outputs (added content is not replayed: only a person can write it).",
                quoted(&added)
            ),
            rules: vec![format!(
                "Where it fits the request, include what reviewers keep adding: {}.",
                quoted(&added)
            )],
            evidence: cited(p, "add", &added),
        });
    }
    let mut voice_rules = Vec::new();
    let mut voice_evidence = Vec::new();
    if tone_shift(p, "contractions").is_some_and(|t| t.mean_change > 0.0) {
        voice_rules.push("Write conversationally, with contractions.".into());
        voice_evidence.extend(evidence(p, "tone", "contractions"));
    }
    if tone_shift(p, "first_person").is_some_and(|t| t.mean_change > 0.0) {
        voice_rules.push("Write in the first person rather than impersonally.".into());
        voice_evidence.extend(evidence(p, "tone", "first-person"));
    }
    if let Some(t) = p
        .tone
        .iter()
        .find(|t| t.feature == "words" && t.significant)
    {
        let rel = t.mean_change / t.mean_ai.max(1.0);
        if rel <= -0.1 {
            voice_rules.push(format!(
                "Keep answers to about {:.0} words: people cut them from {:.0}.",
                t.mean_final.max(1.0),
                t.mean_ai
            ));
        } else if rel >= 0.1 {
            voice_rules.push(format!(
                "Give fuller answers, about {:.0} words: people expand them from {:.0}.",
                t.mean_final, t.mean_ai
            ));
        }
        voice_evidence.extend(evidence(p, "length", ""));
    }
    if !voice_rules.is_empty() {
        out.push(Part {
            title: "Match the voice and length people edit towards",
            rationale: "People change the voice and length of this agent's outputs in a consistent direction (voice and length are not replayed).".into(),
            rules: voice_rules,
            evidence: voice_evidence,
        });
    }
    // The structure patterns people show in half the outputs or more (the recommendations'
    // bar): a sentence position cut, headings or lists changed, marks taken out.
    let shape: Vec<(&str, &patterns::StructurePattern)> = p
        .structure
        .iter()
        .filter(|s| s.share.value >= 0.5)
        .filter_map(|s| Some((patterns::structure_advice(s.kind)?, s)))
        .take(4)
        .collect();
    if !shape.is_empty() {
        out.push(Part {
            title: "Shape and marks people edit towards",
            rationale: format!(
                "People consistently change the shape of this agent's outputs or take out the same marks: {} (structure and marks are not replayed: replay counts words).",
                shape
                    .iter()
                    .map(|(_, s)| s.label.to_lowercase())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            rules: shape
                .iter()
                .map(|(advice, s)| match s.instead {
                    Some(instead) => format!("{advice}. {instead}."),
                    None => format!("{advice}."),
                })
                .collect(),
            evidence: shape
                .iter()
                .flat_map(|(advice, _)| evidence(p, "structure", advice))
                .collect(),
        });
    }
    out
}

/// `current` with a block of rules added.
pub(crate) fn compose(current: &str, rules: &[String]) -> String {
    let mut prompt = current.trim_end().to_owned();
    if !prompt.is_empty() {
        prompt.push_str("\n\n");
    }
    prompt.push_str("Style rules (learned from how reviewers edit your drafts):");
    for r in rules {
        prompt.push_str("\n- ");
        prompt.push_str(r);
    }
    prompt
}

/// Compose up to five variants of `current` from the agent's patterns: one per kind of
/// evidence, and one combining them all when there are two kinds or more.
pub fn offline(
    current: &str,
    patterns: &AgentPatterns,
    check: &Check,
) -> (Vec<PromptVariant>, Option<String>) {
    let parts = parts(patterns, check);
    let mut variants: Vec<PromptVariant> = parts
        .iter()
        .map(|p| PromptVariant {
            title: p.title.to_owned(),
            prompt: compose(current, &p.rules),
            rationale: p.rationale.clone(),
            rules: p.rules.clone(),
            evidence: p.evidence.clone(),
        })
        .collect();
    if parts.len() >= 2 {
        let rules: Vec<String> = parts.iter().flat_map(|p| p.rules.clone()).collect();
        variants.push(PromptVariant {
            title: "All of the above".into(),
            prompt: compose(current, &rules),
            rationale: format!(
                "Every consistent edit at once: {}.",
                parts
                    .iter()
                    .map(|p| p.title.to_lowercase())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            rules,
            evidence: parts.iter().flat_map(|p| p.evidence.clone()).collect(),
        });
    }
    let note = match variants.len() {
        0 => Some(format!(
            "No consistent edits in these {} settlements: people do not delete, add, substitute or re-tone the same things often enough to base a prompt change on. Analyse more settlements, or write a variant by hand.",
            patterns.settlements
        )),
        1 | 2 => Some("Only the evidence shown supports a change; more settlements may reveal more.".into()),
        _ => None,
    };
    (variants, note)
}

/// The agent's most recent settlements (newest first), at most `last` (0 = all).
pub fn recent(
    store: &Store,
    agent: &str,
    last: usize,
) -> Result<Vec<crate::model::Settlement>, StoreError> {
    let filter = Filter {
        agent: crate::model::AgentName::new(agent).ok(),
        ..Default::default()
    };
    let limit = if last == 0 { u64::MAX } else { last as u64 };
    let mut out = Vec::new();
    let mut offset = 0;
    while (out.len() as u64) < limit {
        let page = store.list(&filter, offset, 500.min(limit - out.len() as u64))?;
        if page.items.is_empty() {
            break;
        }
        offset += page.items.len() as u64;
        for summary in page.items {
            if let Some(s) = store.get(&summary.id)? {
                out.push(s);
            }
        }
    }
    Ok(out)
}

/// Analyse the agent's last `last` settlements (all of them for 0) and compose variants of
/// its active prompt.
pub fn generate(store: &Store, agent: &str, last: usize) -> Result<Generated, StoreError> {
    let settlements = recent(store, agent, last)?;
    let report = patterns::mine_slice(&settlements);
    let current = prompts::active(store, agent).ok().flatten();
    let Some(p) = report.agents.iter().find(|a| a.agent == agent) else {
        return Ok(Generated {
            agent: agent.to_owned(),
            analysed: 0,
            current,
            variants: Vec::new(),
            note: Some(format!("{agent} has no settlements to learn from.")),
        });
    };
    let base = current.as_ref().map(|c| c.text.clone()).unwrap_or_default();
    let check = Check::of_agent(store, agent)?;
    let (variants, mut note) = offline(&base, p, &check);
    if current.is_none() {
        note = Some(format!(
            "{agent} has no prompt in the registry, so the variants hold only the new rules: add the current prompt first (paste it or import a file) to build on it.{}",
            note.map(|n| format!(" {n}")).unwrap_or_default()
        ));
    }
    Ok(Generated {
        agent: agent.to_owned(),
        analysed: settlements.len(),
        current,
        variants,
        note,
    })
}
