//! The per-agent summary over a time range (the design's get_agent_performance_summary).

use super::compare::{quartiles, Quartiles};
use super::kpi::System;
use super::Observation;
use crate::stats::{kruskal_wallis_ranked, mean_ci, median, ols_slope, wilson, Estimate, Ranks};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use serde::Serialize;

/// Intent-type groups smaller than this are marked `small` and ranked only when no group is
/// large enough.
pub const SMALL_GROUP: usize = 10;

/// A time range: the last N days before `now`, everything, or calendar days `from..=to` (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Range {
    /// The last N days.
    Days(u32),
    All,
    /// Whole days, both ends included.
    Between {
        from: NaiveDate,
        to: NaiveDate,
    },
}

impl Range {
    /// `7d`, `30d`, `90d` (any number of days), `all`, or `2026-09-01..2026-09-30`.
    pub fn parse(text: &str) -> Result<Range, String> {
        let t = text.trim().to_ascii_lowercase();
        if t == "all" {
            return Ok(Range::All);
        }
        if let Some((a, b)) = t.split_once("..") {
            let day = |d: &str| {
                NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                    .map_err(|_| format!("'{}' is not a date (YYYY-MM-DD)", d.trim()))
            };
            let (from, to) = (day(a)?, day(b)?);
            if from > to {
                return Err(format!("the range {text} ends before it starts"));
            }
            return Ok(Range::Between { from, to });
        }
        t.strip_suffix('d')
            .and_then(|d| d.parse::<u32>().ok())
            .filter(|d| *d > 0)
            .map(Range::Days)
            .ok_or_else(|| {
                format!(
                    "'{text}' is not a range: use 7d, 30d, 90d, all, another number of days, \
                     or dates FROM..TO (YYYY-MM-DD..YYYY-MM-DD)"
                )
            })
    }

    /// The range as instants: everything after the first (exclusive; `None` = since the
    /// beginning) up to and including the second.
    pub fn bounds(self, now: DateTime<Utc>) -> (Option<DateTime<Utc>>, DateTime<Utc>) {
        match self {
            Range::Days(d) => (Some(now - Duration::days(i64::from(d))), now),
            Range::All => (None, now),
            Range::Between { from, to } => {
                let start = from.and_time(NaiveTime::MIN).and_utc() - Duration::milliseconds(1);
                let end = (to + Duration::days(1)).and_time(NaiveTime::MIN).and_utc();
                (Some(start), end - Duration::milliseconds(1))
            }
        }
    }

    pub fn label(self) -> String {
        match self {
            Range::Days(d) => format!("{d}d"),
            Range::All => "all".into(),
            Range::Between { from, to } => format!("{from}..{to}"),
        }
    }
}

/// Acceptance within one intent type.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IntentStat {
    pub intent_type: String,
    pub acceptance: Estimate,
    /// Fewer than [`SMALL_GROUP`] settlements: read with care.
    pub small: bool,
}

/// The last 7 days against the 7 before them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WeekOverWeek {
    pub last_7d: Estimate,
    pub previous_7d: Estimate,
    /// `last_7d − previous_7d`, in acceptance points (0..1 scale).
    pub change: f64,
}

/// One week of a weekly series.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WeekPoint {
    pub start: DateTime<Utc>,
    pub n: usize,
    pub mean: Option<f64>,
}

/// Acceptance over time: the weekly means (for a chart) and a least-squares line through them.
/// The line goes through one point per week, not one per settlement: settlements of one week
/// share their prompt, their traffic and their reviewers, so they are not independent, and a
/// test over individual settlements would call a drift significant far too often.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trend {
    /// Change of acceptance per week (0..1 scale); `None` with fewer than 3 weeks of data.
    pub slope_per_week: Option<f64>,
    /// Two-sided p-value of the slope (t-test over the weekly means, weeks − 2 degrees of
    /// freedom); `None` with fewer than 3 weeks of data.
    pub p_value: Option<f64>,
    /// Weeks with data behind the line.
    pub weeks: usize,
    pub weekly: Vec<WeekPoint>,
}

/// Acceptance on one weekday or one calendar day.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DayStat {
    /// `Mon` … `Sun`, or a date `YYYY-MM-DD`.
    pub day: String,
    pub acceptance: Estimate,
}

/// Days with fewer settlements than this are not ranked as best or worst.
pub const MIN_DAY: usize = 5;

fn weekday_pattern(obs: &[&Observation]) -> Vec<DayStat> {
    const NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let mut by_day: [Vec<f64>; 7] = Default::default();
    for o in obs {
        by_day[o.at.weekday().num_days_from_monday() as usize].push(o.acceptance);
    }
    by_day
        .iter()
        .zip(NAMES)
        .filter_map(|(v, name)| {
            mean_ci(v, 0.0, 1.0).map(|acceptance| DayStat {
                day: name.to_owned(),
                acceptance,
            })
        })
        .collect()
}

/// The calendar days (UTC) with the highest and lowest mean acceptance, among days with at
/// least [`MIN_DAY`] settlements.
fn best_and_worst_days(obs: &[&Observation]) -> (Option<DayStat>, Option<DayStat>) {
    // Group by day over a date-ordered copy (usually already in order: cheap to sort).
    let mut obs: Vec<&Observation> = obs.to_vec();
    obs.sort_by_key(|o| o.at.date_naive());
    let obs = obs.as_slice();
    let mut days: Vec<(NaiveDate, std::ops::Range<usize>, f64)> = Vec::new();
    for (i, o) in obs.iter().enumerate() {
        let d = o.at.date_naive();
        match days.last_mut() {
            Some((day, range, sum)) if *day == d => {
                range.end = i + 1;
                *sum += o.acceptance;
            }
            _ => days.push((d, i..i + 1, o.acceptance)),
        }
    }
    let ranked: Vec<&(NaiveDate, std::ops::Range<usize>, f64)> =
        days.iter().filter(|(_, r, _)| r.len() >= MIN_DAY).collect();
    if ranked.len() < 2 {
        return (None, None);
    }
    let mean = |d: &&&(NaiveDate, std::ops::Range<usize>, f64)| d.2 / d.1.len() as f64;
    let stat = |d: &(NaiveDate, std::ops::Range<usize>, f64)| {
        let v: Vec<f64> = obs[d.1.clone()].iter().map(|o| o.acceptance).collect();
        mean_ci(&v, 0.0, 1.0).map(|acceptance| DayStat {
            day: d.0.format("%Y-%m-%d").to_string(),
            acceptance,
        })
    };
    let best = ranked.iter().max_by(|a, b| mean(a).total_cmp(&mean(b)));
    let worst = ranked.iter().min_by(|a, b| mean(a).total_cmp(&mean(b)));
    (best.and_then(|d| stat(d)), worst.and_then(|d| stat(d)))
}

/// Whether acceptance differs between intent types: Kruskal–Wallis H with its p-value and the
/// ε² effect size (0 = no difference, 1 = the types separate completely).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupTest {
    pub h: f64,
    pub p_value: f64,
    pub epsilon_squared: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AgentSummary {
    pub agent: String,
    pub settlements: usize,
    /// Mean acceptance with its 95% interval.
    pub acceptance: Estimate,
    /// How many acceptances came from the source's rate (the rest were computed from texts).
    pub acceptance_from_source: usize,
    /// Share of settlements at or above the threshold, with its Wilson interval.
    pub accepted: Estimate,
    pub median_edit_cost: f64,
    pub median_edit_cost_norm: f64,
    /// Quartiles of the normalised edit cost, for the distribution chart.
    pub edit_cost_quartiles: Quartiles,
    /// How many settlements fall in each tenth of normalised edit cost (0–0.1, …, 0.9–1).
    pub edit_cost_histogram: [usize; 10],
    /// 0–100 from edit behaviour alone (see [`satisfaction`]).
    pub satisfaction: f64,
    pub week_over_week: Option<WeekOverWeek>,
    pub trend: Option<Trend>,
    pub intents: Vec<IntentStat>,
    pub intent_effect: Option<GroupTest>,
    /// Mean acceptance per weekday (UTC), for the days that have settlements.
    pub weekdays: Vec<DayStat>,
    /// Whether acceptance follows a weekly cycle, once the data spans four weeks or more.
    pub seasonality: Option<Seasonality>,
    pub best_day: Option<DayStat>,
    pub worst_day: Option<DayStat>,
    pub best_intent: Option<String>,
    pub worst_intent: Option<String>,
    pub avg_processing_ms: Option<f64>,
    pub error_rate: Option<Estimate>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub range: Range,
    pub from: Option<DateTime<Utc>>,
    pub to: DateTime<Utc>,
    pub threshold: f64,
    pub settlements: usize,
    pub overall: Option<Estimate>,
    /// System-level figures over the range: satisfaction, data quality, readiness, goals.
    pub system: System,
    pub agents: Vec<AgentSummary>,
    /// How recent the data is: an empty range, or a store with nothing new for days, says so.
    pub freshness: Freshness,
}

/// With no new settlement for this many days, the data is stale (a stopped diff logger, or a
/// laptop offline) and the views and the CLI say so.
pub const STALE_DAYS: i64 = 3;

/// How recent the data behind a summary is.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Freshness {
    /// The newest settlement at or before the range's end.
    pub newest: Option<DateTime<Utc>>,
    /// Whole days from it to now.
    pub days_old: Option<i64>,
    /// The newest settlement is older than the range's start: the range is empty for want of
    /// data, not of activity.
    pub before_range: bool,
    /// Nothing new for [`STALE_DAYS`] days or more.
    pub stale: bool,
    /// What to tell the person, when either holds.
    pub note: Option<String>,
}

/// How fresh `observations` are for the range `from..=to`, seen at `now`.
pub fn freshness(
    observations: &[Observation],
    from: Option<DateTime<Utc>>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Freshness {
    let newest = observations.iter().map(|o| o.at).filter(|t| *t <= to).max();
    let days_old = newest.map(|n| (now - n).num_days().max(0));
    let before_range = matches!((newest, from), (Some(n), Some(f)) if n <= f);
    let stale = days_old.is_some_and(|d| d >= STALE_DAYS);
    let note = match (newest, days_old) {
        (Some(n), Some(d)) if before_range => Some(format!(
            "no settlements in this range: the newest is {d} days old ({}); the range can end at the newest settlement instead (`--as-of newest`; in the app, \"End at the newest settlement\")",
            n.format("%Y-%m-%d")
        )),
        (Some(n), Some(d)) if stale => Some(format!(
            "no new settlements for {d} days (the newest is from {}): is the diff logger running, and has the store synced?",
            n.format("%Y-%m-%d")
        )),
        _ => None,
    };
    Freshness {
        newest,
        days_old,
        before_range,
        stale,
        note,
    }
}

/// A weekly cycle: Kruskal–Wallis across weekdays, reported when the data spans at least
/// [`SEASON_DAYS`] days and two or more weekdays have settlements.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Seasonality {
    pub span_days: i64,
    pub weekday_effect: GroupTest,
    /// The weekday means' highest minus lowest (acceptance points, 0..1).
    pub amplitude: f64,
}

/// Data shorter than this many days shows no seasonality.
pub const SEASON_DAYS: i64 = 28;

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

fn seasonality(obs: &[&Observation], ranked: &Ranks) -> Option<Seasonality> {
    let first = obs.iter().map(|o| o.at).min()?;
    let last = obs.iter().map(|o| o.at).max()?;
    let span_days = (last - first).num_days();
    if span_days < SEASON_DAYS {
        return None;
    }
    let labels: Vec<usize> = obs
        .iter()
        .map(|o| o.at.weekday().num_days_from_monday() as usize)
        .collect();
    let (h, p_value, epsilon_squared) = kruskal_wallis_ranked(ranked, &labels, 7)?;
    let mut by_day: [Vec<f64>; 7] = Default::default();
    for (o, d) in obs.iter().zip(&labels) {
        by_day[*d].push(o.acceptance);
    }
    let groups: Vec<&[f64]> = by_day
        .iter()
        .filter(|g| !g.is_empty())
        .map(Vec::as_slice)
        .collect();
    let means: Vec<f64> = groups
        .iter()
        .map(|g| g.iter().sum::<f64>() / g.len() as f64)
        .collect();
    let amplitude = means.iter().copied().fold(f64::MIN, f64::max)
        - means.iter().copied().fold(f64::MAX, f64::min);
    Some(Seasonality {
        span_days,
        weekday_effect: GroupTest {
            h,
            p_value,
            epsilon_squared,
        },
        amplitude,
    })
}

/// The trend through `obs`, with weeks counted from `start` (or from the first settlement).
fn trend(obs: &[&Observation], start: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<Trend> {
    let first = start.or_else(|| obs.iter().map(|o| o.at).min())?;
    let weeks_since = |t: DateTime<Utc>| (t - first).num_seconds() as f64 / (7.0 * 86_400.0);
    if obs.len() < 3 {
        return None;
    }
    let x: Vec<f64> = obs.iter().map(|o| weeks_since(o.at)).collect();
    let y: Vec<f64> = obs.iter().map(|o| o.acceptance).collect();
    let count = (weeks_since(now).ceil() as usize).max(1);
    let mut sums = vec![(0usize, 0.0f64); count];
    for (w, a) in x.iter().zip(&y) {
        let i = (w.floor().max(0.0) as usize).min(count - 1);
        sums[i].0 += 1;
        sums[i].1 += a;
    }
    let weekly = sums
        .into_iter()
        .enumerate()
        .map(|(i, (n, sum))| WeekPoint {
            start: first + Duration::days(7 * i as i64),
            n,
            mean: (n > 0).then(|| sum / n as f64),
        })
        .collect::<Vec<WeekPoint>>();
    // One point per week with data, at the week's middle.
    let (wx, wy): (Vec<f64>, Vec<f64>) = weekly
        .iter()
        .enumerate()
        .filter_map(|(i, w)| w.mean.map(|m| (i as f64 + 0.5, m)))
        .unzip();
    let line = ols_slope(&wx, &wy);
    Some(Trend {
        slope_per_week: line.map(|l| l.0),
        p_value: line.map(|l| l.1),
        weeks: wx.len(),
        weekly,
    })
}

/// Counts per tenth of `values` in 0..=1 (1.0 falls in the last bin).
fn histogram(values: &[f64]) -> [usize; 10] {
    let mut bins = [0usize; 10];
    for v in values {
        bins[((v.clamp(0.0, 1.0) * 10.0) as usize).min(9)] += 1;
    }
    bins
}

fn agent_summary(
    agent: &str,
    obs: &[&Observation],
    start: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    threshold: f64,
) -> Option<AgentSummary> {
    let acceptance: Vec<f64> = obs.iter().map(|o| o.acceptance).collect();
    let estimate = mean_ci(&acceptance, 0.0, 1.0)?;
    let accepted = obs.iter().filter(|o| o.acceptance >= threshold).count();
    let costs: Vec<f64> = obs.iter().map(|o| f64::from(o.edit_cost)).collect();
    let norms: Vec<f64> = obs.iter().map(|o| o.edit_cost_norm).collect();
    let window = |from: i64, to: i64| -> Vec<f64> {
        let (after, until) = (now - Duration::days(from), now - Duration::days(to));
        obs.iter()
            .filter(|o| o.at > after && o.at <= until)
            .map(|o| o.acceptance)
            .collect()
    };
    let week_over_week = match (
        mean_ci(&window(7, 0), 0.0, 1.0),
        mean_ci(&window(14, 7), 0.0, 1.0),
    ) {
        (Some(last), Some(prev)) => Some(WeekOverWeek {
            change: last.value - prev.value,
            last_7d: last,
            previous_7d: prev,
        }),
        _ => None,
    };
    // Intent types, labelled once (there are few: a linear search beats a map).
    let mut kinds: Vec<&str> = Vec::new();
    let mut values: Vec<Vec<f64>> = Vec::new();
    let labels: Vec<usize> = obs
        .iter()
        .map(|o| {
            let k = match kinds.iter().position(|k| *k == o.intent_type) {
                Some(k) => k,
                None => {
                    kinds.push(&o.intent_type);
                    values.push(Vec::new());
                    kinds.len() - 1
                }
            };
            values[k].push(o.acceptance);
            k
        })
        .collect();
    let best_day_worst = best_and_worst_days(obs);
    let ranks = Ranks::of(&acceptance);
    let intent_effect =
        kruskal_wallis_ranked(&ranks, &labels, kinds.len()).map(|(h, p_value, epsilon_squared)| {
            GroupTest {
                h,
                p_value,
                epsilon_squared,
            }
        });
    let mut by_intent: Vec<(&str, Vec<f64>)> = kinds.iter().copied().zip(values).collect();
    by_intent.sort_by(|a, b| a.0.cmp(b.0));
    let intents: Vec<IntentStat> = by_intent
        .into_iter()
        .filter_map(|(kind, values)| {
            mean_ci(&values, 0.0, 1.0).map(|acceptance| IntentStat {
                intent_type: kind.to_owned(),
                small: values.len() < SMALL_GROUP,
                acceptance,
            })
        })
        .collect();
    // Rank the groups large enough to trust; fall back to all when none is.
    let ranked: Vec<&IntentStat> = if intents.iter().any(|i| !i.small) {
        intents.iter().filter(|i| !i.small).collect()
    } else {
        intents.iter().collect()
    };
    let by_mean =
        |a: &&&IntentStat, b: &&&IntentStat| a.acceptance.value.total_cmp(&b.acceptance.value);
    let best_intent = (ranked.len() > 1)
        .then(|| ranked.iter().max_by(by_mean).map(|i| i.intent_type.clone()))
        .flatten();
    let worst_intent = (ranked.len() > 1)
        .then(|| ranked.iter().min_by(by_mean).map(|i| i.intent_type.clone()))
        .flatten();
    let norm_quartiles = quartiles(&norms)?;
    let times: Vec<f64> = obs
        .iter()
        .filter_map(|o| o.processing_ms)
        .map(|m| m as f64)
        .collect();
    let flagged: Vec<bool> = obs.iter().filter_map(|o| o.error).collect();
    Some(AgentSummary {
        agent: agent.to_owned(),
        settlements: obs.len(),
        acceptance: estimate,
        acceptance_from_source: obs.iter().filter(|o| o.acceptance_from_source).count(),
        accepted: wilson(accepted, obs.len())?,
        median_edit_cost: median(&costs)?,
        median_edit_cost_norm: norm_quartiles.median,
        edit_cost_quartiles: norm_quartiles,
        edit_cost_histogram: histogram(&norms),
        satisfaction: 100.0 * obs.iter().map(|o| satisfaction(o)).sum::<f64>() / obs.len() as f64,
        week_over_week,
        trend: trend(obs, start, now),
        intents,
        intent_effect,
        weekdays: weekday_pattern(obs),
        seasonality: seasonality(obs, &ranks),
        best_day: best_day_worst.0,
        worst_day: best_day_worst.1,
        best_intent,
        worst_intent,
        avg_processing_ms: (!times.is_empty())
            .then(|| times.iter().sum::<f64>() / times.len() as f64),
        error_rate: wilson(flagged.iter().filter(|e| **e).count(), flagged.len()),
    })
}

/// Summarise the observations that fall in `range` (relative to `now`), per agent and for
/// the whole system.
pub fn summarize(
    observations: &[Observation],
    range: Range,
    now: DateTime<Utc>,
    threshold: f64,
) -> Summary {
    let (from, to) = range.bounds(now);
    let inside: Vec<&Observation> = observations
        .iter()
        .filter(|o| o.at <= to && from.is_none_or(|f| o.at > f))
        .collect();
    // Few agents: a linear search beats a map.
    let mut by_agent: Vec<(&str, Vec<&Observation>)> = Vec::new();
    for o in &inside {
        match by_agent.iter_mut().find(|(a, _)| *a == o.agent) {
            Some((_, v)) => v.push(o),
            None => by_agent.push((&o.agent, vec![o])),
        }
    }
    by_agent.sort_by(|a, b| a.0.cmp(b.0));
    let all: Vec<f64> = inside.iter().map(|o| o.acceptance).collect();
    Summary {
        range,
        from,
        to,
        threshold,
        settlements: inside.len(),
        overall: mean_ci(&all, 0.0, 1.0),
        system: super::kpi::system(&inside, observations, threshold),
        agents: by_agent
            .into_iter()
            .filter_map(|(agent, obs)| agent_summary(agent, &obs, from, to, threshold))
            .collect(),
        freshness: freshness(observations, from, to, now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Simulation: 12 weeks of 50 settlements, each week with its own offset (sd 5 points: a
    /// prompt tweak, a different mix of requests) and settlement noise (sd 15 points). With no
    /// drift, the test over weekly means says "significant" at 5% in about 5% of runs; one
    /// over individual settlements would say so far more often (shown here too). With a drift
    /// of 2 points a week it finds it nearly always.
    #[test]
    fn the_trend_test_holds_its_level_when_settlements_of_a_week_are_alike() {
        let now = Utc::now();
        let mut rng = crate::sample::Rng(7);
        let mut normal = move || {
            // Box–Muller.
            let (u, v) = (rng.unit().max(1e-12), rng.unit());
            (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
        };
        let runs = 2000;
        let (mut weekly_false, mut plain_false, mut found) = (0, 0, 0);
        for run in 0..runs * 2 {
            let drift = if run < runs { 0.0 } else { 0.02 };
            let mut all = Vec::new();
            for week in 0..12i64 {
                let offset = 0.05 * normal() + drift * week as f64;
                for k in 0..50i64 {
                    let a = 0.7 + offset + 0.15 * normal();
                    let days_ago = (11 - week) * 7 + k % 7;
                    all.push(obs("A", "x", days_ago, a, now));
                }
            }
            let refs: Vec<&Observation> = all.iter().collect();
            let t = trend(&refs, Some(now - Duration::weeks(12)), now).unwrap();
            assert_eq!(t.weeks, 12);
            let significant = t.p_value.unwrap() < 0.05;
            if drift == 0.0 {
                weekly_false += usize::from(significant);
                let x: Vec<f64> = all
                    .iter()
                    .map(|o| (o.at - (now - Duration::weeks(12))).num_seconds() as f64)
                    .collect();
                let y: Vec<f64> = all.iter().map(|o| o.acceptance).collect();
                plain_false += usize::from(ols_slope(&x, &y).unwrap().1 < 0.05);
            } else {
                found += usize::from(significant && t.slope_per_week.unwrap() > 0.0);
            }
        }
        let share = |k: usize| k as f64 / runs as f64;
        eprintln!(
            "weekly means: {:.3} false, {:.3} power; per settlement: {:.3} false",
            share(weekly_false),
            share(found),
            share(plain_false)
        );
        assert!(share(weekly_false) <= 0.07, "{}", share(weekly_false));
        assert!(share(plain_false) > 0.2, "{}", share(plain_false));
        assert!(share(found) >= 0.9, "{}", share(found));
    }

    fn obs(
        agent: &str,
        kind: &str,
        days_ago: i64,
        acceptance: f64,
        now: DateTime<Utc>,
    ) -> Observation {
        Observation {
            agent: agent.into(),
            intent_type: kind.into(),
            at: now - Duration::days(days_ago) - Duration::minutes(1),
            acceptance,
            acceptance_from_source: true,
            edit_cost: (10.0 * (1.0 - acceptance)).round() as u32,
            edit_cost_norm: 1.0 - acceptance,
            processing_ms: Some(1000),
            error: Some(acceptance < 0.2),
            ..Default::default()
        }
    }

    #[test]
    fn ranges_parse() {
        assert_eq!(Range::parse("30d"), Ok(Range::Days(30)));
        assert_eq!(Range::parse("ALL"), Ok(Range::All));
        assert!(Range::parse("0d").is_err());
        assert!(Range::parse("month").is_err());
    }

    #[test]
    fn stale_data_is_said_not_hidden() {
        let now = Utc::now();
        // Offline for two weeks: the last 7 days are empty because no data came in.
        let two_weeks: Vec<Observation> = (14..40).map(|d| obs("A", "x", d, 0.6, now)).collect();
        let s = summarize(&two_weeks, Range::Days(7), now, 0.7);
        assert_eq!(s.settlements, 0);
        let f = &s.freshness;
        assert!(f.before_range && f.stale, "{f:?}");
        assert_eq!(f.days_old, Some(14));
        let note = f.note.as_deref().unwrap();
        assert!(
            note.starts_with("no settlements in this range: the newest is 14 days old"),
            "{note}"
        );
        // A 30-day range still holds data, but nothing new for 14 days is said too.
        let s = summarize(&two_weeks, Range::Days(30), now, 0.7);
        assert!(s.settlements > 0 && s.freshness.stale && !s.freshness.before_range);
        assert!(s
            .freshness
            .note
            .unwrap()
            .starts_with("no new settlements for 14 days"));
        // Fresh data: nothing to say.
        let fresh: Vec<Observation> = (0..10).map(|d| obs("A", "x", d, 0.6, now)).collect();
        let s = summarize(&fresh, Range::Days(7), now, 0.7);
        assert!(
            !s.freshness.stale && s.freshness.note.is_none(),
            "{:?}",
            s.freshness
        );
    }

    #[test]
    fn an_empty_range_has_no_agents() {
        let now = Utc::now();
        let s = summarize(&[obs("A", "x", 40, 0.5, now)], Range::Days(30), now, 0.7);
        assert_eq!(s.settlements, 0);
        assert!(s.agents.is_empty());
        assert!(s.overall.is_none());
    }

    #[test]
    fn summary_by_hand() {
        let now = Utc::now();
        // Last week: 0.9, 0.8; the week before: 0.5, 0.6 → change +0.3.
        let all = vec![
            obs("A", "strategic", 1, 0.9, now),
            obs("A", "strategic", 2, 0.8, now),
            obs("A", "operational", 8, 0.5, now),
            obs("A", "operational", 9, 0.6, now),
            obs("B", "strategic", 3, 0.1, now),
        ];
        let s = summarize(&all, Range::Days(30), now, 0.7);
        assert_eq!(s.settlements, 5);
        let a = &s.agents[0];
        assert_eq!(a.agent, "A");
        assert_eq!(a.settlements, 4);
        assert!((a.acceptance.value - 0.7).abs() < 1e-9);
        assert_eq!(a.accepted.value, 0.5); // 0.9 and 0.8 are ≥ 0.7
        let wow = a.week_over_week.as_ref().unwrap();
        assert!((wow.change - 0.3).abs() < 1e-9, "{wow:?}");
        // Both groups are small, so both are ranked.
        assert_eq!(a.best_intent.as_deref(), Some("strategic"));
        assert_eq!(a.worst_intent.as_deref(), Some("operational"));
        assert!(a.intents.iter().all(|i| i.small));
        assert_eq!(a.median_edit_cost, 3.0); // costs 1, 2, 5, 4 → (2 + 4) / 2
        assert_eq!(a.avg_processing_ms, Some(1000.0));
        assert_eq!(a.error_rate.unwrap().value, 0.0);
        let b = &s.agents[1];
        assert_eq!(b.settlements, 1);
        assert_eq!(b.acceptance.low, None); // one settlement: no interval
        assert!(b.week_over_week.is_none());
        assert!(b.best_intent.is_none()); // a single group is neither best nor worst
        assert_eq!(b.error_rate.unwrap().value, 1.0);
        assert!(b.trend.is_none()); // one settlement: no line
                                    // Recent weeks are better: a positive slope, and 5 weekly points for a 30-day range.
        let t = a.trend.as_ref().unwrap();
        assert!(t.slope_per_week.unwrap() > 0.0, "{t:?}");
        assert_eq!(t.weekly.len(), 5);
        assert_eq!(t.weekly.iter().map(|w| w.n).sum::<usize>(), 4);
        // Kruskal–Wallis: ranks 3, 4 vs 1, 2 → H = 0.6 · (49/2 + 9/2) − 15 = 2.4, p = 0.1213.
        let k = a.intent_effect.as_ref().unwrap();
        assert!((k.h - 2.4).abs() < 1e-9, "{k:?}");
        assert!((k.p_value - 0.1213).abs() < 1e-3, "{k:?}");
        // Four weekdays at most, each with its settlements; too few per day to rank days.
        assert_eq!(a.weekdays.iter().map(|d| d.acceptance.n).sum::<usize>(), 4);
        assert!(a.best_day.is_none() && a.worst_day.is_none());
    }

    #[test]
    fn large_groups_outrank_small_ones() {
        let now = Utc::now();
        let mut all: Vec<Observation> = (0..12).map(|i| obs("A", "big", i % 5, 0.6, now)).collect();
        all.push(obs("A", "tiny", 1, 1.0, now));
        all.extend((0..12).map(|i| obs("A", "other", i % 5, 0.4, now)));
        let s = summarize(&all, Range::All, now, 0.7);
        let a = &s.agents[0];
        assert_eq!(a.best_intent.as_deref(), Some("big"));
        assert_eq!(a.worst_intent.as_deref(), Some("other"));
        assert!(
            a.intents
                .iter()
                .find(|i| i.intent_type == "tiny")
                .unwrap()
                .small
        );
    }
}

#[cfg(test)]
mod day_tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn weekdays_and_best_days_by_hand() {
        // 2026-11-02 is a Monday. Monday: 5 × 0.9; Tuesday: 5 × 0.5; Wednesday: 1 × 0.1.
        let mut obs = Vec::new();
        let at = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap();
        for h in 0..5 {
            obs.push((at(2, 9 + h), 0.9));
            obs.push((at(3, 9 + h), 0.5));
        }
        obs.push((at(4, 9), 0.1));
        let obs: Vec<Observation> = obs
            .into_iter()
            .map(|(t, a)| Observation {
                agent: "A".into(),
                intent_type: "x".into(),
                at: t,
                acceptance: a,
                acceptance_from_source: true,
                edit_cost: 0,
                edit_cost_norm: 0.0,
                processing_ms: None,
                error: None,
                ..Default::default()
            })
            .collect();
        let refs: Vec<&Observation> = obs.iter().collect();
        let days = weekday_pattern(&refs);
        let names: Vec<&str> = days.iter().map(|d| d.day.as_str()).collect();
        assert_eq!(names, vec!["Mon", "Tue", "Wed"]);
        assert!((days[0].acceptance.value - 0.9).abs() < 1e-9);
        // Wednesday has one settlement: not ranked.
        let (best, worst) = best_and_worst_days(&refs);
        assert_eq!(best.unwrap().day, "2026-11-02");
        assert_eq!(worst.unwrap().day, "2026-11-03");
    }
}

#[cfg(test)]
mod range_tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn custom_ranges_parse_and_cover_whole_days() {
        let r = Range::parse("2026-09-01..2026-09-30").unwrap();
        let (from, to) = r.bounds(Utc::now());
        let first = Utc.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).unwrap();
        let last =
            Utc.with_ymd_and_hms(2026, 9, 30, 23, 59, 59).unwrap() + Duration::milliseconds(999);
        assert!(from.unwrap() < first && first - from.unwrap() == Duration::milliseconds(1));
        assert_eq!(to, last);
        assert_eq!(r.label(), "2026-09-01..2026-09-30");
        assert!(Range::parse("2026-09-30..2026-09-01")
            .unwrap_err()
            .contains("ends before"));
        assert!(Range::parse("2026-13-01..2026-09-01")
            .unwrap_err()
            .contains("not a date"));
    }

    #[test]
    fn histogram_and_seasonality_by_hand() {
        assert_eq!(
            histogram(&[0.0, 0.05, 0.1, 0.95, 1.0]),
            [2, 1, 0, 0, 0, 0, 0, 0, 0, 2]
        );
        // 5 weeks, Mondays at 0.9 and other days at 0.5: a strong weekly cycle.
        let start = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap(); // a Monday
        let obs: Vec<Observation> = (0..35)
            .flat_map(|d| {
                let at = start + Duration::days(d);
                let a = if d % 7 == 0 { 0.9 } else { 0.5 };
                (0..3).map(move |k| Observation {
                    at: at + Duration::minutes(k),
                    acceptance: a + k as f64 * 0.01,
                    ..Default::default()
                })
            })
            .collect();
        let refs: Vec<&Observation> = obs.iter().collect();
        let ranked = Ranks::of(&refs.iter().map(|o| o.acceptance).collect::<Vec<_>>());
        let s = seasonality(&refs, &ranked).unwrap();
        assert_eq!(s.span_days, 34);
        assert!(s.weekday_effect.p_value < 0.001, "{s:?}");
        assert!((s.amplitude - 0.4).abs() < 1e-9, "{s:?}");
        // Three weeks are not enough.
        let short = &refs[..63];
        let ranked = Ranks::of(&short.iter().map(|o| o.acceptance).collect::<Vec<_>>());
        assert!(seasonality(short, &ranked).is_none());
    }
}
