//! Home benchmark (issue 14, item 4): the refresh an import or sync triggers (incidents and
//! suggestions, computed and stored) and then Home's visits, which only read what it stored.
//!
//! Run: `REDLINE_BENCH_JSONL=/tmp/long.jsonl cargo bench -p redline-core --bench home` (the
//! long-document set of `examples/long_docs.rs`; without it, `REDLINE_BENCH_N` sample
//! settlements, default 100,000). "Now" is an hour after the newest settlement, so the recent
//! windows hold data whatever the file's dates.

use chrono::{Duration, NaiveDate};
use redline_core::job::{no_progress, Cancel};
use redline_core::learning;
use redline_core::sample::SampleSpec;
use redline_core::store::Store;
use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod support;
use support::peak_rss_mb;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("bench.redb")).expect("store");
    let t = Instant::now();
    match std::env::var_os("REDLINE_BENCH_JSONL") {
        Some(path) => {
            let r = redline_core::import::import_file(
                &store,
                std::path::Path::new(&path),
                &redline_core::import::ImportOptions::default(),
                &mut no_progress,
                &Cancel::new(),
            )
            .expect("import");
            println!(
                "input: {} settlements from {}, imported in {:.1} s",
                r.records,
                std::path::Path::new(&path).display(),
                t.elapsed().as_secs_f64()
            );
        }
        None => {
            let n: usize = std::env::var("REDLINE_BENCH_N")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(100_000);
            store
                .upsert_batch(&redline_core::sample::generate(&SampleSpec {
                    count: n,
                    seed: 2,
                    end: redline_core::sample::end_of_day(
                        NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
                    ),
                    days: 365,
                    body_scale: 6,
                }))
                .expect("insert");
            println!(
                "input: {n} sample settlements, written in {:.1} s",
                t.elapsed().as_secs_f64()
            );
        }
    }
    let t = Instant::now();
    let now = redline_core::analytics::newest(&store)
        .expect("read")
        .expect("settlements")
        + Duration::hours(1);
    println!(
        "first measuring of every settlement (stored; the app does it after the import): {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let (w, suggestions) = learning::refresh(&store, now).expect("refresh");
    println!(
        "refresh after an import (incidents and suggestions; background in the app): {:.2} s — {} incidents, {} suggestions",
        t.elapsed().as_secs_f64(),
        w.active.len(),
        suggestions.len()
    );
    // The next check (after a sync that brought nothing new) reads the analyses back.
    let t = Instant::now();
    learning::refresh(&store, now + Duration::minutes(1)).expect("refresh");
    println!(
        "refresh again (stored analyses read back): {:.2} s",
        t.elapsed().as_secs_f64()
    );
    for visit in 1..=3 {
        let t = Instant::now();
        let o = learning::overview(&store, now + Duration::minutes(visit)).expect("overview");
        println!(
            "Home visit {visit}: {:.0} ms ({} incidents, {} suggestions, {} running)",
            t.elapsed().as_secs_f64() * 1000.0,
            o.incidents.len(),
            o.suggestions.len(),
            o.running.len()
        );
    }
    // The Dashboard's standard ranges: computed by the same check and stored, then read on
    // each visit (the app's `dashboard` command), against computing one range on a visit.
    let t = Instant::now();
    redline_core::service::summary::precompute(&store, now, &mut |_| {}).expect("precompute");
    println!(
        "Dashboard figures for 7d, 30d, 90d and all, computed and stored by the check: {:.0} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
    for label in redline_core::service::summary::PRECOMPUTED {
        let t = Instant::now();
        let s = redline_core::service::summary::stored(&store, label, now)
            .expect("read")
            .expect("stored");
        assert!(s.current);
        println!(
            "Dashboard visit, {label} (the stored figures): {:.1} ms",
            t.elapsed().as_secs_f64() * 1000.0
        );
    }
    let t = Instant::now();
    let threshold = redline_core::analytics::threshold(&store).expect("threshold");
    let range = redline_core::analytics::Range::parse("30d").expect("range");
    redline_core::service::summary::of_store(&store, range, now, threshold).expect("summary");
    println!(
        "Dashboard visit, 30d computed on the visit instead (a custom range): {:.0} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
    if let Some(mb) = peak_rss_mb() {
        println!("peak RSS: {mb:.0} MB");
    }
}
