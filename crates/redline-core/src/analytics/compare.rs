//! Two agents head to head over a range (the design's compare_agents): acceptance difference
//! with a 95% Welch interval and a Mann–Whitney U test (acceptance is bounded and skewed, so a
//! rank test suits it), the rank-biserial effect size, the same per intent type, and the
//! edit-cost distributions (quartiles).

use super::{Observation, Range};
use crate::stats::{mann_whitney, mean_ci, mean_difference, Estimate};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeSet;

/// Minimum, quartiles and maximum.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Quartiles {
    pub min: f64,
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub max: f64,
}

/// Quartiles by linear interpolation between order statistics (type 7, as spreadsheets and
/// numpy compute them).
pub fn quartiles(values: &[f64]) -> Option<Quartiles> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let h = (v.len() - 1) as f64 * q;
        let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
        v[lo] + (h - lo as f64) * (v[hi] - v[lo])
    };
    Some(Quartiles {
        min: v[0],
        q1: at(0.25),
        median: at(0.5),
        q3: at(0.75),
        max: v[v.len() - 1],
    })
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Contrast {
    pub a: Option<Estimate>,
    pub b: Option<Estimate>,
    /// Mean acceptance of A minus B, with a 95% Welch interval.
    pub difference: Option<Estimate>,
    /// Two-sided Mann–Whitney p-value.
    pub p_value: Option<f64>,
    /// Rank-biserial correlation: +1 when every A beats every B, −1 the other way.
    pub effect: Option<f64>,
}

fn contrast(a: &[f64], b: &[f64]) -> Contrast {
    let test = mann_whitney(a, b);
    Contrast {
        a: mean_ci(a, 0.0, 1.0),
        b: mean_ci(b, 0.0, 1.0),
        difference: mean_difference(a, b),
        p_value: test.map(|t| t.1),
        effect: test.map(|t| t.2),
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IntentContrast {
    pub intent_type: String,
    pub contrast: Contrast,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub agent_a: String,
    pub agent_b: String,
    pub range: Range,
    pub acceptance: Contrast,
    pub by_intent: Vec<IntentContrast>,
    pub edit_cost_a: Option<Quartiles>,
    pub edit_cost_b: Option<Quartiles>,
}

/// Compare agent `a` with agent `b` over `range` ending at `now`.
pub fn compare(
    observations: &[Observation],
    a: &str,
    b: &str,
    range: Range,
    now: DateTime<Utc>,
) -> Comparison {
    let (from, to) = range.bounds(now);
    let inside = |o: &&Observation| o.at <= to && from.is_none_or(|f| o.at > f);
    let of = |agent: &str| -> Vec<&Observation> {
        observations
            .iter()
            .filter(inside)
            .filter(|o| o.agent == agent)
            .collect()
    };
    let (oa, ob) = (of(a), of(b));
    let acc = |obs: &[&Observation], kind: Option<&str>| -> Vec<f64> {
        obs.iter()
            .filter(|o| kind.is_none_or(|k| o.intent_type == k))
            .map(|o| o.acceptance)
            .collect()
    };
    let kinds: BTreeSet<&str> = oa
        .iter()
        .chain(&ob)
        .map(|o| o.intent_type.as_str())
        .collect();
    let cost = |obs: &[&Observation]| {
        quartiles(
            &obs.iter()
                .map(|o| f64::from(o.edit_cost))
                .collect::<Vec<_>>(),
        )
    };
    Comparison {
        agent_a: a.to_owned(),
        agent_b: b.to_owned(),
        range,
        acceptance: contrast(&acc(&oa, None), &acc(&ob, None)),
        by_intent: kinds
            .into_iter()
            .map(|k| IntentContrast {
                intent_type: k.to_owned(),
                contrast: contrast(&acc(&oa, Some(k)), &acc(&ob, Some(k))),
            })
            .collect(),
        edit_cost_a: cost(&oa),
        edit_cost_b: cost(&ob),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn quartiles_by_hand() {
        let q = quartiles(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]).unwrap();
        assert_eq!(
            (q.min, q.q1, q.median, q.q3, q.max),
            (1.0, 2.75, 4.5, 6.25, 8.0)
        );
        assert_eq!(quartiles(&[3.0]).unwrap().q1, 3.0);
        assert!(quartiles(&[]).is_none());
    }

    #[test]
    fn a_better_agent_wins_clearly() {
        let now = Utc::now();
        let mk = |agent: &str, kind: &str, i: usize, acc: f64| Observation {
            agent: agent.into(),
            intent_type: kind.into(),
            at: now - Duration::hours(i as i64 + 1),
            acceptance: acc,
            acceptance_from_source: true,
            edit_cost: ((1.0 - acc) * 20.0).round() as u32,
            edit_cost_norm: 1.0 - acc,
            processing_ms: None,
            error: None,
            ..Default::default()
        };
        let mut obs = Vec::new();
        for i in 0..40 {
            let kind = if i % 2 == 0 { "x" } else { "y" };
            obs.push(mk("A", kind, i, 0.85 + 0.01 * (i % 5) as f64));
            obs.push(mk("B", kind, i, 0.60 + 0.01 * (i % 5) as f64));
        }
        let c = compare(&obs, "A", "B", Range::Days(30), now);
        let d = c.acceptance.difference.unwrap();
        assert!((d.value - 0.25).abs() < 1e-9);
        assert!(d.low.unwrap() > 0.2);
        assert!(c.acceptance.p_value.unwrap() < 1e-6);
        assert_eq!(c.acceptance.effect, Some(1.0));
        assert_eq!(c.by_intent.len(), 2);
        assert!(c.edit_cost_a.unwrap().median < c.edit_cost_b.unwrap().median);
        // An agent with no settlements: everything is empty, nothing panics.
        let none = compare(&obs, "A", "Nobody", Range::All, now);
        assert!(none.acceptance.b.is_none() && none.acceptance.p_value.is_none());
    }
}
