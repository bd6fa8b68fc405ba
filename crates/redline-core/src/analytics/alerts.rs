//! Regression alerts (the design's trigger), raised only when the drop is larger than noise:
//!
//! - **Drop**: the agent's mean acceptance over the last 7 days is more than 10 points below
//!   its baseline (the 30 days before those 7), with at least 5 settlements in each window,
//!   and a one-sided Welch t-test of baseline > recent gives p < 0.01.
//! - **Below the bar**: the agent's 30-day mean acceptance is under 70% and the upper end of
//!   its 95% interval is too (at least 5 settlements).
//!
//! Each alert carries its evidence (means, intervals, n, p).

use super::Observation;
use crate::stats::{mean_ci, welch_greater, Estimate};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// A drop must exceed this many acceptance points (0..1 scale).
pub const DROP: f64 = 0.10;
/// The significance a drop needs.
pub const ALPHA: f64 = 0.01;
/// The design's bar for a healthy agent.
pub const BAR: f64 = 0.70;
/// Fewer settlements than this in a window raise nothing.
pub const MIN_N: usize = 5;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Alert {
    Drop {
        agent: String,
        recent_7d: Estimate,
        baseline_30d: Estimate,
        drop: f64,
        p_value: f64,
    },
    BelowBar {
        agent: String,
        acceptance_30d: Estimate,
        bar: f64,
    },
}

impl Alert {
    pub fn agent(&self) -> &str {
        match self {
            Alert::Drop { agent, .. } | Alert::BelowBar { agent, .. } => agent,
        }
    }

    /// One sentence with the evidence.
    pub fn describe(&self) -> String {
        let pct = |x: f64| format!("{:.0}%", x * 100.0);
        let ci = |e: &Estimate| match (e.low, e.high) {
            (Some(l), Some(h)) => format!("{} [{}–{}], n = {}", pct(e.value), pct(l), pct(h), e.n),
            _ => format!("{}, n = {}", pct(e.value), e.n),
        };
        match self {
            Alert::Drop { agent, recent_7d, baseline_30d, drop, p_value } => format!(
                "{agent}: acceptance fell {:.0} points in the last 7 days ({}) against the 30 days before ({}); {}.",
                drop * 100.0,
                ci(recent_7d),
                ci(baseline_30d),
                if *p_value < 1e-4 { "p < 0.0001".to_owned() } else { format!("p = {p_value:.4}") }
            ),
            Alert::BelowBar { agent, acceptance_30d, bar } => format!(
                "{agent}: 30-day acceptance {} is below the {} bar.",
                ci(acceptance_30d),
                pct(*bar)
            ),
        }
    }
}

/// The alerts the observations raise at `now`.
/// `bar` is the acceptance threshold of a healthy agent ([`BAR`] unless the admin set another).
pub fn alerts(observations: &[Observation], now: DateTime<Utc>, bar: f64) -> Vec<Alert> {
    let mut by_agent: BTreeMap<&str, Vec<&Observation>> = BTreeMap::new();
    for o in observations.iter().filter(|o| o.at <= now) {
        by_agent.entry(&o.agent).or_default().push(o);
    }
    let mut out = Vec::new();
    for (agent, obs) in by_agent {
        let window = |newest: i64, oldest: i64| -> Vec<f64> {
            obs.iter()
                .filter(|o| {
                    o.at > now - Duration::days(oldest) && o.at <= now - Duration::days(newest)
                })
                .map(|o| o.acceptance)
                .collect()
        };
        let recent = window(0, 7);
        let baseline = window(7, 37);
        if recent.len() >= MIN_N && baseline.len() >= MIN_N {
            if let (Some(r), Some(b), Some(p)) = (
                mean_ci(&recent, 0.0, 1.0),
                mean_ci(&baseline, 0.0, 1.0),
                welch_greater(&baseline, &recent),
            ) {
                let drop = b.value - r.value;
                if drop > DROP && p < ALPHA {
                    out.push(Alert::Drop {
                        agent: agent.to_owned(),
                        recent_7d: r,
                        baseline_30d: b,
                        drop,
                        p_value: p,
                    });
                }
            }
        }
        let month = window(0, 30);
        if month.len() >= MIN_N {
            if let Some(m) = mean_ci(&month, 0.0, 1.0) {
                if m.high.is_some_and(|h| h < bar) {
                    out.push(Alert::BelowBar {
                        agent: agent.to_owned(),
                        acceptance_30d: m,
                        bar,
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(agent: &str, days_ago: f64, acceptance: f64, now: DateTime<Utc>) -> Observation {
        Observation {
            agent: agent.into(),
            intent_type: "x".into(),
            at: now - Duration::minutes((days_ago * 1440.0) as i64 + 1),
            acceptance,
            acceptance_from_source: true,
            edit_cost: 0,
            edit_cost_norm: 0.0,
            processing_ms: None,
            error: None,
            ..Default::default()
        }
    }

    /// A stable agent with day-to-day noise, and one whose last week is worse.
    fn world(now: DateTime<Utc>, recent_shift: f64) -> Vec<Observation> {
        (0..300)
            .map(|i| {
                let days = i as f64 * 0.12; // 36 days
                let noise = [0.05, -0.04, 0.02, -0.03, 0.0][i % 5];
                let shift = if days < 7.0 { recent_shift } else { 0.0 };
                at("A", days, (0.85 + noise + shift).clamp(0.0, 1.0), now)
            })
            .collect()
    }

    #[test]
    fn a_real_drop_is_flagged_with_evidence() {
        let now = Utc::now();
        let alerts = alerts(&world(now, -0.2), now, BAR);
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        match &alerts[0] {
            Alert::Drop { drop, p_value, .. } => {
                assert!((*drop - 0.2).abs() < 0.02, "{drop}");
                assert!(*p_value < 1e-6);
            }
            other => panic!("{other:?}"),
        }
        assert!(alerts[0]
            .describe()
            .starts_with("A: acceptance fell 20 points"));
    }

    #[test]
    fn stable_or_small_changes_stay_quiet() {
        let now = Utc::now();
        assert!(alerts(&world(now, 0.0), now, BAR).is_empty());
        // A 5-point dip is real but under the 10-point trigger.
        assert!(alerts(&world(now, -0.05), now, BAR).is_empty());
        // Too few settlements to judge.
        let few = vec![at("B", 1.0, 0.1, now), at("B", 10.0, 0.9, now)];
        assert!(alerts(&few, now, BAR).is_empty());
    }

    #[test]
    fn below_the_bar_needs_the_whole_interval_below() {
        let now = Utc::now();
        let low: Vec<Observation> = (0..20)
            .map(|i| at("C", i as f64, 0.5 + 0.01 * (i % 3) as f64, now))
            .collect();
        let alerts = alerts(&low, now, BAR);
        assert!(
            matches!(alerts.as_slice(), [Alert::BelowBar { .. }]),
            "{alerts:?}"
        );
        // Straddling the bar: noise, no alert.
        let near: Vec<Observation> = (0..6)
            .map(|i| at("D", i as f64, [0.4, 0.95][i % 2], now))
            .collect();
        assert!(super::alerts(&near, now, BAR).is_empty());
    }
}
