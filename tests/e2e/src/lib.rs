//! The harness for end-to-end tests: start the built app through tauri-driver with a store of
//! its own, and drive it the way a person would (find, type, click, wait for text), over the
//! W3C WebDriver protocol (JSON over HTTP on loopback).
//!
//! Needs, as `scripts/test` arranges: the app built (`target/debug/redline-app`, or
//! `REDLINE_APP`), a display (Xvfb), and `tauri-driver` listening on `TAURI_DRIVER_URL`
//! (default `http://127.0.0.1:4444`). WebKitWebDriver runs one session at a time, so the tests
//! run with `--test-threads=1`.

use base64::Engine;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long to wait for something to appear before failing.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// WebDriver's key codes (the Unicode private-use characters of the spec).
pub mod keys {
    pub const ENTER: &str = "\u{E007}";
    pub const ESCAPE: &str = "\u{E00C}";
    pub const PAGE_UP: &str = "\u{E00E}";
    pub const PAGE_DOWN: &str = "\u{E00F}";
    pub const END: &str = "\u{E010}";
    pub const HOME: &str = "\u{E011}";
    pub const UP: &str = "\u{E013}";
    pub const DOWN: &str = "\u{E015}";
    pub const RIGHT: &str = "\u{E014}";
}

/// The key under which WebDriver returns an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub fn app_path() -> PathBuf {
    std::env::var_os("REDLINE_APP")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../target/debug/redline-app")
                .canonicalize()
                .expect("the app is built: run `cargo build -p redline-app` first")
        })
}

/// A WebDriver error answer, or a transport failure.
#[derive(Debug)]
pub struct WdError(pub String);

/// A running app with its own store; its session ends when the value is dropped.
pub struct App {
    agent: reqwest::blocking::Client,
    session: String,
    pub dir: tempfile::TempDir,
    db: PathBuf,
}

impl App {
    /// Start the app on a fresh, empty store.
    pub fn start() -> App {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("redline.redb");
        Self::start_with(dir, &db)
    }

    /// Start the app on the store at `db`; the app keeps `dir` alive.
    pub fn start_with(dir: tempfile::TempDir, db: &Path) -> App {
        let base = std::env::var("TAURI_DRIVER_URL")
            .unwrap_or_else(|_| "http://127.0.0.1:4444".to_string());
        // The workspace's reqwest has no TLS provider of its own (the core hands it a
        // configured one); this client talks plain HTTP, but building one needs a provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let agent = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(90))
            .build()
            .expect("an HTTP client for WebDriver");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "wry",
            "tauri:options": {"application": app_path(), "args": ["--db", db]},
        }}});
        let answer = send(&agent, "POST", &format!("{base}/session"), Some(caps))
            .expect("tauri-driver creates a session (is it running, with a DISPLAY?)");
        let id = answer["sessionId"]
            .as_str()
            .expect("a session id")
            .to_owned();
        App {
            agent,
            session: format!("{base}/session/{id}"),
            dir,
            db: db.to_path_buf(),
        }
    }

    /// End the session (which closes the app) and hand back the folder with its store.
    ///
    /// Ending the session signals the app, which exits a moment later; this waits until the
    /// app has let go of its store (the store is locked while a process holds it open), so the
    /// caller can open the store or start the app again at once.
    pub fn close(mut self) -> tempfile::TempDir {
        let _ = send(&self.agent, "DELETE", &self.session, None);
        self.session.clear();
        let deadline = Instant::now() + PATIENCE;
        while self.db.exists() {
            match redline_core::store::Store::open(&self.db) {
                Err(redline_core::store::StoreError::Locked { .. })
                    if Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(100))
                }
                Err(redline_core::store::StoreError::Locked { path }) => {
                    panic!("the app still holds {} after {PATIENCE:?}", path.display())
                }
                _ => break,
            }
        }
        std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap())
    }

    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, WdError> {
        send(
            &self.agent,
            method,
            &format!("{}{path}", self.session),
            body,
        )
    }

    /// Run a script in the page and return its result.
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .expect("the script runs")
    }

    /// Run an async script in the page: it calls `arguments[arguments.length - 1](result)`.
    pub fn execute_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.cmd(
            "POST",
            "/execute/async",
            Some(json!({"script": script, "args": args})),
        )
        .expect("the async script runs")
    }

    fn try_find_all(&self, css: &str) -> Vec<String> {
        let found = self.cmd(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        );
        match found {
            Ok(Value::Array(items)) => items
                .iter()
                .filter_map(|e| e[ELEMENT].as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Wait until an element matching `css` exists; its reference.
    pub fn find(&self, css: &str) -> String {
        let start = Instant::now();
        loop {
            if let Some(first) = self.try_find_all(css).into_iter().next() {
                return first;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "no element {css} after {PATIENCE:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn count(&self, css: &str) -> usize {
        self.try_find_all(css).len()
    }

    /// Click the element; if the view re-renders it between finding and clicking (a stale
    /// element), find it again and click the new one, as a person would.
    pub fn click(&self, css: &str) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let el = self.find(css);
            // WebKitWebDriver scrolls a target above the viewport into view itself, but can
            // click where the element was before that scroll (it hit a field once): scroll first.
            let _ = self.cmd(
                "POST",
                "/execute/sync",
                Some(
                    json!({"script": "arguments[0].scrollIntoView({block: 'center'})",
                    "args": [{ELEMENT: el}]}),
                ),
            );
            match self.cmd("POST", &format!("/element/{el}/click"), Some(json!({}))) {
                Ok(_) => return,
                Err(e) if e.0.contains("stale element") && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => panic!("cannot click {css}: {e:?}"),
            }
        }
    }

    /// Send keys to an element (text, or the codes in [`keys`]).
    pub fn send_keys(&self, css: &str, text: &str) {
        let el = self.find(css);
        self.cmd(
            "POST",
            &format!("/element/{el}/value"),
            Some(json!({"text": text})),
        )
        .unwrap_or_else(|e| panic!("cannot type into {css}: {e:?}"));
    }

    /// Clear a field and type `text` into it.
    pub fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css);
        self.cmd("POST", &format!("/element/{el}/clear"), Some(json!({})))
            .unwrap_or_else(|e| panic!("cannot clear {css}: {e:?}"));
        self.send_keys(css, text);
    }

    pub fn text(&self, css: &str) -> String {
        let el = self.find(css);
        let v = self
            .cmd("GET", &format!("/element/{el}/text"), None)
            .unwrap_or_else(|e| panic!("no text for {css}: {e:?}"));
        v.as_str().unwrap_or_default().to_owned()
    }

    /// The DOM text of the first element matching `css` (all of it, visible or not).
    pub fn text_content(&self, css: &str) -> String {
        self.find(css);
        let v = self.execute(
            "return document.querySelector(arguments[0]).textContent;",
            vec![json!(css)],
        );
        v.as_str().unwrap_or_default().to_owned()
    }

    pub fn attr(&self, css: &str, name: &str) -> Option<String> {
        let el = self.find(css);
        let v = self
            .cmd("GET", &format!("/element/{el}/attribute/{name}"), None)
            .unwrap();
        v.as_str().map(str::to_owned)
    }

    /// Wait until the text of `css` satisfies `ok`, and return it.
    pub fn wait_text(&self, css: &str, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        let mut last = String::new();
        while start.elapsed() < PATIENCE {
            if let Some(el) = self.try_find_all(css).into_iter().next() {
                if let Ok(Value::String(text)) =
                    self.cmd("GET", &format!("/element/{el}/text"), None)
                {
                    if ok(&text) {
                        return text;
                    }
                    last = text;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // What the page says went wrong, if anything: the usual reason a wait ran out.
        let errors = self.execute(
            "return [...document.querySelectorAll('.error, [role=alert], .toast')].map((e) => e.textContent).filter(Boolean);",
            vec![],
        );
        panic!("{css} never showed {what}; last text: {last:?}; errors shown: {errors}");
    }

    /// Start collecting console errors and uncaught exceptions of the page.
    pub fn watch_console(&self) {
        self.execute(
            "window.__redlineErrors = [];
             const orig = console.error.bind(console);
             console.error = (...a) => { window.__redlineErrors.push(a.map(String).join(' ')); orig(...a); };
             window.addEventListener('error', (e) => window.__redlineErrors.push(String(e.message)));
             window.addEventListener('unhandledrejection', (e) => window.__redlineErrors.push(String(e.reason && e.reason.message || e.reason)));",
            vec![],
        );
    }

    /// What the page logged with console.error since `watch_console`.
    pub fn console_errors(&self) -> Vec<String> {
        serde_json::from_value(self.execute("return window.__redlineErrors || [];", vec![]))
            .unwrap_or_default()
    }

    /// Save a screenshot to `$REDLINE_SHOTS/<name>.png` when that folder is set.
    pub fn screenshot(&self, name: &str) {
        let Some(dir) = std::env::var_os("REDLINE_SHOTS") else {
            return;
        };
        let v = self.cmd("GET", "/screenshot", None).unwrap();
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap())
            .unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(Path::new(&dir).join(format!("{name}.png")), png).unwrap();
    }
}

impl Drop for App {
    fn drop(&mut self) {
        // Ends the session, which closes the app; a failure here must not hide a test's panic.
        if !self.session.is_empty() {
            let _ = send(&self.agent, "DELETE", &self.session, None);
        }
    }
}

fn send(
    agent: &reqwest::blocking::Client,
    method: &str,
    url: &str,
    body: Option<Value>,
) -> Result<Value, WdError> {
    let method =
        reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| WdError(e.to_string()))?;
    let mut request = agent.request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().map_err(|e| WdError(e.to_string()))?;
    let ok = response.status().is_success();
    let mut answer: Value = response
        .json()
        .map_err(|e| WdError(format!("not JSON: {e}")))?;
    let value = answer["value"].take();
    if ok {
        Ok(value)
    } else {
        Err(WdError(format!("{}: {}", value["error"], value["message"])))
    }
}
