//! JSONL import on arbitrary bytes: never a panic; every line either a settlement or a bad
//! line with a reason. Run: `scripts/fuzz import_jsonl`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    redline_fuzz::import(data, redline_core::import::Format::Jsonl);
});
