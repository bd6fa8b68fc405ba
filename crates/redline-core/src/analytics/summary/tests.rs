use super::*;

/// Simulation: 12 weeks of 50 settlements, each week with its own offset (sd 5 points: a
/// prompt tweak, a different mix of requests) and settlement noise (sd 15 points). With no
/// drift, the test over weekly means says "significant" at 5% in about 5% of runs; one
/// over individual settlements would say so far more often (shown here too). With a drift
/// of 2 points a week it finds it nearly always.
#[test]
fn the_trend_test_holds_its_level_when_settlements_of_a_week_are_alike() {
    let now = Utc::now();
    let mut rng = crate::rng::Rng(7);
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

fn obs(agent: &str, kind: &str, days_ago: i64, acceptance: f64, now: DateTime<Utc>) -> Observation {
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
