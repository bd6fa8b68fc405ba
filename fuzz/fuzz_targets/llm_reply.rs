//! An LLM's reply, as arbitrary text: the JSON extraction and the variant checks never panic.
//! Run: `scripts/fuzz llm_reply`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    redline_fuzz::llm_reply(data);
});
