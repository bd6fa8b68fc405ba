//! axe-core in every view, with an empty and a populated store.

use super::*;

/// The views, by their navigation button.
const VIEW_BUTTONS: [&str; 8] = [
    "#nav-home",
    "#nav-settlements",
    "#nav-dashboard",
    "#nav-agents",
    "#nav-patterns",
    "#nav-experiments",
    "#nav-export",
    "#nav-settings",
];

/// Run axe-core (the accessibility engine most teams use; `scripts/test` fetches the pinned
/// release from the npm registry and checks its digest) on every view and return the WCAG 2.0 /
/// 2.1 A and AA violations, as "view: rule (impact) on node, …".
fn axe_violations(app: &App) -> Vec<String> {
    let path = std::env::var("REDLINE_AXE_JS")
        .expect("REDLINE_AXE_JS names axe.min.js (scripts/test fetches it)");
    let engine = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut found = Vec::new();
    for button in VIEW_BUTTONS {
        app.click(button);
        // Settled: the view's loading notes and running jobs are gone.
        let settled = app.execute_async(
            "const done = arguments[arguments.length - 1];
             const start = Date.now();
             const busy = () => document.querySelector('.loading, .job, #view progress');
             const tick = () => {
               if (!busy() || Date.now() - start > 60000) setTimeout(() => done(!busy()), 300);
               else setTimeout(tick, 100);
             };
             tick();",
            vec![],
        );
        assert_eq!(settled, serde_json::json!(true), "{button} kept loading");
        if app.execute("return typeof window.axe;", vec![]) != serde_json::json!("object") {
            app.execute(&format!("{engine}\n;return typeof window.axe;"), vec![]);
        }
        let v = app.execute_async(
            "const done = arguments[arguments.length - 1];
             window.axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
               .then((r) => done(r.violations.map((v) => `${v.id} (${v.impact}) on ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}${v.nodes.length > 3 ? ', …' : ''}`)),
                     (e) => done(['axe failed: ' + String(e)]));",
            vec![],
        );
        for line in v.as_array().expect("a list") {
            found.push(format!("{button}: {}", line.as_str().unwrap_or("?")));
        }
    }
    found
}

#[test]
#[ignore = "end-to-end: run by scripts/test with the app built, Xvfb, tauri-driver and axe-core"]
fn every_view_passes_the_wcag_a_and_aa_rules_of_axe_empty_and_populated() {
    let app = App::start();
    app.watch_console();
    app.wait_text("h1", "the welcome title", |t| t.contains("Welcome"));
    let empty = axe_violations(&app);
    assert_eq!(empty, Vec::<String>::new(), "an empty store");
    app.close();
    let (dir, db) = sample_store(&SampleSpec {
        count: 1500,
        seed: 31,
        ..Default::default()
    });
    let app = App::start_with(dir, &db);
    app.watch_console();
    open_settlements(&app);
    let populated = axe_violations(&app);
    assert_eq!(populated, Vec::<String>::new(), "1,500 sample settlements");
    assert_eq!(app.console_errors(), Vec::<String>::new());
}
