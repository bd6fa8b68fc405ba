//! Store benchmark: import 100k settlements of ~2 KB per side from JSONL, then open-and-count
//! and list queries on that store. Prints the figures recorded in docs/benchmarks.md.
//!
//! Run: `cargo bench -p redline-core --bench store` (set `REDLINE_BENCH_N` for another size).
//! Targets (issue #2, on a 2-core machine): import ≥ 20k settlements/s, a filtered page of the
//! list < 50 ms, peak memory of the import < 200 MB.

use chrono::{Duration, NaiveDate};
use redline_core::import::{self, ImportOptions};
use redline_core::job::{no_progress, Cancel};
use redline_core::model::{AgentName, IntentType};
use redline_core::sample::SampleSpec;
use redline_core::store::{Filter, Store};
use std::io::BufWriter;
use std::time::Instant;

/// Peak resident memory of this process, in MB, from /proc (Linux).
mod support;
use support::peak_rss_mb;

/// Reset the peak-memory mark, so the next reading covers only what follows (Linux ≥ 4.0).
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Median time of `runs` calls, in ms.
fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

fn main() {
    let n: usize = std::env::var("REDLINE_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let jsonl = dir.path().join("settlements.jsonl");
    let db = dir.path().join("bench.redb");
    let end = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let spec = SampleSpec {
        count: n,
        seed: 2,
        end: redline_core::sample::end_of_day(end),
        days: 365,
        body_scale: 6,
    };

    let t = Instant::now();
    let file = std::fs::File::create(&jsonl).expect("create jsonl");
    import::write_sample_jsonl(&spec, &mut BufWriter::new(file)).expect("write jsonl");
    let bytes = std::fs::metadata(&jsonl).unwrap().len();
    let first = redline_core::sample::generate_one(&spec, 0);
    println!(
        "input: {n} settlements, {:.0} MB of JSONL (e.g. {} + {} bytes per side), written in {:.1} s",
        bytes as f64 / 1e6,
        first.ai_output.len(),
        first.final_output.len(),
        t.elapsed().as_secs_f64()
    );

    // Import.
    let peak_resettable = reset_peak_rss();
    let rss_before = rss_mb().unwrap_or(0.0);
    let store = Store::open(&db).expect("open store");
    let t = Instant::now();
    let report = import::import_file(
        &store,
        &jsonl,
        &ImportOptions::default(),
        &mut no_progress,
        &Cancel::new(),
    )
    .expect("import");
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(report.written.inserted as usize, n);
    println!(
        "import: {:.1} s, {:.0} settlements/s, {:.0} MB/s; peak RSS {:.0} MB (RSS before {:.0} MB{})",
        secs,
        n as f64 / secs,
        bytes as f64 / 1e6 / secs,
        peak_rss_mb().unwrap_or(f64::NAN),
        rss_before,
        if peak_resettable { "" } else { "; peak not resettable, includes generation" }
    );
    println!(
        "store file: {:.0} MB",
        std::fs::metadata(&db).unwrap().len() as f64 / 1e6
    );

    // Re-import of the same file (all unchanged).
    let t = Instant::now();
    let again = import::import_file(
        &store,
        &jsonl,
        &ImportOptions::default(),
        &mut no_progress,
        &Cancel::new(),
    )
    .expect("re-import");
    assert_eq!(again.written.unchanged as usize, n);
    println!(
        "re-import (unchanged): {:.0} settlements/s",
        n as f64 / t.elapsed().as_secs_f64()
    );
    drop(store);

    // Open and count.
    let open_count = median_ms(5, || {
        let store = Store::open(&db).expect("open");
        assert_eq!(store.count().unwrap() as usize, n);
    });
    println!("open and count: {open_count:.1} ms (median of 5)");

    let store = Store::open(&db).expect("open");
    let agent = AgentName::new("The Auditor").unwrap();
    let to = end.and_hms_opt(23, 59, 59).unwrap().and_utc();
    let queries: Vec<(&str, Filter, u64)> = vec![
        ("first page, no filter", Filter::default(), 0),
        (
            "agent + 30-day range",
            Filter {
                agent: Some(agent.clone()),
                from: Some(to - Duration::days(30)),
                to: Some(to),
                ..Default::default()
            },
            0,
        ),
        (
            "agent + intent type, all time",
            Filter {
                agent: Some(agent.clone()),
                intent_type: Some(IntentType::new("operational")),
                ..Default::default()
            },
            0,
        ),
        (
            "intent type + 90-day range",
            Filter {
                intent_type: Some(IntentType::new("strategic")),
                from: Some(to - Duration::days(90)),
                to: Some(to),
                ..Default::default()
            },
            0,
        ),
        ("deep page (offset 50,000)", Filter::default(), 50_000),
        (
            "text search, agent + 30 days",
            Filter {
                agent: Some(agent.clone()),
                from: Some(to - Duration::days(30)),
                to: Some(to),
                text: Some("warehouse".into()),
                ..Default::default()
            },
            0,
        ),
        (
            "text search, whole store",
            Filter {
                text: Some("bottom line".into()),
                ..Default::default()
            },
            0,
        ),
    ];
    println!(
        "\nlist page of 100 (median of 9 runs; total = all matches, counted in the same call):"
    );
    for (name, filter, offset) in &queries {
        let mut total = 0;
        let ms = median_ms(9, || {
            total = store.list(filter, *offset, 100).unwrap().total;
        });
        println!("  {name:<32} {ms:>8.1} ms   ({total} matches)");
    }
    let facets_ms = median_ms(9, || {
        store.facets().unwrap();
    });
    println!("  {:<32} {facets_ms:>8.1} ms", "facets (filter bar)");

    // Analytics: measure every settlement once (cached in the store), then read the cache.
    let now = redline_core::sample::end_of_day(end);
    let t = Instant::now();
    let cold = redline_core::analytics::observations(&store, None, None).unwrap();
    let cold_s = t.elapsed().as_secs_f64();
    assert_eq!(cold.len(), n);
    let t = Instant::now();
    let warm = redline_core::analytics::observations(&store, None, None).unwrap();
    let warm_ms = t.elapsed().as_secs_f64() * 1e3;
    let summaries_ms = median_ms(9, || {
        for range in ["7d", "30d", "90d", "all"] {
            let range = redline_core::analytics::Range::parse(range).unwrap();
            redline_core::analytics::summarize(&warm, range, now, 0.7);
        }
    });
    println!(
        "\nanalytics: measure {n} settlements the first time {:.2} s ({:.0}/s, saved); read them back from the cache {:.0} ms; summaries for 7d/30d/90d/all {:.0} ms (median of 9); peak RSS {:.0} MB",
        cold_s,
        n as f64 / cold_s,
        warm_ms,
        summaries_ms,
        peak_rss_mb().unwrap_or(f64::NAN)
    );
}
