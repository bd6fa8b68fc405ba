//! Replays the fuzzer's seeds and every saved crash input (fuzz/seeds, fuzz/regressions) through
//! the validator with the fuzz target's checks, so the normal suite keeps them fixed without
//! needing libFuzzer.

use std::path::Path;

fn inputs(dir: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz")
        .join(dir);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .map(|e| e.expect("readable folder").path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read(&p).expect("readable input"),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn seeds_and_saved_crashes_are_handled() {
    let seeds = inputs("seeds/validate");
    assert!(
        seeds.len() >= 4,
        "the seed corpus is in fuzz/seeds/validate"
    );
    for (name, data) in seeds.iter().chain(&inputs("regressions/validate")) {
        let options = redline_core::validate::Options { context_limit: 64 };
        let report = redline_core::validate::validate_reader(data.as_slice(), &options)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(report.ok || !report.failures.is_empty(), "{name}");
        assert!(report.examples as u64 <= report.lines, "{name}");
    }
}
