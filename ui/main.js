// The app shell: navigation between views, the first-run and error screens, and global keys.

import { api } from "./api.js";
import { h, mount, toast } from "./dom.js";
import { onCheckProgress, checkEnded, checkText } from "./check.js";
import * as dashboard from "./views/dashboard.js";
import * as home from "./views/home.js";
import * as improvements from "./views/improvements.js";
import * as agents from "./views/agents.js";
import * as exporter from "./views/export.js";
import * as experiments from "./views/experiments.js";
import * as settlements from "./views/settlements.js";
import * as settings from "./views/settings.js";
import * as welcome from "./views/welcome.js";

const VIEWS = [
  { id: "home", label: "Home", view: home },
  { id: "settlements", label: "Settlements", view: settlements },
  { id: "dashboard", label: "Dashboard", view: dashboard },
  { id: "agents", label: "Compare agents", view: agents },
  { id: "patterns", label: "Improvements", view: improvements },
  { id: "experiments", label: "Experiments", view: experiments },
  { id: "export", label: "Export", view: exporter },
  { id: "settings", label: "Settings", view: settings },
];

const nav = document.getElementById("nav");
const main = document.getElementById("view");
let keyHandler = null;
let alertsHandler = null;
// The navigation token: each view is rendered into a root of its own, and a view whose answers
// arrive after the person has moved on finds its root detached and its token stale, so a late
// render never replaces the view now shown (nor takes its keys).
let current = 0;

/** The context of the view rendered under navigation `token`; `worked()` says whether the
 * person has clicked or typed in it. */
function contextFor(token, worked) {
  const live = () => token === current;
  return {
    /** Whether the person has clicked or typed in this view since it was shown: work a late
     * re-render (after a background check, say) must not drop. */
    worked,
    /** Views register one key handler for keys typed outside inputs; replaced on navigation. */
    onKey: (fn) => { if (live()) keyHandler = fn; },
    /** Views register one handler for "the alerts were checked again"; replaced on navigation. */
    onAlerts: (fn) => { if (live()) alertsHandler = fn; },
    /** Whether this view is still the one shown. */
    isCurrent: live,
    /** Re-read the store's status and show `view` (or the first-run view if the store is empty). */
    refresh: (view) => start(view),
  };
}

/** A fresh root for a new view, and its context; the old view's root leaves the page. */
function newRoot() {
  const token = ++current;
  keyHandler = null;
  alertsHandler = null;
  const root = h("div", { class: "view-root", dataset: { nav: String(token) } });
  let worked = false;
  for (const type of ["click", "input"]) root.addEventListener(type, () => { worked = true; }, { capture: true });
  main.replaceChildren(root);
  return { root, ctx: contextFor(token, () => worked), live: () => token === current };
}

function renderNav(active) {
  mount(nav,
    h("div", { class: "brand" }, h("img", { src: "icon.svg", alt: "", width: 22, height: 22 }), "Redline"),
    h("ul", {}, VIEWS.map((v) => {
      const button = h("button", {
        type: "button", id: `nav-${v.id}`, class: ["nav-item", v.id === active && "active"],
        "aria-current": v.id === active ? "page" : false,
        disabled: !v.view,
        title: v.view ? undefined : "Not available in this version yet",
      }, v.label);
      if (v.view) button.addEventListener("click", () => show(v.id));
      return h("li", {}, button);
    })),
  );
}

async function show(id) {
  const entry = VIEWS.find((v) => v.id === id && v.view) || VIEWS[0];
  renderNav(entry.id);
  const { root, ctx, live } = newRoot();
  // A view may wait for the background check (Home, on a store never checked, waits for its
  // measuring): the line says what the check is doing meanwhile, kept current by check.js.
  root.append(h("p", { class: "loading muted", role: "status" }, "Loading… ", h("span", { class: "check-progress" }, checkText())));
  try {
    await entry.view.render(root, ctx);
  } catch (err) {
    if (live()) mount(root, h("p", { class: "error", role: "alert" }, err.message || String(err)));
  }
}

function storeError(status) {
  const e = status.error;
  const titles = {
    locked: "The store is in use",
    corrupt: "The store is damaged",
    not_redline: "This file is not a Redline store",
    too_new: "This store needs a newer Redline",
    disk_full: "The disk is full",
  };
  renderNav(null);
  nav.querySelectorAll("button").forEach((b) => (b.disabled = true));
  const { root } = newRoot();
  mount(root,
    h("div", { class: "fatal", role: "alert" },
      h("h1", {}, titles[e.kind] || "The store could not be opened"),
      h("p", { id: "store-error" }, e.message[0].toUpperCase() + e.message.slice(1)),
      status.db_path ? h("p", { class: "muted" }, "Store: ", h("code", {}, status.db_path)) : null,
    ));
}

async function start(view = "home") {
  let status;
  try {
    status = await api.status();
  } catch (err) {
    mount(newRoot().root, h("p", { class: "error", role: "alert" }, err.message));
    return;
  }
  if (status.error) return storeError(status);
  if (status.store.settlements === 0 && view !== "settings") {
    renderNav("settlements");
    const { root, ctx } = newRoot();
    return welcome.render(root, ctx);
  }
  return show(view);
}

document.addEventListener("keydown", (e) => {
  const typing = e.target instanceof HTMLElement && e.target.matches("input, select, textarea");
  if (!typing && keyHandler && !e.ctrlKey && !e.metaKey && !e.altKey) keyHandler(e);
});

// Automatic Notion syncs run in the background; say what they did, and refresh the list.
api
  .onNotionSynced((n) => {
    toast(n.message, n.ok ? "info" : "error");
    const w = n.report && n.report.progress.written;
    if (w && w.inserted + w.updated + w.deleted > 0 && nav.querySelector("#nav-settlements.active")) start("settlements");
  })
  .then(() => api.onCheckProgress(onCheckProgress))
  .then(() => api.onAlertsChanged((w) => {
    checkEnded();
    if (w.raised.length) toast(`Needs attention: ${w.raised[0].summary}${w.raised.length > 1 ? ` (and ${w.raised.length - 1} more incident${w.raised.length > 2 ? "s" : ""})` : ""}`, "error");
    if (alertsHandler) alertsHandler(w);
  }))
  .then(() => api.onAlertsCheckFailed((f) => {
    checkEnded();
    toast(f.message, "error");
    // The views waiting for the check stop waiting: nothing new was raised.
    if (alertsHandler) alertsHandler({ raised: [], active: [], failed: f.message });
  }))
  .then(() => api.uiReady());

start();
