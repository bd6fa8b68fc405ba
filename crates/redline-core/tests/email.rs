//! The weekly report e-mailed over SMTP to a real SMTP server — Python's aiosmtpd with its
//! Mailbox handler — and what arrived read back with Python's own `mailbox` and `email`
//! parsers. Needs `python3-aiosmtpd` (`scripts/test` installs it), hence `#[ignore]`.

use redline_core::delivery::{EmailSettings, Security};
use redline_core::learning::report;
use redline_core::sample::{self, SampleSpec};
use redline_core::store::Store;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A Python with aiosmtpd: the system one (Debian's package), else the first on PATH.
fn python() -> &'static str {
    ["/usr/bin/python3", "python3"]
        .into_iter()
        .find(|p| {
            Command::new(p)
                .args(["-c", "import aiosmtpd"])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .expect("aiosmtpd is installed (apt install python3-aiosmtpd; scripts/test does it)")
}

struct Server {
    child: Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server() -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let maildir = tempfile::tempdir().unwrap();
    let child = Command::new(python())
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir.path().join("box"))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "aiosmtpd did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Server {
        child,
        port,
        maildir,
    }
}

/// The messages in the maildir as JSON (subject, from, to, plain and html parts, decoded).
fn received(maildir: &std::path::Path) -> serde_json::Value {
    let script = r#"
import json, mailbox, sys
out = []
for m in mailbox.Maildir(sys.argv[1], factory=None, create=False):
    parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in m.walk() if not p.is_multipart()}
    out.append({"subject": m["subject"], "from": m["from"], "to": m["to"],
                "plain": parts.get("text/plain", ""), "html": parts.get("text/html", "")})
print(json.dumps(out))
"#;
    let out = Command::new(python())
        .args(["-c", script])
        .arg(maildir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
#[ignore = "needs python3-aiosmtpd: run by scripts/test"]
fn the_weekly_report_arrives_by_smtp_with_both_parts() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    store
        .upsert_batch(&sample::generate(&SampleSpec {
            count: 1500,
            ..Default::default()
        }))
        .unwrap();
    let report = report::build(&store, chrono::Utc::now()).unwrap();
    let server = start_server();
    let settings = EmailSettings {
        host: "127.0.0.1".into(),
        port: server.port,
        security: Security::None,
        username: None,
        from: "Redline <redline@example.org>".into(),
        to: vec!["admin@example.org".into(), "team@example.org".into()],
    };
    redline_core::delivery::set_email_settings(&store, &settings).unwrap();
    assert_eq!(
        redline_core::delivery::email_settings(&store).unwrap(),
        Some(settings.clone())
    );
    redline_core::delivery::send_email(&report, &settings, None).unwrap();
    let got = received(&server.maildir.path().join("box"));
    let messages = got.as_array().unwrap();
    assert_eq!(messages.len(), 1, "{got:#}");
    let m = &messages[0];
    assert!(m["subject"]
        .as_str()
        .unwrap()
        .starts_with("Redline weekly report 20"));
    assert_eq!(m["from"], "Redline <redline@example.org>");
    assert!(m["to"].as_str().unwrap().contains("team@example.org"));
    assert_eq!(m["plain"].as_str().unwrap(), report.markdown());
    let html = m["html"].as_str().unwrap();
    assert!(html.starts_with("<!doctype html>") && html.contains("<svg"));

    // Nothing listening: a clear error naming the server; bad addresses are refused before.
    drop(server);
    let err = redline_core::delivery::send_email(&report, &settings, None).unwrap_err();
    assert!(err.to_string().contains("127.0.0.1"), "{err}");
    let wrong = EmailSettings {
        to: vec!["not an address".into()],
        ..settings
    };
    let err = redline_core::delivery::set_email_settings(&store, &wrong).unwrap_err();
    assert!(
        err.to_string()
            .contains("'not an address' is not an e-mail address"),
        "{err}"
    );
}
