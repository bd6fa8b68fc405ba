// Compare agents: two agents head to head over a range — the difference of mean acceptance
// with its 95% Welch interval, the Mann–Whitney test and its effect size, the same per intent
// type, and the edit-cost quartiles of each.

import { api } from "../api.js";
import { h, mount, fmtInt, fmtPct, toast } from "../dom.js";
import { csv } from "../charts.js";

const RANGES = [["7d", "Last 7 days"], ["30d", "Last 30 days"], ["90d", "Last 90 days"], ["all", "All time"]];
let last = { a: "", b: "", range: "30d" };

const est = (e) => (e ? `${fmtPct(e.value)}${e.low !== null ? ` [${fmtPct(e.low)}–${fmtPct(e.high)}]` : ""} (n = ${fmtInt(e.n)})` : "no settlements");
const diff = (d) => {
  if (!d) return "–";
  const p = (x) => `${x >= 0 ? "+" : "−"}${Math.abs(x * 100).toFixed(1)}`;
  return d.low !== null ? `${p(d.value)} pts [${p(d.low)}, ${p(d.high)}]` : `${p(d.value)} pts`;
};
const verdict = (c, a, b) => {
  if (c.p_value === null || !c.difference) return "Too few settlements to test.";
  if (c.p_value >= 0.05) return `No clear difference (Mann–Whitney p = ${c.p_value.toFixed(3)}).`;
  const better = c.difference.value > 0 ? a : b;
  return `${better} is accepted more (${c.p_value < 0.001 ? "p < 0.001" : `p = ${c.p_value.toFixed(3)}`}, rank-biserial r = ${c.effect.toFixed(2)}).`;
};

export async function render(root, ctx) {
  const facets = await api.facets();
  const names = facets.agents.map(([n]) => n);
  if (names.length < 2) {
    return mount(root, h("header", { class: "view-head" }, h("h1", {}, "Compare agents")),
      h("div", { class: "empty panel", id: "cmp-empty" }, h("h2", {}, "Two agents are needed"), h("p", { class: "muted" }, "The store holds settlements from fewer than two agents.")));
  }
  if (!names.includes(last.a)) last.a = names[0];
  if (!names.includes(last.b) || last.b === last.a) last.b = names.find((n) => n !== last.a);
  const select = (id, label, value) => h("select", { id, "aria-label": label }, names.map((n) => h("option", { value: n, selected: n === value }, n)));
  const a = select("cmp-a", "Agent A", last.a);
  const b = select("cmp-b", "Agent B", last.b);
  const range = h("select", { id: "cmp-range", "aria-label": "Range" }, RANGES.map(([v, l]) => h("option", { value: v, selected: v === last.range }, l)));
  const body = h("div", { class: "dash", id: "comparison", "aria-live": "polite" });
  mount(root, h("header", { class: "view-head" }, h("h1", {}, "Compare agents"), a, h("span", { class: "muted" }, "vs"), b, range), body);

  let seq = 0;
  async function load() {
    const mine = ++seq;
    last = { a: a.value, b: b.value, range: range.value };
    if (last.a === last.b) return mount(body, h("p", { class: "muted" }, "Choose two different agents."));
    mount(body, h("p", { class: "muted loading" }, "Comparing…"));
    let c;
    try {
      c = await api.compareAgents(last.a, last.b, last.range);
    } catch (err) {
      if (mine === seq) mount(body, h("p", { class: "error", role: "alert" }, err.message));
      return;
    }
    // A newer choice was made while this one was computed: it will show instead.
    if (mine !== seq) return;
    const rows = [["All intent types", c.acceptance], ...c.by_intent.map((i) => [i.intent_type || "unknown", i.contrast])];
    const q = (x) => (x ? `median ${x.median} words; middle half ${x.q1}–${x.q3}; range ${x.min}–${x.max}` : "no settlements");
    const header = ["Intent type", `${c.agent_a} mean`, `${c.agent_b} mean`, "Difference (A − B)", "CI low", "CI high", "Mann-Whitney p", "Rank-biserial r"];
    const csvRows = rows.map(([k, x]) => [k, x.a?.value.toFixed(4), x.b?.value.toFixed(4), x.difference?.value.toFixed(4), x.difference?.low?.toFixed(4), x.difference?.high?.toFixed(4), x.p_value?.toPrecision(3), x.effect?.toFixed(3)]);
    mount(body,
      h("section", { class: "panel", id: "cmp-verdict" }, h("h2", {}, verdict(c.acceptance, c.agent_a, c.agent_b)),
        h("p", { class: "muted" }, `Mean acceptance ${c.agent_a}: ${est(c.acceptance.a)} · ${c.agent_b}: ${est(c.acceptance.b)} · difference ${diff(c.acceptance.difference)} (95% Welch interval).`)),
      h("section", { class: "panel" },
        h("div", { class: "panel-head" }, h("h2", {}, "By intent type"),
          h("button", { type: "button", class: "secondary small", onClick: async () => {
            try { const p = await api.saveFile(`compare-${last.range}.csv`, csv(header, csvRows), null); if (p) toast(`Saved ${p}`); } catch (err) { toast(err.message, "error"); }
          } }, "Save CSV")),
        h("div", { class: "table-wrap" }, h("table", { class: "data", id: "cmp-table" },
          h("thead", {}, h("tr", {}, ["Intent type", c.agent_a, c.agent_b, "Difference (A − B)", "p", "r"].map((x) => h("th", { scope: "col" }, x)))),
          h("tbody", {}, rows.map(([k, x]) => h("tr", {},
            h("th", { scope: "row" }, k), h("td", { class: "num" }, est(x.a)), h("td", { class: "num" }, est(x.b)),
            h("td", { class: "num" }, diff(x.difference)),
            h("td", { class: "num" }, x.p_value === null ? "–" : x.p_value < 0.001 ? "< 0.001" : x.p_value.toFixed(3)),
            h("td", { class: "num" }, x.effect === null ? "–" : x.effect.toFixed(2))))))),
        h("p", { class: "muted note" }, "Mann–Whitney U test (two-sided), suited to bounded, skewed acceptance; r from −1 (B always better) to +1 (A always better).")),
      h("section", { class: "panel" }, h("h2", {}, "Edit cost (words changed per settlement)"),
        h("dl", { class: "meta" }, h("dt", {}, c.agent_a), h("dd", {}, q(c.edit_cost_a)), h("dt", {}, c.agent_b), h("dd", {}, q(c.edit_cost_b)))),
    );
  }
  [a, b, range].forEach((el) => el.addEventListener("change", load));
  await load();
}
