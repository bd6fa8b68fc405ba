//! A Notion database object and a page, from arbitrary bytes: schema reading, the proposed
//! mapping and the page conversion never panic. Run: `scripts/fuzz notion_page`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    redline_fuzz::notion_page(data);
});
