//! A fake Notion API on loopback, faithful to the documented behaviour Redline relies on
//! (see `../shared/reference/notion-api.md` and developers.notion.com):
//!
//! - `Authorization: Bearer` and `Notion-Version` on every request (401 `unauthorized`,
//!   400 `missing_version`);
//! - `GET /v1/databases/{id}`: with `2022-06-28` the schema; with `2025-09-03` and later the
//!   list of `data_sources`, whose schema comes from `GET /v1/data_sources/{id}`;
//! - versions `2022-06-28`, `2025-09-03`, `2026-03-11` (pages say `in_trash`, no `archived`) and
//!   `2026-12-01` (queries return only each page's title property unless `filter_properties`
//!   names others); [`World::versions`] narrows what is accepted, as an older server would;
//! - `filter_properties` (repeatable, property ids or names, percent-encoded) on queries with
//!   every version: only those properties come back ([`World::reject_filter_properties`] makes
//!   it a 400, as a gateway that does not pass it on would);
//! - `POST /v1/databases/{id}/query` and `POST /v1/data_sources/{id}/query`: `page_size` ≤ 100,
//!   `start_cursor` / `next_cursor` / `has_more`, the `last_edited_time` timestamp filter
//!   (`on_or_after`, `after`) and sort, archived and trashed pages left out;
//! - page objects with `last_edited_time` rounded down to the minute and rich text split into
//!   fragments of at most 2,000 characters;
//! - errors as `{"object":"error","status","code","message"}`; 404 `object_not_found` for a
//!   database that is not shared; an optional rate limit answering 429 `rate_limited` with
//!   `Retry-After`; and injected faults (429 / 500 / 503 bursts, hang-ups, any answer a
//!   misbehaving server might give) for retry and hardening tests.
//!
//! The clock is the test's: pages get the fake's `now`, which tests move with [`Fake::advance`].

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde_json::{json, Map, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
mod api;

/// One injected answer, served instead of the real one.
#[derive(Clone, Debug)]
pub enum Fault {
    /// 429 `rate_limited` with this `Retry-After` (seconds).
    RateLimited(u64),
    /// A 5xx error with Notion's code for it.
    Server(u16),
    /// The connection is closed without an answer.
    Hangup,
    /// This status and JSON body, whatever was asked (a misbehaving server: an empty
    /// listing, a cursor that never moves, a redirect).
    Answer(u16, Value),
    /// This request is answered as usual (to aim a later fault at a later request).
    Pass,
}

#[derive(Clone, Debug)]
pub struct Page {
    pub id: String,
    pub created: DateTime<Utc>,
    pub last_edited: DateTime<Utc>,
    pub archived: bool,
    pub in_trash: bool,
    /// Property values in the API's read shape.
    pub properties: Map<String, Value>,
}

pub struct Database {
    pub id: String,
    pub data_source_id: String,
    pub title: String,
    /// Property schema: name → `{"id", "type", …}` as the API returns it.
    pub schema: Map<String, Value>,
    pub pages: Vec<Page>,
}

/// A logged request.
#[derive(Clone, Debug)]
pub struct Logged {
    pub method: String,
    pub path: String,
    /// The query string, as sent (percent-encoded).
    pub query: String,
    pub version: Option<String>,
    pub body: Value,
}

/// The versions the fake speaks, oldest first.
pub const VERSIONS: [&str; 4] = ["2022-06-28", "2025-09-03", "2026-03-11", "2026-12-01"];

pub struct World {
    pub token: String,
    /// The `Notion-Version` values accepted (all of [`VERSIONS`] unless a test narrows them).
    pub versions: Vec<String>,
    /// Answer a query naming `filter_properties` with a 400.
    pub reject_filter_properties: bool,
    pub now: DateTime<Utc>,
    pub databases: Vec<Database>,
    pub faults: VecDeque<Fault>,
    /// Requests per second allowed before 429s (measured over the last second).
    pub rate_limit: Option<u32>,
    pub log: Vec<Logged>,
    recent: VecDeque<Instant>,
    next_id: u64,
}

/// The running fake. Dropping it stops the server.
pub struct Fake {
    pub url: String,
    world: Arc<Mutex<World>>,
    server: Arc<tiny_http::Server>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Rich text in the API's read shape, split into fragments of at most 2,000 characters.
pub fn rich_text(text: &str) -> Value {
    let chars: Vec<char> = text.chars().collect();
    let parts: Vec<Value> = chars
        .chunks(2000)
        .map(|c| {
            let s: String = c.iter().collect();
            json!({"type": "text", "text": {"content": s, "link": null},
                   "annotations": {"bold": false, "italic": false, "strikethrough": false,
                                   "underline": false, "code": false, "color": "default"},
                   "plain_text": s, "href": null})
        })
        .collect();
    Value::Array(parts)
}

fn error(status: u16, code: &str, message: &str) -> (u16, Value) {
    (
        status,
        json!({"object": "error", "status": status, "code": code, "message": message}),
    )
}

fn minute(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::minutes(1)).expect("truncates")
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Fake {
    /// Start a fake that accepts `token`, on a free loopback port.
    pub fn start(token: &str) -> Fake {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind loopback"));
        let url = format!(
            "http://{}",
            server.server_addr().to_ip().expect("ip address")
        );
        let world = Arc::new(Mutex::new(World {
            token: token.into(),
            versions: VERSIONS.iter().map(|v| (*v).to_owned()).collect(),
            reject_filter_properties: false,
            now: DateTime::parse_from_rfc3339("2026-11-02T09:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            databases: Vec::new(),
            faults: VecDeque::new(),
            rate_limit: None,
            log: Vec::new(),
            recent: VecDeque::new(),
            next_id: 0,
        }));
        let (s, w) = (server.clone(), world.clone());
        let thread = std::thread::spawn(move || {
            for mut request in s.incoming_requests() {
                let mut body = String::new();
                let _ = request.as_reader().read_to_string(&mut body);
                let header = |name: &'static str| {
                    request
                        .headers()
                        .iter()
                        .find(|h| h.field.equiv(name))
                        .map(|h| h.value.as_str().to_owned())
                };
                let (auth, version) = (header("Authorization"), header("Notion-Version"));
                let method = request.method().as_str().to_owned();
                let (path, query) = request.url().split_once('?').unwrap_or((request.url(), ""));
                let (path, query) = (path.to_owned(), query.to_owned());
                let (status, value, retry_after) = w.lock().expect("world").handle(
                    &method,
                    &path,
                    &query,
                    auth.as_deref(),
                    version.as_deref(),
                    &body,
                );
                if status == 0 {
                    drop(request); // hang up
                    continue;
                }
                let mut response = tiny_http::Response::from_string(value.to_string())
                    .with_status_code(status)
                    .with_header(
                        tiny_http::Header::from_bytes("Content-Type", "application/json").unwrap(),
                    );
                if let Some(after) = retry_after {
                    response = response.with_header(
                        tiny_http::Header::from_bytes("Retry-After", after.to_string()).unwrap(),
                    );
                }
                let _ = request.respond(response);
            }
        });
        Fake {
            url,
            world,
            server,
            thread: Some(thread),
        }
    }

    /// The fake's state, to set up pages, faults and limits, and to read the request log.
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().expect("world")
    }

    /// Move the fake's clock.
    pub fn advance(&self, by: Duration) {
        self.world().now += by;
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A schema from `(name, type, type options)` entries, in the API's shape.
fn schema(entries: &[(&str, &str, Value)]) -> Map<String, Value> {
    let mut m = Map::new();
    for (name, kind, extra) in entries {
        let mut v =
            json!({"id": name.to_lowercase().replace(' ', "_"), "name": name, "type": kind});
        v[*kind] = extra.clone();
        m.insert((*name).into(), v);
    }
    m
}

/// The design's "Training Data" schema: AI_Raw_Output, Scenario_Options, Agent_Name, …
pub fn training_data_schema() -> Map<String, Value> {
    schema(&[
        ("Name", "title", json!({})),
        ("AI_Raw_Output", "rich_text", json!({})),
        ("Scenario_Options", "rich_text", json!({})),
        ("Agent_Name", "select", json!({"options": []})),
        ("Intent Type", "select", json!({"options": []})),
        ("Acceptance Rate", "number", json!({"format": "percent"})),
        ("Timestamp", "date", json!({})),
        ("Modifications", "rich_text", json!({})),
    ])
}

/// A page's properties in the Training Data schema.
pub fn training_page(
    intent: &str,
    ai: &str,
    human: &str,
    agent: &str,
    kind: &str,
    rate: f64,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(
        "Name".into(),
        json!({"id": "title", "type": "title", "title": rich_text(intent)}),
    );
    m.insert(
        "AI_Raw_Output".into(),
        json!({"id": "ai", "type": "rich_text", "rich_text": rich_text(ai)}),
    );
    m.insert(
        "Scenario_Options".into(),
        json!({"id": "so", "type": "rich_text", "rich_text": rich_text(human)}),
    );
    m.insert("Agent_Name".into(), json!({"id": "ag", "type": "select", "select": {"id": "x", "name": agent, "color": "blue"}}));
    m.insert(
        "Intent Type".into(),
        json!({"id": "it", "type": "select", "select": {"id": "y", "name": kind, "color": "red"}}),
    );
    m.insert(
        "Acceptance Rate".into(),
        json!({"id": "ar", "type": "number", "number": rate}),
    );
    m.insert(
        "Timestamp".into(),
        json!({"id": "ts", "type": "date", "date": null}),
    );
    m.insert(
        "Modifications".into(),
        json!({"id": "mo", "type": "rich_text", "rich_text": []}),
    );
    m
}

/// The design's DB_AB_Tests schema.
pub fn ab_tests_schema() -> Map<String, Value> {
    schema(&[
        ("Experiment ID", "title", json!({})),
        ("Agent Name", "select", json!({"options": []})),
        ("Variant A Prompt", "rich_text", json!({})),
        ("Variant B Prompt", "rich_text", json!({})),
        (
            "Variant A Settlements",
            "number",
            json!({"format": "number"}),
        ),
        (
            "Variant B Settlements",
            "number",
            json!({"format": "number"}),
        ),
        (
            "Variant A Acceptance",
            "number",
            json!({"format": "percent"}),
        ),
        (
            "Variant B Acceptance",
            "number",
            json!({"format": "percent"}),
        ),
        (
            "Status",
            "select",
            json!({"options": [{"name": "Running"}, {"name": "Completed"}, {"name": "Winner_Deployed"}]}),
        ),
        (
            "Winner",
            "select",
            json!({"options": [{"name": "Variant A"}, {"name": "Variant B"}, {"name": "Inconclusive"}]}),
        ),
        ("Created Date", "date", json!({})),
        ("Completed Date", "date", json!({})),
    ])
}
