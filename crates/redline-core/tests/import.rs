//! Import of real JSONL and CSV files into a real store on disk.

use redline_core::import::{import_file, Format, ImportError, ImportOptions};
use redline_core::job::{no_progress, Cancel, Step};
use redline_core::model::SettlementId;
use redline_core::store::{Filter, Store};
use std::io::Write;
use std::path::{Path, PathBuf};

fn line(id: &str, agent: &str, created: &str) -> String {
    serde_json::json!({
        "id": id, "agent": agent, "intent_type": "operational", "intent": "Plan the move",
        "ai_output": "Let me analyze this. Move on Monday.", "final_output": "Move on Monday.",
        "created_at": created, "acceptance_rate": 0.6, "processing_ms": 1500, "error": false
    })
    .to_string()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn setup() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    (dir, store)
}

fn import(store: &Store, path: &Path, strict: bool) -> redline_core::import::ImportReport {
    let options = ImportOptions {
        strict,
        ..Default::default()
    };
    import_file(store, path, &options, &mut no_progress, &Cancel::new()).unwrap()
}

fn mixed_file(dir: &Path) -> PathBuf {
    let text = [
        line("a1", "The Auditor", "2026-03-01T09:00:00Z"),
        String::new(),
        "{\"id\": \"a2\", \"agent\": \"The Auditor\"".into(),
        line("a3", "The Operator", "2026-03-02T09:00:00Z"),
        line("a4", "", "2026-03-02T09:00:00Z"),
        line("a5", "The Operator", "last tuesday"),
        line("a6", "The Operator", "2026-03-03 10:00:00"),
    ]
    .join("\n");
    write(dir, "mixed.jsonl", &text)
}

#[test]
fn good_lines_are_imported_and_bad_ones_reported_by_line() {
    let (dir, store) = setup();
    let path = mixed_file(dir.path());
    let report = import(&store, &path, false);
    assert_eq!(report.format, Some(Format::Jsonl));
    assert_eq!(report.written.inserted, 3);
    assert_eq!(report.bad_total, 3);
    let lines: Vec<u64> = report.bad.iter().map(|b| b.line).collect();
    assert_eq!(lines, vec![3, 5, 6]);
    assert!(report.bad[0].reason.starts_with("invalid JSON"));
    assert_eq!(report.bad[1].reason, "`agent` is empty");
    assert!(report.bad[2]
        .reason
        .contains("\"last tuesday\" is not a timestamp"));
    assert_eq!(store.count().unwrap(), 3);
    let s = store
        .get(&SettlementId::new("a6").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(s.created_at.to_rfc3339(), "2026-03-03T10:00:00+00:00");
    assert_eq!(s.source.id, "mixed.jsonl");
}

#[test]
fn strict_imports_nothing_when_a_line_is_bad() {
    let (dir, store) = setup();
    let path = mixed_file(dir.path());
    let report = import(&store, &path, true);
    assert!(report.rejected);
    assert_eq!(report.written.inserted, 0);
    assert_eq!(report.bad_total, 3);
    assert_eq!(store.count().unwrap(), 0);

    let clean = write(
        dir.path(),
        "clean.jsonl",
        &format!(
            "{}\n{}\n",
            line("b1", "X", "2026-01-01T00:00:00Z"),
            line("b2", "X", "2026-01-02T00:00:00Z")
        ),
    );
    let report = import(&store, &clean, true);
    assert!(!report.rejected);
    assert_eq!(report.written.inserted, 2);
}

#[test]
fn reimport_is_idempotent_and_updates_changed_records() {
    let (dir, store) = setup();
    let first = write(
        dir.path(),
        "one.jsonl",
        &format!(
            "{}\n{}\n",
            line("c1", "X", "2026-01-01T00:00:00Z"),
            line("c2", "X", "2026-01-02T00:00:00Z")
        ),
    );
    import(&store, &first, false);
    let again = import(&store, &first, false);
    assert_eq!(
        (
            again.written.inserted,
            again.written.updated,
            again.written.unchanged
        ),
        (0, 0, 2)
    );
    let changed = write(
        dir.path(),
        "one.jsonl",
        &format!(
            "{}\n{}\n",
            line("c1", "Y", "2026-01-01T00:00:00Z"),
            line("c2", "X", "2026-01-02T00:00:00Z")
        ),
    );
    let r = import(&store, &changed, false);
    assert_eq!((r.written.updated, r.written.unchanged), (1, 1));
    assert_eq!(store.count().unwrap(), 2);
    let facets = store.facets().unwrap();
    assert_eq!(
        facets.agents,
        vec![("X".to_string(), 1), ("Y".to_string(), 1)]
    );
}

#[test]
fn csv_with_quotes_newlines_and_a_bom() {
    let (dir, store) = setup();
    let text = "\u{feff}id,agent,intent_type,intent,ai_output,final_output,created_at,acceptance_rate,error\n\
        d1,The Librarian,reference,\"Where, exactly?\",\"Line one,\nline two\",\"He said \"\"hi\"\"\",2026-02-01T08:00:00Z,85%,no\n\
        d2,The Librarian,reference,,x,y,not a date,,\n\
        d3,The Librarian,Reference,,x,x,2026-02-02,,\n";
    let path = write(dir.path(), "data.csv", text);
    let report = import(&store, &path, false);
    assert_eq!(report.format, Some(Format::Csv));
    assert_eq!(report.written.inserted, 2, "{:?}", report.bad);
    assert_eq!(report.bad.len(), 1);
    assert_eq!(report.bad[0].line, 4, "{:?}", report.bad);
    let d1 = store
        .get(&SettlementId::new("d1").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(d1.ai_output, "Line one,\nline two");
    assert_eq!(d1.final_output, "He said \"hi\"");
    assert_eq!(d1.acceptance_rate.unwrap().get(), 0.85);
    assert_eq!(d1.error, Some(false));
    let d3 = store
        .get(&SettlementId::new("d3").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(d3.intent_type.as_str(), "reference");
    assert!(!d3.is_edited());
}

#[test]
fn csv_without_required_columns_is_refused_whole() {
    let (dir, store) = setup();
    let path = write(dir.path(), "x.csv", "id,agent,text\n1,A,hello\n");
    let err = import_file(
        &store,
        &path,
        &ImportOptions::default(),
        &mut no_progress,
        &Cancel::new(),
    )
    .unwrap_err();
    match &err {
        ImportError::CsvHeader { missing, .. } => {
            assert_eq!(missing, "ai_output, final_output, created_at")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(store.count().unwrap(), 0);
}

#[test]
fn format_is_sniffed_without_an_extension() {
    let (dir, store) = setup();
    let path = write(
        dir.path(),
        "export.txt",
        &format!("  {}\n", line("e1", "X", "2026-01-01T00:00:00Z")),
    );
    assert_eq!(Format::detect(&path).unwrap(), Format::Jsonl);
    assert_eq!(import(&store, &path, false).written.inserted, 1);
}

#[test]
fn a_missing_file_names_the_path() {
    let (dir, store) = setup();
    let path = dir.path().join("nope.jsonl");
    let err = import_file(
        &store,
        &path,
        &ImportOptions::default(),
        &mut no_progress,
        &Cancel::new(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("nope.jsonl"), "{err}");
}

#[test]
fn only_a_regular_file_is_read_never_a_folder_or_a_pipe() {
    let (dir, store) = setup();
    let folder = dir.path().join("exports.jsonl");
    std::fs::create_dir(&folder).unwrap();
    let fifo = dir.path().join("pipe.jsonl");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    let mut paths = vec![folder];
    if made.is_ok_and(|s| s.success()) {
        paths.push(fifo);
    }
    for path in paths {
        // A named pipe would block the import until something wrote to it: it must return.
        let started = std::time::Instant::now();
        let err = import_file(
            &store,
            &path,
            &ImportOptions {
                format: Some(Format::Jsonl),
                ..Default::default()
            },
            &mut no_progress,
            &Cancel::new(),
        )
        .unwrap_err();
        assert!(matches!(err, ImportError::NotAFile { .. }), "{err}");
        assert!(err.to_string().contains("is not a file"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}

fn big_file(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join("big.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for i in 0..n {
        writeln!(
            f,
            "{}",
            line(&format!("big-{i:05}"), "X", "2026-01-01T00:00:00Z")
        )
        .unwrap();
    }
    f.flush().unwrap();
    path
}

#[test]
fn progress_reports_bytes_and_cancel_stops_at_a_batch_boundary() {
    let (dir, store) = setup();
    let path = big_file(dir.path(), 5000);
    let size = std::fs::metadata(&path).unwrap().len();
    let cancel = Cancel::new();
    let mut steps: Vec<Step> = Vec::new();
    let options = ImportOptions {
        batch_size: 1000,
        ..Default::default()
    };
    let mut on_step = |s: Step| {
        steps.push(s);
        if s.items >= 2000 {
            cancel.cancel();
        }
    };
    let report = import_file(&store, &path, &options, &mut on_step, &cancel).unwrap();
    assert!(report.cancelled);
    assert_eq!(store.count().unwrap(), 2000);
    assert_eq!(steps.len(), 2);
    assert!(steps
        .iter()
        .all(|s| s.total == Some(size) && s.done <= size));

    // Running again finishes the job without duplicates.
    let report = import(&store, &path, false);
    assert_eq!(report.written.inserted, 3000);
    assert_eq!(report.written.unchanged, 2000);
    assert_eq!(store.list(&Filter::default(), 0, 1).unwrap().total, 5000);
}

mod fuzz {
    //! Import must survive any input: no panic, every record either imported or reported.
    use super::*;
    use proptest::prelude::*;

    fn arbitrary_line() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            // Raw bytes, including invalid UTF-8 and stray quotes and braces.
            proptest::collection::vec(any::<u8>(), 0..120),
            // Plausible records with arbitrary field values.
            (
                "\\PC{0,12}",
                "\\PC{0,12}",
                prop_oneof![Just("2026-01-01T00:00:00Z".to_string()), "\\PC{0,20}"],
                prop_oneof![Just(serde_json::json!(0.5)), Just(serde_json::json!("x")), Just(serde_json::json!(-3)), Just(serde_json::json!(null))],
            )
                .prop_map(|(id, agent, created, rate)| {
                    serde_json::json!({"id": id, "agent": agent, "ai_output": "a", "final_output": "b",
                        "created_at": created, "acceptance_rate": rate})
                    .to_string()
                    .into_bytes()
                }),
        ]
        .prop_map(|mut l| {
            l.retain(|b| *b != b'\n');
            l
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn any_jsonl_is_imported_or_reported(lines in proptest::collection::vec(arbitrary_line(), 0..12)) {
            let (dir, store) = setup();
            let mut text = lines.join(&b'\n');
            text.push(b'\n');
            let path = dir.path().join("fuzz.jsonl");
            std::fs::write(&path, &text).unwrap();
            let options = ImportOptions { format: Some(Format::Jsonl), ..Default::default() };
            let report = import_file(&store, &path, &options, &mut no_progress, &Cancel::new()).unwrap();
            let non_blank = lines.iter().enumerate().filter(|(i, l)| {
                let l: &[u8] = if *i == 0 { l.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(l) } else { l };
                !l.iter().all(u8::is_ascii_whitespace)
            }).count() as u64;
            prop_assert_eq!(report.records, non_blank);
            prop_assert_eq!(report.written.inserted + report.written.updated + report.written.unchanged + report.bad_total, report.records);
            prop_assert_eq!(store.count().unwrap(), report.written.inserted);
        }

        #[test]
        fn any_csv_body_is_imported_or_reported(body in proptest::collection::vec(any::<u8>(), 0..400)) {
            let (dir, store) = setup();
            let mut text = b"id,agent,ai_output,final_output,created_at\n".to_vec();
            text.extend_from_slice(&body);
            let path = dir.path().join("fuzz.csv");
            std::fs::write(&path, &text).unwrap();
            let report = import_file(&store, &path, &ImportOptions::default(), &mut no_progress, &Cancel::new()).unwrap();
            prop_assert_eq!(report.written.inserted + report.written.updated + report.written.unchanged + report.bad_total, report.records);
            prop_assert_eq!(store.count().unwrap(), report.written.inserted);
        }
    }
}
