//! System-level figures: satisfaction, data quality, fine-tuning readiness and progress toward
//! the design's success criteria. Definitions in docs/metrics.md.

use super::{quality, Observation};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

/// The design's prerequisite for fine-tuning: at least this many settlements above the bar.
pub const READY_MIN: usize = 100;
/// The design's success criteria for average acceptance (month 1, 3 and 6).
pub const GOALS: [f64; 3] = [0.75, 0.85, 0.90];

/// What is wrong with the records, and a 0–100 score: the share of records with no problem.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DataQuality {
    pub checked: usize,
    /// `None` when there is nothing to check.
    pub score: Option<f64>,
    pub missing_fields: usize,
    pub empty_texts: usize,
    /// Records whose agent, AI output and final version repeat an earlier record's.
    pub duplicates: usize,
    pub implausible_rates: usize,
}

/// Fine-tuning readiness: settlements with acceptance above the acceptance threshold (the
/// design's "above 70%" by default), overall and per agent.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Readiness {
    /// The threshold counted against.
    pub bar: f64,
    pub above_bar: usize,
    pub needed: usize,
    pub ready: bool,
    pub per_agent: BTreeMap<String, usize>,
}

/// Progress toward one success criterion.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Goal {
    pub target: f64,
    pub reached: bool,
    /// How far the mean acceptance is below the target (0 when reached).
    pub gap: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct System {
    /// Settlements (intents) processed in the range, and how many intent types they cover.
    pub intents_processed: usize,
    pub intent_types: usize,
    /// Mean satisfaction (0–100) over the range; `None` when the range is empty.
    pub satisfaction: Option<f64>,
    pub data_quality: DataQuality,
    /// Over everything given, not just the range: training data accumulates.
    pub readiness: Readiness,
    /// Against the range's mean acceptance.
    pub goals: Vec<Goal>,
    /// Share of completed A/B experiments whose candidate (variant B) won; `None` until an
    /// experiment has completed. Filled from the store by `service::summary::of_store`.
    pub ab_success_rate: Option<f64>,
}

/// The content hashes are FNV hashes already: use them as they are.
#[derive(Default)]
struct Identity(u64);

impl std::hash::Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub fn data_quality(inside: &[&Observation]) -> DataQuality {
    let mut seen: HashSet<u64, std::hash::BuildHasherDefault<Identity>> =
        HashSet::with_capacity_and_hasher(inside.len(), Default::default());
    let mut q = DataQuality {
        checked: inside.len(),
        ..Default::default()
    };
    let mut clean = 0usize;
    for o in inside {
        let duplicate = !seen.insert(o.content);
        let has = |flag: u8| o.quality & flag != 0;
        q.missing_fields += usize::from(has(quality::MISSING_FIELD));
        q.empty_texts += usize::from(has(quality::EMPTY_TEXT));
        q.implausible_rates += usize::from(has(quality::IMPLAUSIBLE_RATE));
        q.duplicates += usize::from(duplicate);
        clean += usize::from(o.quality == 0 && !duplicate);
    }
    q.score = (!inside.is_empty()).then(|| 100.0 * clean as f64 / inside.len() as f64);
    q
}

pub fn readiness(all: &[Observation], bar: f64) -> Readiness {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for o in all.iter().filter(|o| o.acceptance > bar) {
        match counts.iter_mut().find(|(a, _)| *a == o.agent) {
            Some((_, n)) => *n += 1,
            None => counts.push((&o.agent, 1)),
        }
    }
    let above_bar = counts.iter().map(|(_, n)| n).sum();
    let per_agent = counts
        .into_iter()
        .map(|(agent, n)| (agent.to_owned(), n))
        .collect();
    Readiness {
        bar,
        above_bar,
        needed: READY_MIN,
        ready: above_bar >= READY_MIN,
        per_agent,
    }
}

/// The system figures for the observations `inside` a range, with readiness over `all`
/// against the acceptance threshold `bar`.
pub fn system(inside: &[&Observation], all: &[Observation], bar: f64) -> System {
    let n = inside.len();
    let mean = (n > 0).then(|| inside.iter().map(|o| o.acceptance).sum::<f64>() / n as f64);
    let mut kinds: Vec<&str> = Vec::new();
    for o in inside {
        if !kinds.contains(&o.intent_type.as_str()) {
            kinds.push(&o.intent_type);
        }
    }
    System {
        intents_processed: n,
        intent_types: kinds.len(),
        satisfaction: (n > 0)
            .then(|| 100.0 * inside.iter().map(|o| satisfaction(o)).sum::<f64>() / n as f64),
        data_quality: data_quality(inside),
        readiness: readiness(all, bar),
        goals: mean
            .map(|m| {
                GOALS
                    .iter()
                    .map(|&target| Goal {
                        target,
                        reached: m >= target,
                        gap: (target - m).max(0.0),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        ab_success_rate: None,
    }
}

/// Satisfaction of one settlement, from its normalised edit cost `c`: 1 when used as-is
/// (c = 0), 0.8 for light polish (c ≤ 0.1), 0.5 for moderate edits (c ≤ 0.3), 0.2 for heavy
/// edits (c ≤ 0.6), 0 when rewritten (c > 0.6) or flagged as an error.
pub fn satisfaction(o: &Observation) -> f64 {
    let c = o.edit_cost_norm;
    if o.error == Some(true) {
        0.0
    } else if c <= 0.0 {
        1.0
    } else if c <= 0.1 {
        0.8
    } else if c <= 0.3 {
        0.5
    } else if c <= 0.6 {
        0.2
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(agent: &str, acceptance: f64, quality: u8, content: u64) -> Observation {
        Observation {
            agent: agent.into(),
            intent_type: "x".into(),
            acceptance,
            quality,
            content,
            ..Default::default()
        }
    }

    #[test]
    fn data_quality_by_hand() {
        let all = [
            o("A", 0.9, 0, 1),
            o("A", 0.9, 0, 1), // duplicate of the first
            o("A", 0.5, quality::MISSING_FIELD | quality::EMPTY_TEXT, 2),
            o("B", 0.2, quality::IMPLAUSIBLE_RATE, 3),
        ];
        let refs: Vec<&Observation> = all.iter().collect();
        let q = data_quality(&refs);
        assert_eq!(
            (
                q.missing_fields,
                q.empty_texts,
                q.duplicates,
                q.implausible_rates
            ),
            (1, 1, 1, 1)
        );
        // One clean record in four.
        assert_eq!(q.score, Some(25.0));
        assert_eq!(data_quality(&[]).score, None);
    }

    #[test]
    fn readiness_counts_strictly_above_the_bar() {
        let mut all: Vec<Observation> = (0..99).map(|i| o("A", 0.71, 0, i)).collect();
        all.push(o("B", 0.7, 0, 1000)); // exactly 0.7 is not above
        let r = readiness(&all, 0.7);
        assert_eq!((r.above_bar, r.ready), (99, false));
        all.push(o("B", 0.95, 0, 1001));
        let r = readiness(&all, 0.7);
        assert_eq!((r.above_bar, r.ready), (100, true));
        assert_eq!(r.per_agent["B"], 1);
    }

    #[test]
    fn goals_and_satisfaction_by_hand() {
        // Edit costs 0, 0.05, 0.2, 0.5, 0.9 score 1, 0.8, 0.5, 0.2, 0 → mean 0.5 → 50.
        let all: Vec<Observation> = [0.0, 0.05, 0.2, 0.5, 0.9]
            .iter()
            .enumerate()
            .map(|(i, c)| Observation {
                edit_cost_norm: *c,
                content: i as u64,
                ..o("A", 0.8, 0, 0)
            })
            .collect();
        let refs: Vec<&Observation> = all.iter().collect();
        let s = system(&refs, &all, 0.7);
        assert!((s.satisfaction.unwrap() - 50.0).abs() < 1e-9);
        let reached: Vec<bool> = s.goals.iter().map(|g| g.reached).collect();
        assert_eq!(reached, vec![true, false, false]);
        assert!((s.goals[1].gap - 0.05).abs() < 1e-9);
        assert_eq!((s.intents_processed, s.intent_types), (5, 1));
        assert_eq!(s.ab_success_rate, None);
        let empty = system(&[], &[], 0.7);
        assert!(empty.goals.is_empty() && empty.satisfaction.is_none());
    }
}
