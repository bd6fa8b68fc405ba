//! The checks of each fuzz target, shared with the normal test suite
//! (crates/redline-core/tests/fuzz_regressions.rs replays the seeds and saved crashes through
//! the same functions, without libFuzzer).

use redline_core::import::{parse_bytes, Format};

/// Import `data` as `format`: no panic; the report adds up.
pub fn import(data: &[u8], format: Format) {
    match parse_bytes(data, format) {
        Ok((kept, report)) => {
            assert!(kept.len() as u64 + report.bad_total <= report.records);
            assert!(report.bad.len() as u64 <= report.bad_total);
            for b in &report.bad {
                assert!(!b.reason.is_empty());
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

/// `data` as JSON: read as a database object's schema, a mapping proposed from it, and the
/// same value converted as a page.
pub fn notion_page(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let schema = redline_core::notion::mapping::schema_from(&value);
    let mapping = redline_core::notion::mapping::propose(&schema);
    let _ = redline_core::notion::mapping::validate(&mapping, &schema);
    let _ = redline_core::notion::page::meta(&value);
    if let Err(e) = redline_core::notion::page::to_settlement(&value, &mapping, &schema) {
        assert!(!e.is_empty());
    }
}

/// `data` as an LLM's reply text.
pub fn llm_reply(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = redline_core::llm::extract_json(&text);
    for want in [1, 3] {
        match redline_core::service::assist::parse_variants(&text, want, "current prompt") {
            Ok(v) => assert_eq!(v.len(), want),
            Err(e) => assert!(!e.is_empty()),
        }
    }
}
