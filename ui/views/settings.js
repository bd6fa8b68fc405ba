// Settings: where the store is and what it holds, and the data actions.

import { api } from "../api.js";
import { h, mount, fmtInt, fmtBytes } from "../dom.js";
import { importPanel, samplePanel } from "../jobs.js";
import { notionPanel } from "./notion.js";

export async function render(root, ctx) {
  const status = await api.status();
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
      notionPanel(ctx),
      importPanel({ onDone: () => ctx.refresh("settlements") }),
      samplePanel({ onDone: () => ctx.refresh("settings") }),
    ));
}
