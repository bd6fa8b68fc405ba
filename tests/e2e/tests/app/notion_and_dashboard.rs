//! Notion: connect, map, sync; the Dashboard's figures and charts; a stale store.

use super::*;

#[test]
#[ignore = "end-to-end: run by scripts/test with the app built, Xvfb, tauri-driver and a keychain"]
fn connect_notion_map_sync_and_see_the_records() {
    use redline_notion_fake::{training_data_schema, training_page, Fake};
    let token = "secret_e2e_token_4242";
    let fake = Fake::start(token);
    let db = {
        let mut w = fake.world();
        let db = w.add_database("Training Data", training_data_schema());
        for i in 0..250 {
            w.add_page(
                &db,
                training_page(
                    &format!("Intent {i}"),
                    &format!("Let me analyze this. Plan {i}."),
                    &format!("Plan {i}. Owner: Dana."),
                    ["The Auditor", "The Strategist"][i % 2],
                    "Strategic",
                    0.6,
                ),
            );
            w.now += chrono::Duration::seconds(5);
        }
        db
    };
    let app = App::start();
    app.watch_console();
    app.click("#welcome-notion");
    app.find("#notion");
    // The API base URL setting points Redline at the local server.
    app.click("#notion details.advanced summary");
    app.type_into("#notion-base-url", &fake.url);
    app.click("#notion-base-url-save");
    // The token will go there: the person confirms the address first.
    app.click("#notion-base-url-yes");
    // Saving re-renders the panel (the details close again); wait for that before typing.
    app.find("#notion details.advanced:not([open])");
    let shown = app.execute(
        "return document.querySelector('#notion-base-url').value;",
        vec![],
    );
    assert_eq!(shown, serde_json::json!(fake.url));
    // Paste the token: it goes to the OS keychain, and only its last 4 come back.
    app.type_into("#notion-token", token);
    app.click("#notion-token-save");
    let saved = app.wait_text("#notion-token-state", "the saved token", |t| {
        t.contains("4242")
    });
    assert!(!saved.contains(token), "{saved}");
    // Read the database: the mapping is proposed from the design's property names.
    app.type_into("#notion-db", &db.replace('-', ""));
    app.click("#notion-read");
    app.find("#map-ai_output");
    let value = app.execute(
        "return ['ai_output','final_output','agent','intent'].map(f => document.querySelector('#map-' + f).value);",
        vec![],
    );
    assert_eq!(
        value,
        serde_json::json!(["AI_Raw_Output", "Scenario_Options", "Agent_Name", "Name"])
    );
    app.screenshot("08-notion-mapping");
    app.click("#notion-save-mapping");
    let connected = app.wait_text("#notion-connected", "the connection", |t| {
        t.contains("Training Data")
    });
    assert!(connected.ends_with("API 2026-12-01"), "{connected}");
    assert_eq!(app.count("#notion-notice"), 0);
    app.click("#notion-sync");
    let result = app.wait_text("#notion-result", "the sync result", |t| {
        t.contains("pages read")
    });
    assert!(result.contains("250 pages read: 250 new"), "{result}");
    app.screenshot("09-notion-synced");
    app.click("#notion-show");
    app.wait_text("#result-count", "the synced settlements", |t| {
        t == "1–100 of 250"
    });
    // Turn on "sync when Redline starts", add pages in Notion, restart: they arrive by themselves.
    app.click("#nav-settings");
    app.click("#notion-auto-launch");
    app.wait_text("#toast", "the saved setting", |t| {
        t.contains("Automatic sync saved")
    });
    for i in 0..7 {
        let mut w = fake.world();
        w.now += chrono::Duration::minutes(5);
        w.add_page(
            &db,
            training_page(
                &format!("Later {i}"),
                "Draft.",
                "Final.",
                "The Auditor",
                "Strategic",
                0.9,
            ),
        );
    }
    let dir = app.close();
    let db_path = dir.path().join("redline.redb");
    let app = App::start_with(dir, &db_path);
    open_settlements(&app);
    app.wait_text(
        "#result-count",
        "the automatically synced settlements",
        |t| t.ends_with("of 257"),
    );
    // The token is in no file under the store's folder or the app's data folder (the web
    // view's storage lives there).
    let mut folders = vec![app.dir.path().to_path_buf()];
    if let Some(data) = std::env::var_os("XDG_DATA_HOME") {
        folders.push(std::path::Path::new(&data).join("dev.redline.app"));
    }
    let mut checked = 0;
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                checked += 1;
                assert!(
                    !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
                    "the token is in {}",
                    path.display()
                );
            }
        }
    }
    assert!(checked > 0);
    assert_eq!(app.console_errors(), Vec::<String>::new());
}

/// Listens on the session bus for desktop notifications (org.freedesktop.Notifications.Notify),
/// whether or not a notification server is running to show them.
struct NotifyMonitor {
    child: std::process::Child,
    seen: std::sync::Arc<std::sync::Mutex<String>>,
}

impl NotifyMonitor {
    fn start() -> NotifyMonitor {
        let mut child = std::process::Command::new("dbus-monitor")
            .args([
                "--session",
                "type='method_call',interface='org.freedesktop.Notifications',member='Notify'",
            ])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("dbus-monitor runs (scripts/test provides a session bus)");
        let out = child.stdout.take().unwrap();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = seen.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                sink.lock().unwrap().push_str(&line);
                sink.lock().unwrap().push('\n');
            }
        });
        NotifyMonitor { child, seen }
    }

    fn wait_for(&self, needle: &str) -> String {
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_secs(30) {
            let seen = self.seen.lock().unwrap().clone();
            if seen.contains(needle) {
                return seen;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        panic!(
            "no desktop notification with {needle:?}; the bus saw:\n{}",
            self.seen.lock().unwrap()
        );
    }
}

impl Drop for NotifyMonitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
#[ignore = "end-to-end: run by scripts/test with the app built, Xvfb and tauri-driver"]
fn dashboard_shows_the_sample_kpis_charts_and_the_planted_regression() {
    use redline_core::analytics::{self, Range};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("redline.redb");
    let now = chrono::Utc::now();
    // The sample's timestamps fall in office hours on calendar days, so what the last 7 days
    // hold depends on the hour and weekday the test runs at. Over 90 days (not the default
    // 180) each agent has ~50 settlements a week, enough for the regression to bring its other
    // findings at every hour of the week (probed at 84 end times, 2 hours apart: 5 to 9 parts).
    let spec = SampleSpec {
        count: 3000,
        seed: 5,
        end: now,
        days: 90,
        ..Default::default()
    };
    let expected = {
        let store = Store::open(&db).unwrap();
        redline_core::import::load_sample(&store, &spec, &mut no_progress, &Cancel::new()).unwrap();
        let all = analytics::observations(&store, None, None).unwrap();
        analytics::summarize(&all, Range::All, now, analytics::DEFAULT_ACCEPT_THRESHOLD)
    };
    let monitor = NotifyMonitor::start();
    let app = App::start_with(dir, &db);
    app.watch_console();
    open_settlements(&app);
    app.wait_text("#result-count", "the settlements", |t| t.ends_with("3,000"));
    app.click("#nav-dashboard");
    app.wait_text("#kpi-acceptance .kpi-value", "a KPI", |t| t.ends_with('%'));
    // All time: the same figures as the core computes.
    app.click("#range-all");
    let mean = format!(
        "{}%",
        (expected.overall.as_ref().unwrap().value * 100.0).round()
    );
    app.wait_text("#kpi-acceptance .kpi-value", &mean, |t| t == mean);
    assert_eq!(app.text("#kpi-intents .kpi-value"), "3,000");
    assert_eq!(app.text("#kpi-readiness .kpi-value"), "Ready");
    assert!(app.text("#kpi-quality .kpi-value").ends_with("/100"));
    // One row per agent, one line per agent, a heatmap cell per agent and intent type.
    assert_eq!(app.count("#agent-table tbody tr"), 5);
    assert_eq!(app.count("#chart-trend path"), 5);
    assert!(app.count("#chart-trend circle.mark") > 5 * 10);
    assert_eq!(app.count("#chart-intents rect.mark"), 5 * 3);
    assert_eq!(app.count("#chart-editcost rect.mark"), 5);
    let auditor = expected
        .agents
        .iter()
        .find(|a| a.agent == sample::REGRESSING_AGENT)
        .unwrap();
    let row = app.text_content("#agent-table tbody tr:nth-child(1)");
    assert!(
        row.starts_with(sample::REGRESSING_AGENT),
        "agents are listed by name: {row}"
    );
    assert!(
        row.contains(&format!("{}%", (auditor.acceptance.value * 100.0).round())),
        "{row}"
    );

    // The planted regression raised one incident, and a desktop notification, after launch:
    // led by the drop, with the agent's other findings folded inside it.
    let key = format!("agent:{}", sample::REGRESSING_AGENT);
    let item = format!("#alerts > ul > li[data-key=\"{key}\"]");
    app.wait_text(&item, "the regression incident", |t| {
        t.contains("acceptance fell")
    });
    assert_eq!(
        app.count(&format!(
            "#alerts > ul > li[data-key^=\"agent:{}\"]",
            sample::REGRESSING_AGENT
        )),
        1
    );
    assert!(
        app.count(&format!("{item} .alert-parts li")) >= 2,
        "the incident holds its parts"
    );
    assert_eq!(app.attr(&item, "data-severity").as_deref(), Some("high"));
    monitor.wait_for("needs attention");
    app.screenshot("20-dashboard");

    // Keyboard: Tab reaches a chart, the arrows walk its cells and show their values.
    app.send_keys("#chart-intents svg", keys::RIGHT);
    let tip = app.wait_text("#chart-intents .chart-tip", "a value", |t| {
        t.contains("n = ")
    });
    assert!(tip.contains(" · "), "{tip}");
    app.screenshot("21-dashboard-keyboard");

    // Saving a chart as PNG draws its SVG on a canvas: the bytes are a real PNG (the file
    // dialog itself is the OS's and is not driven here).
    let png = app.execute_async(
        "const done = arguments[arguments.length - 1];
         import('./charts.js')
           .then((m) => m.pngBytes(document.querySelector('#chart-trend .chart-wrap')))
           .then((b) => done({len: b.length, head: b.slice(0, 8)}), (e) => done({error: String(e)}));",
        vec![],
    );
    assert_eq!(
        png["head"],
        serde_json::json!([137, 80, 78, 71, 13, 10, 26, 10]),
        "{png}"
    );
    assert!(png["len"].as_u64().unwrap() > 10_000, "{png}");
    let svg = app.execute_async(
        "const done = arguments[arguments.length - 1];
         import('./charts.js').then((m) => done(m.svgText(document.querySelector('#chart-intents .chart-wrap'))));",
        vec![],
    );
    let svg = svg.as_str().unwrap();
    assert!(svg.starts_with("<?xml") && svg.contains("<svg") && svg.contains("The Auditor"));

    // Acknowledging the incident once quiets all its parts; it stays listed, quietly.
    app.click(&format!("{item} button.ack"));
    app.wait_text(&item, "acknowledged", |t| t.contains("acknowledged"));
    assert_eq!(app.count(&format!("{item} button.ack")), 0);

    // A shorter range has fewer settlements; an empty range says so.
    app.click("#range-7d");
    let n = app.wait_text("#kpi-intents .kpi-value", "fewer settlements", |t| {
        t != "3,000" && !t.is_empty()
    });
    let n: u64 = n.replace(',', "").parse().unwrap();
    assert!(n > 0 && n < 3000);
    app.type_into("#range-from", "2020-01-01");
    app.type_into("#range-to", "2020-01-31");
    app.click("#range-apply");
    app.wait_text("#dash-empty h2", "the empty state", |t| {
        t.contains("No settlements")
    });
    app.screenshot("22-dashboard-empty");

    // Compare agents: the regressing Auditor against the Entrepreneur, over all time.
    app.click("#nav-agents");
    app.wait_text("#cmp-verdict h2", "a verdict", |t| !t.is_empty());
    app.execute(
        "const set = (id, v) => { const s = document.getElementById(id); s.value = v; s.dispatchEvent(new Event('change')); };
         set('cmp-range', 'all'); set('cmp-a', 'The Entrepreneur'); set('cmp-b', 'The Auditor');",
        vec![],
    );
    app.wait_text("#cmp-verdict h2", "the Entrepreneur ahead", |t| {
        t.starts_with("The Entrepreneur is accepted more")
    });
    assert_eq!(app.count("#cmp-table tbody tr"), 1 + 3);
    app.screenshot("23-compare");
    // The Dashboard's standard ranges are computed by the background check and stored: once it
    // has ended, a visit reads them (the same figures, computed at the same time) instead of
    // computing again.
    let dashboard = || {
        app.execute_async(
            "const done = arguments[0]; \
             window.__TAURI__.core.invoke('dashboard', {range: '30d'}) \
               .then((d) => done({at: d.computed_at, checking: d.checking, n: d.settlements}), \
                     (e) => done({error: String(e && e.message || e)}));",
            vec![],
        )
    };
    let stable = settled(dashboard, std::time::Duration::from_millis(500), 120, |d| {
        d["checking"] == false
    });
    assert_eq!(stable["checking"], false, "{stable}");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let again = dashboard();
    assert_eq!(again, stable, "a later visit computed the figures again");
    assert!(stable["n"].as_u64().unwrap() > 0, "{stable}");
    assert_eq!(app.console_errors(), Vec::<String>::new());
}

#[test]
#[ignore = "end-to-end: run by scripts/test with the app built, Xvfb and tauri-driver"]
fn a_stale_store_says_so_and_shows_the_figures_up_to_its_newest_settlement() {
    // Offline for two weeks: the sample ends on a weekday 14 to 16 days back (the generator
    // moves weekend days to the Friday before, so it must not end on a weekend), its newest
    // settlement 13 to 16 whole days old by the hour, and the planted regression sits in the
    // days before it.
    let mut day = (chrono::Utc::now() - chrono::Duration::days(14)).date_naive();
    while chrono::Datelike::weekday(&day).number_from_monday() > 5 {
        day = day.pred_opt().unwrap();
    }
    let end = redline_core::sample::end_of_day(day);
    let (dir, db) = sample_store(&SampleSpec {
        count: 3000,
        seed: 8,
        end,
        ..Default::default()
    });
    let app = App::start_with(dir, &db);
    app.watch_console();
    open_settlements(&app);
    app.wait_text("#result-count", "the settlements", |t| t.ends_with("3,000"));
    app.click("#nav-dashboard");
    app.click("#range-7d");
    let note = app.wait_text("#dash-stale", "the freshness note", |t| {
        t.contains("days old")
    });
    assert!(
        ["13", "14", "15", "16"]
            .iter()
            .any(|d| note.starts_with(&format!(
                "No settlements in this range: the newest is {d} days old"
            ))),
        "{note}"
    );
    app.screenshot("25-dashboard-stale");
    app.click("#dash-as-of-newest");
    let note = app.wait_text("#dash-stale", "as of the newest", |t| {
        t.starts_with("As of the newest")
    });
    assert!(note.contains(&end.format("%Y-%m-%d").to_string()), "{note}");
    app.wait_text("#kpi-acceptance .kpi-value", "a KPI", |t| t.ends_with('%'));
    app.click("#dash-as-of-now");
    app.wait_text("#dash-stale", "the freshness note again", |t| {
        t.contains("days old")
    });
    // Home says the data is stale instead of "nothing needs attention".
    app.click("#nav-home");
    let findings = app.wait_text("#home-findings", "the findings", |t| !t.is_empty());
    assert!(
        ["13", "14", "15", "16"]
            .iter()
            .any(|d| findings.contains(&format!("No new settlements for {d} days"))),
        "{findings}"
    );
    assert_eq!(app.count("#home-findings li[data-kind='stale']"), 1);
    assert_eq!(app.console_errors(), Vec::<String>::new());
}
