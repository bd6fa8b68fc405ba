//! Recommendations validated by replay: would following them have saved people editing?
//!
//! The scope's settlements are split by time into an earlier and a later half. The earlier half
//! is mined as usual; each candidate rule it yields (leave out a deleted phrase; write a
//! replacement's most common target instead of its source) is then applied to the later half's
//! AI outputs, and the word-level edit distance from the changed output to what people used is
//! compared with the distance from the output as it was (Levenshtein over lower-cased words,
//! the metric of PRELUDE/CIPHER, Gao et al. 2024). A rule's **saving** is the share of the
//! later half's editing (the sum of the no-change distances) it takes away, with a 95%
//! percentile-bootstrap interval over settlements. A rule is **validated** when the interval's
//! lower end is above zero; validated rules rank by that lower end, and are also replayed
//! together. docs/patterns.md ("Replay") has the rules.

use super::{tokens::word_hash, AgentPatterns, ALL_AGENTS, TOP};
use crate::job::{Cancel, Progress, Step};
use crate::model::Settlement;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The fewest settlements each half must have.
pub const MIN_PART: usize = 200;
/// The later half's newest settlements replayed, at most.
pub const MAX_REPLAYED: usize = 5_000;
/// Bootstrap resamples per interval.
pub const RESAMPLES: usize = 1_000;

/// A span of settlements.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Part {
    pub settlements: usize,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// A share of the editing saved, with its 95% bootstrap interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Saving {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// One candidate rule and what replaying it did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleOutcome {
    /// `leave_out` or `replace`.
    pub kind: &'static str,
    /// The rule as advice ("Leave out “…”", "Write “…” instead of “…”").
    pub text: String,
    pub phrase: String,
    pub replacement: Option<String>,
    /// Replayed outputs the rule changed.
    pub applies: usize,
    pub saved: Saving,
    /// The interval's lower end is above zero.
    pub validated: bool,
}

/// What a replay found.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Replay {
    /// Too few settlements to split.
    TooSmall {
        settlements: usize,
        needed: usize,
    },
    Done(Box<Replayed>),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Replayed {
    /// Mined.
    pub earlier: Part,
    /// Replayed (its newest [`MAX_REPLAYED`] at most).
    pub later: Part,
    pub replayed: usize,
    /// The editing with no change: the sum of the word-level edit distances.
    pub baseline_edits: usize,
    /// Validated rules by the lower end of their saving, then the others by their saving.
    pub rules: Vec<RuleOutcome>,
    /// All validated rules applied together.
    pub combined: Option<Saving>,
    /// The finding in one sentence.
    pub summary: String,
}

/// A rule on word hashes: replace each occurrence of `from` by `to` (empty: leave it out).
pub(crate) struct Rule {
    from: Vec<u32>,
    to: Vec<u32>,
}

impl Rule {
    /// `words` with the rule applied, or `None` if it does not occur.
    fn apply(&self, words: &[u32]) -> Option<Vec<u32>> {
        let n = self.from.len();
        if n == 0 || words.len() < n {
            return None;
        }
        let mut out = Vec::with_capacity(words.len());
        let (mut i, mut hit) = (0, false);
        while i < words.len() {
            if words[i..].starts_with(&self.from) {
                out.extend_from_slice(&self.to);
                i += n;
                hit = true;
            } else {
                out.push(words[i]);
                i += 1;
            }
        }
        hit.then_some(out)
    }
}

fn hashes(text: &str) -> Vec<u32> {
    crate::text::words(text).map(word_hash).collect()
}

/// Levenshtein distance between two word sequences (insertions, deletions and substitutions
/// of one word each), after their common prefix and suffix.
pub fn word_distance(a: &[u32], b: &[u32]) -> usize {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[prefix..], &b[prefix..]);
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a, b) = (&a[..a.len() - suffix], &b[..b.len() - suffix]);
    if a.is_empty() || b.is_empty() {
        return a.len().max(b.len());
    }
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, x) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, y) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if x == y {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Resample weights (how often each settlement is drawn), drawn once and shared by every
/// rule's interval, so that rules are compared on the same resamples.
struct Bootstrap {
    weights: Vec<Vec<u16>>,
    baseline: Vec<f64>,
}

impl Bootstrap {
    fn new(base: &[usize], resamples: usize, seed: u64) -> Bootstrap {
        let n = base.len();
        let mut rng = crate::rng::Rng(seed);
        let weights: Vec<Vec<u16>> = (0..resamples)
            .map(|_| {
                let mut w = vec![0u16; n];
                for _ in 0..n {
                    w[(rng.next() % n as u64) as usize] += 1;
                }
                w
            })
            .collect();
        let baseline = weights
            .iter()
            .map(|w| w.iter().zip(base).map(|(k, d)| *k as f64 * *d as f64).sum())
            .collect();
        Bootstrap { weights, baseline }
    }

    /// The saving of `saved` (per settlement; only the non-zero ones listed) over `total`.
    fn saving(&self, saved: &[(usize, i64)], total: usize) -> Saving {
        let value = saved.iter().map(|(_, s)| *s as f64).sum::<f64>() / total.max(1) as f64;
        let mut shares: Vec<f64> = self
            .weights
            .iter()
            .zip(&self.baseline)
            .map(|(w, b)| {
                let s: f64 = saved.iter().map(|(i, s)| w[*i] as f64 * *s as f64).sum();
                if *b > 0.0 {
                    s / b
                } else {
                    0.0
                }
            })
            .collect();
        shares.sort_by(f64::total_cmp);
        let at = |q: f64| shares[((q * (shares.len() - 1) as f64).round()) as usize];
        Saving {
            value,
            low: at(0.025),
            high: at(0.975),
        }
    }
}

/// The candidate rules of a mined group: its deleted phrases, and its replacements that name a
/// target, [`TOP`] of each.
pub(crate) fn rules_of(a: &AgentPatterns) -> Vec<(RuleOutcome, Rule)> {
    let outcome = |kind, text, phrase: &str, replacement: Option<&str>| RuleOutcome {
        kind,
        text,
        phrase: phrase.to_owned(),
        replacement: replacement.map(str::to_owned),
        applies: 0,
        saved: Saving {
            value: 0.0,
            low: 0.0,
            high: 0.0,
        },
        validated: false,
    };
    let mut out = Vec::new();
    for p in a.deleted.iter().take(TOP) {
        out.push((
            outcome(
                "leave_out",
                format!("Leave out “{}”", p.text),
                &p.text,
                None,
            ),
            Rule {
                from: hashes(&p.text),
                to: Vec::new(),
            },
        ));
    }
    for r in a.replacements.iter().take(TOP) {
        let Some(t) = r.targets.first() else {
            continue;
        };
        out.push((
            outcome(
                "replace",
                format!("Write “{}” instead of “{}”", t.to, r.from),
                &r.from,
                Some(&t.to),
            ),
            Rule {
                from: hashes(&r.from),
                to: hashes(&t.to),
            },
        ));
    }
    out
}

/// Replay the candidate rules mined from the earlier half of `settlements` (one scope: an
/// agent, or every agent together) on the later half. Progress counts the rules replayed (the
/// mining comes first, as one step); `None` if cancelled.
pub fn replay(
    settlements: &[Settlement],
    on_step: Progress<'_>,
    cancel: &Cancel,
) -> Option<Replay> {
    let mut order: Vec<&Settlement> = settlements.iter().collect();
    order.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    if order.len() < 2 * MIN_PART {
        return Some(Replay::TooSmall {
            settlements: order.len(),
            needed: 2 * MIN_PART,
        });
    }
    let half = order.len() / 2;
    let (earlier, later) = order.split_at(half);
    let part = |list: &[&Settlement]| Part {
        settlements: list.len(),
        from: list[0].created_at,
        to: list[list.len() - 1].created_at,
    };
    // Streamed into the miner, which keeps no texts: the earlier half is not copied whole.
    let report = super::mine::<std::convert::Infallible>(|visit| {
        earlier.iter().for_each(|s| visit((*s).clone()));
        Ok(())
    })
    .expect("infallible");
    let group = report
        .agents
        .iter()
        .find(|a| a.agent == ALL_AGENTS)
        .or_else(|| report.agents.first())?;
    if cancel.is_cancelled() {
        return None;
    }
    let replayed = &later[later.len().saturating_sub(MAX_REPLAYED)..];
    // Per replayed output: its AI words, its final words, and the editing with no change.
    let outputs: Vec<(Vec<u32>, Vec<u32>, usize)> = crate::parallel::map(replayed, |s| {
        let (a, f) = (hashes(&s.ai_output), hashes(&s.final_output));
        let d = word_distance(&a, &f);
        (a, f, d)
    });
    let base: Vec<usize> = outputs.iter().map(|o| o.2).collect();
    let total: usize = base.iter().sum();
    let boot = Bootstrap::new(&base, RESAMPLES, 0x5eed_0f2e_91a7);
    let savings = |apply: &(dyn Fn(&[u32]) -> Option<Vec<u32>> + Sync)| -> Vec<(usize, i64)> {
        let per: Vec<Option<i64>> = crate::parallel::map(&outputs, |(a, f, d)| {
            apply(a).map(|changed| *d as i64 - word_distance(&changed, f) as i64)
        });
        per.into_iter()
            .enumerate()
            .filter_map(|(i, s)| s.map(|s| (i, s)))
            .collect()
    };
    let mut rules = rules_of(group);
    let steps = rules.len() as u64 + 1;
    let mut step = |done: u64| {
        on_step(Step {
            done,
            total: Some(steps),
            items: done,
        })
    };
    step(0);
    for (k, (outcome, rule)) in rules.iter_mut().enumerate() {
        if cancel.is_cancelled() {
            return None;
        }
        step(k as u64 + 1);
        let saved = savings(&|a| rule.apply(a));
        outcome.applies = saved.len();
        outcome.saved = boot.saving(&saved, total);
        outcome.validated = total > 0 && outcome.saved.low > 0.0;
    }
    rules.sort_by(|(a, _), (b, _)| {
        b.validated
            .cmp(&a.validated)
            .then_with(|| {
                if a.validated {
                    b.saved.low.total_cmp(&a.saved.low)
                } else {
                    b.saved.value.total_cmp(&a.saved.value)
                }
            })
            .then(a.text.cmp(&b.text))
    });
    let chosen: Vec<&Rule> = rules
        .iter()
        .filter(|(o, _)| o.validated)
        .map(|(_, r)| r)
        .collect();
    let combined = (!chosen.is_empty()).then(|| {
        let saved = savings(&|a: &[u32]| {
            let mut words: Option<Vec<u32>> = None;
            for r in &chosen {
                if let Some(w) = r.apply(words.as_deref().unwrap_or(a)) {
                    words = Some(w);
                }
            }
            words
        });
        boot.saving(&saved, total)
    });
    let (earlier, later_part) = (part(earlier), part(replayed));
    let span = format!(
        "{} – {}",
        later_part.from.format("%Y-%m-%d"),
        later_part.to.format("%Y-%m-%d")
    );
    let pct = |x: f64| format!("{:.1}%", x * 100.0);
    let summary = match combined {
        _ if total == 0 => format!(
            "People used the {} replayed outputs ({span}) as they were: there was no editing to save.",
            replayed.len()
        ),
        Some(c) => format!(
            "Following {} would have saved {} (95% CI {} to {}) of the editing of the {} outputs of {span}.",
            if chosen.len() == 1 {
                "this change".to_owned()
            } else {
                format!("these {} changes", chosen.len())
            },
            pct(c.value),
            pct(c.low),
            pct(c.high),
            replayed.len()
        ),
        None => format!(
            "No candidate change would clearly have saved editing on the {} outputs of {span}; the strongest are shown, unvalidated.",
            replayed.len()
        ),
    };
    Some(Replay::Done(Box::new(Replayed {
        earlier,
        later: later_part,
        replayed: replayed.len(),
        baseline_edits: total,
        rules: rules.into_iter().map(|(o, _)| o).collect(),
        combined,
        summary,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<u32> {
        hashes(s)
    }

    fn settlement(i: usize, ai: &str, fin: &str) -> Settlement {
        Settlement {
            created_at: DateTime::from_timestamp(1_780_000_000 + i as i64 * 3600, 0).unwrap(),
            ..crate::model::test_settlement(&format!("r{i:04}"), "A", ai, fin)
        }
    }

    /// 600 outputs opening with "Great question!"; people cut it from 85% of them — in the
    /// later half too when `later_cut`, else they keep it there and change "north" instead.
    fn opener(later_cut: bool) -> Vec<Settlement> {
        (0..600)
            .map(|i| {
                let ai = format!("Great question! Ship order {i} to the north depot today.");
                let cut = i % 20 < 17 && (i < 300 || later_cut);
                let fin = if cut {
                    format!("Ship order {i} to the north depot today.")
                } else if i >= 300 && !later_cut {
                    ai.replace("north", "south")
                } else {
                    ai.clone()
                };
                settlement(i, &ai, &fin)
            })
            .collect()
    }

    fn done(r: Option<Replay>) -> Replayed {
        match r.expect("not cancelled") {
            Replay::Done(r) => *r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_rule_that_holds_later_is_validated_and_saves_editing() {
        let r = done(replay(
            &opener(true),
            &mut crate::job::no_progress,
            &Cancel::new(),
        ));
        assert_eq!((r.earlier.settlements, r.later.settlements), (300, 300));
        assert!(r.earlier.to < r.later.from, "split by time");
        let rule = r
            .rules
            .iter()
            .find(|o| o.phrase == "great question")
            .unwrap_or_else(|| panic!("{:#?}", r.rules));
        assert!(rule.validated, "{rule:?}");
        assert_eq!(rule.applies, 300);
        // Each cut output had 2 words of editing, all of which the rule takes away; it adds 2
        // to each kept one: (255 × 2 − 45 × 2) / (255 × 2).
        assert!(
            (rule.saved.value - (510.0 - 90.0) / 510.0).abs() < 1e-9,
            "{rule:?}"
        );
        assert!(rule.saved.low > 0.7 && rule.saved.high <= 1.0, "{rule:?}");
        assert!(r.combined.is_some());
        assert!(
            r.summary
                .starts_with("Following this change would have saved 82.4%"),
            "{}",
            r.summary
        );
    }

    #[test]
    fn a_rule_people_stopped_following_is_not_validated() {
        let r = done(replay(
            &opener(false),
            &mut crate::job::no_progress,
            &Cancel::new(),
        ));
        // Mined on the earlier half, where people cut the opener; in the later half they keep
        // it, and following the rule would have cost editing.
        let rule = r
            .rules
            .iter()
            .find(|o| o.phrase == "great question")
            .unwrap();
        assert!(!rule.validated, "{rule:?}");
        // One word of editing per output; the rule would have added two.
        assert_eq!(r.baseline_edits, 300);
        assert!((rule.saved.value + 2.0).abs() < 1e-9, "{rule:?}");
        assert!(r.combined.is_none());
        assert!(
            r.summary.starts_with("No candidate change"),
            "{}",
            r.summary
        );
    }

    #[test]
    fn a_small_scope_is_not_split() {
        let few: Vec<Settlement> = opener(true).into_iter().take(399).collect();
        assert_eq!(
            replay(&few, &mut crate::job::no_progress, &Cancel::new()),
            Some(Replay::TooSmall {
                settlements: 399,
                needed: 400
            })
        );
    }

    #[test]
    fn word_distance_by_hand() {
        assert_eq!(word_distance(&w("a b c"), &w("a b c")), 0);
        assert_eq!(word_distance(&w("a b c"), &w("a c")), 1);
        assert_eq!(word_distance(&w("a b c"), &w("a x c")), 1);
        assert_eq!(word_distance(&w(""), &w("a b")), 2);
        assert_eq!(
            word_distance(&w("kitten sat on mat"), &w("sitting sat mat on")),
            3
        );
        // Case does not count: words are compared lower-cased.
        assert_eq!(word_distance(&w("The plan"), &w("the plan")), 0);
    }

    #[test]
    fn rules_leave_out_and_replace_every_occurrence() {
        let out = Rule {
            from: w("in order to"),
            to: w("to"),
        };
        assert_eq!(
            out.apply(&w("in order to go in order to stay")),
            Some(w("to go to stay"))
        );
        assert_eq!(out.apply(&w("nothing here")), None);
        let cut = Rule {
            from: w("great question"),
            to: Vec::new(),
        };
        assert_eq!(
            cut.apply(&w("Great question! Here it is.")),
            Some(w("here it is"))
        );
    }
}
