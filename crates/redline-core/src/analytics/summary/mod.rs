//! The per-agent summary over a time range (the design's get_agent_performance_summary).

use super::compare::{quartiles, Quartiles};
use super::kpi::{satisfaction, System};
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
mod tests;
