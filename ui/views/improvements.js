// Improvements: per agent, what people systematically take out, add, replace and re-tone, and
// the prompt changes that follow — recommendations first, then the kinds of edit, the
// evidence tables, tone cards and the edit categories. Selecting a phrase lists its settlements with the phrase
// marked in the diff.
//
// Keys: ↑/↓ move through a table's rows, Enter shows the row's settlements.

import { api } from "../api.js";
import { diffSides } from "../diff.js";
import { h, s, mount, fmtInt, fmtPct, fmtDateTime, toast } from "../dom.js";
import { csv, PALETTE } from "../charts.js";
import { withProgress } from "../jobs.js";

const RANGES = [["30d", "Last 30 days"], ["90d", "Last 90 days"], ["all", "All time"]];
const CSV_HEADER = ["phrase", "share", "ci_low", "ci_high", "times", "present_in", "trend", "early_share", "late_share"];
const DELETED_CSV_HEADER = [...CSV_HEADER, "cut_share"];
const KINDS_CSV_HEADER = ["kind", "share", "edits", "settlements", "example_ai", "example_person"];
const REPLACED_CSV_HEADER = ["phrase", "replaced_by", "share", "ci_low", "ci_high", "times", "present_in"];
// A steady phrase says so in words: "→ 63% → 58%" read as two moves (the CLI prints "steady").
const ARROWS = { rising: "↑", falling: "↓", new: "new", gone: "gone", steady: "steady" };

/** "↑ 12% → 45%", "steady 63% → 58%": the share in the earlier and the later half of the span. */
function trendCell(t) {
  if (!t) return "–";
  const pctOr = (e) => (e ? fmtPct(e.value) : "–");
  return `${ARROWS[t.direction] || t.direction} ${pctOr(t.early)} → ${pctOr(t.late)}`;
}
const trendRaw = (t) => (t ? [t.direction, t.early?.value.toFixed(4) ?? "", t.late?.value.toFixed(4) ?? ""] : ["", "", ""]);
let last = { agent: "", range: "all", intent: "" };

const ci = (e) => (e.low !== null && e.high !== null ? `${fmtPct(e.low)}–${fmtPct(e.high)}` : "–");

/** Mark every occurrence of `phrase` (lower-case words) in `nodes` (strings and elements). */
function markPhrase(nodes, phrase) {
  if (!phrase) return nodes;
  const words = phrase.split(" ").map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const re = new RegExp(`(?<![\\p{L}\\p{N}])${words.join("[^\\p{L}\\p{N}]+")}(?![\\p{L}\\p{N}])`, "giu");
  const split = (text) => {
    const out = [];
    let at = 0;
    for (const m of text.matchAll(re)) {
      out.push(text.slice(at, m.index), h("mark", { class: "hit" }, m[0]));
      at = m.index + m[0].length;
    }
    out.push(text.slice(at));
    return out;
  };
  return nodes.map((n) => {
    if (typeof n === "string") return split(n);
    const copy = n.cloneNode(false);
    copy.append(...split(n.textContent));
    return copy;
  });
}

async function examplesPanel(target, title, ids, phrase) {
  mount(target, h("h3", {}, title), h("p", { class: "muted" }, "Loading…"));
  const items = [];
  for (const id of ids) {
    try {
      const d = await api.get(id);
      const { before, after } = diffSides(d.spans);
      items.push(h("article", { class: "example", dataset: { id } },
        h("div", { class: "muted example-head" }, `${d.settlement.id} · ${d.settlement.intent_type || "unknown"} · ${d.settlement.created_at.slice(0, 10)}`),
        h("div", { class: "sides" },
          h("div", {}, h("h4", {}, "AI output"), h("div", { class: "text" }, markPhrase(before, phrase))),
          h("div", {}, h("h4", {}, "Final version"), h("div", { class: "text" }, markPhrase(after, phrase))))));
    } catch (err) {
      items.push(h("p", { class: "error" }, `${id}: ${err.message}`));
    }
  }
  mount(target, h("h3", {}, title), items.length ? items : h("p", { class: "muted" }, "No example settlements."));
  target.scrollIntoView({ block: "nearest" });
}

function table(id, caption, header, rows, onPick, csvName, csvHeader = CSV_HEADER) {
  const body = h("tbody", {}, rows.map((r, i) => h("tr", {
    tabindex: "0", dataset: { row: i },
    onClick: () => onPick(i),
    onKeydown: (e) => {
      if (e.key === "Enter") onPick(i);
      if (e.key === "ArrowDown") { e.preventDefault(); e.currentTarget.nextElementSibling?.focus(); }
      if (e.key === "ArrowUp") { e.preventDefault(); e.currentTarget.previousElementSibling?.focus(); }
    },
  }, r.cells.map((c, j) => (j === 0 ? h("th", { scope: "row" }, c) : h("td", { class: (r.textCols || []).includes(j) ? "text-cell" : "num" }, c)))) ));
  return h("section", { class: "panel", id, "aria-labelledby": `${id}-title` },
    h("div", { class: "panel-head" }, h("h2", { id: `${id}-title` }, caption),
      h("button", { type: "button", class: "secondary small", onClick: async () => {
        try {
          const path = await api.saveFile(csvName, csv(csvHeader, rows.map((r) => r.raw)), null);
          if (path) toast(`Saved ${path}`);
        } catch (err) { toast(err.message, "error"); }
      } }, "Save CSV")),
    rows.length
      ? h("div", { class: "table-wrap" }, h("table", { class: "data pick" }, h("thead", {}, h("tr", {}, header.slice(0, rows[0].cells.length).map((c) => h("th", { scope: "col" }, c)))), body))
      : h("p", { class: "muted" }, "Nothing frequent and consistent enough to report."));
}

function categoryChart(a) {
  const total = a.settlements || 1;
  const entries = Object.entries(a.categories);
  const W = 640, row = 24, L = 170, H = entries.length * row + 10;
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: "chart", role: "img", "aria-label": "Edit categories" });
  entries.forEach(([name, n], i) => {
    const y = 5 + i * row;
    const w = ((W - L - 60) * n) / total;
    svg.append(s("text", { x: L - 8, y: y + 15, "text-anchor": "end", "font-size": 12, fill: "currentColor" }, name.replace(/_/g, " ")));
    svg.append(s("rect", { x: L, y: y + 3, width: Math.max(1, w), height: 16, rx: 2, fill: PALETTE[i % PALETTE.length] },
      s("title", {}, `${name.replace(/_/g, " ")}: ${fmtInt(n)} of ${fmtInt(total)}`)));
    svg.append(s("text", { x: L + w + 6, y: y + 15, "font-size": 12, fill: "currentColor" }, `${fmtPct(n / total)} (${fmtInt(n)})`));
  });
  return svg;
}

function toneCards(a) {
  return h("div", { class: "kpis tone" }, a.tone.map((t) => h("div", { class: ["kpi", t.significant && (t.mean_change > 0 ? "kpi-good" : "kpi-bad")], dataset: { feature: t.feature } },
    h("div", { class: "kpi-label" }, t.feature.replace(/_/g, " ")),
    h("div", { class: "kpi-value" }, `${t.mean_change >= 0 ? "+" : "−"}${Math.abs(t.mean_change).toFixed(2)}`),
    h("div", { class: "kpi-detail muted" }, `${t.unit}: ${t.mean_ai.toFixed(2)} → ${t.mean_final.toFixed(2)}`),
    h("div", { class: "kpi-detail muted" }, t.significant ? `significant (d = ${t.effect_size.toFixed(2)}, p = ${t.p_value.toExponential(1)}): ${t.mean_change > 0 ? t.rise_means : "the opposite of " + t.rise_means}` : `no clear shift (d = ${t.effect_size.toFixed(2)})`))));
}

/** What a replay found: its summary sentence, the split, and each change with its saving. */
function replayResult(r) {
  if (r.status === "too_small") {
    return h("p", { class: "muted", id: "replay-summary" }, `Too few settlements to split by time: ${fmtInt(r.settlements)}, at least ${fmtInt(r.needed)} needed (half to mine, half to replay).`);
  }
  const day = (t) => t.slice(0, 10);
  const pct1 = (x) => `${(x * 100).toFixed(1)}%`;
  const rows = r.rules.map((x) => h("tr", { dataset: { validated: String(x.validated) } },
    h("th", { scope: "row" }, x.text),
    h("td", { class: "num" }, x.validated ? "✓ validated" : "unvalidated"),
    h("td", { class: "num" }, pct1(x.saved.value)),
    h("td", { class: "num" }, `${pct1(x.saved.low)} to ${pct1(x.saved.high)}`),
    h("td", { class: "num" }, fmtInt(x.applies))));
  return h("div", {},
    h("p", { class: "summary", id: "replay-summary" }, r.summary),
    h("p", { class: "muted note" }, `Mined ${fmtInt(r.earlier.settlements)} settlements (${day(r.earlier.from)} – ${day(r.earlier.to)}); replayed ${fmtInt(r.replayed)} (${day(r.later.from)} – ${day(r.later.to)}), ${fmtInt(r.baseline_edits)} words of editing with no change. Saving = editing taken away, 95% bootstrap interval; validated = its lower end above zero.`),
    r.rules.length
      ? h("div", { class: "table-wrap" }, h("table", { class: "data", id: "replay-table" },
        h("thead", {}, h("tr", {}, ["Change", "Replay", "Editing saved", "95% CI", "Outputs changed"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, rows)))
      : h("p", { class: "muted" }, "The earlier half gave no candidate change to replay."));
}

export async function render(root, ctx) {
  const facets = await api.facets();
  if (!last.agent || !facets.agents.some(([n]) => n === last.agent)) last.agent = facets.agents[0]?.[0] || "";
  const option = (value, label, on) => h("option", { value, selected: on }, label);
  const agent = h("select", { id: "imp-agent", "aria-label": "Agent" }, facets.agents.map(([n, c]) => option(n, `${n} (${fmtInt(c)})`, n === last.agent)));
  const range = h("select", { id: "imp-range", "aria-label": "Range" }, RANGES.map(([v, l]) => option(v, l, v === last.range)));
  const intent = h("select", { id: "imp-intent", "aria-label": "Intent type" }, option("", "All intent types", !last.intent),
    facets.intent_types.map(([n]) => option(n, n || "unknown", n === last.intent)));
  const progress = h("div", { id: "imp-progress" });
  const body = h("div", { class: "dash", id: "improvements" });
  mount(root, h("header", { class: "view-head" }, h("h1", {}, "Improvements"), agent, intent, range), progress, body);

  let seq = 0;
  async function load() {
    const mine = ++seq;
    last = { agent: agent.value, range: range.value, intent: intent.value };
    body.replaceChildren();
    let report;
    try {
      // One analysis at a time: the choices wait until this one ends (or is cancelled).
      [agent, range, intent].forEach((el) => (el.disabled = true));
      report = await withProgress(progress, "settlements analysed", () => api.minePatterns(last.agent, last.range, last.intent))
        .finally(() => [agent, range, intent].forEach((el) => (el.disabled = false)));
    } catch (err) {
      if (mine === seq) mount(body, h("p", { class: "error", role: "alert" }, err.message));
      return;
    }
    if (mine !== seq) return;
    if (report === null) return mount(body, h("p", { class: "muted" }, "Cancelled."));
    const a = report.agents.find((x) => x.agent === last.agent);
    if (!a || !a.settlements) {
      return mount(body, h("div", { class: "empty panel", id: "imp-empty" }, h("h2", {}, "No settlements here"), h("p", { class: "muted" }, "Nothing from this agent in this range and intent type.")));
    }
    // Replay on demand: the answer is shown only if the person is still on this agent, range
    // and intent type (`seq` unchanged).
    const replayPanel = (mine) => {
      const area = h("div", { id: "replay-result" }, h("p", { class: "muted" }, "Would these changes have saved editing? Replay mines the earlier half of the range and applies each change to the later half's outputs (docs/patterns.md, “Replay”)."));
      const jobArea = h("div", { id: "replay-progress" });
      const run = h("button", { type: "button", id: "replay-run", class: "secondary" }, "Check by replay");
      run.addEventListener("click", async () => {
        run.disabled = true;
        [agent, range, intent].forEach((el) => (el.disabled = true));
        let r;
        try {
          r = await withProgress(jobArea, "changes replayed", () => api.replayPatterns(last.agent, last.range, last.intent));
        } catch (err) {
          if (mine === seq) mount(area, h("p", { class: "error", role: "alert" }, err.message));
          return;
        } finally {
          run.disabled = false;
          [agent, range, intent].forEach((el) => (el.disabled = false));
        }
        if (mine !== seq) return;
        if (r === null) return mount(area, h("p", { class: "muted" }, "Cancelled."));
        mount(area, replayResult(r));
      });
      return h("section", { class: "panel", id: "replay", "aria-labelledby": "replay-title" },
        h("div", { class: "panel-head" }, h("h2", { id: "replay-title" }, "Checked by replay"), run), jobArea, area);
    };
    const examples = h("section", { class: "panel", id: "examples", "aria-live": "polite" }, h("h3", {}, "Settlements"), h("p", { class: "muted" }, "Select a recommendation or a phrase to see the settlements behind it."));
    const stem = `${last.agent}-${last.range}`.replace(/[^\w-]+/g, "_");
    const phraseRow = (p) => ({ cells: [p.text, fmtPct(p.share.value), ci(p.share), `${fmtInt(p.hits)} of ${fmtInt(p.support)}`, trendCell(p.trend), p.context || "–"], textCols: [5], raw: [p.text, p.share.value.toFixed(4), p.share.low?.toFixed(4), p.share.high?.toFixed(4), p.hits, p.support, ...trendRaw(p.trend)], phrase: p.text, ids: p.examples });
    // A phrase taken out: its row adds how — cut outright, or rewritten into other words.
    const cutCell = (p) => (p.cut_share === null || p.cut_share === undefined ? "–" : `${fmtPct(p.cut_share)} cut`);
    const deleted = a.deleted.map((p) => {
      const row = phraseRow(p);
      return { ...row, cells: [...row.cells.slice(0, 4), cutCell(p), ...row.cells.slice(4)], textCols: [6], raw: [...row.raw, p.cut_share?.toFixed(4) ?? ""] };
    });
    const added = a.added.map(phraseRow);
    // What people put instead, most common first: "was (20), is (10)"; none when the source was
    // only ever replaced inside a longer rewrite.
    const targets = (r) => r.targets.length ? r.targets.map((t) => `${t.to} (${fmtInt(t.hits)})`).join(", ") : "(within longer rewrites)";
    const replaced = a.replacements.map((r) => ({ cells: [r.from, targets(r), fmtPct(r.share.value), ci(r.share), `${fmtInt(r.hits)} of ${fmtInt(r.support)}`, r.context || "–"], textCols: [1, 5], raw: [r.from, r.targets.map((t) => `${t.to} (${t.hits})`).join("; "), r.share.value.toFixed(4), r.share.low?.toFixed(4), r.share.high?.toFixed(4), r.hits, r.support], phrase: r.from, ids: r.examples }));
    // The kinds of edit (docs/patterns.md, "Edit taxonomy"): one row per kind, most edits first.
    const kinds = (a.edit_kinds || []).map((k) => ({
      cells: [k.label, fmtPct(k.share), fmtInt(k.edits), fmtInt(k.outputs), k.example ? `“${k.example.old || "∅"}” → “${k.example.new || "∅"}”` : "–"],
      textCols: [4],
      raw: [k.kind, k.share.toFixed(4), k.edits, k.outputs, k.example?.old ?? "", k.example?.new ?? ""],
      phrase: null,
      ids: k.examples,
    }));
    const replacedHeader = ["Phrase", "Most often replaced by", "Share", "95% CI", "Times", "Typical context"];
    const header = ["Phrase", "Share", "95% CI", "Times", "Trend (earlier → later half)", "Typical context"];
    const deletedHeader = ["Phrase", "Share", "95% CI", "Times", "Cut or rewritten", "Trend (earlier → later half)", "Typical context"];
    const pick = (rows, label) => (i) => examplesPanel(examples, `${label}: “${rows[i].cells[0]}”`, rows[i].ids, rows[i].phrase);
    mount(body,
      h("p", { class: "muted note", id: "imp-about" }, `${fmtInt(a.settlements)} settlements of ${last.agent}. Shares count settlements${a.min_hits === undefined ? "" : `; a phrase needs at least ${fmtInt(a.min_hits)} of the outputs people edited to be listed, and to be changed more often than ordinary words beyond chance (at a 5% false discovery rate)`}. Definitions: docs/patterns.md.`,
        report.computed_at && Date.now() - new Date(report.computed_at).getTime() > 60_000 ? ` Mined at ${fmtDateTime(report.computed_at)}, after the last import or sync.` : ""),
      h("section", { class: "panel", id: "recommendations", "aria-labelledby": "rec-title" },
        h("h2", { id: "rec-title" }, "Recommended prompt changes"),
        a.recommendations.length
          ? h("ol", { class: "recs" }, a.recommendations.map((r) => h("li", { dataset: { kind: r.kind } },
            h("span", { class: "chip" }, r.kind), " ", r.text, " ",
            r.examples.length ? h("button", { type: "button", class: "secondary small", onClick: () => examplesPanel(examples, r.text, r.examples, (r.text.match(/“([^”]+)”/) || [])[1]?.toLowerCase()) }, "Examples") : null)))
          : h("p", { class: "muted" }, "Nothing stands out: no phrase is changed often enough, or more often than ordinary words beyond chance.")),
      replayPanel(mine),
      examples,
      h("section", { class: "panel", id: "structure", "aria-labelledby": "struct-title" },
        h("h2", { id: "struct-title" }, "Structure"),
        a.structure.length
          ? h("ul", {}, a.structure.map((p) => h("li", { dataset: { kind: p.kind } },
            p.text, " ",
            p.examples.length ? h("button", { type: "button", class: "secondary small", onClick: () => examplesPanel(examples, p.label, p.examples, null) }, "Examples") : null)))
          : h("p", { class: "muted" }, "No change of structure stands out: no sentence position is cut more often than the others, and no heading, list, split, merge, move or mark (em dash, semicolon, emoji, …) taken out is frequent enough.")),
      table("kinds-table", "Kinds of edit", ["Kind", "Share of edits", "Edits", "Settlements", "Example (AI output → person)"], kinds, pick(kinds, "Kind of edit"), `kinds-${stem}.csv`, KINDS_CSV_HEADER),
      h("section", { class: "panel", id: "rejections", "aria-labelledby": "rej-title" },
        h("h2", { id: "rej-title" }, "Common rejection patterns"),
        a.rejection_patterns.length
          ? h("ul", {}, a.rejection_patterns.map((r) => h("li", {}, `“${r.text}”: in ${fmtPct(r.in_rejected.value)} of the outputs people rewrote or rejected, against ${fmtPct(r.elsewhere.value)} of the others (${r.lift.toFixed(1)}× as common).`)))
          : h("p", { class: "muted" }, "No phrase is typical of the rewritten or rejected outputs.")),
      table("deleted-table", "What people take out (cut, or rewrite into other words)", deletedHeader, deleted, pick(deleted, "Taken out"), `deleted-${stem}.csv`, DELETED_CSV_HEADER),
      table("added-table", "What people add (more often than they take it out, beyond chance)", header, added, pick(added, "Added"), `added-${stem}.csv`),
      table("replaced-table", "What people replace", replacedHeader, replaced, pick(replaced, "Replaced"), `replaced-${stem}.csv`, REPLACED_CSV_HEADER),
      h("section", { class: "panel", "aria-labelledby": "tone-title" }, h("h2", { id: "tone-title" }, "Tone and length (final − AI output)"),
        h("p", { class: "muted note" }, "Mean change per settlement; significant = Wilcoxon signed-rank p < 0.01 and |d| ≥ 0.2."), toneCards(a)),
      h("section", { class: "panel", id: "categories", "aria-labelledby": "cat-title" }, h("h2", { id: "cat-title" }, "How outputs were edited"), categoryChart(a)),
    );
  }
  [agent, range, intent].forEach((el) => el.addEventListener("change", load));
  ctx.onKey(() => {});
  await load();
}
