//! `summary`, `alerts`, `patterns`, `improvements`, `diff`, `watch`, `report`, and a stale store.

use super::*;

#[test]
fn summary_and_alerts_on_sample_data() {
    let (_dir, db) = setup();
    redline(&db)
        .args(["sample", "-n", "4000", "--seed", "5"])
        .assert()
        .success();
    let out = redline(&db)
        .args(["summary", "--range", "90d", "--json"])
        .output()
        .unwrap();
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["agents"].as_array().unwrap().len(), 5);
    let first = &s["agents"][0];
    assert!(
        first["acceptance"]["low"].as_f64().unwrap()
            <= first["acceptance"]["value"].as_f64().unwrap()
    );
    redline(&db)
        .args(["summary", "--range", "fortnight"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is not a range"));
    assert!(s["system"]["readiness"]["ready"].as_bool().unwrap());
    assert_eq!(s["system"]["goals"].as_array().unwrap().len(), 3);
    // Open alerts: exit code 4; acknowledged ones stay listed but no longer count.
    redline(&db)
        .arg("alerts")
        .assert()
        .code(4)
        .stdout(predicate::str::contains("The Auditor: acceptance fell"))
        .stdout(predicate::str::contains("[HIGH, OPEN]"));
    let out = redline(&db).args(["alerts", "--json"]).output().unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // One incident per agent: acknowledging it once quiets all its parts.
    let keys: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    let mut unique = keys.clone();
    unique.dedup();
    assert_eq!(keys, unique);
    assert!(keys.contains(&"agent:The Auditor"), "{keys:?}");
    for key in keys {
        redline(&db).args(["alerts", "ack", key]).assert().success();
    }
    redline(&db)
        .arg("alerts")
        .assert()
        .success()
        .stdout(predicate::str::contains("acknowledged]"));
    // `--all --json` is one document: the incidents and the cleared records.
    let out = redline(&db)
        .args(["alerts", "--all", "--json"])
        .output()
        .unwrap();
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!all["incidents"].as_array().unwrap().is_empty(), "{all}");
    assert!(all["cleared"].is_array(), "{all}");
    redline(&db)
        .args(["alerts", "ack", "agent:Nobody"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no incident or alert with key"));
    // The threshold is a setting: summary uses it unless told otherwise.
    redline(&db)
        .args(["settings", "--threshold", "0.9"])
        .assert()
        .success();
    let out = redline(&db)
        .args(["summary", "--range", "2026-01-01..2030-01-01", "--json"])
        .output()
        .unwrap();
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["threshold"].as_f64(), Some(0.9));
    assert_eq!(s["settlements"].as_u64(), Some(4000));
    redline(&db)
        .args(["settings", "--threshold", "70"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("between 0 and 1"));
    let out = redline(&db)
        .args([
            "compare",
            "The Entrepreneur",
            "The Auditor",
            "--range",
            "90d",
            "--json",
        ])
        .output()
        .unwrap();
    let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        c["acceptance"]["difference"]["low"].as_f64().unwrap() > 0.0,
        "{c}"
    );
    assert!(c["acceptance"]["p_value"].as_f64().unwrap() < 0.001);
    assert_eq!(c["by_intent"].as_array().unwrap().len(), 3);
    redline(&db)
        .args(["compare", "The Entrepreneur", "The Auditor"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Mann–Whitney p ="));
}

#[test]
fn patterns_improvements_and_diff() {
    let (_dir, db) = setup();
    redline(&db)
        .args(["sample", "-n", "3000", "--seed", "9"])
        .assert()
        .success();
    let out = redline(&db)
        .args(["patterns", "--agent", "The Strategist", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let agents = r["agents"].as_array().unwrap();
    // One agent asked for: no all-agents group.
    assert_eq!(agents.len(), 1);
    assert!(agents[0]["replacements"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["from"] == "it is recommended" && x["to"] == "we recommend"));
    // The kinds of edit: shares of all edit operations, the planted register change among
    // them, each with an example of its own.
    let kinds = agents[0]["edit_kinds"].as_array().unwrap();
    let total: f64 = kinds.iter().map(|k| k["share"].as_f64().unwrap()).sum();
    assert!((total - 1.0).abs() < 1e-9, "{kinds:?}");
    let tone = kinds
        .iter()
        .find(|k| k["kind"] == "tone")
        .expect("tone edits");
    assert!(tone["example"]["old"].is_string(), "{tone}");
    redline(&db)
        .args(["patterns", "--agent", "The Strategist"])
        .assert()
        .success()
        .stdout(predicate::str::contains("kinds of edit").and(predicate::str::contains("tone")));
    redline(&db)
        .args(["improvements", "--agent", "The Strategist"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Say “we recommend” instead of “it is recommended”",
        ));
    // Replayed: mined on the earlier half, the replacement holds on the later one.
    let out = redline(&db)
        .args([
            "improvements",
            "--agent",
            "The Strategist",
            "--validate",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let replay = &r["replay"][0]["replay"];
    assert_eq!(replay["status"], "done", "{replay}");
    let rule = replay["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["phrase"] == "it is recommended")
        .unwrap_or_else(|| panic!("{replay}"));
    assert_eq!(rule["validated"], true, "{rule}");
    assert!(rule["saved"]["low"].as_f64().unwrap() > 0.0);
    assert!(replay["summary"]
        .as_str()
        .unwrap()
        .starts_with("Following these"));
    redline(&db)
        .args(["improvements", "--agent", "The Strategist", "--validate"])
        .assert()
        .success()
        .stdout(predicate::str::contains("✓").and(predicate::str::contains(
            "Write “we recommend” instead of “it is recommended”",
        )));
    redline(&db)
        .args(["patterns", "--agent", "Nobody"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "no settlements from an agent named 'Nobody'",
        ));
    // diff: offsets that cut the texts exactly, and ops that rebuild the final version.
    let store = Store::open(&db).unwrap();
    let page = store.list(&Filter::default(), 0, 50).unwrap();
    drop(store);
    let mut checked = 0;
    for row in page.items.iter().take(20) {
        let out = redline(&db)
            .args(["diff", row.id.as_str(), "--json"])
            .output()
            .unwrap();
        let ops: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
        let show = redline(&db)
            .args(["show", row.id.as_str(), "--json"])
            .output()
            .unwrap();
        let s: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
        let ai: Vec<char> = s["settlement"]["ai_output"]
            .as_str()
            .unwrap()
            .chars()
            .collect();
        for op in &ops {
            let (a, b) = (
                op["old_start"].as_u64().unwrap() as usize,
                op["old_end"].as_u64().unwrap() as usize,
            );
            assert_eq!(
                ai[a..b].iter().collect::<String>(),
                op["old_text"].as_str().unwrap()
            );
            checked += 1;
        }
    }
    assert!(checked > 0);
}

#[test]
fn watch_flags_the_planted_issues_and_report_writes_html_and_markdown() {
    let (dir, db) = setup();
    // Sample data ending today: the planted regression and emerging pattern are current.
    redline(&db)
        .args(["sample", "-n", "4000"])
        .assert()
        .success();
    let out = redline(&db).args(["watch", "--json"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let incidents: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let incidents = incidents.as_array().unwrap();
    let of = |agent: &str| -> Vec<&serde_json::Value> {
        incidents.iter().filter(|i| i["agent"] == agent).collect()
    };
    // The regressing agent is one top-level incident led by its drop, its findings inside.
    let auditor = of("The Auditor");
    assert_eq!(auditor.len(), 1, "{incidents:#?}");
    assert_eq!(
        (auditor[0]["kind"].as_str(), auditor[0]["severity"].as_str()),
        (Some("drop"), Some("high"))
    );
    let parts: Vec<&str> = auditor[0]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(parts[0], "drop");
    assert!(parts.len() > 1, "{parts:?}");
    // The Operator's planted phrase emerges; whether its acceptance also dips enough in the
    // last 7 days to lead the incident as a drop depends on the hour the sample ends (on a
    // Friday evening it does), so the finding is looked for among the incident's parts.
    let operator = of("The Operator");
    assert_eq!(operator.len(), 1, "{incidents:#?}");
    let kinds: Vec<&str> = std::iter::once(&operator[0]["kind"])
        .chain(
            operator[0]["parts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| &p["kind"]),
        )
        .filter_map(|k| k.as_str())
        .collect();
    assert!(kinds.contains(&"emerging_pattern"), "{kinds:?}");
    // Text: one top-level line per incident.
    let out = redline(&db).arg("watch").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.lines().filter(|l| l.starts_with('[')).count(),
        incidents.len(),
        "{text}"
    );
    let reports = dir.path().join("reports");
    redline(&db)
        .arg("report")
        .arg("--out")
        .arg(&reports)
        .assert()
        .success()
        .stdout(predicate::str::contains("source internal wiki"));
    let names: Vec<String> = std::fs::read_dir(&reports)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.iter().any(|n| n.ends_with(".html")) && names.iter().any(|n| n.ends_with(".md")));
    // As in the app: the report is audited and becomes the last report, in the same folder
    // the app's weekly reports then go to.
    let audit = redline(&db).args(["audit", "--json"]).output().unwrap();
    let audit: serde_json::Value = serde_json::from_slice(&audit.stdout).unwrap();
    assert_eq!(audit[0]["action"], "report", "{audit}");
    {
        let store = Store::open(&db).unwrap();
        let settings = redline_core::learning::report_settings(&store).unwrap();
        assert!(settings.last.is_some());
        assert_eq!(settings.folder.as_deref(), Some(reports.as_path()));
    }
    redline(&db)
        .args(["report", "--slack", "--out"])
        .arg(&reports)
        .env_remove("REDLINE_SLACK_WEBHOOK")
        .assert()
        .failure()
        .stderr(predicate::str::contains("REDLINE_SLACK_WEBHOOK"))
        .stderr(predicate::str::contains("saved but not delivered"));
    // An empty store needs no attention.
    let (_d2, empty) = setup();
    redline(&empty)
        .arg("watch")
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing needs attention"));
}

#[test]
fn text_from_settlements_cannot_drive_the_terminal() {
    let (dir, db) = setup();
    let file = dir.path().join("evil.jsonl");
    let evil = "\u{1b}]0;owned\u{7}\u{1b}[31mEvil\u{202e}";
    std::fs::write(
        &file,
        format!(
            "{}\n",
            serde_json::json!({"id": "e1", "agent": evil, "ai_output": "Hello \u{1b}[2J there.",
                "final_output": "Hello there.", "created_at": "2026-03-01T09:30:00Z"})
        ),
    )
    .unwrap();
    redline(&db).arg("import").arg(&file).assert().success();
    for args in [vec!["stats"], vec!["show", "e1"], vec!["list"]] {
        let out = redline(&db).args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{202e}'),
            "{args:?} printed raw control characters: {text:?}"
        );
        assert!(text.contains("\\x1b"), "{args:?}: {text:?}");
    }
    // JSON stays exact (JSON escapes them itself).
    let out = redline(&db)
        .args(["show", "e1", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["settlement"]["agent"], evil, "{v}");
}

#[test]
fn a_stale_store_is_said_and_summaries_can_end_at_its_newest_settlement() {
    let (_dir, db) = setup();
    // The sample ends on a weekday 15 to 17 days back (the generator moves weekend days to the
    // Friday before, so an end on a weekend would end the sample on that Friday), its newest
    // settlement in working hours of that day: 14 to 17 whole days before now.
    let mut day = (chrono::Utc::now() - chrono::Duration::days(15)).date_naive();
    while chrono::Datelike::weekday(&day).number_from_monday() > 5 {
        day = day.pred_opt().unwrap();
    }
    let end = day.format("%Y-%m-%d").to_string();
    redline(&db)
        .args(["sample", "-n", "2000", "--end", &end])
        .assert()
        .success();
    redline(&db)
        .args(["summary", "--range", "7d"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("0 settlements").and(
                predicate::str::is_match(
                    "note: no settlements in this range: the newest is 1[4-7] days old",
                )
                .unwrap(),
            ),
        );
    let out = redline(&db)
        .args(["summary", "--range", "7d", "--as-of", "newest", "--json"])
        .output()
        .unwrap();
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(s["settlements"].as_u64().unwrap() > 0, "{s}");
    assert!(s["to"].as_str().unwrap().starts_with(&end), "{}", s["to"]);
    redline(&db)
        .args(["summary", "--as-of", "yesterday"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--as-of takes `newest` or a date"));
    redline(&db).arg("watch").assert().code(4).stdout(
        predicate::str::is_match(r"\[HIGH, OPEN\] No new settlements for 1[4-7] days").unwrap(),
    );
}
