//! The per-agent summaries alone, on 100k synthetic observations in memory (no store): a quick
//! loop for working on `analytics::summarize`. The figure recorded in docs/benchmarks.md (store
//! read + summaries) comes from `--bench store`.
//!
//! Run: `cargo bench -p redline-core --bench summary`.

use chrono::{Duration, TimeZone, Utc};
use redline_core::analytics::{summarize, Observation, Range};
use std::time::Instant;

fn main() {
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 18, 0, 0).unwrap();
    let mut x: u64 = 7;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % 10_000) as f64 / 10_000.0
    };
    let agents = ["A1", "A2", "A3", "A4", "A5"];
    let kinds = ["strategic", "operational", "reference"];
    let n = 100_000;
    let obs: Vec<Observation> = (0..n)
        .map(|i| Observation {
            agent: agents[i % 5].into(),
            intent_type: kinds[i % 3].into(),
            at: now - Duration::minutes(((n - i) * 5) as i64),
            acceptance: (next() * 100.0).round() / 100.0,
            acceptance_from_source: true,
            edit_cost: (next() * 40.0) as u32,
            edit_cost_norm: next(),
            processing_ms: Some(1000),
            error: Some(false),
            quality: 0,
            content: i as u64,
        })
        .collect();
    let mut times = Vec::new();
    for _ in 0..9 {
        let t = Instant::now();
        for r in ["7d", "30d", "90d", "all"] {
            std::hint::black_box(summarize(&obs, Range::parse(r).unwrap(), now, 0.7));
        }
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "summaries 7d/30d/90d/all over {n} observations: {:.1} ms (median of 9)",
        times[4]
    );
}
