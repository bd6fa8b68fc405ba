//! Notion sync benchmark against the local fake server with Notion's rate limit enforced
//! (3 requests per second, 429 + Retry-After beyond it): a full sync of 20k pages, and an
//! incremental sync after 100 edits. Prints the figures recorded in docs/benchmarks.md.
//!
//! Run: `cargo bench -p redline-core --bench notion_sync` (`REDLINE_BENCH_PAGES` for another size).
//! Targets (issue #3): the full sync reaches ≥ 90% of the rate-limit bound (3 requests/s × 100
//! pages per request); the incremental sync makes ≤ 3 requests.

use chrono::Duration;
use redline_core::job::Cancel;
use redline_core::notion::sync::{self, SyncOptions, SyncState};
use redline_core::notion::{ApiVersion, Client, ClientConfig};
use redline_core::secret::SecretString;
use redline_core::store::Store;
use redline_notion_fake::{rich_text, training_data_schema, training_page, Fake};
use std::sync::atomic::Ordering;
use std::time::Instant;

fn main() {
    let n: usize = std::env::var("REDLINE_BENCH_PAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let token = "secret_bench";
    let fake = Fake::start(token);
    let (db, ids) = {
        let mut w = fake.world();
        let db = w.add_database("Training Data", training_data_schema());
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            let ai = format!("Let me analyze this for you. Step {i}: book the auditors, then brief the team. I hope this helps!");
            let human = format!("Step {i}: book the auditors this week. Owner: Dana.");
            ids.push(w.add_page(
                &db,
                training_page(
                    &format!("Plan {i}"),
                    &ai,
                    &human,
                    "The Auditor",
                    "operational",
                    0.6,
                ),
            ));
            w.now += Duration::seconds(2);
        }
        w.rate_limit = Some(3);
        (db, ids)
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bench.redb")).unwrap();
    let client = Client::new(
        SecretString::from(token.to_string()),
        ClientConfig {
            base_url: fake.url.clone(),
            version: ApiVersion::V2025,
            ..Default::default()
        },
    );
    let conn = sync::connect(&client, &db, &Cancel::new()).unwrap();
    SyncState {
        connection: Some(conn),
        ..Default::default()
    }
    .save(&store)
    .unwrap();
    // Start the measurement with a fresh rate-limit window.
    std::thread::sleep(std::time::Duration::from_secs(1));

    let before = fake.world().log.len();
    let t = Instant::now();
    let report = sync::sync(
        &store,
        &client,
        SyncOptions::default(),
        &mut |_| {},
        &Cancel::new(),
    )
    .unwrap();
    let secs = t.elapsed().as_secs_f64();
    let requests = fake.world().log.len() - before;
    assert_eq!(store.count().unwrap() as usize, n);
    let rate = n as f64 / secs;
    let bound = 3.0 * 100.0;
    println!(
        "full sync: {n} pages in {secs:.1} s = {rate:.0} pages/s; bound {bound:.0} pages/s (3 req/s × 100) → {:.0}% of the bound; {requests} requests, {} answered 429",
        100.0 * rate / bound,
        client.counters.rate_limited.load(Ordering::Relaxed)
    );
    assert_eq!(report.progress.pages as usize, n);

    fake.advance(Duration::minutes(30));
    {
        let mut w = fake.world();
        for id in ids.iter().step_by(n / 100).take(100) {
            w.edit_page(id, |p| {
                p.insert(
                    "Scenario_Options".into(),
                    serde_json::json!({"type": "rich_text", "rich_text": rich_text("Edited.")}),
                );
            });
        }
    }
    std::thread::sleep(std::time::Duration::from_secs(1));
    let before = fake.world().log.len();
    let t = Instant::now();
    let report = sync::sync(
        &store,
        &client,
        SyncOptions::default(),
        &mut |_| {},
        &Cancel::new(),
    )
    .unwrap();
    println!(
        "incremental sync after 100 edits: {} requests, {} pages read, {} updated, {:.2} s",
        fake.world().log.len() - before,
        report.progress.pages,
        report.progress.written.updated,
        t.elapsed().as_secs_f64()
    );
}
