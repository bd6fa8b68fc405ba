// Settings → Notion: the token (kept in the OS keychain; only its last four characters come
// back), the database and its property mapping, and sync with progress and cancel.

import { api } from "../api.js";
import { h, mount, fmtInt, toast } from "../dom.js";

function when(iso) {
  if (!iso) return "never";
  const d = new Date(iso);
  const mins = Math.round((Date.now() - d.getTime()) / 60000);
  const ago = mins < 1 ? "just now" : mins < 60 ? `${mins} min ago` : mins < 1440 ? `${Math.round(mins / 60)} h ago` : `${Math.round(mins / 1440)} days ago`;
  return `${iso.slice(0, 16).replace("T", " ")} UTC (${ago})`;
}

export function notionPanel(ctx) {
  const root = h("section", { id: "notion", class: "panel", "aria-labelledby": "notion-title" });
  render(root, ctx);
  return root;
}

async function render(root, ctx) {
  let status;
  try {
    status = await api.notionStatus();
  } catch (err) {
    mount(root, h("h3", { id: "notion-title" }, "Notion"), h("p", { class: "error", role: "alert" }, err.message));
    return;
  }
  const again = () => render(root, ctx);
  mount(root,
    h("h3", { id: "notion-title" }, "Notion"),
    h("p", { class: "muted" }, "Sync the “Training Data” database into the local store; Redline works offline from it."),
    tokenRow(status, again),
    connectionRow(status, again),
    status.state.connection ? syncRow(status, again, ctx) : null,
    advancedRow(status, again),
  );
}

function tokenRow(status, again) {
  if (status.keychain_error) {
    return h("p", { id: "notion-keychain-error", class: "error", role: "alert" }, status.keychain_error);
  }
  if (status.token_last4) {
    const remove = h("button", { id: "notion-token-remove", type: "button", class: "secondary" }, "Remove token");
    remove.addEventListener("click", async () => {
      try {
        await api.notionRemoveToken();
        again();
      } catch (err) {
        toast(err.message, "error");
      }
    });
    return h("div", { class: "inline field" },
      h("span", { id: "notion-token-state" },
        status.token_from_env ? `Token from REDLINE_NOTION_TOKEN (…${status.token_last4})` : `Token saved in the OS keychain (…${status.token_last4})`),
      status.token_from_env ? null : remove);
  }
  const input = h("input", { id: "notion-token", type: "password", placeholder: "secret_… or ntn_…", autocomplete: "off", spellcheck: "false", "aria-label": "Notion integration token" });
  const save = h("button", { id: "notion-token-save", type: "submit" }, "Save token");
  const form = h("form", { class: "inline field" }, input, save);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api.notionSaveToken(input.value);
      input.value = "";
      again();
    } catch (err) {
      toast(err.message, "error");
    }
  });
  return h("div", {}, h("p", { class: "muted" }, "Create an internal integration in Notion (Settings → Connections → Develop or manage integrations), paste its token here, and share the database with it."), form);
}

function connectionRow(status, again) {
  const conn = status.state.connection;
  const input = h("input", { id: "notion-db", type: "text", placeholder: "https://www.notion.so/…  or the database id", spellcheck: "false", "aria-label": "Notion database link or id", value: conn ? conn.database_id : "" });
  const read = h("button", { id: "notion-read", type: "submit", class: conn ? "secondary" : "" }, conn ? "Re-read database" : "Read database");
  const area = h("div", { id: "notion-mapping-area" });
  const form = h("form", { class: "inline field" }, input, read);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    read.disabled = true;
    try {
      const proposed = await api.notionConnect(input.value);
      mount(area, mappingEditor(proposed, status.fields, again));
    } catch (err) {
      mount(area, h("p", { id: "notion-error", class: "error", role: "alert" }, err.message));
    } finally {
      read.disabled = false;
    }
  });
  const summary = conn
    ? h("p", { id: "notion-connected" }, "Connected: ", h("strong", {}, conn.title), ` · ${conn.schema.length} properties · API ${conn.version}`)
    : null;
  return h("div", {}, summary, conn ? notice(conn) : null, form, area);
}

/** Why the connection speaks an older API version (or lists every property), if it must. */
function notice(conn) {
  return conn.notice ? h("p", { class: "warn note", id: "notion-notice", role: "status" }, `Note: ${conn.notice}.`) : null;
}

function mappingEditor(conn, fields, again) {
  const selects = new Map();
  const rows = fields.map((f) => {
    const select = h("select", { id: `map-${f.field}`, "aria-label": f.label },
      h("option", { value: "" }, f.required ? "— choose —" : "— none —"),
      conn.schema.map((p) => h("option", { value: p.name, selected: conn.mapping[f.field] === p.name }, `${p.name} (${p.kind})`)));
    selects.set(f.field, select);
    return [h("label", { for: `map-${f.field}` }, f.label, f.required ? " *" : ""), select];
  });
  const problems = h("div", { id: "notion-problems" });
  const save = h("button", { id: "notion-save-mapping", type: "submit" }, "Save mapping");
  const form = h("form", { class: "mapping" },
    h("p", { class: "muted" }, `“${conn.title}”: Redline proposed which property holds each field. Correct it if needed; * is required.`),
    notice(conn),
    h("div", { class: "mapping-grid" }, rows),
    problems, save);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const mapping = {};
    for (const [field, select] of selects) if (select.value) mapping[field] = select.value;
    try {
      await api.notionSaveConnection({ ...conn, mapping });
      toast(`Connected “${conn.title}”. Sync it to fetch its pages.`);
      again();
    } catch (err) {
      mount(problems, h("p", { class: "error", role: "alert" }, err.message));
    }
  });
  return form;
}

function syncRow(status, again, ctx) {
  const s = status.state;
  const sync = h("button", { id: "notion-sync", type: "button" }, "Sync now");
  const reconcile = h("button", { id: "notion-reconcile", type: "button", class: "secondary", title: "Read every page id and remove what was deleted or archived in Notion" }, "Full reconcile");
  const progress = h("div", { class: "job-area" });
  const result = h("div", { id: "notion-result" });
  const run = async (full, force = false) => {
    sync.disabled = reconcile.disabled = true;
    result.replaceChildren();
    const bar = h("progress", { max: 1 });
    const label = h("span", { id: "notion-progress", class: "muted" }, "Connecting…");
    const cancel = h("button", { id: "notion-cancel", type: "button", class: "secondary" }, "Cancel");
    cancel.addEventListener("click", () => api.cancelJob());
    mount(progress, h("div", { class: "job" }, bar, label, cancel));
    const unlisten = await api.onNotionProgress((p) => {
      const w = p.written;
      label.textContent = `${fmtInt(p.pages)} pages · ${fmtInt(w.inserted)} new, ${fmtInt(w.updated)} updated, ${fmtInt(p.skipped)} skipped` +
        (p.rate_limited ? ` · waited ${Math.round(p.rate_limit_wait_ms / 1000)} s for rate limits` : "");
    });
    try {
      const r = await api.notionSync(full, force);
      const p = r.progress;
      mount(result, h("div", { class: ["report", r.skipped.length ? "has-bad" : "ok"], role: "status" },
        h("p", { class: "summary" }, `${fmtInt(p.pages)} pages read: ${fmtInt(p.written.inserted)} new, ${fmtInt(p.written.updated)} updated, ${fmtInt(p.written.unchanged)} unchanged, ${fmtInt(p.written.deleted)} removed, ${fmtInt(p.skipped)} skipped.`),
        r.cancelled ? h("p", { class: "warn" }, "Cancelled: what was fetched is kept; the next sync goes on from there.") : null,
        r.notice ? h("p", { class: "warn", id: "notion-sync-notice" }, `Note: ${r.notice}.`) : null,
        skippedList(r.skipped),
        h("button", { id: "notion-show", type: "button", onClick: () => ctx.refresh("settlements") }, "Show settlements")));
    } catch (err) {
      const error = h("p", { id: "notion-sync-error", class: "error", role: "alert" }, err.message);
      if (err.kind === "reconcile_too_large") {
        // The person confirms a large removal by its count; nothing was removed yet.
        const count = (err.message.match(/remove ([\d,]+) of/) || [])[1] || "them";
        const confirm = h("button", { id: "notion-reconcile-force", type: "button" }, `Remove ${count} settlements`);
        confirm.addEventListener("click", () => run(true, true));
        mount(result, h("div", {}, error, confirm));
      } else {
        mount(result, error);
      }
    } finally {
      unlisten();
      progress.replaceChildren();
      sync.disabled = reconcile.disabled = false;
      refreshInfo().catch(() => {});
    }
  };
  sync.addEventListener("click", () => run(false));
  reconcile.addEventListener("click", () => run(true));
  const info = h("dl", { class: "meta", id: "notion-sync-info" }, infoRows(s));
  const onLaunch = h("input", { id: "notion-auto-launch", type: "checkbox", checked: s.auto.on_launch });
  const every = h("select", { id: "notion-auto-every", "aria-label": "Sync automatically every" },
    [[0, "never"], [15, "15 minutes"], [30, "30 minutes"], [60, "hour"], [240, "4 hours"]].map(([m, label]) =>
      h("option", { value: m, selected: (s.auto.every_minutes || 0) === m }, label)));
  const saveAuto = async () => {
    try {
      const m = Number(every.value);
      await api.notionSetAutoSync(onLaunch.checked, m > 0 ? m : null);
      toast("Automatic sync saved.");
    } catch (err) {
      toast(err.message, "error");
    }
  };
  onLaunch.addEventListener("change", saveAuto);
  every.addEventListener("change", saveAuto);
  const auto = h("div", { class: "inline field" },
    h("label", { class: "check" }, onLaunch, " Sync when Redline starts"),
    h("label", { for: "notion-auto-every" }, "· and every"), every);
  refreshInfo = async () => mount(info, infoRows((await api.notionStatus()).state));
  return h("div", { class: "sync-row" }, info, h("div", { class: "inline" }, sync, reconcile), auto, progress, result);
}

let refreshInfo = async () => {};

function infoRows(s) {
  return [
    h("dt", {}, "Last sync"), h("dd", {}, when(s.last_sync)),
    h("dt", {}, "Last reconcile"), h("dd", {}, when(s.last_reconcile)),
    h("dt", {}, "Skipped last time"), h("dd", {}, fmtInt(s.skipped.length)),
  ];
}

function skippedList(skipped) {
  if (!skipped.length) return null;
  return h("div", {},
    h("h4", {}, `${fmtInt(skipped.length)} pages skipped`),
    h("ul", { class: "bad-lines" }, skipped.map((s) => h("li", {}, h("code", {}, s.url || s.page_id), `: ${s.reason}`))));
}

function advancedRow(status, again) {
  const input = h("input", { id: "notion-base-url", type: "url", value: status.base_url, spellcheck: "false", "aria-label": "Notion API base URL" });
  const save = h("button", { id: "notion-base-url-save", type: "submit", class: "secondary" }, "Save");
  const form = h("form", { class: "inline field" }, input, save);
  // The token goes wherever this points: a change is confirmed with the address it names.
  const ask = h("div", { id: "notion-base-url-confirm", class: "inline field" });
  const saveNow = async () => {
    try {
      await api.notionSetBaseUrl(input.value);
      again();
    } catch (err) {
      toast(err.message, "error");
    }
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const target = input.value.trim();
    if (!target) {
      saveNow();
      return;
    }
    const yes = h("button", { id: "notion-base-url-yes", type: "button" }, "Send it there");
    const no = h("button", { type: "button", class: "secondary" }, "Cancel");
    yes.addEventListener("click", saveNow);
    no.addEventListener("click", () => ask.replaceChildren());
    mount(ask, h("p", { class: "warn" }, `Redline will send your Notion token to ${target}.`), yes, no);
    yes.focus();
  });
  return h("details", { class: "advanced" }, h("summary", {}, "Advanced: API base URL"),
    h("p", { class: "muted" }, "For a proxy or gateway, over https:// (http:// only to this machine). REDLINE_NOTION_BASE_URL overrides it."), form, ask);
}
