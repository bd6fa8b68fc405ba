//! A Notion server that misbehaves, as real ones and proxies do: each fault ends the sync with
//! the message the person sees, in bounded time, and nothing already stored is lost.

use chrono::{Duration, Utc};
use redline_core::job::Cancel;
use redline_core::model::{AgentName, IntentType, Settlement, SettlementId, Source, SourceKind};
use redline_core::notion::sync::{self, AutoSync, SyncOptions, SyncReport, SyncState};
use redline_core::notion::{ApiVersion, Client, ClientConfig, NotionError};
use redline_core::secret::SecretString;
use redline_core::store::{Batch, Store};
use redline_notion_fake::{training_data_schema, training_page, Fake, Fault};
use serde_json::json;

const TOKEN: &str = "secret_fault_token_5678";

fn config(fake: &Fake) -> ClientConfig {
    ClientConfig {
        base_url: fake.url.clone(),
        version: ApiVersion::V2025,
        requests_per_second: 1000.0,
        backoff_base: std::time::Duration::from_millis(5),
        ..Default::default()
    }
}

fn client_with(config: ClientConfig) -> Client {
    Client::new(SecretString::from(TOKEN.to_string()), config)
}

/// A fake with `n` Training Data pages, and a store connected to it.
fn setup(n: usize) -> (Fake, Vec<String>, tempfile::TempDir, Store) {
    let fake = Fake::start(TOKEN);
    let mut ids = Vec::new();
    let db = {
        let mut w = fake.world();
        let db = w.add_database("Training Data", training_data_schema());
        for i in 0..n {
            ids.push(w.add_page(
                &db,
                training_page(
                    &format!("Intent {i}"),
                    &format!("Let me analyze this. Draft {i}."),
                    &format!("Draft {i}."),
                    "The Auditor",
                    "Operational",
                    0.5,
                ),
            ));
            w.now += Duration::seconds(3);
        }
        db
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    let conn = sync::connect(&client_with(config(&fake)), &db, &Cancel::new()).unwrap();
    SyncState {
        connection: Some(conn),
        ..Default::default()
    }
    .save(&store)
    .unwrap();
    (fake, ids, dir, store)
}

fn sync_with(
    store: &Store,
    client: &Client,
    options: SyncOptions,
) -> Result<SyncReport, NotionError> {
    sync::sync(store, client, options, &mut |_| {}, &Cancel::new())
}

fn full(reconcile: bool, force: bool) -> SyncOptions {
    SyncOptions { reconcile, force }
}

#[test]
fn an_absurd_retry_after_stops_the_sync_clearly_and_the_next_one_works() {
    let (fake, _, _dir, store) = setup(150);
    let client = client_with(config(&fake));
    // The schema answers, the first query is rate-limited "for ever".
    fake.world()
        .faults
        .extend([Fault::Pass, Fault::RateLimited(u64::MAX)]);
    let started = std::time::Instant::now();
    let err = sync_with(&store, &client, full(false, false)).unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(matches!(err, NotionError::WaitTooLong { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("18446744073709551615 s"), "{message}");
    assert!(message.contains("what was fetched is kept"), "{message}");
    // Nothing was poisoned: the same client syncs everything next time.
    let report = sync_with(&store, &client, full(false, false)).unwrap();
    assert_eq!(report.progress.written.inserted, 150);
    assert_eq!(store.count().unwrap(), 150);
}

#[test]
fn rate_limits_past_the_sync_budget_stop_and_keep_what_was_fetched() {
    let (fake, _, _dir, store) = setup(250);
    let client = client_with(ClientConfig {
        max_rate_limit_wait: std::time::Duration::from_millis(1500),
        ..config(&fake)
    });
    // Schema and the first page of results go through; then three waits of 1 s.
    fake.world().faults.extend([
        Fault::Pass,
        Fault::Pass,
        Fault::RateLimited(1),
        Fault::RateLimited(1),
        Fault::RateLimited(1),
    ]);
    let err = sync_with(&store, &client, full(false, false)).unwrap_err();
    assert!(
        matches!(err, NotionError::RateLimitedTooLong { waited_secs: 1 }),
        "{err:?}"
    );
    assert!(err.to_string().contains("sync again later"), "{err}");
    assert_eq!(store.count().unwrap(), 100, "the first batch stays stored");
}

#[test]
fn a_cursor_that_never_moves_ends_the_listing_with_an_error() {
    let (fake, _, _dir, store) = setup(10);
    let client = client_with(config(&fake));
    let stuck = json!({"object": "list", "results": [], "has_more": true, "next_cursor": "c-1"});
    fake.world().faults.extend([
        Fault::Pass,
        Fault::Answer(200, stuck.clone()),
        Fault::Answer(200, stuck.clone()),
        Fault::Answer(200, stuck),
    ]);
    let started = std::time::Instant::now();
    let err = sync_with(&store, &client, full(false, false)).unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(
        matches!(err, NotionError::PaginationLoop { queries: 2, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("'c-1'"), "{err}");
}

#[test]
fn a_page_from_the_far_future_does_not_pin_the_cursor() {
    let (fake, ids, _dir, store) = setup(20);
    let client = client_with(config(&fake));
    fake.world().page(&ids[3]).last_edited = "2100-01-01T00:00:00Z".parse().unwrap();
    sync_with(&store, &client, full(false, false)).unwrap();
    let cursor = SyncState::load(&store).unwrap().cursor.unwrap();
    assert!(cursor <= Utc::now() + Duration::minutes(5), "{cursor}");
    // A later edit is still seen by the next incremental sync.
    fake.advance(Duration::minutes(10));
    fake.world().edit_page(&ids[7], |p| {
        p.insert(
            "Scenario_Options".into(),
            json!({"type": "rich_text", "rich_text": redline_notion_fake::rich_text("Edited later.")}),
        );
    });
    let report = sync_with(&store, &client, full(false, false)).unwrap();
    assert_eq!(report.progress.written.updated, 1);
    let s = store
        .get(&SettlementId::new(ids[7].clone()).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(s.final_output, "Edited later.");
}

#[test]
fn an_empty_listing_never_wipes_the_cache() {
    let (fake, ids, _dir, store) = setup(300);
    let client = client_with(config(&fake));
    sync_with(&store, &client, full(false, false)).unwrap();
    let empty = json!({"object": "list", "results": [], "has_more": false, "next_cursor": null});
    fake.world()
        .faults
        .extend([Fault::Pass, Fault::Answer(200, empty)]);
    let err = sync_with(&store, &client, full(true, false)).unwrap_err();
    assert!(
        matches!(
            err,
            NotionError::ReconcileTooLarge {
                remove: 300,
                cached: 300,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("nothing was removed"), "{err}");
    assert_eq!(store.count().unwrap(), 300);
    // Many pages really deleted: refused, then removed once confirmed.
    for id in &ids[..90] {
        fake.world().delete_page(id);
    }
    let err = sync_with(&store, &client, full(true, false)).unwrap_err();
    assert!(
        matches!(err, NotionError::ReconcileTooLarge { remove: 90, .. }),
        "{err:?}"
    );
    assert_eq!(store.count().unwrap(), 300);
    let report = sync_with(&store, &client, full(true, true)).unwrap();
    assert_eq!(report.progress.written.deleted, 90);
    assert_eq!(store.count().unwrap(), 210);
}

#[test]
fn a_gone_page_never_removes_an_imported_record_with_its_id() {
    let (fake, ids, _dir, store) = setup(5);
    let client = client_with(config(&fake));
    // An imported record that happens to carry a Notion page's id.
    let imported = Settlement {
        id: SettlementId::new(ids[0].clone()).unwrap(),
        agent: AgentName::new("Imported").unwrap(),
        intent_type: IntentType::new("operational"),
        intent: String::new(),
        system_prompt: None,
        ai_output: "a".into(),
        final_output: "b".into(),
        created_at: Utc::now(),
        acceptance_rate: None,
        prompt_version: None,
        processing_ms: None,
        error: None,
        source: Source {
            kind: SourceKind::Import,
            id: "file.jsonl:1".into(),
            last_edited: None,
        },
    };
    store
        .write(Batch {
            upserts: std::slice::from_ref(&imported),
            ..Default::default()
        })
        .unwrap();
    fake.world().page(&ids[0]).archived = true;
    sync_with(&store, &client, full(true, true)).unwrap();
    let kept = store.get(&imported.id).unwrap().expect("the import stays");
    assert_eq!(kept.agent.as_str(), "Imported");
}

#[test]
fn settings_changed_during_a_sync_are_not_reverted() {
    let (fake, _, _dir, store) = setup(250);
    let client = client_with(config(&fake));
    let on = AutoSync {
        on_launch: true,
        every_minutes: Some(15),
    };
    let mut batches = 0;
    sync::sync(
        &store,
        &client,
        SyncOptions::default(),
        &mut |_| {
            batches += 1;
            if batches == 1 {
                sync::set_auto_sync(&store, on).unwrap();
            }
        },
        &Cancel::new(),
    )
    .unwrap();
    assert_eq!(batches, 3);
    let state = SyncState::load(&store).unwrap();
    assert_eq!(state.auto, on, "the setting made mid-sync survives");
    assert!(state.cursor.is_some() && state.last_sync.is_some());
}

#[test]
fn an_oversized_answer_is_refused_without_reading_it_whole() {
    let (fake, _, _dir, store) = setup(120);
    let client = client_with(ClientConfig {
        max_body_bytes: 16 * 1024,
        ..config(&fake)
    });
    let err = sync_with(&store, &client, full(false, false)).unwrap_err();
    assert!(matches!(err, NotionError::TooLarge { .. }), "{err:?}");
    assert_eq!(store.count().unwrap(), 0);
}

#[test]
fn the_token_is_never_sent_in_clear_text_nor_after_a_redirect() {
    let (fake, _, _dir, store) = setup(3);
    let far = client_with(ClientConfig {
        base_url: "http://notion.example.com".into(),
        ..config(&fake)
    });
    let err = sync_with(&store, &far, full(false, false)).unwrap_err();
    assert!(matches!(err, NotionError::Insecure { .. }), "{err:?}");
    assert!(err.to_string().contains("https://"), "{err}");
    // A redirect is not followed (the token would go with it).
    let client = client_with(config(&fake));
    fake.world()
        .faults
        .push_back(Fault::Answer(307, json!({"object": "redirect"})));
    let err = sync_with(&store, &client, full(false, false)).unwrap_err();
    assert!(
        matches!(err, NotionError::Redirected { status: 307 }),
        "{err:?}"
    );
    // The setting refuses clear text and records each change without its secret parts.
    let err = sync::set_base_url(&store, Some("http://proxy.example.com".into())).unwrap_err();
    assert!(matches!(err, NotionError::Insecure { .. }), "{err:?}");
    sync::set_base_url(
        &store,
        Some("https://user:pw@proxy.example.com/notion".into()),
    )
    .unwrap();
    let log = redline_core::audit::entries(&store, 1).unwrap();
    assert_eq!(log[0].action, "notion_base_url");
    assert!(
        log[0].detail.contains("https://proxy.example.com"),
        "{:?}",
        log[0]
    );
    assert!(!log[0].detail.contains("pw"), "{:?}", log[0]);
}
