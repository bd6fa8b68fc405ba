//! Replays the fuzzer's seeds and every saved crash input (fuzz/seeds, fuzz/regressions) through
//! the validator with the fuzz target's checks, so the normal suite keeps them fixed without
//! needing libFuzzer.

use std::path::Path;

/// The fuzz targets' checks (they use only redline-core and serde_json).
#[path = "../../../fuzz/src/lib.rs"]
mod checks;

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

#[test]
fn parsers_of_outside_input_handle_their_seeds_and_saved_crashes() {
    use redline_core::import::Format;
    type Check<'a> = &'a dyn Fn(&[u8]);
    let targets: [(&str, Check); 4] = [
        ("import_jsonl", &|d| checks::import(d, Format::Jsonl)),
        ("import_csv", &|d| checks::import(d, Format::Csv)),
        ("notion_page", &checks::notion_page),
        ("llm_reply", &checks::llm_reply),
    ];
    for (target, check) in targets {
        let seeds = inputs(&format!("seeds/{target}"));
        assert!(
            seeds.len() >= 3,
            "the seed corpus is in fuzz/seeds/{target}"
        );
        for (name, data) in seeds
            .iter()
            .chain(&inputs(&format!("regressions/{target}")))
        {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(data)));
            assert!(outcome.is_ok(), "{target}: {name}");
        }
    }
}
