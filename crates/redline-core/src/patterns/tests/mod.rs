//! Pattern mining on hand-written edge cases. The sample-data recovery tests are in
//! tests/patterns.rs.

use super::ops::edit_ops;
use super::*;
use crate::model::*;

mod noise;

fn s(id: &str, agent: &str, ai: &str, fin: &str) -> Settlement {
    test_settlement(id, agent, ai, fin)
}

#[test]
fn categories_by_hand() {
    let c = |ai: &str, fin: &str| categorise(ai, fin, &edit_ops(ai, fin));
    assert_eq!(
        c("Same text here.", "Same text here."),
        Category::AcceptedAsIs
    );
    assert_eq!(c("", ""), Category::AcceptedAsIs);
    let long = "one two three four five six seven eight nine ten eleven twelve.";
    assert_eq!(
        c(
            long,
            "one two three four five six seven eight nine ten eleven twelve!"
        ),
        Category::LightPolish
    );
    assert_eq!(c(long, "one two three four five six."), Category::Trimmed);
    assert_eq!(
        c("one two three.", "one two three four five six seven eight."),
        Category::Expanded
    );
    assert_eq!(
        c(long, "Completely different words entirely here."),
        Category::Rewritten
    );
    assert_eq!(c("Draft text.", ""), Category::Rewritten);
    assert_eq!(
        c(
            "alpha beta gamma delta epsilon zeta eta theta",
            "eta theta alpha beta gamma delta epsilon zeta"
        ),
        Category::Restructured
    );
    assert_eq!(
        c(
            "We utilize the tool and commence the work and leverage the plan today",
            "We use the tool and start the work and apply the plan today"
        ),
        Category::Reworded
    );
}

#[test]
fn a_consistently_deleted_opener_is_one_phrase_with_its_share() {
    let mut all = Vec::new();
    for i in 0..40 {
        let body = format!("Item {i} ships on Friday to the warehouse.");
        let ai = format!("Let me analyze this for you. {body}");
        // Removed in 30 of 40.
        let fin = if i < 30 { body.clone() } else { ai.clone() };
        all.push(s(&format!("a{i}"), "A", &ai, &fin));
    }
    let r = mine_slice(&all);
    assert_eq!(r.agents.len(), 1);
    let a = &r.agents[0];
    let top = &a.deleted[0];
    assert_eq!(top.text, "let me analyze this for you");
    assert_eq!((top.hits, top.support), (30, 40));
    assert!((top.share.value - 0.75).abs() < 1e-9);
    // Not a pile of fragments: no other deleted phrase is part of it.
    assert!(
        a.deleted
            .iter()
            .skip(1)
            .all(|p| !top.text.contains(&p.text)),
        "{:?}",
        a.deleted
    );
    assert_eq!(top.examples.len(), EXAMPLES);
    assert!(a.recommendations[0]
        .text
        .contains("let me analyze this for you"));
    assert_eq!(a.categories[&Category::AcceptedAsIs], 10);
}

#[test]
fn long_sentences_merge_into_one_maximal_phrase() {
    let hedge = "It is worth noting that this may vary depending on circumstances.";
    let all: Vec<Settlement> = (0..20)
        .map(|i| {
            let body = format!("Order {i} is late.");
            s(&format!("h{i}"), "A", &format!("{body} {hedge}"), &body)
        })
        .collect();
    let a = &mine_slice(&all).agents[0];
    assert_eq!(
        a.deleted[0].text,
        "it is worth noting that this may vary depending on circumstances"
    );
    assert_eq!(a.deleted.len(), 1, "{:?}", a.deleted);
}

#[test]
fn replacements_and_additions_are_found() {
    let all: Vec<Settlement> = (0..30)
        .map(|i| {
            let ai = format!("We utilize the report {i}.");
            let fin = if i % 3 == 0 {
                ai.clone()
            } else {
                format!("We use the report {i}. Next step: Dana owns it.")
            };
            s(&format!("r{i}"), "A", &ai, &fin)
        })
        .collect();
    let a = &mine_slice(&all).agents[0];
    let r = &a.replacements[0];
    assert_eq!((r.from.as_str(), r.to.as_str()), ("utilize", "use"));
    assert_eq!((r.hits, r.support), (20, 30));
    assert!(a
        .added
        .iter()
        .any(|p| p.text == "next step dana owns it" && p.hits == 20));
    assert!(a.recommendations.iter().any(|r| r.kind == "replace"));
}

#[test]
fn edge_cases_do_not_break_mining() {
    let big = "Word ".repeat(20_000); // 100 KB
    let all = vec![
        s("e1", "A", "Identical.", "Identical."),
        s(
            "e2",
            "A",
            "Completely rewritten text.",
            "Nothing alike remains here.",
        ),
        s("e3", "A", "Some draft.", ""),
        s(
            "e4",
            "A",
            "First sentence. Second sentence.",
            "Second sentence. First sentence.",
        ),
        s(
            "e5",
            "A",
            "Größe prüfen 🙂 bitte.",
            "Größe prüfen bitte 🎉.",
        ),
        s("e6", "A", "日本語のテキストです。", "日本語の文章です。"),
        s("e7", "A", &big, &format!("{big}Done.")),
        s("e8", "A", "", "Only a final version."),
    ];
    let r = mine_slice(&all);
    let a = &r.agents[0];
    assert_eq!(a.settlements, 8);
    assert_eq!(a.categories.values().sum::<usize>(), 8);
    // Too few settlements for any pattern to count: nothing is claimed.
    assert!(a.deleted.is_empty() && a.added.is_empty() && a.replacements.is_empty());
    assert!(mine_slice(&[]).agents.is_empty());
}

#[test]
fn agents_are_kept_apart_and_summed_overall() {
    let mut all = Vec::new();
    for i in 0..20 {
        all.push(s(
            &format!("x{i}"),
            "X",
            &format!("Great question! Task {i} is done."),
            &format!("Task {i} is done."),
        ));
        all.push(s(
            &format!("y{i}"),
            "Y",
            &format!("Task {i} is done. I hope this helps!"),
            &format!("Task {i} is done."),
        ));
    }
    let r = mine_slice(&all);
    let names: Vec<&str> = r.agents.iter().map(|a| a.agent.as_str()).collect();
    assert_eq!(names, vec!["X", "Y", ALL_AGENTS]);
    assert_eq!(r.agents[0].deleted[0].text, "great question");
    assert!(r.agents[0].deleted.iter().all(|p| !p.text.contains("hope")));
    assert_eq!(r.agents[1].deleted[0].text, "i hope this helps");
    let overall = &r.agents[2];
    assert_eq!(overall.settlements, 40);
    let gq = overall
        .deleted
        .iter()
        .find(|p| p.text == "great question")
        .unwrap();
    assert_eq!((gq.hits, gq.support), (20, 20));
}

#[test]
fn phrase_trends_compare_the_two_halves_of_the_span() {
    use crate::sample::{self, end_of_day, SampleSpec};
    let all = sample::generate(&SampleSpec {
        count: 6000,
        end: end_of_day(chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()),
        ..Default::default()
    });
    let report = mine_slice(&all);
    let group = |name: &str| report.agents.iter().find(|a| a.agent == name).unwrap();
    // The Operator's line of the last week: never written in the earlier half.
    let wiki = group(sample::EMERGING_AGENT)
        .deleted
        .iter()
        .find(|p| p.text == "source internal wiki")
        .expect("the planted line");
    let t = wiki.trend.as_ref().unwrap();
    assert_eq!(t.direction, "new");
    assert!(t.early.is_none() && t.late.unwrap().value > 0.9);
    // The regressing Auditor's "Bottom line" sentence: added only in its last 7 days.
    let bottom = group(sample::REGRESSING_AGENT)
        .added
        .iter()
        .find(|p| p.text.starts_with("bottom line"))
        .expect("the planted addition");
    let t = bottom.trend.as_ref().unwrap();
    assert_eq!(t.direction, "rising", "{t:?}");
    assert_eq!(t.early.unwrap().value, 0.0);
    // People delete The Entrepreneur's filler at the same rate all along (its prompt v2 makes
    // it rarer, not less deleted).
    let filler = group("The Entrepreneur")
        .deleted
        .iter()
        .find(|p| p.text.contains("let me analyze this"))
        .expect("the filler opener");
    assert_eq!(
        filler.trend.as_ref().unwrap().direction,
        "steady",
        "{filler:?}"
    );
}

#[test]
fn rejection_patterns_are_phrases_typical_of_rejected_outputs() {
    // 40 outputs: the 10 people rejected all carry "as per the attached memo"; 2 of the 30
    // kept ones do too.
    let mut all = Vec::new();
    for i in 0..40 {
        let memo = !(10..38).contains(&i);
        let ai =
            format!(
            "{}Ship the order {i} today and confirm the delivery window with the warehouse team.",
            if memo { "As per the attached memo, " } else { "" }
        );
        let fin = if i < 10 {
            format!("Completely different plan number {i}: call the customer first.")
        } else {
            ai.replace("As per the attached memo, ", "")
        };
        all.push(s(&format!("r{i}"), "A", &ai, &fin));
    }
    let report = mine_slice(&all);
    let a = &report.agents[0];
    assert_eq!(
        a.categories.get(&Category::Rewritten).copied(),
        Some(10),
        "{:?}",
        a.categories
    );
    let memo = a
        .rejection_patterns
        .iter()
        .find(|r| r.text.contains("attached memo"))
        .unwrap_or_else(|| panic!("{:#?}", a.rejection_patterns));
    assert_eq!(memo.in_rejected.value, 1.0);
    assert!((memo.elsewhere.value - 2.0 / 30.0).abs() < 1e-9);
    assert!(memo.lift > 10.0 && memo.p_value < 0.01, "{memo:?}");
    // Words every output has are not a rejection pattern.
    assert!(a
        .rejection_patterns
        .iter()
        .all(|r| !r.text.contains("warehouse")));
}

/// Every count is per settlement: no pattern claims more settlements than its group has, and
/// no replacement more than the outputs that contain its source.
fn assert_counts_are_per_settlement(report: &Report) {
    for a in &report.agents {
        for p in a.deleted.iter().chain(&a.added) {
            assert!(p.hits <= p.support, "{}: {p:?}", a.agent);
            assert!(p.support <= a.settlements, "{}: {p:?}", a.agent);
        }
        for r in &a.replacements {
            assert!(r.hits <= r.support, "{}: {r:?}", a.agent);
            assert!(r.support <= a.settlements, "{}: {r:?}", a.agent);
        }
    }
}

#[test]
fn support_never_exceeds_the_settlements() {
    // "it is" → "it's" twice in every output: one settlement's evidence each time.
    let list: Vec<Settlement> = (0..40)
        .map(|i| {
            s(
                &format!("r{i}"),
                "A",
                &format!("Well it is done. Sure, it is fine {i}."),
                &format!("Well it's done. Sure, it's fine {i}."),
            )
        })
        .collect();
    let report = mine_slice(&list);
    assert_counts_are_per_settlement(&report);
    let r = report.agents[0]
        .replacements
        .iter()
        .find(|r| r.from == "it is" && r.to == "it's")
        .expect("the replacement is found");
    assert_eq!((r.hits, r.support), (40, 40));
    // On sample data, whose outputs repeat phrases, across every agent.
    let sample = crate::sample::generate(&crate::sample::SampleSpec {
        count: 3000,
        ..Default::default()
    });
    assert_counts_are_per_settlement(&mine_slice(&sample));
}

#[test]
fn lists_rank_by_editing_and_judge_lone_function_words_by_their_evidence() {
    // Agent A: "the" is cut from every output, far more often than an average word, so it is
    // listed — below the filler, which accounts for more editing. Agent B: people rewrite
    // half of each output, and "the" is taken out no more often than any other word of it, so
    // it says nothing about the agent and is not listed.
    let mut list: Vec<Settlement> = (0..60)
        .map(|i| {
            s(
                &format!("f{i}"),
                "A",
                &format!("Let me analyze this for you. Ship the fix {i} today."),
                &format!("Ship fix {i} today."),
            )
        })
        .collect();
    list.extend((0..60).map(|i| {
        let (ai, fin) = if i % 2 == 0 {
            (
                format!("The report {i} is ready and the team can read it."),
                format!("Report {i} done; team informed."),
            )
        } else {
            (
                format!("The plan {i} is set and the crew will start soon."),
                format!("The plan {i} is set and the crew will start soon."),
            )
        };
        s(&format!("b{i}"), "B", &ai, &fin)
    }));
    let report = mine_slice(&list);
    let agent = |name: &str| report.agents.iter().find(|a| a.agent == name).unwrap();
    let a = agent("A");
    assert_eq!(a.deleted[0].text, "let me analyze this for you");
    assert!(a.deleted.windows(2).all(|w| w[0].effort >= w[1].effort));
    let the = a.deleted.iter().find(|p| p.text == "the").expect("listed");
    assert_eq!((the.hits, the.support, the.cut_share), (60, 60, Some(1.0)));
    let b = agent("B");
    assert!(b.deleted.iter().all(|p| p.text != "the"), "{:?}", b.deleted);
    assert!(
        b.replacements.iter().all(|r| r.from != "the"),
        "{:?}",
        b.replacements
    );
}

#[test]
fn replacements_group_by_what_people_replaced() {
    // "would be" is replaced in 30 of 40 outputs: by "was" 18 times, by "is" 12 times. The
    // article "the" is replaced by "a" in 20 of them: a named replacement (article choice).
    let list: Vec<Settlement> = (0..40)
        .map(|i| {
            let ai = format!("The plan {i} would be ready. Then the team ships order {i} today.");
            let to = match i % 4 {
                0 => "would be",
                1 | 2 if i % 8 < 4 => "is",
                _ => "was",
            };
            let article = if i % 2 == 0 { "a" } else { "the" };
            let fin =
                format!("The plan {i} {to} ready. Then {article} team ships order {i} today.");
            s(&format!("r{i}"), "A", &ai, &fin)
        })
        .collect();
    let report = mine_slice(&list);
    assert_counts_are_per_settlement(&report);
    let a = &report.agents[0];
    let would = a
        .replacements
        .iter()
        .find(|r| r.from == "would be")
        .unwrap_or_else(|| panic!("{:#?}", a.replacements));
    assert_eq!((would.hits, would.support), (30, 40));
    let targets: Vec<(&str, usize)> = would
        .targets
        .iter()
        .map(|t| (t.to.as_str(), t.hits))
        .collect();
    assert_eq!(targets, vec![("was", 20), ("is", 10)]);
    assert_eq!(would.to, "was");
    // Its words are not listed again on their own: "would be" explains them.
    assert!(
        a.replacements
            .iter()
            .all(|r| r.from != "would" && r.from != "be"),
        "{:#?}",
        a.replacements
    );
    let the = a
        .replacements
        .iter()
        .find(|r| r.from == "the")
        .unwrap_or_else(|| panic!("{:#?}", a.replacements));
    assert_eq!(the.to, "a");
    assert_eq!(the.hits, 20);
    // Listed, but no advice: "Say “a” instead of “the”" is not a prompt change.
    assert!(
        a.recommendations
            .iter()
            .all(|r| !r.text.contains("instead of “the”")),
        "{:#?}",
        a.recommendations
    );
    // Swapped for named words: replacement patterns, listed there, not as phrases taken out.
    assert!(
        a.deleted
            .iter()
            .all(|p| p.text != "the" && p.text != "would be"),
        "{:#?}",
        a.deleted
    );
}

#[test]
fn words_changed_at_the_usual_rate_are_no_pattern() {
    // Every word of every output is replaced with the same chance: no phrase is special.
    let words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"];
    let list: Vec<Settlement> = (0..300)
        .map(|i| {
            let ai: Vec<&str> = (0..6).map(|k| words[(i + k) % 6]).collect();
            let fin: Vec<String> = ai
                .iter()
                .enumerate()
                .map(|(k, w)| {
                    if (i * 7 + k * 3) % 5 == 0 {
                        format!("{w}x")
                    } else {
                        (*w).to_owned()
                    }
                })
                .collect();
            s(&format!("r{i}"), "A", &ai.join(" "), &fin.join(" "))
        })
        .collect();
    let a = &mine_slice(&list).agents[0];
    assert!(a.replacements.is_empty(), "{:#?}", a.replacements);
    assert!(a.deleted.is_empty(), "{:#?}", a.deleted);
}

#[test]
fn a_closing_sentence_people_cut_is_a_structure_pattern() {
    // Four sentences each; people cut the closing summary in 45 of 60 outputs, and a middle
    // sentence in 6 of them.
    let list: Vec<Settlement> = (0..60)
        .map(|i| {
            let ai = format!(
                "Order {i} ships on Monday. The crate holds part {i}. It goes by truck {i}. In summary, order {i} is on its way."
            );
            let fin = match i % 4 {
                0 => ai.clone(),
                _ if i % 10 == 1 => format!("Order {i} ships on Monday. It goes by truck {i}."),
                _ => format!(
                    "Order {i} ships on Monday. The crate holds part {i}. It goes by truck {i}."
                ),
            };
            s(&format!("r{i}"), "A", &ai, &fin)
        })
        .collect();
    let a = &mine_slice(&list).agents[0];
    assert_eq!(a.structure.len(), 1, "{:#?}", a.structure);
    let p = &a.structure[0];
    assert_eq!(p.kind, "closing_sentence_cut");
    assert_eq!((p.hits, p.support), (45, 60));
    assert!(
        (p.middle_share.unwrap() - 6.0 / 120.0).abs() < 1e-9,
        "{p:?}"
    );
    assert!(
        p.text
            .starts_with("People delete the closing sentence in 75% (95% CI"),
        "{}",
        p.text
    );
    assert_eq!(p.examples.len(), EXAMPLES);
    assert!(a
        .recommendations
        .iter()
        .any(|r| r.kind == "structure" && r.text.starts_with("End when the content ends")));
    // When people cut any sentence as often, the closing one is nothing special.
    let even: Vec<Settlement> = (0..120)
        .map(|i| {
            let parts = [
                format!("Order {i} ships on Monday."),
                format!("The crate holds part {i}."),
                format!("It goes by truck {i}."),
                format!("Order {i} is on its way."),
            ];
            let cut = i % 4;
            let fin: Vec<&str> = parts
                .iter()
                .enumerate()
                .filter(|(k, _)| i % 3 != 0 || *k != cut)
                .map(|(_, p)| p.as_str())
                .collect();
            s(&format!("e{i}"), "B", &parts.join(" "), &fin.join(" "))
        })
        .collect();
    assert!(mine_slice(&even).agents[0].structure.is_empty());
}

#[test]
fn benjamini_hochberg_by_hand() {
    let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.20]);
    let want = [0.04, 0.04 * 4.0 / 3.0, 0.04 * 4.0 / 3.0, 0.20];
    for (got, want) in q.iter().zip(want) {
        assert!((got - want).abs() < 1e-12, "{q:?}");
    }
    assert!(benjamini_hochberg(&[]).is_empty());
}

#[test]
fn trend_calls_control_the_false_discovery_rate_across_phrases() {
    let est = |v: f64| Estimate {
        value: v,
        low: Some(v - 0.05),
        high: Some(v + 0.05),
        n: 100,
    };
    let trend = |p: f64, late: f64| PhraseTrend {
        split: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        early: Some(est(0.3)),
        late: Some(est(late)),
        p_value: Some(p),
        q_value: None,
        direction: if p < 0.01 { "rising" } else { "steady" },
    };
    // 200 phrases tested; a handful have p < 0.01 by chance (as 200 null tests would), one
    // moved for real.
    let mut trends: Vec<PhraseTrend> = (0..200)
        .map(|i| trend((i as f64 + 0.5) / 200.0, 0.35))
        .collect();
    trends.push(trend(1e-9, 0.6));
    let by_chance = trends.iter().filter(|t| t.p_value.unwrap() < 0.01).count();
    assert_eq!(by_chance, 3);
    control_trend_fdr(trends.iter_mut().collect());
    let called: Vec<f64> = trends
        .iter()
        .filter(|t| t.direction != "steady")
        .map(|t| t.p_value.unwrap())
        .collect();
    assert_eq!(called, vec![1e-9], "only the real move is called");
    assert_eq!(trends.last().unwrap().direction, "rising");
    assert!(trends.iter().all(|t| t.q_value.is_some()));
}

#[test]
fn a_phrase_context_is_the_words_around_it_as_written() {
    let text = "We can ship it today. In order to reach the North depot, the truck leaves at six.";
    assert_eq!(
        context_in(text, "in order to").as_deref(),
        Some("We can ship it today. In order to reach the North depot, the …")
    );
    assert_eq!(
        context_in("Great question! Here it is.", "great question").as_deref(),
        Some("Great question! Here it is.")
    );
    assert_eq!(context_in(text, "not here"), None);
}

#[test]
fn changes_of_shape_are_structure_patterns() {
    // 40 outputs each: a heading and a list people turn into prose; a restating sentence they
    // cut; a long sentence they split; two sentences they merge; a sentence they move.
    let mut list = Vec::new();
    for i in 0..40 {
        let ai = format!(
            "# Plan {i}\n- Ship order {i} on Monday\n- Send the invoice {i}\n\nThe crate holds part {i}."
        );
        let fin = format!(
            "Ship order {i} on Monday and send the invoice {i}.\n\nThe crate holds part {i}."
        );
        list.push(s(&format!("l{i}"), "Lists", &ai, &fin));
        let ai = format!(
            "Order {i} ships on Monday by truck. The crate holds spare part {i}. To repeat, order {i} ships Monday by truck."
        );
        let fin = format!("Order {i} ships on Monday by truck. The crate holds spare part {i}.");
        list.push(s(&format!("r{i}"), "Restates", &ai, &fin));
        let ai = format!(
            "We shipped order {i} on Monday, and the team will watch the error rate all week. Call Dana."
        );
        let fin = format!(
            "We shipped order {i} on Monday. The team will watch the error rate all week. Call Dana."
        );
        list.push(s(&format!("s{i}"), "Splits", &ai, &fin));
        let ai = format!("The report {i} is ready. It covers the third quarter. Call Dana.");
        let fin = format!("The report {i}, covering the third quarter, is ready. Call Dana.");
        list.push(s(&format!("m{i}"), "Merges", &ai, &fin));
        let ai = format!(
            "Dana owns ticket {i} from today. The error rate doubled after the release. Ship the fix."
        );
        let fin = format!(
            "The error rate doubled after the release. Ship the fix. Dana owns ticket {i} from today."
        );
        list.push(s(&format!("v{i}"), "Moves", &ai, &fin));
    }
    let report = mine_slice(&list);
    let kinds = |agent: &str| -> Vec<&str> {
        let a = report.agents.iter().find(|a| a.agent == agent).unwrap();
        a.structure.iter().map(|p| p.kind).collect()
    };
    let lists = kinds("Lists");
    assert!(
        lists.contains(&"heading_removed") && lists.contains(&"list_to_prose"),
        "{lists:?}"
    );
    assert!(
        kinds("Restates").contains(&"restating_sentence_cut"),
        "{:?}",
        kinds("Restates")
    );
    assert_eq!(kinds("Splits"), vec!["sentence_split"]);
    assert_eq!(kinds("Merges"), vec!["sentences_merged"]);
    assert!(
        kinds("Moves").contains(&"sentence_moved"),
        "{:?}",
        kinds("Moves")
    );
    let a = report.agents.iter().find(|a| a.agent == "Lists").unwrap();
    let p = a
        .structure
        .iter()
        .find(|p| p.kind == "list_to_prose")
        .unwrap();
    assert_eq!((p.hits, p.support), (40, 40));
    assert_eq!(
        p.text,
        "People turn the list into prose in 100% (95% CI 91%–100%) of the 40 outputs with a list."
    );
    assert!(a.recommendations.iter().any(|r| r.kind == "structure"
        && r.text
            .starts_with("Write prose, not lists: people turn the list into prose")));
    // A moved sentence is no deleted phrase and no added one.
    let moves = report.agents.iter().find(|a| a.agent == "Moves").unwrap();
    assert!(
        moves.deleted.is_empty() && moves.added.is_empty(),
        "{:?} {:?}",
        moves.deleted,
        moves.added
    );
    // The move's two sides are structure; the space left where it was is formatting.
    let kinds: Vec<(super::taxonomy::EditKind, usize)> =
        moves.edit_kinds.iter().map(|k| (k.kind, k.edits)).collect();
    assert_eq!(
        kinds,
        vec![
            (super::taxonomy::EditKind::Structure, 80),
            (super::taxonomy::EditKind::Formatting, 40)
        ]
    );
}

#[test]
fn a_target_is_named_only_when_people_chose_it_in_five_outputs() {
    // "swiftly" is swapped in 40 outputs, each time for another word: people take it out, but
    // there is no one thing they write instead. "utilize" becomes "use" in 30 of 30.
    let list: Vec<Settlement> = (0..40)
        .map(|i| {
            s(
                &format!("t{i}"),
                "A",
                &format!("We move swiftly on case {i}. We utilize tool {i} daily."),
                &if i < 30 {
                    format!("We move word{i} on case {i}. We use tool {i} daily.")
                } else {
                    format!("We move word{i} on case {i}. We utilize tool {i} daily.")
                },
            )
        })
        .collect();
    let report = mine_slice(&list);
    assert_counts_are_per_settlement(&report);
    let a = &report.agents[0];
    let swiftly = a
        .replacements
        .iter()
        .find(|r| r.from == "swiftly")
        .unwrap_or_else(|| panic!("{:#?}", a.replacements));
    assert!(
        swiftly.targets.is_empty() && swiftly.to.is_empty(),
        "{swiftly:?}"
    );
    // Taken out and rewritten every time, never cut: listed once, as a replacement source
    // (replaced in 40 of 40 outputs), not again as a deletion.
    assert_eq!((swiftly.hits, swiftly.support), (40, 40));
    assert!(
        a.deleted.iter().all(|p| p.text != "swiftly"),
        "{:?}",
        a.deleted
    );
    // "utilize" is swapped for a named word: a replacement pattern, listed there only.
    let utilize = a.replacements.iter().find(|r| r.from == "utilize").unwrap();
    assert_eq!((utilize.to.as_str(), utilize.hits), ("use", 30));
    assert!(
        a.deleted.iter().all(|p| p.text != "utilize"),
        "{:?}",
        a.deleted
    );
    // Replay tries named targets only: no "replace swiftly with word7".
    let rules: Vec<String> = super::replay::rules_of(a)
        .into_iter()
        .map(|(o, _)| o.text)
        .collect();
    assert!(
        rules
            .iter()
            .any(|r| r.contains("“use” instead of “utilize”")),
        "{rules:?}"
    );
    assert!(
        rules.iter().all(|r| !r.contains("instead of “swiftly”")),
        "{rules:?}"
    );
}

#[test]
fn the_phrase_threshold_counts_the_outputs_people_edited_not_those_they_left_alone() {
    // 10,000 outputs, 9,900 accepted as they were: of the 100 edited, 12 lose the same opener.
    // Against all outputs a phrase would need 20 (0.2%); against the edited, 5.
    let mut all = Vec::new();
    for i in 0..10_000 {
        let body = format!("Order {i} ships on Friday from the north warehouse.");
        let (ai, fin) = match i {
            0..12 => (format!("To be perfectly candid here, {body}"), body),
            12..100 => (body.clone(), format!("{body} Thanks.")),
            _ => (body.clone(), body),
        };
        all.push(s(&format!("t{i}"), "A", &ai, &fin));
    }
    let r = mine_slice(&all);
    let a = &r.agents[0];
    assert_eq!(a.categories[&Category::AcceptedAsIs], 9_900);
    assert_eq!(a.min_hits, 5);
    let top = a.deleted.first().expect("a deleted phrase");
    assert_eq!(top.text, "to be perfectly candid here");
    assert_eq!((top.hits, top.support), (12, 12));
}
