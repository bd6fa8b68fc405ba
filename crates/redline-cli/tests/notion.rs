//! `redline notion` against the fake Notion server, in real processes.

use assert_cmd::Command;
use chrono::Duration;
use predicates::prelude::*;
use redline_core::model::SourceKind;
use redline_core::store::Store;
use redline_notion_fake::{training_data_schema, training_page, Fake};
use std::collections::HashSet;
use std::io::BufRead;

const TOKEN: &str = "secret_cli_token_5678";

fn fake_with(n: usize) -> (Fake, String) {
    let fake = Fake::start(TOKEN);
    let db = {
        let mut w = fake.world();
        let db = w.add_database("Training Data", training_data_schema());
        for i in 0..n {
            w.add_page(
                &db,
                training_page(
                    &format!("Intent {i}"),
                    &format!("AI {i}"),
                    &format!("Final {i}"),
                    "The Auditor",
                    "strategic",
                    0.8,
                ),
            );
            w.now += Duration::seconds(2);
        }
        db
    };
    (fake, db)
}

fn redline(fake: &Fake, db: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("redline").unwrap();
    cmd.arg("--db")
        .arg(db)
        .env("REDLINE_NOTION_BASE_URL", &fake.url)
        .env("REDLINE_NOTION_TOKEN", TOKEN);
    cmd
}

#[test]
fn connect_sync_and_status() {
    let (fake, db_id) = fake_with(250);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.redb");
    redline(&fake, &db)
        .args(["notion", "connect", &db_id])
        .assert()
        .success()
        .stdout(predicate::str::contains("ai_output        AI_Raw_Output"))
        .stdout(predicate::str::contains("connected \"Training Data\""));
    redline(&fake, &db)
        .args(["notion", "sync"])
        .assert()
        .success()
        .stdout(predicate::str::contains("250 pages read: 250 new"));
    redline(&fake, &db)
        .args(["notion", "status"])
        .assert()
        .success()
        .stdout(predicate::str::contains("last sync:    20"));
    // The token is in no file the CLI wrote.
    let bytes = std::fs::read(&db).unwrap();
    assert!(!bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()));
    // Without a token: a clear message.
    Command::cargo_bin("redline")
        .unwrap()
        .arg("--db")
        .arg(&db)
        .env_remove("REDLINE_NOTION_TOKEN")
        .args(["notion", "sync"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("set REDLINE_NOTION_TOKEN"));
}

#[test]
fn every_api_version_syncs_and_a_server_that_rejects_the_newest_is_noted() {
    for version in ["2026-12-01", "2025-09-03", "2022-06-28"] {
        let (fake, db_id) = fake_with(120);
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.redb");
        redline(&fake, &db)
            .args(["notion", "connect", &db_id, "--api-version", version])
            .assert()
            .success()
            .stderr(predicate::str::contains("note:").not());
        redline(&fake, &db)
            .args(["notion", "sync"])
            .assert()
            .success()
            .stdout(predicate::str::contains("120 pages read: 120 new"));
        redline(&fake, &db)
            .args(["notion", "status"])
            .assert()
            .success()
            .stdout(predicate::str::contains(format!(
                "API version:  {version}\n"
            )));
        assert!(fake
            .world()
            .log
            .iter()
            .all(|l| l.version.as_deref() == Some(version)));
    }
    let (fake, db_id) = fake_with(30);
    fake.world().versions = vec!["2025-09-03".into()];
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.redb");
    redline(&fake, &db)
        .args(["notion", "connect", &db_id])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "note: the server rejected Notion-Version 2026-12-01",
        ));
    redline(&fake, &db)
        .args(["notion", "sync"])
        .assert()
        .success()
        .stdout(predicate::str::contains("30 pages read: 30 new"));
    redline(&fake, &db)
        .args(["notion", "status"])
        .assert()
        .success()
        .stdout(predicate::str::contains("API version:  2025-09-03\n"))
        .stdout(predicate::str::contains(
            "note:         the server rejected",
        ));
}

#[test]
fn a_wrong_mapping_is_refused_by_name() {
    let (fake, db_id) = fake_with(1);
    let dir = tempfile::tempdir().unwrap();
    redline(&fake, &dir.path().join("s.redb"))
        .args(["notion", "connect", &db_id, "--map", "agent=Agent Nmae"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "property `Agent Nmae` (agent) is no longer in the database",
        ));
}

/// SIGKILL a sync mid-way, then sync again: exactly the server's records, none lost or doubled.
#[test]
fn a_sync_killed_mid_way_resumes_to_exactly_the_servers_records() {
    let (fake, db_id) = fake_with(2000);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.redb");
    redline(&fake, &db)
        .args(["notion", "connect", &db_id])
        .assert()
        .success();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("redline"))
        .arg("--db")
        .arg(&db)
        .args(["notion", "sync", "--progress-lines"])
        .env("REDLINE_NOTION_BASE_URL", &fake.url)
        .env("REDLINE_NOTION_TOKEN", TOKEN)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    for _ in 0..3 {
        let line = lines.next().unwrap().unwrap();
        assert!(line.starts_with("progress: "), "{line}");
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the sync finished too soon"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    {
        let store = Store::open(&db).unwrap();
        let n = store.count().unwrap();
        assert!((300..2000).contains(&n), "{n}");
        assert_eq!(n % 100, 0, "a partial page batch: {n}");
    }
    // Pages edited meanwhile are picked up too.
    fake.advance(Duration::minutes(3));
    let first = fake.world().databases[0].pages[0].id.clone();
    fake.world().edit_page(&first, |_| {});
    redline(&fake, &db)
        .args(["notion", "sync"])
        .assert()
        .success();
    let store = Store::open(&db).unwrap();
    let ours: HashSet<String> = store
        .ids_from(SourceKind::Notion)
        .unwrap()
        .into_iter()
        .map(|id| id.as_str().to_string())
        .collect();
    let theirs: HashSet<String> = fake.world().databases[0]
        .pages
        .iter()
        .map(|p| p.id.clone())
        .collect();
    assert_eq!(ours, theirs);
    assert_eq!(store.count().unwrap(), 2000);
}

/// With DB_AB_Tests connected, `--json` still prints exactly one JSON document on stdout: the
/// note that the row was written goes to stderr.
#[test]
fn json_output_is_one_document_when_experiments_are_written_to_notion() {
    let fake = Fake::start(TOKEN);
    let ab = fake
        .world()
        .add_database("DB_AB_Tests", redline_notion_fake::ab_tests_schema());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.redb");
    redline(&fake, &db)
        .args(["sample", "-n", "300", "--seed", "3"])
        .assert()
        .success();
    redline(&fake, &db)
        .args(["prompts", "adopt"])
        .assert()
        .success();
    redline(&fake, &db)
        .args(["variants", "--agent", "The Auditor", "--accept", "1"])
        .assert()
        .success();
    redline(&fake, &db)
        .args(["experiment", "connect", &ab])
        .assert()
        .success();
    let one_document = |args: &[&str]| -> serde_json::Value {
        let out = redline(&fake, &db).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut docs =
            serde_json::Deserializer::from_slice(&out.stdout).into_iter::<serde_json::Value>();
        let first = docs.next().expect("a document").expect("JSON");
        assert!(
            docs.next().is_none(),
            "more than one document: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        first
    };
    let e = one_document(&[
        "experiment",
        "create",
        "--agent",
        "The Auditor",
        "--a",
        "v1",
        "--b",
        "v2",
        "--json",
    ]);
    let id = e["id"].as_str().unwrap().to_owned();
    assert_eq!(fake.world().database(&ab).pages.len(), 1);
    let results = one_document(&["experiment", "results", &id, "--json"]);
    assert!(results.is_object(), "{results}");
    redline(&fake, &db)
        .args(["experiment", "complete", &id])
        .assert()
        .success()
        .stderr(predicate::str::contains("written to DB_AB_Tests"));
    let all = one_document(&["experiment", "list", "--json"]);
    assert_eq!(all[0]["status"], "Completed");
}
