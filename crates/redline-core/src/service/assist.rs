//! The LLM-assisted half of the design's PromptOptimizer: generate_prompt_variants with an LLM,
//! and evaluate_prompt_variant — replaying recent intents with the current and a candidate
//! prompt and scoring each output against what the person finally used.
//!
//! Both send settlement text (mined phrases, intents) to the configured provider, so both need
//! a [`llm::Client`], which exists only after the user consented for that provider.

use crate::diff;
use crate::experiments::variants::{recent, Generated, PromptVariant};
use crate::job::{Cancel, Progress, Step};
use crate::llm::{self, Client, LlmError, Turn};
use crate::model::Settlement;
use crate::patterns;
use crate::prompts;
use crate::stats::{self, Estimate};
use crate::store::Store;
use serde::Serialize;
use serde_json::Value;

/// Variants asked for when none is said.
pub const DEFAULT_VARIANTS: usize = 3;
/// Historical intents replayed by an evaluation when none is said.
pub const DEFAULT_REPLAY: usize = 20;
/// The longest prompt accepted from a reply.
const MAX_PROMPT_CHARS: usize = 50_000;

const SYSTEM: &str = "You are an expert prompt engineer. You revise the system prompt of an AI agent so that its drafts need fewer human edits. Reply with JSON only, no prose, in exactly this shape: {\"variants\": [{\"title\": \"a short name\", \"prompt\": \"the complete revised system prompt\", \"rationale\": \"one sentence: which evidence it addresses\"}]}";

/// Check a reply: exactly `want` variants, each with a title, a rationale and a prompt that
/// differs from the current one; titles distinct.
pub fn parse_variants(
    text: &str,
    want: usize,
    current: &str,
) -> Result<Vec<(String, String, String)>, String> {
    let v = llm::extract_json(text).ok_or("the reply holds no JSON object")?;
    let items = v["variants"]
        .as_array()
        .ok_or("the JSON has no \"variants\" array")?;
    if items.len() != want {
        return Err(format!("{} variants instead of {want}", items.len()));
    }
    let mut out: Vec<(String, String, String)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let field = |name: &str| -> Result<String, String> {
            match &item[name] {
                Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
                _ => Err(format!("variant {} has no \"{name}\" text", i + 1)),
            }
        };
        let (title, prompt, rationale) = (field("title")?, field("prompt")?, field("rationale")?);
        if title.chars().count() > 120 {
            return Err(format!("variant {}'s title is over 120 characters", i + 1));
        }
        if prompt.chars().count() > MAX_PROMPT_CHARS {
            return Err(format!(
                "variant {}'s prompt is over {MAX_PROMPT_CHARS} characters",
                i + 1
            ));
        }
        if prompt == current.trim() {
            return Err(format!("variant {} is the current prompt unchanged", i + 1));
        }
        if out.iter().any(|(t, _, _)| t.eq_ignore_ascii_case(&title)) {
            return Err(format!("two variants are titled \"{title}\""));
        }
        out.push((title, prompt, rationale));
    }
    Ok(out)
}

/// Generate `n` variants of the agent's active prompt with the LLM, from the evidence mined in
/// its last `last` settlements. A malformed reply is answered once with what was wrong; a
/// second malformed reply is an error. Usage is recorded in the audit log.
pub fn generate_with_llm(
    store: &Store,
    client: &Client,
    agent: &str,
    last: usize,
    n: usize,
    cancel: &Cancel,
) -> Result<Generated, LlmError> {
    if !(1..=5).contains(&n) {
        return Err(LlmError::Invalid(format!(
            "ask for 1 to 5 variants, not {n}"
        )));
    }
    let settlements = recent(store, agent, last)?;
    let current = prompts::active(store, agent).map_err(|e| match e {
        prompts::PromptError::Store(s) => LlmError::Store(s),
        other => LlmError::Invalid(other.to_string()),
    })?;
    let Some(current) = current else {
        return Err(LlmError::Invalid(format!(
            "{agent} has no prompt in the registry: add its current prompt first, so the LLM has something to revise"
        )));
    };
    let report = patterns::mine_slice(&settlements);
    let evidence = report
        .agents
        .iter()
        .find(|a| a.agent == agent)
        .map(|a| a.recommendations.clone())
        .unwrap_or_default();
    if evidence.is_empty() {
        return Ok(Generated {
            agent: agent.to_owned(),
            analysed: settlements.len(),
            current: Some(current),
            variants: Vec::new(),
            note: Some(
                "No consistent edits to base variants on: nothing was sent to the LLM.".into(),
            ),
        });
    }
    let mut ask = format!(
        "Agent: {agent}\n\nCurrent system prompt:\n<<<\n{}\n>>>\n\nEvidence from the agent's last {} settlements (how people edited its drafts before using them):\n",
        current.text,
        settlements.len()
    );
    for r in &evidence {
        ask.push_str(&format!("- {}\n", r.text));
    }
    ask.push_str(&format!(
        "\nWrite {n} distinct variants of the system prompt, each addressing the evidence in a different way. Keep everything the current prompt asks for; change only what the evidence supports."
    ));
    let mut turns = vec![Turn {
        assistant: false,
        text: ask,
    }];
    let (mut calls, mut input, mut output) = (0u64, 0u64, 0u64);
    let mut outcome = Err(String::new());
    for attempt in 0..2 {
        let reply = client.complete(SYSTEM, &turns, cancel);
        if let Ok(r) = &reply {
            calls += 1;
            input += r.input_tokens;
            output += r.output_tokens;
        }
        let reply = match reply {
            Ok(r) => r,
            Err(e) => {
                llm::record_usage(store, client.config(), "variants", calls, input, output)?;
                return Err(e);
            }
        };
        outcome = parse_variants(&reply.text, n, &current.text);
        match &outcome {
            Ok(_) => break,
            Err(detail) if attempt == 0 => {
                turns.push(Turn {
                    assistant: true,
                    text: reply.text,
                });
                turns.push(Turn {
                    assistant: false,
                    text: format!("That reply could not be used: {detail}. Reply again with only the JSON object, in exactly the shape asked for, with {n} variants."),
                });
            }
            Err(_) => {}
        }
    }
    llm::record_usage(store, client.config(), "variants", calls, input, output)?;
    let parsed = outcome.map_err(|detail| LlmError::Malformed {
        provider: client.config().provider.name(),
        detail,
    })?;
    Ok(Generated {
        agent: agent.to_owned(),
        analysed: settlements.len(),
        variants: parsed
            .into_iter()
            .map(|(title, prompt, rationale)| PromptVariant {
                title,
                prompt,
                rationale,
                rules: Vec::new(),
                evidence: evidence.clone(),
            })
            .collect(),
        current: Some(current),
        note: Some(format!(
            "Written by {} ({}) from the evidence shown; review each before testing it.",
            client.config().provider.name(),
            client.config().model
        )),
    })
}

/// One replayed intent.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Replay {
    pub id: String,
    /// Predicted acceptance of the current prompt's output: the share of its words the
    /// person's final version keeps.
    pub current: f64,
    pub candidate: f64,
}

/// What evaluate_prompt_variant found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    pub agent: String,
    pub current_version: u32,
    pub replays: Vec<Replay>,
    pub current_mean: Option<f64>,
    pub candidate_mean: Option<f64>,
    /// Candidate − current, paired, with a Student-t 95% interval.
    pub difference: Option<Estimate>,
    /// Wilcoxon signed-rank test of the paired differences: (W+, p).
    pub wilcoxon: Option<(f64, f64)>,
    pub calls: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// The finding in words.
    pub summary: String,
}

/// Replay the agent's last `n` intents (with a non-empty intent and final version) through the
/// current and the candidate prompt, and score both outputs by the share of their words the
/// person's final version keeps — the acceptance they would have had. Cancellable between
/// calls (`Ok(None)`); usage is recorded in the audit log either way.
pub fn evaluate(
    store: &Store,
    client: &Client,
    agent: &str,
    candidate: &str,
    n: usize,
    on_step: Progress<'_>,
    cancel: &Cancel,
) -> Result<Option<Evaluation>, LlmError> {
    let current = prompts::active(store, agent)
        .map_err(|e| LlmError::Invalid(e.to_string()))?
        .ok_or_else(|| {
            LlmError::Invalid(format!("{agent} has no active prompt to compare with"))
        })?;
    if candidate.trim().is_empty() || candidate.trim() == current.text.trim() {
        return Err(LlmError::Invalid(
            "the candidate must differ from the active prompt".into(),
        ));
    }
    let n = if n == 0 { DEFAULT_REPLAY } else { n.min(200) };
    let cases: Vec<Settlement> = recent(store, agent, n * 3)?
        .into_iter()
        .filter(|s| !s.intent.trim().is_empty() && !s.final_output.trim().is_empty())
        .take(n)
        .collect();
    let (mut calls, mut input, mut output) = (0u64, 0u64, 0u64);
    let mut replays = Vec::new();
    let mut failure = None;
    for (k, s) in cases.iter().enumerate() {
        if cancel.is_cancelled() {
            break;
        }
        let ask = [Turn {
            assistant: false,
            text: s.intent.clone(),
        }];
        let mut score = |system: &str| -> Result<f64, LlmError> {
            let r = client.complete(system, &ask, cancel)?;
            calls += 1;
            input += r.input_tokens;
            output += r.output_tokens;
            Ok(diff::counts(&r.text, &s.final_output).kept_share())
        };
        match score(&current.text).and_then(|a| Ok((a, score(candidate)?))) {
            Ok((a, b)) => replays.push(Replay {
                id: s.id.as_str().to_owned(),
                current: a,
                candidate: b,
            }),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
        on_step(Step {
            done: (k + 1) as u64,
            total: Some(cases.len() as u64),
            items: (k + 1) as u64,
        });
    }
    llm::record_usage(store, client.config(), "evaluation", calls, input, output)?;
    match failure {
        Some(LlmError::Cancelled) => return Ok(None),
        Some(e) => return Err(e),
        None if cancel.is_cancelled() => return Ok(None),
        None => {}
    }
    if cases.is_empty() {
        return Err(LlmError::Invalid(format!(
            "{agent} has no settlements with an intent to replay"
        )));
    }
    let diffs: Vec<f64> = replays.iter().map(|r| r.candidate - r.current).collect();
    let mean = |v: Vec<f64>| stats::mean_ci(&v, 0.0, 1.0).map(|e| e.value);
    let current_mean = mean(replays.iter().map(|r| r.current).collect());
    let candidate_mean = mean(replays.iter().map(|r| r.candidate).collect());
    let difference = stats::mean_ci(&diffs, -1.0, 1.0);
    let wilcoxon = stats::wilcoxon_signed_rank(&diffs);
    let summary = match (difference, wilcoxon) {
        (Some(d), Some((_, p))) if p < 0.05 => format!(
            "The candidate would do {}: its outputs keep {:.1} points {} of their words in the people's final versions than the current prompt's ({} intents, paired Wilcoxon p = {p:.3}).",
            if d.value > 0.0 { "better" } else { "worse" },
            d.value.abs() * 100.0,
            if d.value > 0.0 { "more" } else { "less" },
            replays.len(),
        ),
        (Some(d), Some((_, p))) => format!(
            "No clear difference over {} intents ({:+.1} points, paired Wilcoxon p = {p:.2}); an A/B test on live traffic will tell more.",
            replays.len(),
            d.value * 100.0
        ),
        _ => format!(
            "Too few replays ({}) for a paired test.",
            replays.len()
        ),
    };
    Ok(Some(Evaluation {
        agent: agent.to_owned(),
        current_version: current.version,
        replays,
        current_mean,
        candidate_mean,
        difference,
        wilcoxon,
        calls,
        input_tokens: input,
        output_tokens: output,
        summary,
    }))
}
