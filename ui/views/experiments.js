// Experiments: the design's prompt workflow for one agent — its prompt versions (add, import,
// diff, activate), variants composed offline from what people edit (reviewed side by side with
// a word diff, edited inline, accepted as a new version or sent straight to an A/B test), and
// the experiments with their statistics, verdict, completion and deployment.
//
// Keys: ↑/↓ move through the experiments table, Enter opens an experiment's results.

import { api } from "../api.js";
import { diffSides } from "../diff.js";
import { h, s, mount, fmtInt, fmtPct, fmtDate, fmtDateTime, toast } from "../dom.js";
import { PALETTE } from "../charts.js";
import { withProgress } from "../jobs.js";

let last = { agent: "", selected: null };
let unlisten = null;

const pct1 = (x) => (x === null || x === undefined ? "–" : `${(x * 100).toFixed(1)}%`);
const pText = (p) => (p < 1e-4 ? "< 0.0001" : p.toFixed(4));
const eText = (e) => (e >= 1e4 ? e.toExponential(1) : e.toFixed(2));
const WINNER = { VariantA: "Variant A", VariantB: "Variant B", Inconclusive: "Inconclusive" };
const pts = (x) => `${x >= 0 ? "+" : "−"}${Math.abs(x * 100).toFixed(1)} pts`;
const ci = (e) => (e && e.low !== null && e.high !== null ? ` [${pct1(e.low)} – ${pct1(e.high)}]` : "");
const errorBox = (id) => h("p", { id, class: "error", role: "alert", hidden: true });
function showError(el, err) {
  el.hidden = false;
  el.textContent = err.message || String(err);
}

function diffView(spans, leftTitle, rightTitle) {
  const { before, after } = diffSides(spans);
  return h("div", { class: "sides prompt-diff" },
    h("div", {}, h("h4", {}, leftTitle), h("div", { class: "text" }, before)),
    h("div", {}, h("h4", {}, rightTitle), h("div", { class: "text" }, after)));
}

/** Cumulative mean acceptance per arm, by settlements so far. */
function runningChart(running, threshold) {
  const W = 640, H = 220, L = 44, R = 90, T = 12, B = 34;
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: "chart", role: "img", "aria-label": "Running mean acceptance per variant" });
  const n = running.length ? running[running.length - 1][0] : 1;
  const X = (i) => L + ((i - 1) / Math.max(1, n - 1)) * (W - L - R);
  const Y = (v) => T + (1 - v) * (H - T - B);
  for (let v = 0; v <= 1.0001; v += 0.2) {
    svg.append(s("line", { x1: L, x2: W - R, y1: Y(v), y2: Y(v), stroke: "var(--line)" }));
    svg.append(s("text", { x: L - 6, y: Y(v) + 4, "text-anchor": "end", "font-size": 11, fill: "currentColor" }, `${Math.round(v * 100)}%`));
  }
  svg.append(s("line", { x1: L, x2: W - R, y1: Y(threshold), y2: Y(threshold), stroke: "currentColor", "stroke-dasharray": "4 4", opacity: 0.5 }));
  for (const at of [...new Set([1, Math.round(n / 2), n])]) {
    svg.append(s("text", { x: X(at), y: H - B + 16, "text-anchor": "middle", "font-size": 11, fill: "currentColor" }, fmtInt(at)));
  }
  svg.append(s("text", { x: L, y: H - 6, "font-size": 11, fill: "currentColor" }, `Settlements so far (${fmtInt(n)}) · running mean acceptance per variant`));
  ["A", "B"].forEach((name, k) => {
    const d = running.filter((r) => r[1] === (k === 1)).map((r, i) => `${i ? "L" : "M"}${X(r[0]).toFixed(1)},${Y(r[2]).toFixed(1)}`).join("");
    if (d) svg.append(s("path", { d, fill: "none", stroke: PALETTE[k], "stroke-width": 2 }));
    svg.append(s("rect", { x: W - R + 14, y: T + 10 + k * 20, width: 12, height: 12, rx: 2, fill: PALETTE[k] }));
    svg.append(s("text", { x: W - R + 32, y: T + 21 + k * 20, "font-size": 12, fill: "currentColor" }, `Variant ${name}`));
  });
  return svg;
}

function armCard(name, arm, planned) {
  return h("div", { class: "kpi", id: `exp-arm-${name.toLowerCase()}` },
    h("div", { class: "kpi-label" }, `Variant ${name} · ${arm.tag}`),
    h("div", { class: "kpi-value" }, arm.acceptance ? pct1(arm.acceptance.value) : "–"),
    h("div", { class: "kpi-detail muted" }, `mean acceptance${ci(arm.acceptance)}`),
    h("div", { class: "kpi-detail" }, `n = ${fmtInt(arm.n)} of ${fmtInt(planned)} planned`),
    h("progress", { max: planned, value: Math.min(arm.n, planned), "aria-label": `Variant ${name}: settlements against the plan` }),
    h("div", { class: "kpi-detail muted" }, `accepted ${arm.accepted ? pct1(arm.accepted.value) : "–"} (${fmtInt(arm.accepted_count)}) · median edit cost ${pct1(arm.edit_cost)}`));
}

async function resultsPanel(target, e, refresh) {
  mount(target, h("p", { class: "muted" }, "Reading results…"));
  let r;
  try {
    r = await api.experimentResults(e.id);
  } catch (err) {
    return mount(target, h("p", { class: "error", role: "alert" }, err.message));
  }
  const error = errorBox("exp-action-error");
  const actions = [];
  if (e.status === "Running") {
    actions.push(h("button", { type: "button", id: "exp-complete", onClick: async () => {
      try { await api.completeExperiment(e.id); toast(`${e.id} completed`); refresh(e.id); } catch (err) { showError(error, err); }
    } }, r.verdict.decided ? "Complete experiment" : "Complete now (stop early)"));
    if (!r.verdict.decided) actions.push(h("span", { class: "muted note" }, " The evidence is not final yet: completing now freezes the verdict as it stands."));
  }
  if (e.status === "Completed" && (e.winner === "VariantA" || e.winner === "VariantB")) {
    const arm = e.winner === "VariantA" ? e.a : e.b;
    actions.push(h("button", { type: "button", id: "exp-deploy", onClick: async () => {
      try { await api.deployExperiment(e.id); toast(`v${arm.prompt_version} is now ${e.agent}'s active prompt`); refresh(e.id); } catch (err) { showError(error, err); }
    } }, `Deploy ${e.winner === "VariantA" ? "variant A" : "variant B"} (v${arm.prompt_version})`));
  }
  const notion = e.notion.error
    ? h("p", { class: "error", id: "exp-notion" }, `Not written to Notion: ${e.notion.error}`)
    : e.notion.written ? h("p", { class: "muted", id: "exp-notion" }, `Written to DB_AB_Tests ${fmtDateTime(e.notion.written)}.`) : null;
  const row = (label, value) => h("tr", {}, h("th", { scope: "row" }, label), h("td", { class: "num" }, value));
  mount(target,
    h("div", { class: "panel-head" }, h("h2", { id: "exp-results-title" }, `${e.id}`), h("span", { class: "chip", id: "exp-status" }, e.status.replace("_", " "))),
    h("p", { class: "muted" }, `${e.agent} · A = ${e.a.tag}${e.a.model ? ` on ${e.a.model}` : ""} · B = ${e.b.tag}${e.b.model ? ` on ${e.b.model}` : ""} · ${Math.round(e.split * 100)}% of intents to B · planned for a ${Math.round(e.mde * 100)}-point effect (sd ${e.sd.toFixed(2)}, 80% power for the always-valid test, α 0.05) · started ${fmtDateTime(e.created)}${e.completed ? ` · completed ${fmtDateTime(e.completed)}` : ""}`),
    h("div", { class: ["verdict", r.verdict.winner === "Inconclusive" ? "verdict-open" : "verdict-won"], id: "exp-verdict", role: "status" },
      h("strong", {}, r.verdict.winner === "Inconclusive" ? (r.verdict.decided ? "Inconclusive" : "Running: no verdict yet") : WINNER[r.verdict.winner]), " — ", r.verdict.reason),
    h("div", { class: "kpis" }, armCard("A", r.a, r.planned[0]), armCard("B", r.b, r.planned[1])),
    r.running.length ? runningChart(r.running, r.threshold) : null,
    h("table", { class: "data stats", id: "exp-stats" }, h("tbody", {},
      row("B − A, mean acceptance", r.difference ? `${pts(r.difference.value)}${r.difference.low !== null ? ` [${pts(r.difference.low)}, ${pts(r.difference.high)}]` : ""}` : "–"),
      row("B − A adjusted for intent type (post-stratified)", r.stratified
        ? `${pts(r.stratified.difference.value)} [${pts(r.stratified.difference.low)}, ${pts(r.stratified.difference.high)}] · ${r.stratified.strata} intent type${r.stratified.strata === 1 ? "" : "s"} · variance ${r.stratified.variance_reduction >= 0 ? "reduced" : "raised"} by ${pct1(Math.abs(r.stratified.variance_reduction))}`
        : "–"),
      row("Always-valid p (sequential; read it any time)", `${pText(r.sequential.p_value)} (e-value ${eText(r.sequential.e_value)})`),
      row(`Equivalence (TOST, ±${Math.round(e.mde * 100)} points; read at the planned sample)`, r.equivalence
        ? `${r.equivalence.equivalent ? "alike" : "not shown alike"}: 95% CI [${pts(r.equivalence.difference.low)}, ${pts(r.equivalence.difference.high)}]${r.planned_reached ? "" : " · before the planned sample: not a decision"}`
        : "–"),
      row("Planned per arm: to find a difference (sequential) · to show alike (TOST)", `${fmtInt(r.planned[0])} + ${fmtInt(r.planned[1])} · ${r.planned_equivalence ? `${fmtInt(r.planned_equivalence[0])} + ${fmtInt(r.planned_equivalence[1])}` : "–"}`),
      row("Welch's t-test p (fixed horizon)", r.welch ? `${pText(r.welch[2])}${r.planned_reached ? "" : " · before the planned sample: not a decision"}` : "–"),
      row(`Two-proportion test p (accepted ≥ ${fmtPct(r.threshold)})`, r.proportions ? pText(r.proportions[1]) : "–"),
      row("Chance B beats A (Bayesian, accepted share)", pct1(r.chance_b_beats_a)),
      row("Sample-ratio check p (< 0.001 = broken split)", r.srm_p === null ? "–" : r.srm_p.toFixed(3)))),
    h("p", { class: "muted note" }, "Definitions and the test's guarantee: docs/experiments.md."),
    notion,
    error,
    h("div", { class: "actions" }, actions));
}

function experimentsTable(list, onPick) {
  if (!list.length) return h("p", { class: "muted", id: "exp-none" }, "No experiments yet. Generate variants above and start an A/B test, or create one from two prompt versions below.");
  const rows = list.map((e, i) => h("tr", {
    id: `exp-row-${i}`, tabindex: "0", dataset: { id: e.id }, class: e.id === last.selected ? "selected" : undefined,
    onClick: () => onPick(e),
    onKeydown: (ev) => {
      if (ev.key === "Enter") onPick(e);
      if (ev.key === "ArrowDown") { ev.preventDefault(); ev.currentTarget.nextElementSibling?.focus(); }
      if (ev.key === "ArrowUp") { ev.preventDefault(); ev.currentTarget.previousElementSibling?.focus(); }
    },
  }, h("th", { scope: "row" }, e.id), h("td", {}, e.agent), h("td", {}, e.status.replace("_", " ")), h("td", {}, `${e.a.tag} vs ${e.b.tag}`), h("td", {}, fmtDate(e.created)), h("td", {}, e.winner ? WINNER[e.winner] : "–")));
  return h("div", { class: "table-wrap" }, h("table", { class: "data pick", id: "exp-table" },
    h("thead", {}, h("tr", {}, ["Experiment", "Agent", "Status", "Variants", "Started", "Winner"].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows)));
}

/**
 * Show the view in `root`. `toFlagged`: the background check has just ended, so start again
 * from the agent it flags, unless the person has started working here while this render read
 * the store (its answers can take seconds while the check's analyses run): their work stays.
 */
export async function render(root, ctx, toFlagged = false) {
  const [facets, prompts, experiments, alerts, target, llm] = await Promise.all([
    api.facets(), api.listPrompts(), api.listExperiments(), api.listAlerts(), api.abTestsTarget(), api.llmStatus(),
  ]);
  if (toFlagged) {
    if (last.chosen || ctx.worked() || !ctx.isCurrent()) return;
    last.agent = null;
  }
  const llmReady = Boolean(llm.config && llm.consent);
  const llmNeeds = !llm.config
    ? "Set up an LLM in Settings → LLM (Anthropic, or any OpenAI-compatible server such as a local Ollama)."
    : !llm.consent ? `Allow sending settlement text to ${llm.config.base_url} in Settings → LLM.` : "";
  const agents = [...new Set([...facets.agents.map(([n]) => n), ...Object.keys(prompts)])].sort();
  if (!agents.length) {
    return mount(root, h("header", { class: "view-head" }, h("h1", {}, "Experiments")),
      h("div", { class: "empty panel" }, h("h2", {}, "No agents yet"), h("p", { class: "muted" }, "Import settlements or load the sample data first: variants are built from what people edit.")));
  }
  if (!agents.includes(last.agent)) {
    // Start where the design's workflow starts: an agent with an open alert.
    const flagged = alerts.find((i) => i.open && i.agent);
    last.agent = flagged && agents.includes(flagged.agent) ? flagged.agent : agents[0];
  }
  const agentSelect = h("select", { id: "exp-agent", "aria-label": "Agent" }, agents.map((a) => h("option", { value: a, selected: a === last.agent }, a)));
  agentSelect.addEventListener("change", () => { last.agent = agentSelect.value; last.chosen = true; render(root, ctx); });
  if (!alerts.length && !last.chosen) {
    // The check after a launch or an import may still be running: when it ends, start again
    // from the agent it flags, unless the person has picked one meanwhile.
    ctx.onAlerts((w) => { if (w.active.length && !last.chosen && !ctx.worked()) render(root, ctx, true); });
  }
  const agent = last.agent;
  const mine = prompts[agent] || { active: null, versions: [] };
  const active = mine.versions.find((v) => v.version === mine.active) || null;
  const open = alerts.filter((i) => i.agent === agent && i.open);

  // Prompt versions.
  const versionList = mine.versions.length
    ? h("ul", { class: "versions", id: "prompt-list" }, mine.versions.slice().reverse().map((v) => h("li", { dataset: { version: v.version } },
      h("strong", {}, `v${v.version}`), " ", v.version === mine.active ? h("span", { class: "chip same" }, "active") : null, " ",
      h("span", { class: "muted" }, `${fmtDate(v.created)}${v.note ? ` · ${v.note}` : ""}`), " ",
      v.version === mine.active ? null : h("button", { type: "button", class: "secondary small", onClick: async () => {
        try { await api.activatePrompt(agent, v.version); toast(`v${v.version} is now active`); render(root, ctx); } catch (err) { toast(err.message, "error"); }
      } }, "Make active"),
      h("details", {}, h("summary", {}, "Text"), h("pre", { class: "prompt-text" }, v.text)))))
    : h("div", { id: "prompt-empty" }, h("p", { class: "muted" }, `${agent} has no prompt versions yet. Paste its current prompt below, import a file, or take the prompts your settlements carry.`));
  const adopt = h("button", { type: "button", class: "secondary", id: "adopt-prompts", onClick: async () => {
    try {
      const added = await api.adoptPrompts();
      toast(added.length ? `Added ${added.length} prompt versions from settlements` : "No new prompts in the settlements");
      render(root, ctx);
    } catch (err) { toast(err.message, "error"); }
  } }, "Take prompts from settlements");
  const newText = h("textarea", { id: "prompt-new", rows: 5, "aria-label": "New prompt version", placeholder: "Paste a prompt to add it as a new version" });
  const newNote = h("input", { id: "prompt-note", type: "text", placeholder: "Note (optional)", "aria-label": "Note" });
  const promptError = errorBox("prompt-error");
  const addForm = h("div", { class: "prompt-add" }, newText,
    h("div", { class: "hbox" }, newNote,
      h("button", { type: "button", class: "secondary", onClick: async () => {
        try { const t = await api.pickPromptFile(); if (t !== null) newText.value = t; } catch (err) { showError(promptError, err); }
      } }, "Import file…"),
      h("button", { type: "button", id: "prompt-add", onClick: async () => {
        try { const v = await api.addPrompt(agent, newText.value, newNote.value, false); toast(`Added v${v.version}`); render(root, ctx); } catch (err) { showError(promptError, err); }
      } }, "Add version")), promptError);
  const diffArea = h("div", { id: "prompt-diff" });
  const versionOptions = (sel) => mine.versions.map((v) => h("option", { value: v.version, selected: v.version === sel }, `v${v.version}`));
  const fromSel = h("select", { id: "diff-from", "aria-label": "From version" }, versionOptions(mine.versions.length > 1 ? mine.versions[mine.versions.length - 2].version : null));
  const toSel = h("select", { id: "diff-to", "aria-label": "To version" }, versionOptions(mine.versions.length ? mine.versions[mine.versions.length - 1].version : null));
  const showDiff = async () => {
    try { mount(diffArea, diffView(await api.promptDiff(agent, Number(fromSel.value), Number(toSel.value)), `v${fromSel.value}`, `v${toSel.value}`)); } catch (err) { mount(diffArea, h("p", { class: "error" }, err.message)); }
  };
  const diffControls = mine.versions.length > 1
    ? h("div", { class: "hbox" }, "Compare ", fromSel, " with ", toSel, h("button", { type: "button", class: "secondary small", id: "diff-show", onClick: showDiff }, "Show diff"))
    : null;

  // Variants.
  const lastN = h("input", { id: "variants-last", type: "number", min: 0, value: 30, "aria-label": "Settlements to analyse (0 = all)", class: "narrow" });
  const variantsArea = h("div", { id: "variants", "aria-live": "polite" });
  const genError = errorBox("variants-error");
  const startTest = async (text, title) => {
    const b = await api.addPrompt(agent, text, title, false);
    const base = active || mine.versions[mine.versions.length - 1];
    if (!base) throw new Error("Add the agent's current prompt first: variant A needs a version to compare with.");
    const e = await api.createExperiment({ agent, a: base.version, b: b.version, note: title });
    last.selected = e.id;
    toast(`Started ${e.id}: v${base.version} against v${b.version}`);
    render(root, ctx);
  };
  const evaluate = async (text, area) => {
    if (!llmReady) {
      return mount(area, h("p", { class: "note eval-needs" }, `Offline evaluation replays ${agent}'s recent intents through an LLM with the current prompt and this one, and scores each output by how much of it the person's final version keeps. ${llmNeeds}`));
    }
    const progress = h("div", {});
    mount(area, progress);
    try {
      const e = await withProgress(progress, "intents replayed", () => api.evaluateVariant(agent, text, 20));
      if (e === null) return mount(area, h("p", { class: "muted" }, "Cancelled."));
      mount(area, h("div", { class: "eval-result" },
        h("p", {}, h("strong", {}, `Predicted acceptance: current ${pct1(e.current_mean)}, this variant ${pct1(e.candidate_mean)}`),
          e.difference ? ` (${pts(e.difference.value)}${e.difference.low !== null ? `, 95% CI ${pts(e.difference.low)} to ${pts(e.difference.high)}` : ""})` : ""),
        h("p", {}, e.summary),
        h("p", { class: "muted note" }, `${fmtInt(e.replays.length)} intents, ${fmtInt(e.calls)} calls, ${fmtInt(e.input_tokens)} input and ${fmtInt(e.output_tokens)} output tokens (in the audit log).`)));
    } catch (err) {
      mount(area, h("p", { class: "error", role: "alert" }, err.message));
    }
  };
  const generate = async (withLlm) => {
    // The person is working on this agent now: the end of a background alerts check must not
    // re-render the view (and drop the variants on their way) to show another agent.
    last.chosen = true;
    genButton.disabled = true;
    llmButton.disabled = true;
    mount(variantsArea, h("p", { class: "muted" }, withLlm ? "Asking the LLM…" : "Analysing settlements…"));
    const progress = h("div", {});
    try {
      const recent = Math.max(0, Number(lastN.value) || 0);
      let g;
      if (withLlm) {
        mount(variantsArea, h("p", { class: "muted" }, `Asking ${llm.config.model}…`), progress);
        g = await withProgress(progress, "replies", () => api.generateVariantsLlm(agent, recent, 3));
      } else {
        g = await api.generateVariants(agent, recent);
      }
      if (g === null) return mount(variantsArea, h("p", { class: "muted" }, "Cancelled."));
      const cards = await Promise.all(g.variants.map(async (v, i) => {
        const text = h("textarea", { class: "variant-text", rows: 8, "aria-label": `Variant ${i + 1} prompt` }, v.prompt);
        const diffBox = h("div", { class: "variant-diff" });
        const redraw = async () => mount(diffBox, diffView(await api.diffTexts(g.current ? g.current.text : "", text.value), g.current ? `Current (v${g.current.version})` : "Current (none)", "Variant"));
        text.addEventListener("change", redraw);
        await redraw();
        const cardError = errorBox(`variant-error-${i}`);
        const evalArea = h("div", { class: "variant-eval", "aria-live": "polite" });
        return h("article", { class: "panel variant-card", id: `variant-${i}`, dataset: { index: i } },
          h("h3", {}, `${i + 1}. ${v.title}`),
          h("p", {}, v.rationale),
          h("ul", { class: "rules" }, v.rules.map((r) => h("li", {}, r))),
          h("details", {}, h("summary", {}, `Evidence (${v.evidence.length})`),
            h("ul", {}, v.evidence.map((ev) => h("li", {}, ev.text, ev.examples.length ? h("span", { class: "muted" }, ` — e.g. ${ev.examples.slice(0, 3).join(", ")}`) : null)))),
          diffBox,
          h("details", {}, h("summary", {}, "Edit the variant"), text),
          cardError,
          evalArea,
          h("div", { class: "actions" },
            h("button", { type: "button", class: "secondary variant-evaluate", onClick: () => evaluate(text.value, evalArea) }, "Evaluate offline"),
            h("button", { type: "button", class: "secondary variant-accept", onClick: async () => {
              try { const nv = await api.addPrompt(agent, text.value, v.title, false); toast(`Added as v${nv.version}`); render(root, ctx); } catch (err) { showError(cardError, err); }
            } }, "Accept as new version"),
            h("button", { type: "button", class: "variant-start", onClick: async () => {
              try { await startTest(text.value, v.title); } catch (err) { showError(cardError, err); }
            } }, "Start A/B test")));
      }));
      mount(variantsArea,
        h("p", { class: "muted", id: "variants-summary" }, `${fmtInt(g.analysed)} settlements of ${agent} analysed; ${g.variants.length} variants${g.current ? ` of v${g.current.version}` : ""}.`),
        g.note ? h("p", { class: "note", id: "variants-note" }, g.note) : null,
        cards);
    } catch (err) {
      mount(variantsArea);
      showError(genError, err);
    } finally {
      genButton.disabled = false;
      llmButton.disabled = false;
    }
  };
  const genButton = h("button", { type: "button", id: "variants-generate", onClick: () => generate(false) }, "Generate variants");
  const llmButton = h("button", { type: "button", class: "secondary", id: "variants-llm", title: llmReady ? `${llm.config.model} at ${llm.config.base_url}` : llmNeeds, onClick: () => {
    if (!llmReady) return mount(variantsArea, h("p", { class: "note", id: "variants-llm-needs" }, `Variants written by an LLM need one: ${llmNeeds}`));
    generate(true);
  } }, "Write with the LLM");

  // Create from two versions.
  const aSel = h("select", { id: "exp-a", "aria-label": "Variant A" }, versionOptions(mine.active));
  const bSel = h("select", { id: "exp-b", "aria-label": "Variant B" }, versionOptions(mine.versions.length ? mine.versions[mine.versions.length - 1].version : null));
  const modelA = h("input", { id: "exp-model-a", type: "text", placeholder: "model (optional)", "aria-label": "Model for A" });
  const modelB = h("input", { id: "exp-model-b", type: "text", placeholder: "model (optional)", "aria-label": "Model for B" });
  const split = h("input", { id: "exp-split", type: "number", min: 0.05, max: 0.95, step: 0.05, value: 0.5, class: "narrow", "aria-label": "Share of intents to B" });
  const mde = h("input", { id: "exp-mde", type: "number", min: 1, max: 50, step: 1, value: 10, class: "narrow", "aria-label": "Minimum detectable effect in points" });
  const createError = errorBox("exp-create-error");
  const createForm = mine.versions.length
    ? h("div", { class: "hbox wrap", id: "exp-create" }, "A ", aSel, modelA, " B ", bSel, modelB, h("label", {}, "to B ", split), h("label", {}, "effect (points) ", mde),
      h("button", { type: "button", id: "exp-create-run", onClick: async () => {
        try {
          const e = await api.createExperiment({ agent, a: Number(aSel.value), b: Number(bSel.value), model_a: modelA.value || null, model_b: modelB.value || null, split: Number(split.value), mde: Number(mde.value) / 100 });
          last.selected = e.id;
          render(root, ctx);
        } catch (err) { showError(createError, err); }
      } }, "Create experiment"))
    : h("p", { class: "muted" }, "Add prompt versions to compare them.");

  // Notion.
  const dbInput = h("input", { id: "abtests-db", type: "text", placeholder: "DB_AB_Tests link or id", "aria-label": "DB_AB_Tests database" });
  const notionError = errorBox("abtests-error");
  const notionPanel = h("section", { class: "panel", "aria-labelledby": "abtests-title" },
    h("h2", { id: "abtests-title" }, "Notion DB_AB_Tests"),
    h("p", { class: "muted", id: "abtests-status" }, target ? `Experiments are written to database ${target.database_id} after every change.` : "Not connected: experiments are kept locally. Connect the DB_AB_Tests database (with the design's properties) to write them to Notion too."),
    h("div", { class: "hbox" }, dbInput, h("button", { type: "button", class: "secondary", onClick: async () => {
      try { await api.connectAbTests(dbInput.value); toast("DB_AB_Tests connected"); render(root, ctx); } catch (err) { showError(notionError, err); }
    } }, target ? "Change" : "Connect")), notionError);

  const results = h("section", { class: "panel", id: "exp-results", "aria-live": "polite" });
  const pick = (e) => {
    last.selected = e.id;
    root.querySelectorAll("#exp-table tr.selected").forEach((tr) => tr.classList.remove("selected"));
    root.querySelector(`#exp-table tr[data-id="${CSS.escape(e.id)}"]`)?.classList.add("selected");
    resultsPanel(results, e, () => render(root, ctx));
  };
  mount(root,
    h("header", { class: "view-head" }, h("h1", {}, "Experiments"), agentSelect),
    open.length ? h("div", { class: "panel alert-hint", id: "exp-hint", role: "status" },
      h("strong", {}, `${agent} needs attention: `), open[0].summary, " Generate variants from its last settlements and test one.") : null,
    h("section", { class: "panel", "aria-labelledby": "prompts-title" },
      h("div", { class: "panel-head" }, h("h2", { id: "prompts-title" }, `Prompt versions of ${agent}`), adopt),
      versionList, diffControls, diffArea, addForm),
    h("section", { class: "panel", "aria-labelledby": "variants-title" },
      h("div", { class: "panel-head" }, h("h2", { id: "variants-title" }, "Variants from what people edit"),
        h("div", { class: "hbox" }, h("label", {}, "Last ", lastN, " settlements"), genButton, llmButton)),
      h("p", { class: "muted note" }, "Composed offline from the agent's edit patterns: each adds rules to the active prompt, with the evidence behind them. Nothing leaves this computer.",
        llmReady ? ` “Write with the LLM” sends the active prompt and the mined phrases to ${llm.config.base_url}.` : ""),
      genError, variantsArea),
    h("section", { class: "panel", "aria-labelledby": "exps-title" },
      h("h2", { id: "exps-title" }, "A/B experiments"),
      experimentsTable(experiments, pick),
      h("h3", {}, `New experiment for ${agent}`), createForm, createError),
    results,
    notionPanel);
  const chosen = experiments.find((e) => e.id === last.selected) || experiments.find((e) => e.agent === agent && e.status === "Running");
  if (chosen) pick(chosen); else mount(results, h("p", { class: "muted" }, "Select an experiment to see its results."));
  if (unlisten) unlisten();
  unlisten = await api.onExperimentPublished((p) => {
    if (p.error) toast(`${p.id} not written to Notion: ${p.error}`, "error");
    if (last.selected === p.id && root.isConnected) {
      api.listExperiments().then((list) => { const e = list.find((x) => x.id === p.id); if (e) resultsPanel(results, e, () => render(root, ctx)); });
    }
  });
  ctx.onKey((e) => {
    if (e.key === "g") generate(false);
  });
}
