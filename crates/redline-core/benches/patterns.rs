//! Pattern-mining benchmark: 100k settlements of ~2 KB per side in a store on disk; diff +
//! every pattern for every agent (and all agents together), timed, with peak memory. With
//! `REDLINE_BASELINE=1` it also runs the Python/difflib baseline (scripts/bench/
//! patterns_baseline.py, needs python3 with pandas) on the first `REDLINE_BASELINE_N`
//! settlements (default 10,000), times Redline on the same ones, and prints the ratio.
//!
//! Run: `cargo bench -p redline-core --bench patterns` (`REDLINE_BENCH_N` for another size;
//! `REDLINE_BENCH_JSONL=FILE` mines that file instead of sample data, e.g. the long-document
//! set of `examples/long_docs.rs`, and times a second, later run on the same store).
//! Targets (issue #5, 2 cores): < 5 s for 100k, < 1 GB.

use chrono::NaiveDate;
use redline_core::job::{no_progress, Cancel};
use redline_core::mining::LiveMiner;
use redline_core::model::SettlementId;
use redline_core::patterns::{self, Scope};
use redline_core::sample::SampleSpec;
use redline_core::store::Store;
use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod support;
use support::peak_rss_mb;

fn main() {
    let n: usize = std::env::var("REDLINE_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("bench.redb");
    let spec = SampleSpec {
        count: n,
        seed: 2,
        end: redline_core::sample::end_of_day(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()),
        days: 365,
        body_scale: 6,
    };
    let store = Store::open(&db).expect("store");
    let t = Instant::now();
    // Another data set than the sample generator's: a JSONL file in the interchange format
    // (the long-document set of examples/long_docs.rs).
    let jsonl = std::env::var_os("REDLINE_BENCH_JSONL").map(std::path::PathBuf::from);
    let n = if let Some(path) = &jsonl {
        let r = redline_core::import::import_file(
            &store,
            path,
            &redline_core::import::ImportOptions::default(),
            &mut no_progress,
            &Cancel::new(),
        )
        .expect("import");
        println!(
            "input: {} settlements from {} ({:.0} MB), imported in {:.1} s",
            r.records,
            path.display(),
            std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / 1e6),
            t.elapsed().as_secs_f64()
        );
        r.records as usize
    } else {
        redline_core::import::load_sample(&store, &spec, &mut no_progress, &Cancel::new())
            .expect("sample");
        println!(
            "input: {n} settlements (~{} + {} bytes per side), stored in {:.1} s",
            redline_core::sample::generate_one(&spec, 0).ai_output.len(),
            redline_core::sample::generate_one(&spec, 0)
                .final_output
                .len(),
            t.elapsed().as_secs_f64()
        );
        n
    };
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut live = None;
    let (report, secs) = mine_all(&store, &mut live);
    let phrases: usize = report
        .agents
        .iter()
        .map(|a| a.deleted.len() + a.added.len() + a.replacements.len())
        .sum();
    println!(
        "patterns: diff + every pattern for {} groups over {n} settlements in {secs:.2} s ({:.0}/s) on {workers} threads; {phrases} patterns; peak RSS {:.0} MB",
        report.agents.len(),
        n as f64 / secs,
        peak_rss_mb().unwrap_or(f64::NAN)
    );

    if let Some(h) = live.as_ref().map(LiveMiner::heap) {
        println!(
            "miner heap (estimate): {:.0} MB = entries {:.0} + n-grams {:.0} + words {:.0} + other {:.0}",
            h.total() as f64 / 1e6,
            h.entries as f64 / 1e6,
            h.grams as f64 / 1e6,
            h.vocab as f64 / 1e6,
            h.other as f64 / 1e6
        );
    }
    if jsonl.is_some() {
        let (kept, bytes) = store.analyses_stored().expect("analyses");
        println!(
            "analyses stored: {kept} ({:.0} bytes each, {:.0} MB)",
            bytes as f64 / kept.max(1) as f64,
            bytes as f64 / 1e6
        );
        // A second run on the same store: what a later CLI run costs.
        let (_, secs) = mine_all(&store, &mut None);
        println!(
            "patterns again (a later run, new miner): {secs:.2} s; peak RSS {:.0} MB",
            peak_rss_mb().unwrap_or(f64::NAN)
        );
        // What the app's background pass does after each change: each agent's all-time
        // patterns mined and kept; an Improvements view on one of them then reads the report.
        let now = chrono::Utc::now();
        let t = Instant::now();
        let kept = redline_core::service::improvements::precompute(
            &store,
            now,
            &mut no_progress,
            &Cancel::new(),
        )
        .expect("precompute")
        .expect("not cancelled");
        println!(
            "each agent's all-time Improvements mined and kept (background): {:.2} s for {kept} agents",
            t.elapsed().as_secs_f64()
        );
        for (agent, _) in store.facets().expect("facets").agents {
            let t = Instant::now();
            let k = redline_core::service::improvements::kept(&store, &agent)
                .expect("read")
                .expect("kept");
            println!(
                "Improvements view, {agent}, all time (the kept report, {} KB): {:.0} ms",
                serde_json::to_vec(&k.report).map_or(0, |b| b.len() / 1024),
                t.elapsed().as_secs_f64() * 1000.0
            );
        }
        return;
    }
    incremental(&store, &spec, &mut live, n);

    if std::env::var_os("REDLINE_BASELINE").is_some() {
        baseline(&store, &spec);
    }
}

/// Every pattern of every agent, with the miner kept in `live`, and the seconds it took.
fn mine_all(store: &Store, live: &mut Option<LiveMiner>) -> (patterns::Report, f64) {
    let t = Instant::now();
    let (report, _) = LiveMiner::mine(
        live,
        store,
        &Scope::default(),
        &mut no_progress,
        &Cancel::new(),
    )
    .expect("mine")
    .expect("not cancelled");
    (report, t.elapsed().as_secs_f64())
}

/// 1,000 new settlements from the last two days land in the store (as an import or a sync
/// writes them); the miner catches up, three times over.
fn incremental(store: &Store, spec: &SampleSpec, live: &mut Option<LiveMiner>, n: usize) {
    let fresh = SampleSpec {
        count: 1000,
        seed: 99,
        days: 2,
        ..spec.clone()
    };
    for round in 0..3 {
        let batch: Vec<_> = (0..fresh.count)
            .map(|i| {
                let mut s = redline_core::sample::generate_one(&fresh, i);
                s.id = SettlementId::new(format!("new-{round}-{i}")).expect("id");
                s
            })
            .collect();
        store.upsert_batch(&batch).expect("write");
        let t = Instant::now();
        let (report, how) = LiveMiner::mine(
            live,
            store,
            &Scope::default(),
            &mut no_progress,
            &Cancel::new(),
        )
        .expect("mine")
        .expect("not cancelled");
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        println!(
            "incremental update: +{} settlements on {} → {} in {ms:.0} ms ({how:?}); peak RSS {:.0} MB",
            fresh.count,
            n + round * fresh.count,
            report.settlements,
            peak_rss_mb().unwrap_or(f64::NAN)
        );
    }
}

/// Redline and the Python/difflib baseline on the same first settlements.
fn baseline(store: &Store, spec: &SampleSpec) {
    let m: usize = std::env::var("REDLINE_BASELINE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let subset: Vec<_> = (0..m.min(spec.count))
        .map(|i| redline_core::sample::generate_one(spec, i))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("subset.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&jsonl).unwrap());
    for s in &subset {
        use std::io::Write;
        serde_json::to_writer(&mut out, &redline_core::import::to_interchange(s)).unwrap();
        out.write_all(b"\n").unwrap();
    }
    drop(out);
    let _ = store;
    let t = Instant::now();
    let ours = patterns::mine_slice(&subset);
    let rust_s = t.elapsed().as_secs_f64();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scripts/bench/patterns_baseline.py"
    );
    let t = Instant::now();
    let py = std::process::Command::new("python3")
        .arg(script)
        .arg(&jsonl)
        .output();
    let py_s = t.elapsed().as_secs_f64();
    match py {
        Ok(o) if o.status.success() => {
            let line = String::from_utf8_lossy(&o.stdout);
            println!(
                "baseline on the same {m} settlements: Redline {rust_s:.2} s ({} groups), Python/pandas/difflib {py_s:.2} s ({}) → Redline is {:.1}× faster",
                ours.agents.len(),
                line.trim(),
                py_s / rust_s
            );
        }
        Ok(o) => println!(
            "baseline did not run: {}",
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ),
        Err(e) => println!("baseline did not run: python3: {e}"),
    }
}
