use super::*;
use crate::delivery::*;
use crate::sample::{self, end_of_day, SampleSpec};
use crate::store::Store;
use chrono::{Duration, NaiveDate};

fn end() -> DateTime<Utc> {
    end_of_day(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap())
}

fn sample_store(count: usize) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    store
        .upsert_batch(&sample::generate(&SampleSpec {
            count,
            end: end(),
            ..Default::default()
        }))
        .unwrap();
    crate::prompts::adopt_from_settlements(&store).unwrap();
    (dir, store)
}

#[test]
fn the_planted_regression_and_emerging_pattern_are_found_and_a_stable_period_raises_nothing() {
    let (_dir, store) = sample_store(6000);
    let findings = auto_detect_regression(&store, end()).unwrap();
    for f in &findings {
        eprintln!("{}: {}", f.kind, f.message);
    }
    assert!(findings
        .iter()
        .any(|f| f.kind == "drop" && f.agent == sample::REGRESSING_AGENT));
    let emerging = findings
        .iter()
        .find(|f| f.kind == "emerging_pattern" && f.agent == sample::EMERGING_AGENT)
        .expect("the planted emerging pattern");
    assert_eq!(emerging.evidence["phrase"], "source internal wiki");
    assert_eq!(emerging.evidence["edit"], "deleted");
    assert_eq!(emerging.evidence["baseline_hits"], 0);
    assert!(!emerging.examples.is_empty());
    // Nothing for the agents that did not change.
    for stable in ["The Librarian", "The Strategist", "The Entrepreneur"] {
        assert!(
            findings.iter().all(|f| f.agent != stable),
            "{stable}: {findings:#?}"
        );
    }
    // Two months earlier nothing was wrong.
    let calm = auto_detect_regression(&store, end() - Duration::days(60)).unwrap();
    assert!(calm.is_empty(), "{calm:#?}");
}

#[test]
fn suggestions_turn_findings_into_candidate_prompts() {
    let (_dir, store) = sample_store(6000);
    let findings = auto_detect_regression(&store, end()).unwrap();
    let suggestions = suggest_experiments(&store, end(), &findings).unwrap();
    for s in &suggestions {
        eprintln!("{}", s.title);
    }
    let wiki = suggestions
        .iter()
        .find(|s| s.agent == sample::EMERGING_AGENT && s.rules[0].contains("source internal wiki"))
        .expect("a suggestion against the emerging phrase");
    assert!(
        wiki.title
            .contains("Test adding “Leave out “source internal wiki”.”"),
        "{}",
        wiki.title
    );
    let candidate = wiki.candidate.as_deref().unwrap();
    let base = crate::prompts::active(&store, sample::EMERGING_AGENT)
        .unwrap()
        .unwrap();
    assert!(candidate.starts_with(&base.text) && candidate.len() > base.text.len());
    assert_eq!(wiki.base_version, Some(base.version));
    // The regressing agent gets a concrete rule too.
    assert!(suggestions
        .iter()
        .any(|s| s.agent == sample::REGRESSING_AGENT && !s.rules.is_empty()));
}

#[test]
fn the_weekly_report_matches_its_snapshot() {
    let (_dir, store) = sample_store(6000);
    let report = report::build(&store, end()).unwrap();
    let markdown = report.markdown();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/learning/snapshots/weekly-report.md");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &markdown).unwrap();
    }
    let expected =
        std::fs::read_to_string(&path).expect("the snapshot exists (UPDATE_SNAPSHOTS=1 writes it)");
    assert_eq!(
        markdown, expected,
        "the report changed: review it, then UPDATE_SNAPSHOTS=1"
    );
    let html = report.html();
    assert!(html.starts_with("<!doctype html>"));
    assert_eq!(html.matches("<svg").count(), 2);
    assert!(!html.contains("<script") && !html.contains("src=") && !html.contains("href="));
}

#[test]
fn text_from_the_data_is_escaped_in_the_html() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    let mut all = sample::generate(&SampleSpec {
        count: 200,
        end: end(),
        days: 10,
        ..Default::default()
    });
    for s in &mut all {
        s.agent = crate::model::AgentName::new("<script>alert(1)</script> & \"Co\"").unwrap();
    }
    store.upsert_batch(&all).unwrap();
    let html = report::build(&store, end()).unwrap().html();
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;"));
}

#[test]
fn saving_writes_both_files_and_slack_gets_the_summary() {
    let (_dir, store) = sample_store(1500);
    let report = report::build(&store, end()).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (html, md) = save(&report, &out.path().join("reports")).unwrap();
    assert!(html.ends_with("redline-report-2026-11-20.html"));
    assert!(std::fs::read_to_string(&md)
        .unwrap()
        .starts_with("# Redline weekly report"));

    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/services/T000/B000/XXXX",
        server.server_addr().to_ip().unwrap()
    );
    let listener = std::thread::spawn(move || {
        let mut request = server.recv().unwrap();
        let mut body = String::new();
        request.as_reader().read_to_string(&mut body).unwrap();
        let seen = (request.method().to_string(), request.url().to_owned(), body);
        request
            .respond(tiny_http::Response::from_string("ok"))
            .unwrap();
        // A second post is refused, as Slack does for a revoked webhook.
        let request = server.recv().unwrap();
        request
            .respond(tiny_http::Response::from_string("no_service").with_status_code(404))
            .unwrap();
        seen
    });
    post_to_slack(&report, &url).unwrap();
    let err = post_to_slack(&report, &url).unwrap_err();
    assert!(
        err.to_string().contains("404") && err.to_string().contains("no_service"),
        "{err}"
    );
    let (method, path, body) = listener.join().unwrap();
    assert_eq!(
        (method.as_str(), path.as_str()),
        ("POST", "/services/T000/B000/XXXX")
    );
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let text = json["text"].as_str().unwrap();
    assert!(
        text.starts_with("*Redline weekly report* (2026-11-13 to 2026-11-20)"),
        "{text}"
    );
    assert!(text.contains("The Auditor"));
    assert!(matches!(
        post_to_slack(&report, "hooks.slack.com/x"),
        Err(DeliveryError::BadUrl(_))
    ));
}

#[test]
fn the_webhook_url_never_appears_in_an_error() {
    let (_dir, store) = sample_store(200);
    let report = report::build(&store, end()).unwrap();
    let secret = "XXXXwebhookSECRETXXXX";
    // Nothing listens on port 9 of this machine: a transport error that quotes the URL.
    let closed = format!("http://127.0.0.1:9/services/T000/B000/{secret}");
    let err = post_to_slack(&report, &closed).unwrap_err();
    assert!(matches!(err, DeliveryError::Unreachable(_)), "{err:?}");
    assert!(!err.to_string().contains(secret), "{err}");
    // A clear-text webhook elsewhere is refused, naming only the host.
    let far = format!("http://hooks.example.com/services/T000/B000/{secret}");
    let err = post_to_slack(&report, &far).unwrap_err();
    assert!(matches!(err, DeliveryError::BadUrl(_)), "{err:?}");
    assert!(
        err.to_string().contains("http://hooks.example.com"),
        "{err}"
    );
    assert!(!err.to_string().contains(secret), "{err}");
    // A server that echoes the path in its refusal.
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/services/T000/B000/{secret}",
        server.server_addr().to_ip().unwrap()
    );
    let echo = std::thread::spawn(move || {
        let request = server.recv().unwrap();
        let text = format!("no such hook: {}", request.url());
        request
            .respond(tiny_http::Response::from_string(text).with_status_code(404))
            .unwrap();
    });
    let err = post_to_slack(&report, &url).unwrap_err();
    echo.join().unwrap();
    assert!(err.to_string().contains("404"), "{err}");
    assert!(!err.to_string().contains(secret), "{err}");
}

#[test]
fn smtp_sign_in_needs_an_encrypted_connection() {
    let (_dir, store) = sample_store(10);
    let settings = EmailSettings {
        host: "mail.example.com".into(),
        port: 25,
        security: Security::None,
        username: Some("admin".into()),
        from: "redline@example.com".into(),
        to: vec!["admin@example.com".into()],
    };
    let err = set_email_settings(&store, &settings).unwrap_err();
    assert!(err.to_string().contains("clear text"), "{err}");
    let report = report::build(&store, end()).unwrap();
    let err = send_email(&report, &settings, Some("pw")).unwrap_err();
    assert!(err.to_string().contains("clear text"), "{err}");
    // Without a sign-in, a local relay without encryption is fine to configure.
    let relay = EmailSettings {
        username: None,
        ..settings
    };
    set_email_settings(&store, &relay).unwrap();
}

#[test]
fn a_report_is_due_weekly_and_catches_up() {
    let now = end();
    assert!(report_due(None, now));
    assert!(!report_due(Some(now - Duration::days(6)), now));
    assert!(report_due(Some(now - Duration::days(7)), now));
    assert!(report_due(Some(now - Duration::days(30)), now));
}

#[test]
fn the_overview_counts_new_settlements_since_the_last_visit_and_estimates_experiment_eta() {
    let (_dir, store) = sample_store(1500);
    let first = overview(&store, end() - Duration::days(3)).unwrap();
    assert_eq!((first.since, first.new_settlements), (None, 0));
    // Nothing was stored: the first visit computed its figures.
    assert_eq!(first.computed, end() - Duration::days(3));
    // A later visit reads what the last refresh stored, not mining again...
    let unchanged = overview(&store, end()).unwrap();
    assert_eq!(unchanged.computed, end() - Duration::days(3));
    assert_eq!(unchanged.suggestions, first.suggestions);
    // ...and the refresh after an import or sync brings it up to date.
    refresh(&store, end()).unwrap();
    crate::settings::Settings::update(&store, |s| {
        s.last_visit = Some(end() - Duration::days(3));
        Ok::<_, crate::store::StoreError>(())
    })
    .unwrap();
    let second = overview(&store, end()).unwrap();
    assert_eq!(second.computed, end());
    assert_eq!(second.since, Some(end() - Duration::days(3)));
    let recent = store
        .list(
            &crate::store::Filter {
                from: Some(end() - Duration::days(3)),
                ..Default::default()
            },
            0,
            1,
        )
        .unwrap()
        .total;
    assert!(recent > 0);
    assert_eq!(second.new_settlements, recent);
    assert!(!second.incidents.is_empty() && !second.suggestions.is_empty());
    // An experiment 2 days old with 20 settlements a day (10 per arm) and 99 planned per arm:
    // 79 more per arm at 10 a day → 7.9 days.
    let agent = "The Tester";
    let base = crate::prompts::add(&store, agent, "You test.", "", "").unwrap();
    crate::prompts::add(&store, agent, "You test. Be brief.", "", "").unwrap();
    let start = end() - Duration::days(2);
    let e = crate::experiments::create(
        &store,
        &crate::experiments::NewExperiment {
            agent: agent.into(),
            a: base.version,
            b: base.version + 1,
            mde: Some(0.1),
            ..Default::default()
        },
        start,
    )
    .unwrap();
    let mut batch = Vec::new();
    for i in 0..40i64 {
        let mut s = sample::generate(&SampleSpec {
            count: 1,
            seed: 900 + i as u64,
            end: end(),
            ..Default::default()
        })
        .remove(0);
        s.id = crate::model::SettlementId::new(format!("exp-{i}")).unwrap();
        s.agent = crate::model::AgentName::new(agent).unwrap();
        s.created_at = start + Duration::minutes(72 * i + 1);
        s.prompt_version = Some(crate::prompts::label(if i % 2 == 0 {
            base.version
        } else {
            base.version + 1
        }));
        batch.push(s);
    }
    store.upsert_batch(&batch).unwrap();
    let o = overview(&store, end()).unwrap();
    let r = o.running.iter().find(|r| r.id == e.id).unwrap();
    assert_eq!((r.n_a, r.n_b), (20, 20));
    let expected = (e.planned.0 as f64 - 20.0) / 10.0;
    assert!(
        (r.eta_days.unwrap() - expected).abs() < 0.2,
        "{r:?} vs {expected}"
    );
}

#[test]
fn roi_measures_editing_time_before_and_after_a_deployment_and_the_break_even() {
    use crate::experiments::{self, NewExperiment};
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    let agent = "The Tester";
    crate::prompts::add(&store, agent, "Write.", "", "").unwrap();
    crate::prompts::add(&store, agent, "Write briefly.", "", "").unwrap();
    let deployed_at = end() - Duration::days(14);
    let start = deployed_at - Duration::days(14);
    // 4 settlements a day: before the deployment 10 words changed each, after 2.
    let mut batch = Vec::new();
    for i in 0..112i64 {
        let at = start + Duration::hours(6 * i + 1);
        let changed = if at <= deployed_at { 10 } else { 2 };
        let ai = "word ".repeat(20);
        let fin = format!("{}{}", "new ".repeat(changed), "word ".repeat(20 - changed));
        let mut s = sample::generate(&SampleSpec {
            count: 1,
            end: end(),
            ..Default::default()
        })
        .remove(0);
        s.id = crate::model::SettlementId::new(format!("t-{i}")).unwrap();
        s.agent = crate::model::AgentName::new(agent).unwrap();
        s.ai_output = ai;
        s.final_output = fin;
        s.created_at = at;
        s.prompt_version = Some(if i % 2 == 0 { "v1".into() } else { "v2".into() });
        batch.push(s);
    }
    store.upsert_batch(&batch).unwrap();
    let e = experiments::create(
        &store,
        &NewExperiment {
            agent: agent.into(),
            a: 1,
            b: 2,
            ..Default::default()
        },
        start - Duration::days(1),
    )
    .unwrap();
    // Completed and deployed at `deployed_at`; this synthetic data carries no real verdict, so
    // B is recorded as the winner by hand before deploying.
    experiments::complete(&store, &e.id, deployed_at).unwrap();
    let rec = experiments::get(&store, &e.id).unwrap();
    assert_eq!(rec.status, experiments::Status::Completed);
    let mut won = rec.clone();
    won.winner = Some(experiments::Winner::VariantB);
    store
        .put_experiment_record(&won.id, &serde_json::to_vec(&won).unwrap(), &[])
        .unwrap();
    experiments::deploy(&store, &e.id, deployed_at).unwrap();
    roi::set_settings(
        &store,
        &roi::RoiSettings {
            seconds_per_word: 3.0,
            hourly_rate: 60.0,
            fine_tuning_cost: 100.0,
            monthly_api_cost: 0.0,
            price_input_per_mtok: 3.0,
            price_output_per_mtok: 15.0,
        },
    )
    .unwrap();
    crate::llm::record_usage(
        &store,
        &crate::llm::Config {
            provider: crate::llm::Provider::Anthropic,
            base_url: "https://api.anthropic.com".into(),
            model: "m".into(),
            timeout_secs: 60,
            max_tokens: 100,
        },
        "variants",
        2,
        1_000_000,
        100_000,
    )
    .unwrap();
    let r = roi::estimate(&store, end()).unwrap();
    let d = &r.deployments[0];
    // 10 words × 3 s = 30 s before, 2 × 3 = 6 s after.
    assert_eq!((d.before, d.after), (Some(30.0), Some(6.0)));
    assert!(d.p_value.unwrap() < 0.001);
    // 24 s saved × 4 settlements a day × 7 days = 672 s = 0.187 h a week; at 60 an hour that
    // is 11.2 a week, so 100 is paid back in 8.9 weeks.
    assert!(
        (r.hours_saved_per_week - 672.0 / 3600.0).abs() < 0.01,
        "{}",
        r.hours_saved_per_week
    );
    assert!((r.break_even_weeks.unwrap() - 100.0 / (672.0 / 3600.0 * 60.0)).abs() < 0.5);
    // Last 7 days: 28 settlements × 6 s = 168 s.
    assert!(
        (r.hours_last_week - 168.0 / 3600.0).abs() < 1e-9,
        "{}",
        r.hours_last_week
    );
    assert_eq!(
        (r.llm_calls, r.llm_input_tokens, r.llm_output_tokens),
        (2, 1_000_000, 100_000)
    );
    assert!((r.llm_cost - (3.0 + 1.5)).abs() < 1e-9);
    assert!(roi::set_settings(
        &store,
        &roi::RoiSettings {
            seconds_per_word: 0.0,
            ..Default::default()
        }
    )
    .is_err());
}

#[test]
fn while_a_refresh_runs_the_overview_shows_what_is_stored_and_measures_nothing() {
    let (_dir, store) = sample_store(1200);
    // Nothing stored yet: nothing to show but the refresh's own result.
    assert!(overview_while_busy(&store, end()).unwrap().is_none());
    refresh(&store, end()).unwrap();
    let full = overview(&store, end()).unwrap();
    let busy = overview_while_busy(&store, end()).unwrap().unwrap();
    assert_eq!(busy.computed, full.computed);
    assert_eq!(busy.suggestions, full.suggestions);
    assert_eq!(
        busy.incidents.iter().map(|i| &i.key).collect::<Vec<_>>(),
        full.incidents.iter().map(|i| &i.key).collect::<Vec<_>>()
    );
    assert_eq!((busy.unmeasured, full.unmeasured), (0, 0));
    assert_eq!(
        serde_json::to_value(&busy.roi).unwrap(),
        serde_json::to_value(&full.roi).unwrap()
    );
    // New settlements, not measured yet: the busy overview leaves them out of the estimate and
    // says how many; it does not measure them (the store's cache stays as it was).
    let mut new = sample::generate(&SampleSpec {
        count: 40,
        seed: 77,
        end: end(),
        days: 7,
        ..Default::default()
    });
    for (i, s) in new.iter_mut().enumerate() {
        s.id = crate::model::SettlementId::new(format!("new-{i}")).unwrap();
    }
    store.upsert_batch(&new).unwrap();
    let busy = overview_while_busy(&store, end()).unwrap().unwrap();
    assert_eq!(busy.unmeasured, 40);
    let again = overview_while_busy(&store, end()).unwrap().unwrap();
    assert_eq!(again.unmeasured, 40, "nothing was measured");
    assert_eq!(overview(&store, end()).unwrap().unmeasured, 0);
    assert_eq!(
        overview_while_busy(&store, end())
            .unwrap()
            .unwrap()
            .unmeasured,
        0
    );
}

#[test]
fn the_last_refresh_is_known_so_a_later_request_can_skip_a_check_already_made() {
    let (_dir, store) = sample_store(300);
    assert_eq!(last_refresh(&store).unwrap(), None);
    // Home's own first visit to a store never checked makes the check, and it counts.
    overview(&store, end()).unwrap();
    let seq = store.change_seq().unwrap();
    let last = last_refresh(&store).unwrap().unwrap();
    assert_eq!(
        last,
        LastRefresh {
            at: end(),
            seq: Some(seq)
        }
    );
    let minutes = |m: i64| end() + Duration::minutes(m);
    // A check asked for before it started is covered; one asked for after it is not, unless
    // the store did not change and it is fresh.
    assert!(last.covers(minutes(-1), seq, minutes(1)));
    assert!(last.covers(minutes(1), seq, minutes(2)));
    assert!(!last.covers(minutes(1), seq, minutes(REFRESH_FRESH_MINUTES + 1)));
    let more: Vec<_> = sample::generate(&SampleSpec {
        count: 5,
        seed: 99,
        end: end(),
        ..Default::default()
    })
    .into_iter()
    .enumerate()
    .map(|(i, mut s)| {
        s.id = crate::model::SettlementId::new(format!("more-{i}")).unwrap();
        s
    })
    .collect();
    store.upsert_batch(&more).unwrap();
    let changed = store.change_seq().unwrap();
    assert!(changed > seq);
    assert!(!last.covers(minutes(1), changed, minutes(2)));
    // A later visit only reads; a later refresh moves the time and the change number on.
    overview(&store, minutes(60)).unwrap();
    assert_eq!(last_refresh(&store).unwrap().unwrap().at, end());
    refresh(&store, minutes(120)).unwrap();
    assert_eq!(
        last_refresh(&store).unwrap(),
        Some(LastRefresh {
            at: minutes(120),
            seq: Some(changed)
        })
    );
}

/// The first Home on a store never checked measures every settlement first and says how far it
/// has come; a later one, with the check stored, measures nothing and says nothing.
#[test]
fn the_first_overview_reports_its_measuring() {
    let (_dir, store) = sample_store(600);
    let mut steps = Vec::new();
    overview_measuring(&store, end(), &mut |s| steps.push((s.done, s.total))).unwrap();
    assert_eq!(steps.last(), Some(&(600, Some(600))));
    assert!(steps.len() >= 2, "progress before the end: {steps:?}");
    let mut later = Vec::new();
    overview_measuring(&store, end(), &mut |s| later.push(s.done)).unwrap();
    assert_eq!(later, Vec::<u64>::new());
}
