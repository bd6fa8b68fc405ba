//! The `redline` binary end to end: real processes, real store files in temp dirs.

use assert_cmd::Command;
use predicates::prelude::*;
use redline_core::store::{Filter, Store};
use std::io::BufRead;
use std::path::{Path, PathBuf};

mod analysis;
mod experiments;
mod export;

fn redline(db: &Path) -> Command {
    let mut cmd = Command::cargo_bin("redline").unwrap();
    cmd.arg("--db").arg(db).env_remove("REDLINE_DB");
    cmd
}

fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.redb");
    (dir, db)
}

#[test]
fn sample_then_stats_list_and_show() {
    let (_dir, db) = setup();
    redline(&db)
        .args(["sample", "-n", "500", "--seed", "4", "--end", "2026-11-20"])
        .assert()
        .success()
        .stdout(predicate::str::contains("500 new"));
    let out = redline(&db).args(["stats", "--json"]).output().unwrap();
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats["total"], 500);
    assert_eq!(stats["by_agent"].as_object().unwrap().len(), 5);
    let months: u64 = stats["by_month"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(months, 500);

    let out = redline(&db)
        .args(["list", "--agent", "The Operator", "--limit", "5", "--json"])
        .output()
        .unwrap();
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    let id = page["items"][0]["id"].as_str().unwrap().to_owned();
    assert!(page["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["agent"] == "The Operator"));

    let out = redline(&db).args(["show", &id, "--json"]).output().unwrap();
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["settlement"]["id"], id.as_str());
    let rebuilt: String = shown["spans"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] != "insert")
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert_eq!(rebuilt, shown["settlement"]["ai_output"].as_str().unwrap());

    redline(&db)
        .args(["show", "no-such-id"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no settlement with id no-such-id"));
}

#[test]
fn import_reports_bad_lines_and_strict_imports_nothing() {
    let (dir, db) = setup();
    let file = dir.path().join("in.jsonl");
    redline(&db)
        .args(["sample", "-n", "20", "--out"])
        .arg(&file)
        .assert()
        .success();
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("{\"id\": \"x\", \"agent\": \"A\", \"ai_output\": \"a\"}\n");
    std::fs::write(&file, text).unwrap();

    redline(&db)
        .args(["import", "--strict"])
        .arg(&file)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("nothing imported"))
        .stderr(predicate::str::contains(
            "line 21: missing fields `final_output`, `created_at`",
        ));
    assert_eq!(Store::open(&db).unwrap().count().unwrap(), 0);

    redline(&db)
        .arg("import")
        .arg(&file)
        .assert()
        .code(3)
        .stdout(predicate::str::contains("20 new"))
        .stderr(predicate::str::contains("line 21"));
    redline(&db)
        .args(["import", "--json"])
        .arg(&file)
        .assert()
        .code(3)
        .stdout(predicate::str::contains("\"unchanged\": 20"));
}

#[test]
fn a_store_held_by_another_process_is_named() {
    let (_dir, db) = setup();
    let held = Store::open(&db).unwrap();
    redline(&db)
        .args(["stats"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("open in another Redline process"))
        .stderr(predicate::str::contains(db.display().to_string()));
    drop(held);
    redline(&db).args(["stats"]).assert().success();
}

#[test]
fn env_var_chooses_the_store() {
    let (_dir, db) = setup();
    Command::cargo_bin("redline")
        .unwrap()
        .env("REDLINE_DB", &db)
        .args(["sample", "-n", "3"])
        .assert()
        .success();
    assert_eq!(Store::open(&db).unwrap().count().unwrap(), 3);
}

/// Kill an import mid-way: the store holds whole batches only, its indexes agree, and running
/// the import again completes it without duplicates.
#[test]
fn an_import_killed_mid_way_leaves_whole_batches() {
    let (dir, db) = setup();
    let file = dir.path().join("big.jsonl");
    let n = 60_000;
    redline(&db)
        .args(["sample", "-n", &n.to_string(), "--out"])
        .arg(&file)
        .assert()
        .success();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("redline"))
        .arg("--db")
        .arg(&db)
        .args(["import", "--progress-lines"])
        .arg(&file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Kill it once two batches have committed, well before it finishes.
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    for _ in 0..2 {
        let line = lines.next().unwrap().unwrap();
        assert!(line.starts_with("progress: "), "{line}");
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the import finished too soon"
    );
    child.kill().unwrap();
    child.wait().unwrap();

    let store = Store::open(&db).unwrap();
    let count = store.count().unwrap();
    assert!(count > 0 && count < n, "{count}");
    assert_eq!(count % 2000, 0, "a partial batch was written: {count}");
    assert_eq!(store.list(&Filter::default(), 0, 1).unwrap().total, count);
    let counted: u64 = store.counts().unwrap().iter().map(|r| r.count).sum();
    assert_eq!(counted, count);
    drop(store);

    redline(&db).arg("import").arg(&file).assert().success();
    let store = Store::open(&db).unwrap();
    assert_eq!(store.count().unwrap(), n);
    assert_eq!(store.list(&Filter::default(), 0, 1).unwrap().total, n);
}

/// Every subcommand's `--json` prints exactly one JSON document on stdout (notices, progress
/// and warnings go to stderr), whatever its exit code says.
#[test]
fn every_json_output_is_exactly_one_document() {
    let (dir, db) = setup();
    redline(&db)
        .args(["sample", "-n", "400", "--seed", "2"])
        .assert()
        .success();
    redline(&db).args(["prompts", "adopt"]).assert().success();
    let first = {
        let out = redline(&db).args(["list", "--json"]).output().unwrap();
        let page: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        page["items"][0]["id"].as_str().unwrap().to_owned()
    };
    let export = dir.path().join("out.jsonl");
    let reports = dir.path().join("reports");
    let file = dir.path().join("more.jsonl");
    redline(&db)
        .args(["sample", "-n", "5", "--seed", "9", "--out"])
        .arg(&file)
        .assert()
        .success();
    let commands: Vec<Vec<String>> = vec![
        vec!["import".into(), file.display().to_string()],
        vec!["stats".into()],
        vec!["list".into()],
        vec!["show".into(), first.clone()],
        vec!["diff".into(), first],
        vec!["info".into()],
        vec!["summary".into()],
        vec![
            "compare".into(),
            "The Auditor".into(),
            "The Strategist".into(),
        ],
        vec!["alerts".into()],
        vec!["watch".into()],
        vec!["patterns".into(), "--agent".into(), "The Auditor".into()],
        vec![
            "improvements".into(),
            "--agent".into(),
            "The Auditor".into(),
        ],
        vec!["audit".into()],
        vec!["targets".into()],
        vec![
            "export".into(),
            "--out".into(),
            export.display().to_string(),
        ],
        vec!["validate".into(), export.display().to_string()],
        vec![
            "report".into(),
            "--out".into(),
            reports.display().to_string(),
        ],
        vec!["variants".into(), "--agent".into(), "The Auditor".into()],
        vec![
            "variants".into(),
            "--agent".into(),
            "The Auditor".into(),
            "--accept".into(),
            "1".into(),
        ],
        vec!["prompts".into(), "list".into()],
        vec!["experiment".into(), "list".into()],
    ];
    for args in commands {
        let out = redline(&db).args(&args).arg("--json").output().unwrap();
        let mut docs =
            serde_json::Deserializer::from_slice(&out.stdout).into_iter::<serde_json::Value>();
        let first = docs.next();
        assert!(
            matches!(first, Some(Ok(_))) && docs.next().is_none(),
            "`redline {} --json` (exit {:?}) did not print exactly one JSON document:\n{}\n{}",
            args.join(" "),
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
