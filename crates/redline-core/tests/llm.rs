//! The LLM paths against local HTTP servers that speak each API's documented request and
//! response shapes: the Anthropic Messages API (`POST /v1/messages`, `x-api-key`,
//! `anthropic-version`, `content[]` and `usage.input_tokens`) and an OpenAI-compatible
//! chat-completions endpoint (`POST /v1/chat/completions`, bearer key, `choices[0].message`,
//! `usage.prompt_tokens`).

use redline_core::job::{no_progress, Cancel};
use redline_core::llm::{self, Client, Config, LlmError, Provider};
use redline_core::sample::{self, SampleSpec};
use redline_core::secret::SecretString;
use redline_core::service::assist;
use redline_core::store::Store;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A request as the server saw it.
#[derive(Clone, Debug)]
struct Seen {
    path: String,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Reply = Box<dyn Fn(&Seen, usize) -> (u16, Value, Duration) + Send>;

/// A local server answering with `reply(request, index)`; returns its base URL and the log.
fn serve(reply: Reply) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}", server.server_addr().to_ip().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    std::thread::spawn(move || {
        for mut request in server.incoming_requests() {
            let mut text = String::new();
            request.as_reader().read_to_string(&mut text).unwrap();
            let s = Seen {
                path: request.url().to_owned(),
                headers: request
                    .headers()
                    .iter()
                    .map(|h| (h.field.to_string(), h.value.to_string()))
                    .collect(),
                body: serde_json::from_str(&text).unwrap_or(Value::Null),
            };
            let index = {
                let mut l = seen.lock().unwrap();
                l.push(s.clone());
                l.len() - 1
            };
            let (status, body, delay) = reply(&s, index);
            let seen_thread = std::thread::spawn(move || {
                std::thread::sleep(delay);
                let _ = request.respond(
                    tiny_http::Response::from_string(body.to_string())
                        .with_status_code(status)
                        .with_header(
                            "content-type: application/json"
                                .parse::<tiny_http::Header>()
                                .unwrap(),
                        ),
                );
            });
            drop(seen_thread);
        }
    });
    (url, log)
}

fn anthropic_reply(text: &str) -> Value {
    json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-test",
        "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
        "usage": {"input_tokens": 120, "output_tokens": 80}})
}

fn openai_reply(text: &str) -> Value {
    json!({"id": "chatcmpl-1", "object": "chat.completion", "model": "llama3",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 50, "completion_tokens": 30, "total_tokens": 80}})
}

fn variants_json(n: usize) -> String {
    let items: Vec<Value> = (0..n)
        .map(|i| json!({"title": format!("Variant {i}"), "prompt": format!("You are The Auditor. Rule {i}: be direct."), "rationale": "People cut hedges."}))
        .collect();
    json!({"variants": items}).to_string()
}

/// A store with sample data and the Auditor's prompt registered.
fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb")).unwrap();
    store
        .upsert_batch(&sample::generate(&SampleSpec {
            count: 1500,
            // A fixed end: which intents are the newest depends on it (with the clock, the
            // offline evaluation's twelve were too alike to tell apart on a Sunday).
            end: sample::end_of_day(chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()),
            ..Default::default()
        }))
        .unwrap();
    redline_core::prompts::adopt_from_settlements(&store).unwrap();
    (dir, store)
}

fn config(provider: Provider, url: &str, timeout_secs: u64) -> Config {
    Config {
        provider,
        base_url: url.to_owned(),
        model: "test-model".into(),
        timeout_secs,
        max_tokens: 2000,
    }
}

fn client(store: &Store, c: Config, key: Option<&str>) -> Client {
    llm::set_config(store, &c).unwrap();
    llm::set_consent(store, &c, true).unwrap();
    Client::new(store, c, key.map(|k| SecretString::from(k.to_owned()))).unwrap()
}

#[test]
fn anthropic_variants_are_requested_in_the_documented_shape_and_validated() {
    let (_dir, store) = store();
    let (url, log) = serve(Box::new(|_, _| {
        (
            200,
            anthropic_reply(&format!("```json\n{}\n```", variants_json(3))),
            Duration::ZERO,
        )
    }));
    let c = client(
        &store,
        config(Provider::Anthropic, &url, 10),
        Some("sk-ant-test-1234"),
    );
    let g = assist::generate_with_llm(&store, &c, "The Auditor", 30, 3, &Cancel::new()).unwrap();
    assert_eq!(g.variants.len(), 3);
    assert_eq!(g.variants[0].title, "Variant 0");
    assert!(
        !g.variants[0].evidence.is_empty(),
        "the mined evidence goes with each variant"
    );
    let seen = log.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let r = &seen[0];
    assert_eq!(r.path, "/v1/messages");
    assert_eq!(r.header("x-api-key"), Some("sk-ant-test-1234"));
    assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(r.body["model"], "test-model");
    assert_eq!(r.body["max_tokens"], 2000);
    assert!(r.body["system"].as_str().unwrap().contains("JSON only"));
    let ask = r.body["messages"][0]["content"].as_str().unwrap();
    assert_eq!(r.body["messages"][0]["role"], "user");
    assert!(
        ask.contains("You are The Auditor"),
        "the current prompt is sent"
    );
    assert!(ask.contains("Write 3 distinct variants"), "{ask}");
    // Usage is in the audit log; the text is not.
    let entry = &redline_core::audit::entries(&store, 1).unwrap()[0];
    assert_eq!(entry.action, "llm");
    assert_eq!(entry.data["input_tokens"], 120);
    assert_eq!(entry.data["output_tokens"], 80);
    assert!(!entry.detail.contains("Auditor. Rule"));
}

#[test]
fn a_malformed_reply_is_retried_once_with_the_reason_then_fails_clearly() {
    let (_dir, store) = store();
    // First a reply with two variants instead of three, then a good one.
    let (url, log) = serve(Box::new(|_, i| {
        let text = if i == 0 {
            variants_json(2)
        } else {
            variants_json(3)
        };
        (200, openai_reply(&text), Duration::ZERO)
    }));
    let c = client(
        &store,
        config(Provider::Openai, &format!("{url}/v1"), 10),
        None,
    );
    let g = assist::generate_with_llm(&store, &c, "The Auditor", 30, 3, &Cancel::new()).unwrap();
    assert_eq!(g.variants.len(), 3);
    {
        let seen = log.lock().unwrap();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].path, "/v1/chat/completions");
        assert_eq!(seen[0].header("authorization"), None, "no key, no header");
        assert_eq!(seen[0].body["messages"][0]["role"], "system");
        let retry = seen[1].body["messages"].as_array().unwrap();
        assert_eq!(retry.len(), 4, "system, ask, the bad reply, the correction");
        assert_eq!(retry[2]["role"], "assistant");
        assert!(retry[3]["content"]
            .as_str()
            .unwrap()
            .contains("2 variants instead of 3"));
    }
    // Twice malformed: a clear error, after exactly two requests.
    let (url, log) = serve(Box::new(|_, _| {
        (
            200,
            openai_reply("I cannot help with that."),
            Duration::ZERO,
        )
    }));
    let c = client(&store, config(Provider::Openai, &url, 10), Some("sk-local"));
    let err =
        assist::generate_with_llm(&store, &c, "The Auditor", 30, 3, &Cancel::new()).unwrap_err();
    assert!(matches!(err, LlmError::Malformed { .. }), "{err:?}");
    assert!(err.to_string().contains("no JSON"), "{err}");
    assert_eq!(log.lock().unwrap().len(), 2);
    assert_eq!(
        log.lock().unwrap()[0].header("authorization"),
        Some("Bearer sk-local")
    );
}

#[test]
fn timeouts_refusals_and_missing_consent_are_clear_and_send_nothing_unconsented() {
    let (_dir, store) = store();
    let (url, log) = serve(Box::new(|_, _| {
        (200, openai_reply("late"), Duration::from_secs(4))
    }));
    let c = client(&store, config(Provider::Openai, &url, 1), None);
    let started = std::time::Instant::now();
    let err =
        assist::generate_with_llm(&store, &c, "The Auditor", 30, 3, &Cancel::new()).unwrap_err();
    assert!(matches!(err, LlmError::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("within 1 s"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3));

    let (url, _) = serve(Box::new(|_, _| {
        (
            401,
            json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}),
            Duration::ZERO,
        )
    }));
    let c = client(&store, config(Provider::Anthropic, &url, 5), Some("sk-bad"));
    let err =
        assist::generate_with_llm(&store, &c, "The Auditor", 30, 3, &Cancel::new()).unwrap_err();
    assert!(
        matches!(err, LlmError::Unauthorized { status: 401, .. }),
        "{err:?}"
    );

    let (url, _) = serve(Box::new(|_, _| {
        (
            529,
            json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
            Duration::ZERO,
        )
    }));
    let c = client(&store, config(Provider::Anthropic, &url, 5), Some("sk-x"));
    let err =
        assist::generate_with_llm(&store, &c, "The Auditor", 30, 3, &Cancel::new()).unwrap_err();
    assert!(err.to_string().contains("529: Overloaded"), "{err}");

    // Without consent no client exists, so nothing can be sent.
    let before = log.lock().unwrap().len();
    let fresh = config(Provider::Openai, "http://127.0.0.1:9/v1", 5);
    llm::set_config(&store, &fresh).unwrap();
    assert!(matches!(
        Client::new(&store, fresh, None),
        Err(LlmError::NoConsent { .. })
    ));
    assert_eq!(log.lock().unwrap().len(), before);
}

#[test]
fn offline_evaluation_replays_intents_with_both_prompts_and_tests_the_pairs() {
    let (_dir, store) = store();
    // A model that, under the candidate prompt, answers with the words people keep; under the
    // current one, with padding they delete.
    let (url, log) = serve(Box::new(|seen, _| {
        let system = seen.body["messages"][0]["content"].as_str().unwrap_or("");
        let text = if system.contains("Be direct") {
            "Review the numbers this week and decide on the plan."
        } else {
            "It is worth noting that results may vary depending on circumstances, and further review might be needed."
        };
        (200, openai_reply(text), Duration::ZERO)
    }));
    let c = client(&store, config(Provider::Openai, &url, 10), None);
    let current = redline_core::prompts::active(&store, "The Auditor")
        .unwrap()
        .unwrap();
    let candidate = format!("{}\nBe direct.", current.text);
    let mut steps = Vec::new();
    let e = assist::evaluate(
        &store,
        &c,
        "The Auditor",
        &candidate,
        12,
        &mut |s| steps.push(s.done),
        &Cancel::new(),
    )
    .unwrap()
    .unwrap();
    assert_eq!(e.replays.len(), 12);
    assert_eq!(e.calls, 24);
    assert_eq!(log.lock().unwrap().len(), 24);
    assert_eq!(steps.last(), Some(&12));
    assert!(e.candidate_mean.unwrap() > e.current_mean.unwrap());
    let (_, p) = e.wilcoxon.unwrap();
    assert!(p < 0.05, "{e:?}");
    assert!(e.summary.contains("better"), "{}", e.summary);
    // The intents themselves were replayed.
    let first = log.lock().unwrap()[0].clone();
    assert!(first.body["messages"][1]["content"]
        .as_str()
        .unwrap()
        .contains('?'));
    // A cancelled evaluation returns nothing and stops calling.
    let cancel = Cancel::new();
    cancel.cancel();
    assert!(assist::evaluate(
        &store,
        &c,
        "The Auditor",
        &candidate,
        5,
        &mut no_progress,
        &cancel
    )
    .unwrap()
    .is_none());
    assert_eq!(log.lock().unwrap().len(), 24);
}

#[test]
fn the_api_key_never_follows_a_redirect_nor_crosses_the_network_in_clear_text() {
    let (_dir, store) = store();
    // The other host, where a redirect would carry the key.
    let (elsewhere, elsewhere_log) = serve(Box::new(|_, _| {
        (200, anthropic_reply("{}"), Duration::ZERO)
    }));
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}", server.server_addr().to_ip().unwrap());
    let target = format!("{elsewhere}/v1/messages");
    std::thread::spawn(move || {
        if let Ok(request) = server.recv() {
            let _ = request.respond(
                tiny_http::Response::from_string("")
                    .with_status_code(307)
                    .with_header(
                        format!("Location: {target}")
                            .parse::<tiny_http::Header>()
                            .unwrap(),
                    ),
            );
        }
    });
    let c = client(
        &store,
        config(Provider::Anthropic, &url, 10),
        Some("sk-ant-secret-9999"),
    );
    let err = c
        .complete(
            "system",
            &[llm::Turn {
                assistant: false,
                text: "hi".into(),
            }],
            &Cancel::new(),
        )
        .unwrap_err();
    assert!(
        matches!(err, LlmError::Redirected { status: 307, .. }),
        "{err:?}"
    );
    assert!(
        elsewhere_log.lock().unwrap().is_empty(),
        "the redirect was not followed"
    );
    // A key is only sent over https:// or to this machine.
    let far = config(Provider::Openai, "http://llm.example.com/v1", 10);
    llm::set_config(&store, &far).unwrap();
    llm::set_consent(&store, &far, true).unwrap();
    let err = Client::new(
        &store,
        far.clone(),
        Some(SecretString::from(String::from("sk-x"))),
    )
    .err()
    .unwrap();
    assert!(matches!(err, LlmError::Insecure { .. }), "{err:?}");
    // Without a key (a server on the local network that needs none) it may be used.
    assert!(Client::new(&store, far, None).is_ok());
    // A key belongs to one recipient: provider and base URL.
    let a = config(Provider::Anthropic, "https://api.anthropic.com/", 10);
    let b = config(Provider::Anthropic, "https://proxy.example.com", 10);
    let o = config(Provider::Openai, "https://api.anthropic.com", 10);
    assert_eq!(a.key_binding(), "Anthropic https://api.anthropic.com");
    assert_ne!(a.key_binding(), b.key_binding());
    assert_ne!(a.key_binding(), o.key_binding());
}
