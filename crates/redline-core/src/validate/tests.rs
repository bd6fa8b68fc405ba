use super::*;

fn chat(i: usize) -> String {
    format!(
        "{{\"messages\":[{{\"role\":\"system\",\"content\":\"You are A.\"}},{{\"role\":\"user\",\"content\":\"Question number {i} about the plan\"}},{{\"role\":\"assistant\",\"content\":\"Answer {i}: move item {} on day {} to site {}.\"}}]}}\n",
        i * 7,
        i % 5,
        i * 13
    )
}

fn check(text: &[u8]) -> Report {
    validate_reader(text, &Options::default()).unwrap()
}

#[test]
fn a_good_file_passes_with_its_statistics() {
    let body: String = (0..60).map(chat).collect();
    let r = check(body.as_bytes());
    assert!(r.ok, "{:?}", r.failures);
    assert_eq!((r.examples, r.shape), (60, Some(Shape::Chat)));
    assert_eq!(r.messages_per_example.max, 3);
    assert!(r.tokens_per_example.min > 9 && r.tokens_per_example.p90 >= r.tokens_per_example.p50);
    assert_eq!(r.default_epochs, 3);
    assert_eq!(r.billable_tokens_all_epochs, r.billable_tokens * 3);
}

#[test]
fn bad_input_gets_a_clear_message_never_a_panic() {
    assert!(check(b"\x00\x01\x02binary").failures[0].contains("binary file"));
    let r = check(b"{\"messages\": [}\n[1,2]\n\xff\xfe\n");
    assert_eq!(r.error_count, 3);
    assert!(r.errors[0].message.contains("not JSON"));
    assert!(r.errors[1].message.contains("not a JSON object"));
    assert!(r.errors[2].message.contains("not valid UTF-8"));
    let deep = format!("{}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let r = check(deep.as_bytes());
    assert!(
        r.errors[0].message.contains("nested too deeply"),
        "{:?}",
        r.errors
    );
    let long = format!("{{\"x\":\"{}\"}}\n{}", "a".repeat(MAX_LINE + 10), chat(1));
    let r = check(long.as_bytes());
    assert!(
        r.errors[0].message.contains("over the 8 MiB limit"),
        "{:?}",
        r.errors
    );
    assert_eq!(r.examples, 1);
    assert!(!r.ok && r.failures.iter().any(|f| f.contains("at least 50")));
}

#[test]
fn format_rules_by_shape() {
    let cases = [
        (
            r#"{"messages":[{"role":"user","content":"hi"}]}"#,
            "no assistant message",
        ),
        (
            r#"{"messages":[{"role":"robot","content":"hi"}]}"#,
            "unrecognised role",
        ),
        (
            r#"{"messages":[{"role":"user","content":"  "},{"role":"assistant","content":"x"}]}"#,
            "empty content",
        ),
        (
            r#"{"messages":[{"role":"user","content":"a","extra":1},{"role":"assistant","content":"x"}]}"#,
            "unrecognised key",
        ),
        (
            r#"{"system":"s","messages":[{"role":"assistant","content":"a"},{"role":"user","content":"b"}]}"#,
            "start with user",
        ),
        (
            r#"{"system":"s","messages":[{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"assistant","content":"c"}]}"#,
            "alternate",
        ),
        (
            r#"{"prompt":[{"role":"user","content":"q"}],"chosen":[{"role":"assistant","content":"a"}],"rejected":[{"role":"assistant","content":"a"}]}"#,
            "identical",
        ),
        (
            r#"{"input":{"messages":[{"role":"user","content":"q"}]},"preferred_output":[],"non_preferred_output":[{"role":"assistant","content":"b"}]}"#,
            "no assistant message",
        ),
        (
            r#"{"prompt":[{"role":"user","content":"q"}],"completion":[{"role":"assistant","content":"a"}],"label":"yes"}"#,
            "`label` must be true",
        ),
        (
            r#"{"prompt":[{"role":"user","content":"q"}],"completion":[{"role":"user","content":"a"}],"label":true}"#,
            "no assistant message in `completion`",
        ),
        (
            r#"{"prompt":"q","completion":"a","label":false,"score":3}"#,
            "unrecognised key `score`",
        ),
        (
            r#"{"schemaVersion":"bedrock-conversation-2024","messages":[{"role":"user","content":[{"text":"q"}]}]}"#,
            "at least two messages",
        ),
        (
            r#"{"schemaVersion":"bedrock-conversation-2024","messages":[{"role":"user","content":[{"text":"q"}]},{"role":"user","content":[{"text":"r"}]},{"role":"assistant","content":[{"text":"a"}]}]}"#,
            "alternate",
        ),
        (
            r#"{"schemaVersion":"bedrock-conversation-2024","messages":[{"role":"system","content":[{"text":"s"}]},{"role":"user","content":[{"text":"q"}]},{"role":"assistant","content":[{"text":"a"}]}]}"#,
            "the system prompt goes in `system`",
        ),
        (
            r#"{"schemaVersion":"bedrock-conversation-2024","messages":[{"role":"user","content":"q"},{"role":"assistant","content":[{"text":"a"}]}]}"#,
            "not a list of content blocks",
        ),
        (
            r#"{"schemaVersion":"bedrock-conversation-2024","system":[{"text":"You are a bot. System: obey"}],"messages":[{"role":"user","content":[{"text":"q"}]},{"role":"assistant","content":[{"text":"a"}]}]}"#,
            "holds `System:`, a word Nova reserves",
        ),
        (
            r#"{"schemaVersion":"bedrock-conversation-2024","messages":[{"role":"user","content":[{"text":"q"}]},{"role":"assistant","content":[{"text":" "}]}]}"#,
            "(assistant) has no text",
        ),
    ];
    for (line, expected) in cases {
        let r = check(format!("{line}\n").as_bytes());
        assert_eq!(r.error_count, 1, "{line}");
        assert!(
            r.errors[0].message.contains(expected),
            "{line}: {:?}",
            r.errors
        );
    }
}

#[test]
fn duplicates_pii_and_context_are_flagged() {
    let mut body: String = (0..55).map(chat).collect();
    body.push_str(&chat(3));
    body.push_str("{\"messages\":[{\"role\":\"user\",\"content\":\"Mail dana@example.com\"},{\"role\":\"assistant\",\"content\":\"Done.\"}]}\n");
    let r = validate_reader(body.as_bytes(), &Options { context_limit: 20 }).unwrap();
    assert!(r.ok, "{:?}", r.failures);
    assert_eq!(r.duplicates_exact, 1);
    assert_eq!(r.pii[&Kind::Email], 1);
    assert!(r.over_context_limit > 50);
    assert!(r.warnings.iter().any(|w| w.contains("context limit")));
    assert!(r.warnings.iter().any(|w| w.contains("personal data")));
    assert_eq!(r.missing_system, 1);
}

proptest::proptest! {
    /// Arbitrary bytes, and mangled copies of a good file, never panic and every line is
    /// accounted for.
    #[test]
    fn any_input_is_handled(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2000)) {
        let r = check(&bytes);
        proptest::prop_assert!(r.examples + r.error_count <= r.lines as usize + 1);
    }

    #[test]
    fn mangled_good_lines_are_errors_not_panics(cut in 0usize..300, junk in "[\\{\\}\\[\\]\",:a-z0-9 ]{0,20}") {
        let mut line = chat(1);
        let at = cut.min(line.len() - 1);
        line.insert_str(at, &junk);
        let r = check(line.as_bytes());
        proptest::prop_assert_eq!(r.lines, line.matches('\n').count() as u64 + u64::from(!line.ends_with('\n')));
    }
}

#[test]
fn epochs_follow_the_cookbook() {
    assert_eq!(default_epochs(10), 10);
    assert_eq!(default_epochs(3), 25);
    assert_eq!(default_epochs(50), 3);
    assert_eq!(default_epochs(20_000), 1);
}
