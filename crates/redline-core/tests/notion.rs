//! Notion sync against a local server that speaks the documented API (`redline-notion-fake`),
//! into a real store on disk.

use chrono::Duration;
use redline_core::job::Cancel;
use redline_core::model::SettlementId;
use redline_core::notion::mapping::Field;
use redline_core::notion::sync::{self, SyncOptions, SyncState};
use redline_core::notion::{ApiVersion, Client, ClientConfig, NotionError};
use redline_core::secret::SecretString;
use redline_core::store::{Filter, Store};
use redline_notion_fake::{training_data_schema, training_page, Fake, Fault};
use serde_json::json;
use std::sync::atomic::Ordering;

const TOKEN: &str = "secret_test_token_1234";

fn client(fake: &Fake, version: ApiVersion) -> Client {
    Client::new(
        SecretString::from(TOKEN.to_string()),
        ClientConfig {
            base_url: fake.url.clone(),
            version,
            requests_per_second: 1000.0,
            backoff_base: std::time::Duration::from_millis(5),
            ..Default::default()
        },
    )
}

/// A fake with a Training Data database of `n` pages, one every 3 seconds of fake time.
fn world(n: usize) -> (Fake, String, Vec<String>) {
    let fake = Fake::start(TOKEN);
    let mut ids = Vec::new();
    let db = {
        let mut w = fake.world();
        let db = w.add_database("Training Data", training_data_schema());
        for i in 0..n {
            let agent = ["The Auditor", "The Strategist", "The Operator"][i % 3];
            let id = w.add_page(
                &db,
                training_page(
                    &format!("Intent {i}"),
                    &format!("Let me analyze this. Draft {i}."),
                    &format!("Draft {i}."),
                    agent,
                    "Operational",
                    0.5,
                ),
            );
            ids.push(id);
            w.now += Duration::seconds(3);
        }
        db
    };
    (fake, db, ids)
}

fn connected(fake: &Fake, db: &str, version: ApiVersion) -> (tempfile::TempDir, Store, Client) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    let client = client(fake, version);
    let conn = sync::connect(&client, db, &Cancel::new()).unwrap();
    SyncState {
        connection: Some(conn),
        ..Default::default()
    }
    .save(&store)
    .unwrap();
    (dir, store, client)
}

fn run(store: &Store, client: &Client, reconcile: bool) -> sync::SyncReport {
    sync::sync(
        store,
        client,
        SyncOptions {
            reconcile,
            force: false,
        },
        &mut |_| {},
        &Cancel::new(),
    )
    .unwrap()
}

#[test]
fn connect_discovers_the_data_source_and_proposes_the_mapping() {
    let (fake, db, _) = world(1);
    for version in ApiVersion::ALL {
        let c = client(&fake, version);
        let url = format!(
            "https://www.notion.so/acme/Training-Data-{}?v=1",
            db.replace('-', "")
        );
        let conn = sync::connect(&c, &url, &Cancel::new()).unwrap();
        assert_eq!(conn.database_id, db);
        assert_eq!(conn.title, "Training Data");
        assert_eq!(conn.data_source_id.is_some(), version.data_sources());
        assert_eq!(conn.version, version);
        assert_eq!(conn.notice, None);
        assert_eq!(conn.mapping.get(Field::AiOutput), Some("AI_Raw_Output"));
        assert_eq!(
            conn.mapping.get(Field::FinalOutput),
            Some("Scenario_Options")
        );
        assert_eq!(conn.mapping.get(Field::Agent), Some("Agent_Name"));
        assert_eq!(conn.mapping.get(Field::Intent), Some("Name"));
    }
    let w = fake.world();
    assert!(w
        .log
        .iter()
        .any(|l| l.path.starts_with("/v1/data_sources/")));
    assert!(w.log.iter().all(|l| l.version.is_some()));
}

#[test]
fn clear_errors_for_a_bad_token_and_an_unshared_database() {
    let (fake, db, _) = world(1);
    let bad = Client::new(
        SecretString::from(String::from("secret_wrong")),
        ClientConfig {
            base_url: fake.url.clone(),
            ..Default::default()
        },
    );
    let err = sync::connect(&bad, &db, &Cancel::new()).unwrap_err();
    assert!(matches!(err, NotionError::Unauthorized), "{err:?}");
    let err = sync::connect(
        &client(&fake, ApiVersion::V2025),
        "0123456789abcdef0123456789abcdef",
        &Cancel::new(),
    )
    .unwrap_err();
    assert!(matches!(err, NotionError::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("Connections"), "{err}");
}

#[test]
fn full_then_incremental_sync_fetches_only_what_changed() {
    for version in ApiVersion::ALL {
        let (fake, db, ids) = world(5000);
        fake.world().database(&db).schema["Agent_Name"]["id"] = json!("%3AUPp");
        let (_dir, store, client) = connected(&fake, &db, version);
        let before = fake.world().count("/query");
        let report = run(&store, &client, false);
        assert_eq!(report.progress.pages, 5000);
        assert_eq!(report.progress.written.inserted, 5000);
        assert_eq!(store.count().unwrap(), 5000);
        assert_eq!(fake.world().count("/query") - before, 50);
        // Every query names the mapped properties (by id), whatever the version.
        {
            let w = fake.world();
            let queries: Vec<_> = w
                .log
                .iter()
                .filter(|l| l.path.ends_with("/query"))
                .collect();
            assert!(queries.iter().all(|l| {
                l.version.as_deref() == Some(version.header())
                    && l.query.contains("filter_properties=ai_raw_output")
                    && l.query.contains("filter_properties=scenario_options")
            }));
        }
        assert_eq!(report.notice, None);

        // A long text arrives whole.
        let s = store
            .get(&SettlementId::new(ids[0].clone()).unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(s.ai_output, "Let me analyze this. Draft 0.");
        assert_eq!(s.agent.as_str(), "The Auditor");
        assert_eq!(s.intent_type.as_str(), "operational");

        // 100 edits ten minutes later: the next sync reads those and the overlap minute only.
        fake.advance(Duration::minutes(10));
        {
            let mut w = fake.world();
            for id in ids.iter().step_by(50) {
                w.edit_page(id, |p| {
                    p.insert(
                        "Scenario_Options".into(),
                        json!({"type": "rich_text",
                        "rich_text": redline_notion_fake::rich_text("Edited again.")}),
                    );
                });
            }
        }
        let before = fake.world().log.len();
        let report = run(&store, &client, false);
        let requests = fake.world().log.len() - before;
        assert_eq!(requests, 3, "one schema read and two pages of results");
        assert_eq!(report.progress.written.updated, 100);
        // The edits, plus the boundary minute re-read (20 pages, one every 3 s).
        assert_eq!(report.progress.pages, 100 + 20);
        let s = store
            .get(&SettlementId::new(ids[50].clone()).unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(s.final_output, "Edited again.");
        assert_eq!(store.count().unwrap(), 5000);
        // Both syncs are in the audit log, newest first, with their counts.
        let log = redline_core::audit::entries(&store, 10).unwrap();
        let syncs: Vec<_> = log.iter().filter(|e| e.action == "sync").collect();
        assert!(syncs.len() >= 2, "{log:?}");
        assert_eq!(syncs[0].data["updated"], 100);
    }
}

#[test]
fn an_edit_in_the_cursor_minute_is_not_missed() {
    let (fake, db, ids) = world(30);
    let (_dir, store, client) = connected(&fake, &db, ApiVersion::V2025);
    run(&store, &client, false);
    // Same minute as the newest page: Notion reports the same rounded time.
    let last = ids.last().unwrap().clone();
    fake.world().edit_page(&last, |p| {
        p.insert(
            "Scenario_Options".into(),
            json!({"type": "rich_text",
            "rich_text": redline_notion_fake::rich_text("Changed within the minute.")}),
        );
    });
    let report = run(&store, &client, false);
    assert_eq!(report.progress.written.updated, 1);
    let s = store
        .get(&SettlementId::new(last).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(s.final_output, "Changed within the minute.");
}

#[test]
fn reconcile_removes_pages_deleted_or_archived_in_notion() {
    let (fake, db, ids) = world(300);
    let (_dir, store, client) = connected(&fake, &db, ApiVersion::V2025);
    run(&store, &client, false);
    {
        let mut w = fake.world();
        w.delete_page(&ids[3]);
        w.delete_page(&ids[200]);
        w.page(&ids[7]).archived = true;
        w.page(&ids[9]).in_trash = true;
    }
    run(&store, &client, false);
    assert_eq!(
        store.count().unwrap(),
        300,
        "an incremental sync cannot see deletions"
    );
    let report = run(&store, &client, true);
    assert!(report.reconciled);
    assert_eq!(report.progress.written.deleted, 4);
    assert_eq!(store.count().unwrap(), 296);
    assert!(store
        .get(&SettlementId::new(ids[7].clone()).unwrap())
        .unwrap()
        .is_none());
    assert_eq!(store.list(&Filter::default(), 0, 1).unwrap().total, 296);
    assert!(SyncState::load(&store).unwrap().last_reconcile.is_some());
}

#[test]
fn a_429_storm_and_5xx_bursts_lose_nothing() {
    let (fake, db, _) = world(450);
    let (_dir, store, client) = connected(&fake, &db, ApiVersion::V2025);
    {
        let mut w = fake.world();
        w.faults.extend([
            Fault::RateLimited(1),
            Fault::Server(500),
            Fault::Server(503),
            Fault::RateLimited(1),
            Fault::Hangup,
            Fault::Server(502),
        ]);
    }
    let started = std::time::Instant::now();
    let report = run(&store, &client, false);
    assert_eq!(store.count().unwrap(), 450);
    assert_eq!(report.progress.written.inserted, 450);
    assert_eq!(client.counters.rate_limited.load(Ordering::Relaxed), 2);
    assert_eq!(client.counters.retries.load(Ordering::Relaxed), 6);
    // Retry-After: 1 was obeyed twice.
    assert!(started.elapsed() >= std::time::Duration::from_secs(2));
    assert_eq!(report.progress.rate_limit_wait_ms, 2000);
}

#[test]
fn endless_errors_give_up_clearly_and_keep_the_cache() {
    let (fake, db, _) = world(150);
    let (_dir, store, client) = connected(&fake, &db, ApiVersion::V2025);
    run(&store, &client, false);
    fake.advance(Duration::minutes(5));
    let first = fake.world().databases[0].pages[0].id.clone();
    fake.world().edit_page(&first, |_| {});
    fake.world()
        .faults
        .extend(std::iter::repeat_n(Fault::Server(503), 20));
    let err = sync::sync(
        &store,
        &client,
        SyncOptions::default(),
        &mut |_| {},
        &Cancel::new(),
    )
    .unwrap_err();
    assert!(
        matches!(err, NotionError::GaveUp { attempts: 9, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("503"), "{err}");
    assert_eq!(store.count().unwrap(), 150);
    let log = redline_core::audit::entries(&store, 1).unwrap();
    assert_eq!(log[0].action, "sync_failed");
    assert!(log[0].detail.contains("503"), "{:?}", log[0]);
}

#[test]
fn malformed_pages_are_skipped_with_their_url_and_reason() {
    let (fake, db, ids) = world(20);
    {
        let mut w = fake.world();
        w.page(&ids[4]).properties.insert(
            "AI_Raw_Output".into(),
            json!({"type": "number", "number": 4}),
        );
        w.page(&ids[5]).properties.remove("Agent_Name");
        w.page(&ids[6]).properties.insert(
            "Acceptance Rate".into(),
            json!({"type": "number", "number": 250}),
        );
    }
    let (_dir, store, client) = connected(&fake, &db, ApiVersion::V2025);
    let report = run(&store, &client, false);
    assert_eq!(store.count().unwrap(), 17);
    assert_eq!(report.skipped.len(), 3);
    let reasons: Vec<&str> = report.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert!(
        reasons[0].contains("`AI_Raw_Output` is a number"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].contains("`Agent_Name` is missing"),
        "{reasons:?}"
    );
    assert!(reasons[2].contains("holds 250"), "{reasons:?}");
    assert!(report.skipped[0].url.starts_with("https://www.notion.so/"));
    assert_eq!(SyncState::load(&store).unwrap().skipped.len(), 3);
}

#[test]
fn a_mapped_property_that_vanished_stops_the_sync_by_name() {
    let (fake, db, _) = world(10);
    let (_dir, store, client) = connected(&fake, &db, ApiVersion::V2025);
    fake.world().database(&db).schema.remove("Scenario_Options");
    let err = sync::sync(
        &store,
        &client,
        SyncOptions::default(),
        &mut |_| {},
        &Cancel::new(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("`Scenario_Options` (final version) is no longer in the database"),
        "{err}"
    );
    assert_eq!(store.count().unwrap(), 0);
}

#[test]
fn offline_is_reported_quickly_and_the_cache_stays() {
    let (fake, db, _) = world(20);
    let (_dir, store, _) = connected(&fake, &db, ApiVersion::V2025);
    let url = fake.url.clone();
    {
        let client = client(&fake, ApiVersion::V2025);
        run(&store, &client, false);
    }
    drop(fake); // the server is gone: connections are refused
    let offline = Client::new(
        SecretString::from(TOKEN.to_string()),
        ClientConfig {
            base_url: url,
            backoff_base: std::time::Duration::from_millis(5),
            ..Default::default()
        },
    );
    let started = std::time::Instant::now();
    let err = sync::sync(
        &store,
        &offline,
        SyncOptions::default(),
        &mut |_| {},
        &Cancel::new(),
    )
    .unwrap_err();
    assert!(matches!(err, NotionError::Offline { .. }), "{err:?}");
    assert!(err.to_string().contains("offline"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(store.count().unwrap(), 20);
    assert!(SyncState::load(&store).unwrap().last_sync.is_some());
}

#[test]
fn write_back_round_trips_a_long_prompt_and_is_idempotent() {
    use redline_core::notion::writeback::{self, AbTestRow, Status, Target, Winner};
    let fake = Fake::start(TOKEN);
    let db = fake
        .world()
        .add_database("DB_AB_Tests", redline_notion_fake::ab_tests_schema());
    for version in [ApiVersion::V2025, ApiVersion::V2022] {
        let c = client(&fake, version);
        let ds = fake.world().database(&db).data_source_id.clone();
        let target = Target {
            database_id: db.clone(),
            data_source_id: (version == ApiVersion::V2025).then_some(ds),
        };
        let prompt_b: String = (0..5000)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        let id = format!("exp-{}", version.header());
        let mut row = AbTestRow {
            experiment_id: id.clone(),
            agent: "The Auditor".into(),
            variant_a_prompt: "Be concise.".into(),
            variant_b_prompt: prompt_b.clone(),
            variant_a_settlements: 0,
            variant_b_settlements: 0,
            variant_a_acceptance: None,
            variant_b_acceptance: None,
            status: Status::Running,
            winner: None,
            created: chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            completed: None,
        };
        let page = writeback::upsert_experiment(&c, &target, &row, &Cancel::new()).unwrap();
        row.variant_a_settlements = 210;
        row.variant_b_settlements = 205;
        row.variant_a_acceptance = Some(0.71);
        row.variant_b_acceptance = Some(0.79);
        row.status = Status::Completed;
        row.winner = Some(Winner::VariantB);
        row.completed = chrono::NaiveDate::from_ymd_opt(2026, 12, 8);
        let again = writeback::upsert_experiment(&c, &target, &row, &Cancel::new()).unwrap();
        assert_eq!(page, again, "updated in place, not duplicated");
        let mut w = fake.world();
        let rows: Vec<_> = w
            .database(&db)
            .pages
            .iter()
            .filter(|p| p.properties["Experiment ID"]["title"][0]["plain_text"] == id.as_str())
            .cloned()
            .collect();
        assert_eq!(rows.len(), 1);
        let p = &rows[0].properties;
        let b: String = p["Variant B Prompt"]["rich_text"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["plain_text"].as_str().unwrap())
            .collect();
        assert_eq!(b, prompt_b);
        assert_eq!(p["Status"]["select"]["name"], "Completed");
        assert_eq!(p["Winner"]["select"]["name"], "Variant B");
        assert_eq!(p["Variant B Acceptance"]["number"], 0.79);
        assert_eq!(p["Completed Date"]["date"]["start"], "2026-12-08");
    }
}

#[test]
fn experiments_are_written_to_db_ab_tests_through_their_lifecycle() {
    use redline_core::experiments::{self, NewExperiment, Status};
    use redline_core::notion::writeback;
    let fake = Fake::start(TOKEN);
    let db = fake
        .world()
        .add_database("DB_AB_Tests", redline_notion_fake::ab_tests_schema());
    let c = client(&fake, ApiVersion::V2025);
    // A database without the design's properties is refused with each problem named.
    let mut wrong = redline_notion_fake::ab_tests_schema();
    wrong.remove("Winner");
    wrong.insert(
        "Status".into(),
        json!({"id": "st", "name": "Status", "type": "rich_text", "rich_text": {}}),
    );
    let other = fake.world().add_database("Not AB", wrong);
    let err = writeback::connect_target(&c, &other, &Cancel::new()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("`Winner` is missing"), "{text}");
    assert!(
        text.contains("`Status` is a rich_text property, not select"),
        "{text}"
    );

    let target = writeback::connect_target(&c, &db, &Cancel::new()).unwrap();
    assert!(target.data_source_id.is_some());
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    redline_core::notion::writeback::set_target(&store, Some(&target)).unwrap();
    redline_core::prompts::add(&store, "The Auditor", "Audit it.", "", "").unwrap();
    redline_core::prompts::add(&store, "The Auditor", "Audit it. Be brief.", "", "").unwrap();
    let start = chrono::Utc::now() - Duration::hours(1);
    let e = experiments::create(
        &store,
        &NewExperiment {
            agent: "The Auditor".into(),
            a: 1,
            b: 2,
            ..Default::default()
        },
        start,
    )
    .unwrap();
    let published =
        redline_core::service::experiments::publish(&store, &c, &e.id, start, &Cancel::new())
            .unwrap();
    let page = published.notion.page_id.clone().unwrap();
    experiments::complete(&store, &e.id, chrono::Utc::now()).unwrap();
    redline_core::service::experiments::publish(
        &store,
        &c,
        &e.id,
        chrono::Utc::now(),
        &Cancel::new(),
    )
    .unwrap();
    let mut w = fake.world();
    let rows = &w.database(&db).pages;
    assert_eq!(rows.len(), 1, "one row per experiment, updated in place");
    let p = &rows[0].properties;
    assert_eq!(rows[0].id, page);
    assert_eq!(p["Experiment ID"]["title"][0]["plain_text"], e.id.as_str());
    assert_eq!(p["Agent Name"]["select"]["name"], "The Auditor");
    assert_eq!(
        p["Variant B Prompt"]["rich_text"][0]["plain_text"],
        "Audit it. Be brief."
    );
    assert_eq!(p["Status"]["select"]["name"], "Completed");
    assert_eq!(p["Winner"]["select"]["name"], "Inconclusive");
    assert_eq!(p["Variant A Settlements"]["number"], 0);
    assert!(p["Completed Date"]["date"]["start"].is_string());
    drop(w);
    assert_eq!(
        experiments::get(&store, &e.id).unwrap().status,
        Status::Completed
    );

    // Notion refusing a write keeps the experiment locally, with the reason on it.
    fake.world().database(&db).pages.clear();
    let bad = Client::new(
        SecretString::from(String::from("secret_wrong")),
        ClientConfig {
            version: ApiVersion::V2025,
            base_url: fake.url.clone(),
            ..Default::default()
        },
    );
    let err = redline_core::service::experiments::publish(
        &store,
        &bad,
        &e.id,
        chrono::Utc::now(),
        &Cancel::new(),
    );
    assert!(err.is_err());
    let kept = experiments::get(&store, &e.id).unwrap();
    assert!(
        kept.notion.error.as_deref().unwrap().contains("token"),
        "{:?}",
        kept.notion
    );
    assert_eq!(kept.status, Status::Completed);
}

/// One raw query of the fake's Training Data, in `version`, with these `filter_properties`.
fn raw_query(fake: &Fake, db: &str, version: ApiVersion, wanted: &[&str]) -> serde_json::Value {
    let c = client(fake, version);
    let path = if version.data_sources() {
        let ds = fake.world().database(db).data_source_id.clone();
        format!("/v1/data_sources/{ds}/query")
    } else {
        format!("/v1/databases/{db}/query")
    };
    let query: Vec<(&str, &str)> = wanted.iter().map(|w| ("filter_properties", *w)).collect();
    c.request_with("POST", &path, &query, Some(&json!({})), &Cancel::new())
        .unwrap()
}

#[test]
fn with_2026_12_01_a_listing_carries_only_titles_unless_it_names_the_properties() {
    let (fake, db, _) = world(3);
    let props = |v: &serde_json::Value| -> Vec<String> {
        let mut names: Vec<String> = v["results"][0]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        names.sort();
        names
    };
    let bare = raw_query(&fake, &db, ApiVersion::V2026, &[]);
    assert_eq!(props(&bare), ["Name"]);
    // 2026-03-11 and later: `in_trash`, no `archived`.
    assert_eq!(bare["results"][0]["in_trash"], false);
    assert!(bare["results"][0].get("archived").is_none());
    // By id or by name, with any version. Notion's ids are often percent-escapes themselves
    // ("%3AUPp"): sent encoded once more, they arrive as they are.
    fake.world().database(&db).schema["Agent_Name"]["id"] = json!("%3AUPp");
    let named = raw_query(&fake, &db, ApiVersion::V2026, &["ai_raw_output", "%3AUPp"]);
    assert_eq!(props(&named), ["AI_Raw_Output", "Agent_Name"]);
    let named = raw_query(&fake, &db, ApiVersion::V2026, &["Intent Type"]);
    assert_eq!(props(&named), ["Intent Type"]);
    let older = raw_query(&fake, &db, ApiVersion::V2025, &[]);
    assert!(props(&older).len() > 5);
    assert_eq!(older["results"][0]["archived"], false);
    let named = raw_query(&fake, &db, ApiVersion::V2022, &["timestamp"]);
    assert_eq!(props(&named), ["Timestamp"]);
}

#[test]
fn a_server_that_rejects_2026_12_01_is_spoken_to_in_2025_09_03_and_says_so() {
    let (fake, db, _) = world(250);
    fake.world().versions = vec!["2022-06-28".into(), "2025-09-03".into()];
    let (_dir, store, client) = connected(&fake, &db, ApiVersion::V2026);
    let conn = SyncState::load(&store).unwrap().connection.unwrap();
    assert_eq!(conn.version, ApiVersion::V2025);
    let notice = conn.notice.unwrap();
    assert!(
        notice.contains("rejected Notion-Version 2026-12-01") && notice.contains("2025-09-03"),
        "{notice}"
    );
    // A fresh client (the next run) starts at the newest version again; the saved connection
    // keeps it at 2025-09-03, so only the one connect request was tried in 2026-12-01.
    let fresh = self::client(&fake, ApiVersion::V2026);
    let report = run(&store, &fresh, false);
    assert_eq!(report.progress.written.inserted, 250);
    assert_eq!(report.notice, None);
    drop(client);
    let w = fake.world();
    let newest: Vec<_> = w
        .log
        .iter()
        .filter(|l| l.version.as_deref() == Some("2026-12-01"))
        .collect();
    assert_eq!(newest.len(), 1, "{newest:?}");
    assert!(w
        .log
        .iter()
        .filter(|l| l.path.ends_with("/query"))
        .all(
            |l| l.version.as_deref() == Some("2025-09-03") && l.query.contains("filter_properties")
        ));
}

#[test]
fn a_server_that_rejects_filter_properties_is_listed_in_2025_09_03_without_it_once() {
    let (fake, db, ids) = world(150);
    fake.world().reject_filter_properties = true;
    let (_dir, store, client) = connected(&fake, &db, ApiVersion::V2026);
    let report = run(&store, &client, false);
    assert_eq!(report.progress.written.inserted, 150);
    assert_eq!(report.progress.skipped, 0);
    let notice = report.notice.unwrap();
    assert!(notice.contains("rejected filter_properties"), "{notice}");
    let s = store
        .get(&SettlementId::new(ids[7].clone()).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(s.final_output, "Draft 7.");
    let conn = SyncState::load(&store).unwrap().connection.unwrap();
    assert_eq!(conn.version, ApiVersion::V2025);
    assert!(!conn.filter_properties);
    assert!(conn.notice.is_some());
    // The next sync goes straight to the plain listing: no second rejection, no new notice.
    fake.world().log.clear();
    let again = run(&store, &self::client(&fake, ApiVersion::V2026), false);
    assert_eq!(again.notice, None);
    let w = fake.world();
    assert!(
        w.log
            .iter()
            .all(|l| l.query.is_empty() && l.version.as_deref() == Some("2025-09-03")),
        "{:?}",
        w.log
    );
}

#[test]
fn a_listing_without_the_mapped_properties_is_refused_and_the_cache_stays() {
    let (fake, db, ids) = world(40);
    let (_dir, store, client) = connected(&fake, &db, ApiVersion::V2026);
    run(&store, &client, false);
    assert_eq!(store.count().unwrap(), 40);
    // A server that ignores filter_properties and answers 2026-12-01's title-only pages.
    let titles = raw_query(&fake, &db, ApiVersion::V2026, &[]);
    fake.world()
        .faults
        .extend([Fault::Pass, Fault::Answer(200, titles)]);
    let err = sync::sync(
        &store,
        &client,
        SyncOptions::default(),
        &mut |_| {},
        &Cancel::new(),
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("without any of the mapped properties") && text.contains("AI_Raw_Output"),
        "{text}"
    );
    assert_eq!(store.count().unwrap(), 40);
    for id in &ids {
        let s = store.get(&SettlementId::new(id.clone()).unwrap()).unwrap();
        assert!(s.is_some_and(|s| s.ai_output.starts_with("Let me analyze")));
    }
}
