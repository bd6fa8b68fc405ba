//! CSV import on arbitrary bytes: never a panic; every record either a settlement or a bad
//! line with a reason (or a clear error for the whole file). Run: `scripts/fuzz import_csv`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    redline_fuzz::import(data, redline_core::import::Format::Csv);
});
