// Settings: where the store is and what it holds, and the data actions.

import { llmPanel } from "./llm.js";
import { reportPanel } from "./home.js";
import { api } from "../api.js";
import { h, mount, fmtInt, fmtBytes, fmtDateTime, toast } from "../dom.js";
import { importPanel, samplePanel } from "../jobs.js";
import { notionPanel } from "./notion.js";

function analyticsPanel(settings) {
  const input = h("input", { id: "threshold", type: "number", min: 0, max: 100, step: 1, value: Math.round(settings.threshold * 100), "aria-describedby": "threshold-help" });
  const saveBtn = h("button", { type: "button", id: "threshold-save" }, "Save");
  saveBtn.addEventListener("click", async () => {
    const v = Number(input.value);
    if (!Number.isFinite(v) || v < 0 || v > 100) return toast("The threshold is a percentage between 0 and 100", "error");
    try {
      await api.setThreshold(v / 100);
      toast(`Threshold saved: accepted now means ≥ ${v}%`);
    } catch (err) {
      toast(err.message, "error");
    }
  });
  return h("section", { class: "panel", "aria-labelledby": "analytics-title" },
    h("h3", { id: "analytics-title" }, "Analytics"),
    h("label", { class: "inline field", for: "threshold" }, "Acceptance threshold", input, "%", saveBtn),
    h("p", { class: "muted", id: "threshold-help" },
      "A settlement counts as accepted at or above this acceptance; an agent whose 30-day acceptance is below it raises an alert. The design's bar is 70%."));
}

function auditPanel(entries) {
  return h("section", { class: "panel", id: "audit", "aria-labelledby": "audit-title" },
    h("h3", { id: "audit-title" }, "Activity"),
    h("p", { class: "muted" }, "Every export, Notion token change and sync, newest first (also `redline audit`)."),
    entries.length
      ? h("table", { class: "data" }, h("tbody", {}, entries.map((e) => h("tr", { dataset: { action: e.action } },
        h("td", { class: "num" }, fmtDateTime(e.at)), h("td", {}, h("span", { class: "chip" }, e.action.replace(/_/g, " "))), h("td", {}, e.detail)))))
      : h("p", { class: "muted" }, "Nothing yet."));
}

export async function render(root, ctx) {
  const [status, settingsNow, audit, reports] = await Promise.all([api.status(), api.getSettings(), api.auditLog(50), api.reportStatus()]);
  const info = status.store;
  const rows = [
    ["Store file", info.path],
    ["Settlements", fmtInt(info.settlements)],
    ["File size", fmtBytes(info.file_bytes)],
    ["Schema version", `v${info.schema_version}`],
    ["Redline", `v${status.version}`],
  ];
  mount(root,
    h("header", { class: "view-head" }, h("h1", {}, "Settings")),
    h("div", { class: "settings" },
      h("section", { class: "panel", "aria-labelledby": "store-title" },
        h("h3", { id: "store-title" }, "Data"),
        h("dl", { id: "store-info", class: "meta" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
        h("p", { class: "muted" }, "Start Redline with --db PATH, or set REDLINE_DB, to use another store."),
      ),
      analyticsPanel(settingsNow),
      notionPanel(ctx),
      llmPanel(),
      reportPanel(ctx, reports, "settings"),
      importPanel({ onDone: () => ctx.refresh("settlements") }),
      samplePanel({ onDone: () => ctx.refresh("settings") }),
      auditPanel(audit),
    ));
}
