// The Dashboard: alerts first, then KPI cards, acceptance over time, agent × intent type and
// agent × weekday heatmaps, the edit-cost distribution and the per-agent table. Every chart
// can be saved as SVG or PNG and every table as CSV.
//
// Keys: 1–4 pick 7d / 30d / 90d / all; Tab reaches each chart, arrows move inside it.

import { api } from "../api.js";
import { kindLabel } from "../incidents.js";
import { h, mount, fmtInt, fmtPct, fmtDateTime, toast } from "../dom.js";
import { lineChart, heatmap, boxPlot, svgText, pngBytes, csv } from "../charts.js";
import { checkText } from "../check.js";

const RANGES = [["7d", "7 days"], ["30d", "30 days"], ["90d", "90 days"], ["all", "All time"]];
const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** Remembered while the app runs, so coming back shows the same range. */
let current = "30d";

const interval = (e) => (e && e.low !== null && e.high !== null ? `${fmtPct(e.low)}–${fmtPct(e.high)}` : "no interval (n < 2)");
const points = (x) => `${x >= 0 ? "+" : "−"}${Math.abs(x * 100).toFixed(1)} pts`;

async function save(name, what) {
  try {
    const path = await what();
    if (path) toast(`Saved ${path}`);
  } catch (err) {
    toast(err.message || String(err), "error");
  }
}

function saveButtons(stem, wrap) {
  return h("div", { class: "save-row" },
    h("button", { type: "button", class: "secondary small", onClick: () => save(stem, () => api.saveFile(`${stem}.svg`, svgText(wrap), null)) }, "Save SVG"),
    h("button", { type: "button", class: "secondary small", onClick: () => save(stem, async () => api.saveFile(`${stem}.png`, null, await pngBytes(wrap))) }, "Save PNG"));
}

function chartPanel(id, title, note, stem, chart) {
  return h("section", { class: "panel chart-panel", id, "aria-labelledby": `${id}-title` },
    h("div", { class: "panel-head" }, h("h2", { id: `${id}-title` }, title), saveButtons(stem, chart)),
    note ? h("p", { class: "muted note" }, note) : null,
    chart);
}

function card(id, label, value, detail, tone) {
  return h("div", { class: ["kpi", tone && `kpi-${tone}`], id },
    h("div", { class: "kpi-label" }, label),
    h("div", { class: "kpi-value" }, value),
    detail ? h("div", { class: "kpi-detail muted" }, detail) : null);
}

/** One line per incident (an agent's drop with what came with it), its parts folded inside. */
function alertsPanel(incidents, onAck) {
  if (!incidents.length) return null;
  return h("section", { class: "panel alerts", id: "alerts", "aria-labelledby": "alerts-title" },
    h("h2", { id: "alerts-title" }, `Incidents (${incidents.filter((i) => i.open).length} open)`),
    h("ul", {}, incidents.map((i) => h("li", { class: ["alert", i.open ? "open" : "acked"], dataset: { key: i.key, severity: i.severity } },
      h("span", { class: ["alert-kind", `sev-${i.severity}`] }, kindLabel(i.kind)),
      h("span", { class: "alert-msg" }, i.summary),
      h("span", { class: "muted alert-when" }, `since ${fmtDateTime(i.first_raised)}`),
      i.open
        ? h("button", { type: "button", class: "secondary small ack", onClick: () => onAck(i.key) }, i.parts.length > 1 ? `Acknowledge all ${i.parts.length}` : "Acknowledge")
        : h("span", { class: "muted" }, "acknowledged"),
      i.parts.length > 1
        ? h("details", { class: "alert-parts" }, h("summary", {}, `${i.parts.length} findings`),
          h("ul", {}, i.parts.map((p) => h("li", { dataset: { key: p.key } }, h("span", { class: "chip" }, kindLabel(p.kind)), " ", p.message))))
        : null,
    ))));
}

function kpis(d) {
  const sys = d.system;
  const q = sys.data_quality;
  const r = sys.readiness;
  const o = d.overall;
  const accepted = d.agents.reduce((n, a) => n + Math.round(a.accepted.value * a.settlements), 0);
  const gap = (g) => (g.gap < 0.001 ? "< 0.1 pts to go" : `${(g.gap * 100).toFixed(1)} pts to go`);
  const goals = sys.goals.map((g) => `${fmtPct(g.target)} ${g.reached ? "✓" : `(${gap(g)})`}`).join(" · ");
  return h("div", { class: "kpis", id: "kpis" },
    card("kpi-acceptance", "Mean acceptance", fmtPct(o.value), `95% CI ${interval(o)} · n = ${fmtInt(o.n)}`, o.value >= d.threshold ? "good" : "bad"),
    card("kpi-accepted", `Accepted (≥ ${fmtPct(d.threshold)})`, fmtPct(accepted / d.settlements), `${fmtInt(accepted)} of ${fmtInt(d.settlements)} settlements`),
    card("kpi-intents", "Intents processed", fmtInt(sys.intents_processed), `${sys.intent_types} intent types · ${d.agents.length} agents`),
    card("kpi-satisfaction", "Satisfaction", `${Math.round(sys.satisfaction)}/100`, "from how much people edit (see docs/metrics.md)"),
    card("kpi-quality", "Data quality", `${q.score.toFixed(1)}/100`,
      `${fmtInt(q.duplicates)} duplicates · ${fmtInt(q.empty_texts)} empty · ${fmtInt(q.missing_fields)} missing fields · ${fmtInt(q.implausible_rates)} implausible rates`,
      q.score >= 95 ? "good" : q.score >= 80 ? null : "bad"),
    card("kpi-readiness", "Fine-tuning readiness", r.ready ? "Ready" : "Not yet",
      `${fmtInt(r.above_bar)} settlements above ${fmtPct(r.bar)} (needs ${r.needed})`, r.ready ? "good" : null),
    card("kpi-goals", "Success criteria", o.value >= 0.9 ? "All met" : `${sys.goals.filter((g) => g.reached).length} of 3 met`, goals),
    card("kpi-ab", "A/B success rate", sys.ab_success_rate === null ? "–" : fmtPct(sys.ab_success_rate), sys.ab_success_rate === null ? "no completed experiments yet" : "completed experiments the candidate won"));
}

function agentTable(d) {
  const header = ["Agent", "Settlements", "Mean acceptance", "95% CI low", "95% CI high", "Accepted share", "Median edit cost (words)", "Median edit cost (%)", "Satisfaction", "Week over week (pts)", "Trend (pts/week)", "Trend p", "Best intent type", "Worst intent type", "Avg processing (ms)", "Error rate"];
  const rows = d.agents.map((a) => [
    a.agent, a.settlements, a.acceptance.value.toFixed(4), a.acceptance.low?.toFixed(4), a.acceptance.high?.toFixed(4),
    a.accepted.value.toFixed(4), a.median_edit_cost, (a.median_edit_cost_norm * 100).toFixed(1), a.satisfaction.toFixed(1),
    a.week_over_week ? (a.week_over_week.change * 100).toFixed(1) : "", a.trend && a.trend.slope_per_week !== null ? (a.trend.slope_per_week * 100).toFixed(2) : "",
    a.trend && a.trend.p_value !== null ? a.trend.p_value.toPrecision(3) : "", a.best_intent || "", a.worst_intent || "",
    a.avg_processing_ms === null ? "" : Math.round(a.avg_processing_ms), a.error_rate ? a.error_rate.value.toFixed(4) : "",
  ]);
  const table = h("table", { class: "data", id: "agent-table" },
    h("thead", {}, h("tr", {}, ["Agent", "n", "Acceptance (95% CI)", "Accepted", "Median edit", "Satisfaction", "Week over week", "Trend / week", "Best · worst intent"].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, d.agents.map((a) => h("tr", {},
      h("th", { scope: "row" }, a.agent),
      h("td", { class: "num" }, fmtInt(a.settlements)),
      h("td", { class: "num" }, `${fmtPct(a.acceptance.value)} (${interval(a.acceptance)})`),
      h("td", { class: "num" }, fmtPct(a.accepted.value)),
      h("td", { class: "num" }, `${a.median_edit_cost} words (${Math.round(a.median_edit_cost_norm * 100)}%)`),
      h("td", { class: "num" }, Math.round(a.satisfaction)),
      h("td", { class: ["num", a.week_over_week && a.week_over_week.change < -0.05 && "neg"] }, a.week_over_week ? points(a.week_over_week.change) : "–"),
      h("td", { class: "num" }, a.trend && a.trend.slope_per_week !== null ? `${points(a.trend.slope_per_week)}${a.trend.p_value < 0.05 ? " *" : ""}` : "–"),
      h("td", {}, a.best_intent ? `${a.best_intent} · ${a.worst_intent}` : "–"),
    ))));
  return h("section", { class: "panel", id: "agents-panel", "aria-labelledby": "agents-title" },
    h("div", { class: "panel-head" }, h("h2", { id: "agents-title" }, "Agents"),
      h("div", { class: "save-row" }, h("button", { type: "button", class: "secondary small", onClick: () => save("agents", () => api.saveFile(`agents-${d.range_label}.csv`, csv(header, rows), null)) }, "Save CSV"))),
    h("p", { class: "muted note" }, "* trend significant at p < 0.05. Week over week compares the range's last 7 days with the 7 before."),
    h("div", { class: "table-wrap" }, table));
}

function rangeLabel(range) {
  if (typeof range === "string") return range === "All" ? "all" : range;
  if (range.Days) return `${range.Days}d`;
  if (range.Between) return `${range.Between.from}..${range.Between.to}`;
  return "all";
}

export async function render(root, ctx) {
  const head = h("header", { class: "view-head" }, h("h1", {}, "Dashboard"));
  const picker = h("div", { class: "ranges", role: "group", "aria-label": "Time range" });
  const from = h("input", { type: "date", id: "range-from", "aria-label": "From" });
  const to = h("input", { type: "date", id: "range-to", "aria-label": "To" });
  const apply = h("button", { type: "button", class: "secondary", id: "range-apply" }, "Apply");
  const body = h("div", { class: "dash", id: "dashboard", "aria-live": "polite" });
  head.append(picker, h("div", { class: "custom-range inline" }, from, "–", to, apply));
  mount(root, head, body);

  const drawPicker = () => mount(picker, RANGES.map(([id, label], i) => h("button", {
    type: "button", class: ["seg", current === id && "on"], id: `range-${id}`, "aria-pressed": current === id ? "true" : "false",
    title: `${label} (key ${i + 1})`, onClick: () => pick(id),
  }, label)));

  let seq = 0;
  // "As of the newest settlement": the range ends there instead of now (a store that has not
  // synced for a while); offered when the data is stale.
  let asOfNewest = false;
  const freshness = (d) => {
    const f = d.freshness;
    if (asOfNewest) {
      return h("p", { class: "warn note", id: "dash-stale", role: "status" },
        `As of the newest settlement (${d.to.slice(0, 10)}), not today. `,
        h("button", { type: "button", class: "secondary small", id: "dash-as-of-now", onClick: () => { asOfNewest = false; load(); } }, "Back to today"));
    }
    if (!f.note) return null;
    return h("p", { class: "warn note", id: "dash-stale", role: "status" },
      f.note[0].toUpperCase() + f.note.slice(1).replace(/ \(`--as-of newest`;[^)]*\)/, ""), ". ",
      h("button", { type: "button", class: "secondary small", id: "dash-as-of-newest", onClick: () => { asOfNewest = true; load(); } }, "End at the newest settlement"));
  };
  // Where the figures come from: the last check's stored figures (said with their time, and
  // that a check of new data is running when one is), or computed just now.
  const provenance = (d) => {
    if (d.checking) {
      return h("p", { class: "warn note", id: "dash-checking", role: "status" },
        `Checking new data: these figures are those of ${fmtDateTime(d.computed_at)}; this view updates when the check ends. `,
        h("span", { class: "check-progress" }, checkText()));
    }
    if (Date.now() - new Date(d.computed_at).getTime() > 60_000) {
      return h("p", { class: "muted note", id: "dash-computed" }, `Figures as of ${fmtDateTime(d.computed_at)} (computed again after every import and sync).`);
    }
    return null;
  };
  async function load() {
    const mine = ++seq;
    drawPicker();
    mount(body, h("p", { class: "muted loading" }, "Measuring settlements…"));
    let d, alerts;
    try {
      [d, alerts] = await Promise.all([api.dashboard(current, asOfNewest), api.listAlerts()]);
    } catch (err) {
      if (mine === seq) mount(body, h("p", { class: "error", role: "alert" }, err.message));
      return;
    }
    if (mine !== seq) return;
    d.range_label = rangeLabel(d.range);
    const onAck = async (key) => {
      try {
        await api.acknowledgeAlert(key);
        toast("Acknowledged: it stays quiet until something new comes with it");
        load();
      } catch (err) {
        toast(err.message, "error");
      }
    };
    if (d.settlements === 0) {
      mount(body, provenance(d), freshness(d), alertsPanel(alerts, onAck),
        h("div", { class: "empty panel", id: "dash-empty" },
          h("h2", {}, "No settlements in this range"),
          h("p", { class: "muted" }, `Nothing between ${d.from ? d.from.slice(0, 10) : "the beginning"} and ${d.to.slice(0, 10)}. Pick a longer range, import data or sync from Notion.`),
          h("button", { type: "button", onClick: () => pick("all") }, "Show all time")));
      return;
    }
    const agents = d.agents.map((a) => a.agent);
    const withTrend = d.agents.filter((a) => a.trend && a.trend.weekly.some((w) => w.mean !== null));
    const kinds = [...new Set(d.agents.flatMap((a) => a.intents.map((i) => i.intent_type)))].sort();
    const small = d.settlements < 30;
    mount(body,
      provenance(d),
      freshness(d),
      alertsPanel(alerts, onAck),
      kpis(d),
      small ? h("p", { class: "warn note", id: "small-data" }, `Only ${d.settlements} settlements in this range: intervals are wide; read the figures with care.`) : null,
      withTrend.length
        ? chartPanel("chart-trend", "Acceptance over time", "Weekly mean acceptance per agent; hover or use the arrow keys for values.", `acceptance-${d.range_label}`,
          lineChart({ title: "Acceptance over time", threshold: d.threshold, series: withTrend.map((a) => ({ name: a.agent, points: a.trend.weekly })) }))
        : h("section", { class: "panel" }, h("h2", {}, "Acceptance over time"), h("p", { class: "muted" }, "Too few settlements for a weekly line.")),
      chartPanel("chart-intents", "Agent × intent type", "Mean acceptance per agent and intent type.", `agent-intent-${d.range_label}`,
        heatmap({ title: "Agent × intent type", rows: agents, cols: kinds,
          cell: (r, c) => { const i = d.agents.find((a) => a.agent === r).intents.find((x) => x.intent_type === c); return i ? i.acceptance : null; } })),
      chartPanel("chart-weekday", "Weekday pattern", "Mean acceptance per agent and weekday (UTC).", `weekday-${d.range_label}`,
        heatmap({ title: "Weekday pattern", rows: agents, cols: WEEKDAYS, small: 5,
          cell: (r, c) => { const w = d.agents.find((a) => a.agent === r).weekdays.find((x) => x.day === c); return w ? w.acceptance : null; } })),
      chartPanel("chart-editcost", "Edit-cost distribution", "Share of each output people changed (word-level edit distance ÷ length): box = middle half, bar = median, line = range.", `edit-cost-${d.range_label}`,
        boxPlot({ title: "Edit-cost distribution", axis: "Normalised edit cost (0% = used as-is, 100% = rewritten)",
          rows: d.agents.map((a) => ({ name: a.agent, q: a.edit_cost_quartiles, n: a.settlements })) })),
      agentTable(d),
      h("p", { class: "muted note" }, `Range ${d.from ? fmtDateTime(d.from) : "the beginning"} – ${fmtDateTime(d.to)} UTC · accepted = acceptance ≥ ${fmtPct(d.threshold)} (change it in Settings).`),
    );
  }

  function pick(id) {
    current = id;
    load();
  }
  apply.addEventListener("click", () => {
    if (!from.value || !to.value) return toast("Choose both dates of the custom range", "error");
    pick(`${from.value}..${to.value}`);
  });
  ctx.onKey((e) => {
    const i = Number(e.key) - 1;
    if (i >= 0 && i < RANGES.length) pick(RANGES[i][0]);
  });
  ctx.onAlerts(() => load());
  await load();
}
