//! `redline prompts …`, `redline variants` and `redline experiment …`: the prompt registry,
//! offline variants, and A/B experiments. When a DB_AB_Tests database is connected and
//! `REDLINE_NOTION_TOKEN` is set, every experiment change is written to Notion as well.

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use redline_core::diff::SpanKind;
use redline_core::experiments::{self, variants, Experiment, NewExperiment, Results};
use redline_core::job::Cancel;
use redline_core::llm;
use redline_core::prompts;
use redline_core::secret::SecretString;
use redline_core::service::{self, assist};
use redline_core::store::Store;
use std::io::{BufRead, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum PromptsCommand {
    /// Every prompt version (of one agent, or of all), the active one marked.
    List {
        #[arg(long)]
        agent: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show one version's text (the active one by default).
    Show {
        #[arg(long)]
        agent: String,
        version: Option<String>,
    },
    /// Add a new version from a file, from --text, or from standard input ("-").
    Add {
        #[arg(long)]
        agent: String,
        /// A file with the prompt, or - for standard input.
        #[arg(long, conflicts_with = "text")]
        file: Option<PathBuf>,
        #[arg(long)]
        text: Option<String>,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long, default_value = "")]
        author: String,
        /// Also make it the active version.
        #[arg(long)]
        activate: bool,
    },
    /// The word diff between two versions (v1 v2).
    Diff {
        #[arg(long)]
        agent: String,
        from: String,
        to: String,
        #[arg(long)]
        json: bool,
    },
    /// Make a version the agent's active prompt.
    Activate {
        #[arg(long)]
        agent: String,
        version: String,
    },
    /// Register the prompts that settlements carry (system prompt + prompt version v<N>).
    Adopt,
}

#[derive(Subcommand)]
pub enum LlmCommand {
    /// Choose the provider, base URL and model (the key comes from REDLINE_LLM_API_KEY).
    Set {
        /// anthropic, or openai (any OpenAI-compatible server: Ollama, llama.cpp, …).
        #[arg(long)]
        provider: String,
        /// e.g. https://api.anthropic.com, https://api.openai.com/v1, http://localhost:11434/v1
        #[arg(long)]
        base_url: String,
        #[arg(long)]
        model: String,
        #[arg(long, default_value_t = 60)]
        timeout: u64,
        #[arg(long, default_value_t = 4096)]
        max_tokens: u32,
    },
    /// Allow (--yes) or stop (--revoke) sending settlement text to the configured provider.
    Consent {
        #[arg(long, conflicts_with = "revoke")]
        yes: bool,
        #[arg(long)]
        revoke: bool,
    },
    /// The configuration and whether consent is given.
    Status,
}

pub fn llm_run(store: Store, command: LlmCommand) -> Result<ExitCode> {
    match command {
        LlmCommand::Set {
            provider,
            base_url,
            model,
            timeout,
            max_tokens,
        } => {
            let provider = llm::Provider::parse(&provider)
                .with_context(|| format!("'{provider}' is not a provider: anthropic or openai"))?;
            llm::set_config(
                &store,
                &llm::Config {
                    provider,
                    base_url,
                    model,
                    timeout_secs: timeout,
                    max_tokens,
                },
            )?;
            llm_status(&store)
        }
        LlmCommand::Consent { yes, revoke } => {
            if !yes && !revoke {
                bail!("say --yes to allow sending settlement text, or --revoke to stop");
            }
            let c = llm::config(&store)?.context("configure the LLM first: `redline llm set`")?;
            llm::set_consent(&store, &c, yes)?;
            llm_status(&store)
        }
        LlmCommand::Status => llm_status(&store),
    }
}

fn llm_status(store: &Store) -> Result<ExitCode> {
    match llm::config(store)? {
        None => say!("no LLM configured: variants are composed offline; `redline llm set --provider anthropic --base-url https://api.anthropic.com --model NAME`"),
        Some(c) => say!(
            "{} at {} with model {} (timeout {} s); consent to send settlement text: {}; API key: {}",
            c.provider.name(),
            c.base_url,
            c.model,
            c.timeout_secs,
            if llm::consent(store, &c)? { "given" } else { "not given" },
            if std::env::var(llm::KEY_ENV).is_ok_and(|k| !k.trim().is_empty()) {
                "from REDLINE_LLM_API_KEY"
            } else {
                "not set (REDLINE_LLM_API_KEY)"
            }
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// The configured LLM client, with the key from the environment.
fn llm_client(store: &Store) -> Result<llm::Client> {
    let c = llm::config(store)?.context("no LLM is configured: `redline llm set …` first")?;
    let key = std::env::var(llm::KEY_ENV)
        .ok()
        .map(|k| SecretString::from(k.trim().to_owned()));
    Ok(llm::Client::new(store, c, key)?)
}

/// `redline evaluate`: replay recent intents with the active prompt and a candidate.
pub fn evaluate_run(
    store: Store,
    agent: &str,
    candidate: &str,
    replay: usize,
    json: bool,
) -> Result<ExitCode> {
    let text = match prompts::parse_label(candidate) {
        Some(v) if !std::path::Path::new(candidate).exists() => {
            prompts::get(&store, agent, v)?.text
        }
        _ => std::fs::read_to_string(candidate).with_context(|| {
            format!("'{candidate}' is neither a prompt version (v3) nor a readable file")
        })?,
    };
    let client = llm_client(&store)?;
    let mut on_step = |s: redline_core::job::Step| {
        eprint!("\rreplayed {}/{}", s.done, s.total.unwrap_or(0));
    };
    let e = assist::evaluate(
        &store,
        &client,
        agent,
        &text,
        replay,
        &mut on_step,
        &crate::ctrl_c_cancel(),
    )?;
    tell!();
    let Some(e) = e else {
        say!("cancelled");
        return Ok(ExitCode::from(1));
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&e)?);
    } else {
        say!(
            "{agent}: {} intents replayed ({} calls, {} input and {} output tokens)",
            e.replays.len(),
            e.calls,
            e.input_tokens,
            e.output_tokens
        );
        say!(
            "predicted acceptance: current v{} {}, candidate {}",
            e.current_version,
            pct(e.current_mean),
            pct(e.candidate_mean)
        );
        say!("{}", e.summary);
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand)]
pub enum ExperimentCommand {
    /// Start an A/B experiment between two prompt versions of an agent.
    Create {
        #[arg(long)]
        agent: String,
        /// Variant A's prompt version (e.g. v1).
        #[arg(long)]
        a: String,
        /// Variant B's prompt version (e.g. v2).
        #[arg(long)]
        b: String,
        /// A model for variant A (e.g. the base model) …
        #[arg(long)]
        model_a: Option<String>,
        /// … and for variant B (e.g. a fine-tuned model).
        #[arg(long)]
        model_b: Option<String>,
        /// The share of intents routed to B.
        #[arg(long, default_value_t = 0.5)]
        split: f64,
        /// The smallest difference in mean acceptance worth detecting (0.1 = 10 points).
        #[arg(long, default_value_t = experiments::DEFAULT_MDE)]
        mde: f64,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long)]
        json: bool,
    },
    /// Every experiment, newest first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Which variant intents go to: one per argument, or one per line of standard input.
    Route { id: String, intents: Vec<String> },
    /// The experiment's results and verdict (get_experiment_results).
    Results {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Stop counting settlements and freeze the verdict.
    Complete { id: String },
    /// Make the winner's prompt version the agent's active one.
    Deploy { id: String },
    /// Connect the DB_AB_Tests database (a link or id) that experiments are written to.
    Connect {
        database: String,
        #[arg(long, default_value = "2026-12-01", value_parser = ["2026-12-01", "2025-09-03", "2022-06-28"])]
        api_version: String,
    },
    /// Write an experiment's current state to DB_AB_Tests now.
    Publish { id: String },
}

fn version(text: &str) -> Result<u32> {
    prompts::parse_label(text)
        .with_context(|| format!("'{text}' is not a prompt version (write it as v3 or 3)"))
}

pub fn prompts_run(store: Store, command: PromptsCommand) -> Result<ExitCode> {
    match command {
        PromptsCommand::List { agent, json } => {
            let all = match &agent {
                Some(a) => [(a.clone(), prompts::list(&store, a)?)]
                    .into_iter()
                    .collect(),
                None => prompts::all(&store)?,
            };
            if json {
                let mut out = serde_json::Map::new();
                for (a, versions) in &all {
                    let active = prompts::active(&store, a)?.map(|v| v.version);
                    out.insert(
                        a.clone(),
                        serde_json::json!({"active": active, "versions": versions}),
                    );
                }
                println!("{}", serde_json::to_string_pretty(&out)?);
                return Ok(ExitCode::SUCCESS);
            }
            if all.values().all(Vec::is_empty) {
                say!("no prompt versions yet: `redline prompts add --agent NAME --file PROMPT.txt`, or `redline prompts adopt` to take them from settlements");
            }
            for (a, versions) in &all {
                let active = prompts::active(&store, a)?.map(|v| v.version);
                say!("{a}");
                for v in versions {
                    let first = v.text.lines().next().unwrap_or("");
                    let first: String = first.chars().take(60).collect();
                    say!(
                        "  {} {:<4} {}  {}{}",
                        if Some(v.version) == active { "*" } else { " " },
                        v.label(),
                        v.created.format("%Y-%m-%d"),
                        first,
                        if v.note.is_empty() {
                            String::new()
                        } else {
                            format!("  ({})", v.note)
                        }
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        PromptsCommand::Show { agent, version: v } => {
            let p = match v {
                Some(v) => prompts::get(&store, &agent, version(&v)?)?,
                None => prompts::active(&store, &agent)?
                    .with_context(|| format!("{agent} has no prompt versions"))?,
            };
            say!("{}", p.text);
            Ok(ExitCode::SUCCESS)
        }
        PromptsCommand::Add {
            agent,
            file,
            text,
            note,
            author,
            activate,
        } => {
            let text = match (file, text) {
                (_, Some(t)) => t,
                (Some(f), None) if f.as_os_str() == "-" => {
                    let mut s = String::new();
                    std::io::stdin().read_to_string(&mut s)?;
                    s
                }
                (Some(f), None) => std::fs::read_to_string(&f)
                    .with_context(|| format!("cannot read {} as UTF-8 text", f.display()))?,
                (None, None) => {
                    bail!("give the prompt with --file FILE, --file - (stdin) or --text")
                }
            };
            let v = prompts::add(&store, &agent, &text, &note, &author)?;
            if activate {
                prompts::set_active(&store, &agent, v.version)?;
            }
            say!(
                "added {} of {agent} ({} characters){}",
                v.label(),
                v.text.chars().count(),
                if activate { ", now active" } else { "" }
            );
            Ok(ExitCode::SUCCESS)
        }
        PromptsCommand::Diff {
            agent,
            from,
            to,
            json,
        } => {
            let old = prompts::get(&store, &agent, version(&from)?)?;
            let new = prompts::get(&store, &agent, version(&to)?)?;
            let spans = prompts::diff(&old, &new);
            if json {
                println!("{}", serde_json::to_string_pretty(&spans)?);
            } else {
                let mut out = String::new();
                for s in &spans {
                    match s.kind {
                        SpanKind::Equal => out.push_str(&s.text),
                        SpanKind::Delete => out.push_str(&format!("[-{}-]", s.text)),
                        SpanKind::Insert => out.push_str(&format!("{{+{}+}}", s.text)),
                    }
                }
                say!("{out}");
            }
            Ok(ExitCode::SUCCESS)
        }
        PromptsCommand::Activate { agent, version: v } => {
            let p = prompts::set_active(&store, &agent, version(&v)?)?;
            say!("{} is now {agent}'s active prompt", p.label());
            Ok(ExitCode::SUCCESS)
        }
        PromptsCommand::Adopt => {
            let added = prompts::adopt_from_settlements(&store)?;
            for v in &added {
                say!("added {} of {}", v.label(), v.agent);
            }
            say!("{} prompt versions adopted from settlements", added.len());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `redline variants`: compose variants offline; with --accept N, add variant N as a version.
pub fn variants_run(
    store: Store,
    agent: &str,
    last: usize,
    with_llm: Option<usize>,
    accept: Option<usize>,
    json: bool,
) -> Result<ExitCode> {
    let g = match (with_llm, accept) {
        (Some(_), Some(_)) => bail!("--accept takes offline variants (deterministic); to keep an LLM variant, save it with `redline prompts add`"),
        (Some(n), None) => {
            let client = llm_client(&store)?;
            assist::generate_with_llm(&store, &client, agent, last, n, &crate::ctrl_c_cancel())?
        }
        (None, _) => variants::generate(&store, agent, last)?,
    };
    if let Some(k) = accept {
        let v = g
            .variants
            .get(k.checked_sub(1).context("variants are numbered from 1")?)
            .with_context(|| format!("there are {} variants, not {k}", g.variants.len()))?;
        let added = prompts::add(
            &store,
            agent,
            &v.prompt,
            &v.title,
            "redline (offline, from edit patterns)",
        )?;
        if json {
            println!("{}", serde_json::to_string_pretty(&added)?);
        } else {
            say!("added variant {k} as {} of {agent}", added.label());
        }
        return Ok(ExitCode::SUCCESS);
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&g)?);
        return Ok(ExitCode::SUCCESS);
    }
    say!(
        "{agent}: {} settlements analysed; building on {}",
        g.analysed,
        g.current
            .as_ref()
            .map_or("no registered prompt".to_owned(), |c| c.label())
    );
    if let Some(n) = &g.note {
        say!("note: {n}");
    }
    for (k, v) in g.variants.iter().enumerate() {
        say!("\n{}. {} — {}", k + 1, v.title, v.rationale);
        for r in &v.rules {
            say!("   + {r}");
        }
        for e in &v.evidence {
            say!("   evidence: {} (e.g. {})", e.text, e.examples.join(", "));
        }
    }
    if !g.variants.is_empty() {
        say!("\nadd one as a new prompt version: redline variants --agent \"{agent}\" --accept N");
    }
    Ok(ExitCode::SUCCESS)
}

/// A client for writing DB_AB_Tests, when one is connected and a token is set (the API
/// version follows the target, `Target::version`).
fn writer(store: &Store) -> Result<Option<redline_core::notion::Client>> {
    if redline_core::notion::writeback::target(store)?.is_none() {
        return Ok(None);
    }
    let Some(token) = service::notion::token_from_env() else {
        tell!(
            "note: kept locally; not written to Notion (set {} to write DB_AB_Tests)",
            redline_core::notion::TOKEN_ENV
        );
        return Ok(None);
    };
    Ok(service::notion::ab_tests_client(store, || {
        Ok::<_, redline_core::notion::NotionError>(token)
    })?)
}

/// Write the experiment to Notion if connected; a failure is reported, never fatal (the
/// experiment is kept locally and `experiment publish` retries).
fn publish_quietly(store: &Store, id: &str) -> Result<()> {
    if let Some(client) = writer(store)? {
        match service::experiments::publish(store, &client, id, chrono::Utc::now(), &Cancel::new()) {
            // A notice (stderr): with --json, stdout holds the one JSON document.
            Ok(e) => tell!(
                "written to DB_AB_Tests (page {})",
                e.notion.page_id.unwrap_or_default()
            ),
            Err(err) => tell!(
                "warning: not written to Notion: {err} (kept locally; retry with `redline experiment publish {id}`)"
            ),
        }
    }
    Ok(())
}

fn print_experiment(e: &Experiment) {
    say!(
        "{}  {}  {}  A = {}  B = {}  split {:.0}% to B  planned {} + {}{}",
        e.id,
        e.agent,
        e.status.name(),
        e.a.tag,
        e.b.tag,
        e.split * 100.0,
        e.planned.0,
        e.planned.1,
        e.winner
            .map(|w| format!("  winner: {}", w.name()))
            .unwrap_or_default()
    );
}

fn pct(x: Option<f64>) -> String {
    x.map_or("–".into(), |v| format!("{:.1}%", v * 100.0))
}

fn print_results(r: &Results) {
    say!("{} ({}), {}", r.id, r.agent, r.status.name());
    for (name, arm) in [("A", &r.a), ("B", &r.b)] {
        let ci = arm
            .acceptance
            .map(|e| format!(" [{} – {}]", pct(e.low), pct(e.high)))
            .unwrap_or_default();
        say!(
            "  {name} ({}): n = {}, mean acceptance {}{ci}, accepted {} ({} of {}), median edit cost {}",
            arm.tag,
            arm.n,
            pct(arm.acceptance.map(|e| e.value)),
            pct(arm.accepted.map(|e| e.value)),
            arm.accepted_count,
            arm.n,
            pct(arm.edit_cost)
        );
    }
    if let Some(d) = r.difference {
        say!(
            "  B − A: {:+.1} points [{:+.1}, {:+.1}]",
            d.value * 100.0,
            d.low.unwrap_or(d.value) * 100.0,
            d.high.unwrap_or(d.value) * 100.0
        );
    }
    say!(
        "  always-valid {} (e-value {:.3e}); Welch {}; two-proportion {}; chance B beats A {:.1}%; sample-ratio p {}",
        experiments::p_text(r.sequential.p_value),
        r.sequential.e_value,
        r.welch.map_or("–".into(), |w| experiments::p_text(w.2)),
        r.proportions.map_or("–".into(), |w| experiments::p_text(w.1)),
        r.chance_b_beats_a * 100.0,
        r.srm_p.map_or("–".into(), |p| format!("{p:.3}")),
    );
    say!(
        "  planned {} + {} settlements to find a difference (always-valid test){}; {} to show the variants alike (TOST at ±MDE{})",
        r.planned.0,
        r.planned.1,
        if r.planned_reached { " (reached)" } else { "" },
        r.planned_equivalence
            .map_or("–".into(), |(a, b)| format!("{a} + {b}")),
        r.equivalence
            .map_or(String::new(), |q| format!(" = {:.0} points", q.margin * 100.0))
    );
    // "B − A +1.2 points, 95% CI -0.3 to +2.7"
    let difference = |d: &redline_core::stats::Estimate| {
        let bound = |b: Option<f64>| b.unwrap_or(d.value) * 100.0;
        format!(
            "B − A {:+.1} points, 95% CI {:+.1} to {:+.1}",
            d.value * 100.0,
            bound(d.low),
            bound(d.high)
        )
    };
    if let Some(st) = r.stratified {
        say!(
            "  adjusted for intent type: {}, {} intent type(s), variance {} by {:.1}%",
            difference(&st.difference),
            st.strata,
            if st.variance_reduction >= 0.0 {
                "reduced"
            } else {
                "raised"
            },
            st.variance_reduction.abs() * 100.0
        );
    }
    if let Some(q) = r.equivalence {
        say!(
            "  equivalence: {}: {}",
            difference(&q.difference),
            if q.equivalent {
                "alike within the margin"
            } else {
                "not shown alike"
            }
        );
    }
    say!(
        "verdict: {} — {}",
        r.verdict.winner.name(),
        r.verdict.reason
    );
}

pub fn experiment_run(store: Store, command: ExperimentCommand) -> Result<ExitCode> {
    let now = chrono::Utc::now();
    match command {
        ExperimentCommand::Create {
            agent,
            a,
            b,
            model_a,
            model_b,
            split,
            mde,
            note,
            json,
        } => {
            let e = experiments::create(
                &store,
                &NewExperiment {
                    agent,
                    a: version(&a)?,
                    b: version(&b)?,
                    model_a,
                    model_b,
                    split: Some(split),
                    mde: Some(mde),
                    note,
                },
                now,
            )?;
            if json {
                println!("{}", serde_json::to_string_pretty(&e)?);
            } else {
                print_experiment(&e);
                say!(
                    "route intents with `redline experiment route {}` and tag each settlement's prompt version `{}` or `{}`",
                    e.id, e.a.tag, e.b.tag
                );
            }
            publish_quietly(&store, &e.id)?;
            Ok(ExitCode::SUCCESS)
        }
        ExperimentCommand::List { json } => {
            let all = experiments::list(&store)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else if all.is_empty() {
                say!("no experiments yet: `redline experiment create --agent NAME --a v1 --b v2`");
            }
            if !json {
                all.iter().for_each(print_experiment);
            }
            Ok(ExitCode::SUCCESS)
        }
        ExperimentCommand::Route { id, intents } => {
            let e = experiments::get(&store, &id)?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let mut route = |intent: &str| -> Result<()> {
                let v = experiments::route_to_variant(&e.id, intent, e.split);
                writeln!(out, "{}", v.name())?;
                Ok(())
            };
            if intents.is_empty() {
                for line in std::io::stdin().lock().lines() {
                    let line = line.context("standard input is not UTF-8 text")?;
                    route(line.trim_end_matches('\r'))?;
                }
            } else {
                for i in &intents {
                    route(i)?;
                }
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        ExperimentCommand::Results { id, json } => {
            let e = experiments::get(&store, &id)?;
            let r = experiments::results(&store, &e)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                print_results(&r);
            }
            Ok(ExitCode::SUCCESS)
        }
        ExperimentCommand::Complete { id } => {
            let (e, r) = experiments::complete(&store, &id, now)?;
            print_results(&r);
            say!("{} completed", e.id);
            publish_quietly(&store, &e.id)?;
            Ok(ExitCode::SUCCESS)
        }
        ExperimentCommand::Deploy { id } => {
            let e = experiments::deploy(&store, &id, now)?;
            let arm = if e.winner == Some(experiments::Winner::VariantA) {
                &e.a
            } else {
                &e.b
            };
            say!(
                "{}: {} deployed; {} is now {}'s active prompt",
                e.id,
                e.winner.map_or("", |w| w.name()),
                prompts::label(arm.prompt_version),
                e.agent
            );
            publish_quietly(&store, &e.id)?;
            Ok(ExitCode::SUCCESS)
        }
        ExperimentCommand::Connect {
            database,
            api_version,
        } => {
            let client =
                crate::notion::client(&store, crate::notion::api_version_of(&api_version))?;
            let target = redline_core::notion::writeback::connect_target(
                &client,
                &database,
                &Cancel::new(),
            )?;
            redline_core::notion::writeback::set_target(&store, Some(&target))?;
            say!(
                "experiments will be written to DB_AB_Tests {}",
                target.database_id
            );
            Ok(ExitCode::SUCCESS)
        }
        ExperimentCommand::Publish { id } => {
            let client = writer(&store)?.context(
                "connect DB_AB_Tests first (`redline experiment connect DATABASE`) and set REDLINE_NOTION_TOKEN",
            )?;
            let e = service::experiments::publish(&store, &client, &id, now, &Cancel::new())?;
            say!(
                "{} written to DB_AB_Tests (page {})",
                e.id,
                e.notion.page_id.unwrap_or_default()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
