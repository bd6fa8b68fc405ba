//! Export and validation benchmark: 100k sample settlements of ~2.2 KB per side in a store on
//! disk; export them as OpenAI chat JSONL with redaction and de-duplication (streamed to a
//! file), then validate the file. Prints throughput and peak memory.
//!
//! Run: `cargo bench -p redline-core --bench export` (`REDLINE_BENCH_N` for another size,
//! `REDLINE_BENCH_KEEP=DIR` to keep the exported files, `REDLINE_BENCH_VALIDATE=FILE` to only
//! validate a file).
//! Targets (issue #7, 2 cores): export with redaction ≥ 50 MB/s of output; validation of the
//! 100k-line file < 3 s; memory constant (streamed).

use chrono::NaiveDate;
use redline_core::export::{self, Format, Options};
use redline_core::job::{no_progress, Cancel};
use redline_core::sample::SampleSpec;
use redline_core::store::Store;
use std::io::BufWriter;
use std::time::Instant;

fn rss(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    // REDLINE_BENCH_VALIDATE=FILE: only validate that file, three times.
    if let Some(file) = std::env::var_os("REDLINE_BENCH_VALIDATE") {
        for _ in 0..3 {
            let t = Instant::now();
            let v = redline_core::validate::validate_file(file.as_ref(), &Default::default())
                .expect("validate");
            println!(
                "validate: {} lines, ok = {} in {:.2} s",
                v.lines,
                v.ok,
                t.elapsed().as_secs_f64()
            );
        }
        return;
    }
    let n: usize = std::env::var("REDLINE_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("bench.redb")).expect("store");
    let spec = SampleSpec {
        count: n,
        seed: 2,
        end: redline_core::sample::end_of_day(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()),
        days: 365,
        body_scale: 6,
    };
    redline_core::import::load_sample(&store, &spec, &mut no_progress, &Cancel::new())
        .expect("sample");
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = rss("VmRSS:");
    for (label, redact, dedupe) in [
        ("redaction + de-duplication", true, true),
        ("redaction only", true, false),
        ("neither", false, false),
    ] {
        let path = dir.path().join(format!("out-{redact}-{dedupe}.jsonl"));
        let o = Options {
            format: Format::OpenAiChat,
            min_acceptance: 0.0,
            redact,
            dedupe,
            ..Default::default()
        };
        let t = Instant::now();
        let mut out = BufWriter::new(std::fs::File::create(&path).unwrap());
        let r = export::export_to(
            &mut |visit| export::scan_store(&store, None, None, visit),
            &o,
            &Default::default(),
            &mut out,
            None,
            &mut no_progress,
            &Cancel::new(),
        )
        .unwrap()
        .unwrap();
        drop(out);
        let secs = t.elapsed().as_secs_f64();
        // REDLINE_BENCH_KEEP=DIR keeps the written files there (to profile `redline validate`).
        if let Some(keep) = std::env::var_os("REDLINE_BENCH_KEEP") {
            let to = std::path::Path::new(&keep).join(path.file_name().unwrap());
            std::fs::copy(&path, to).expect("copy the exported file");
        }
        println!(
            "export ({label}): {} examples, {:.0} MB in {secs:.2} s = {:.1} MB/s of output; peak RSS {:.0} MB (before {before:.0} MB)",
            r.written,
            r.bytes as f64 / 1e6,
            r.bytes as f64 / 1e6 / secs,
            rss("VmHWM:")
        );
        // The de-duplicated file, and the ~100k-line file of the run without de-duplication.
        if redact {
            let t = Instant::now();
            let v = redline_core::validate::validate_file(&path, &Default::default()).unwrap();
            let secs = t.elapsed().as_secs_f64();
            println!(
                "validate: {} lines, {} examples, ok = {} in {secs:.2} s ({:.1} MB/s); peak RSS {:.0} MB",
                v.lines,
                v.examples,
                v.ok,
                r.bytes as f64 / 1e6 / secs,
                rss("VmHWM:")
            );
        }
    }
}
