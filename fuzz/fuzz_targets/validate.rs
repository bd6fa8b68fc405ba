//! The dataset validator on arbitrary bytes: it must never panic, and must always say
//! something (a passing report, failures, or line errors). Run: `scripts/fuzz validate`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = redline_core::validate::Options { context_limit: 64 };
    let report = redline_core::validate::validate_reader(data, &options)
        .expect("reading from memory does not fail");
    assert!(report.ok || !report.failures.is_empty());
    assert!(report.examples as u64 <= report.lines);
});
