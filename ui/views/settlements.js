// The Settlements view: a filterable, paginated, keyboard-driven list of settlements, and a
// detail pane with the AI output and the final version side by side, diff highlighted.
//
// Keys: ↑/↓ or k/j move, PageUp/PageDown or p/n change page, Home/End, / to search,
// Esc in the search box clears it.

import { api } from "../api.js";
import { diffSides } from "../diff.js";
import { h, mount, fmtInt, fmtPct, fmtDateTime, fmtDate, toast } from "../dom.js";
import { importPanel } from "../jobs.js";

const PAGE = 100;

export async function render(root, ctx) {
  const state = {
    filter: { agent: "", intent_type: "", from: "", to: "", text: "" },
    offset: 0,
    page: null,
    selected: -1,
    seq: 0,
  };
  const facets = await api.facets();

  const option = (value, label) => h("option", { value }, label);
  const agent = h("select", { id: "f-agent", "aria-label": "Agent" },
    option("", "All agents"), facets.agents.map(([name, n]) => option(name, `${name} (${fmtInt(n)})`)));
  const kind = h("select", { id: "f-intent", "aria-label": "Intent type" },
    option("", "All intent types"),
    facets.intent_types.map(([name, n]) => option(name, `${name || "unknown"} (${fmtInt(n)})`)));
  const from = h("input", { id: "f-from", type: "date", "aria-label": "From", min: fmtDate(facets.first), max: fmtDate(facets.last) });
  const to = h("input", { id: "f-to", type: "date", "aria-label": "To", min: fmtDate(facets.first), max: fmtDate(facets.last) });
  const search = h("input", { id: "f-search", type: "search", placeholder: "Search texts  ( / )", "aria-label": "Search texts", spellcheck: "false" });
  const count = h("span", { id: "result-count", class: "count", "aria-live": "polite" });
  const prev = h("button", { id: "page-prev", type: "button", class: "secondary", title: "Previous page (PageUp)" }, "‹");
  const next = h("button", { id: "page-next", type: "button", class: "secondary", title: "Next page (PageDown)" }, "›");
  const importBtn = h("button", { id: "open-import", type: "button", class: "secondary" }, "Import…");
  const list = h("div", { id: "list", class: "list", role: "listbox", tabindex: "0", "aria-label": "Settlements" });
  const detail = h("section", { id: "detail", class: "detail", "aria-live": "polite" },
    h("p", { class: "empty-detail muted" }, "Select a settlement to see what the person changed."));
  const drawer = h("div", { id: "import-drawer", class: "drawer", hidden: true });

  const setFilter = (key, value) => {
    state.filter[key] = value;
    state.offset = 0;
    load();
  };
  agent.addEventListener("change", () => setFilter("agent", agent.value));
  kind.addEventListener("change", () => setFilter("intent_type", kind.value));
  from.addEventListener("change", () => setFilter("from", from.value));
  to.addEventListener("change", () => setFilter("to", to.value));
  let debounce;
  search.addEventListener("input", () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => setFilter("text", search.value), 250);
  });
  search.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && search.value) {
      search.value = "";
      setFilter("text", "");
    } else if (e.key === "ArrowDown" || e.key === "Enter") {
      e.preventDefault();
      list.focus();
      if (state.selected < 0) select(0);
    }
  });
  prev.addEventListener("click", () => turn(-1));
  next.addEventListener("click", () => turn(1));
  importBtn.addEventListener("click", () => {
    drawer.hidden = !drawer.hidden;
    if (!drawer.hidden) {
      mount(drawer, importPanel({ onDone: () => ctx.refresh("settlements"), doneLabel: "Refresh the list" }));
      drawer.querySelector("#import-path").focus();
    }
  });

  function turn(direction) {
    const total = state.page ? state.page.total : 0;
    const offset = state.offset + direction * PAGE;
    if (offset < 0 || offset >= total) return;
    state.offset = offset;
    load(direction > 0 ? 0 : PAGE - 1);
  }

  async function load(selectIndex = -1) {
    const seq = ++state.seq;
    list.setAttribute("aria-busy", "true");
    let page;
    try {
      page = await api.list(state.filter, state.offset, PAGE);
    } catch (err) {
      if (seq !== state.seq) return;
      asListbox(false);
      mount(list, h("p", { class: "error", role: "alert" }, err.message));
      list.removeAttribute("aria-busy");
      return;
    }
    if (seq !== state.seq) return; // a newer request is on its way
    state.page = page;
    state.selected = -1;
    list.removeAttribute("aria-busy");
    renderList();
    if (selectIndex >= 0 && page.items.length) select(Math.min(selectIndex, page.items.length - 1));
  }

  // A listbox only while it lists settlements: an empty state or an error is not an option.
  function asListbox(on) {
    if (on) {
      list.setAttribute("role", "listbox");
      list.setAttribute("tabindex", "0");
    } else {
      list.removeAttribute("role");
      list.removeAttribute("tabindex");
    }
  }

  function renderList() {
    const { items, total } = state.page;
    const first = total ? state.offset + 1 : 0;
    const last = state.offset + items.length;
    count.textContent = total ? `${fmtInt(first)}–${fmtInt(last)} of ${fmtInt(total)}` : "0 settlements";
    count.dataset.total = String(total);
    prev.disabled = state.offset === 0;
    next.disabled = last >= total;
    if (!items.length) {
      const clear = h("button", { type: "button", class: "secondary" }, "Clear filters");
      clear.addEventListener("click", () => {
        Object.keys(state.filter).forEach((k) => (state.filter[k] = ""));
        agent.value = kind.value = from.value = to.value = search.value = "";
        state.offset = 0;
        load();
      });
      asListbox(false);
      mount(list, h("div", { class: "empty-list" }, h("p", {}, "No settlements match these filters."), clear));
      return;
    }
    asListbox(true);
    mount(list, items.map((s, i) =>
      h("div", {
        class: "row", role: "option", id: `row-${i}`, "aria-selected": "false",
        dataset: { id: s.id }, onClick: () => select(i, true),
      },
        h("div", { class: "row-top" },
          h("span", { class: "when" }, fmtDateTime(s.created_at)),
          h("span", { class: "agent" }, s.agent),
          h("span", { class: ["chip", `k-${s.intent_type || "unknown"}`] }, s.intent_type || "unknown"),
          h("span", { class: ["rate", rateClass(s.acceptance_rate)], title: "Acceptance rate from the source" }, fmtPct(s.acceptance_rate)),
          s.error ? h("span", { class: "chip err" }, "error") : null,
          s.edited ? null : h("span", { class: "chip same", title: "Used as the AI wrote it" }, "unedited"),
          markChip(state.page.marks[s.id]),
        ),
        h("div", { class: "preview" }, s.preview),
      )));
  }

  function select(i, fromClick = false) {
    const rows = list.querySelectorAll(".row");
    if (!rows.length) return;
    i = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach((r) => r.setAttribute("aria-selected", "false"));
    const row = rows[i];
    row.setAttribute("aria-selected", "true");
    list.setAttribute("aria-activedescendant", row.id);
    row.scrollIntoView({ block: "nearest" });
    state.selected = i;
    if (fromClick) list.focus();
    showDetail(row.dataset.id);
  }

  let detailSeq = 0;
  async function showDetail(id) {
    const seq = ++detailSeq;
    let d;
    try {
      d = await api.get(id);
    } catch (err) {
      mount(detail, h("p", { class: "error", role: "alert" }, err.message));
      return;
    }
    if (seq !== detailSeq) return;
    mount(detail, curationBar(d.settlement.id, state.page.marks[d.settlement.id], async (kind, reason) => {
      try {
        await api.setMarks([d.settlement.id], kind, reason || "");
        toast(kind === "clear" ? "Mark cleared" : kind === "gold" ? "Marked gold: always exported" : "Excluded from training");
        const keep = state.selected;
        await load(keep);
      } catch (err) {
        toast(err.message, "error");
      }
    }), detailView(d));
  }

  const bulk = h("button", { type: "button", class: "secondary", id: "mark-all", title: "Exclude every settlement these filters match from training" }, "Exclude all…");
  bulk.addEventListener("click", async () => {
    const total = state.page?.total || 0;
    if (!total) return;
    // The reason records the filter, so the export report says why.
    const f = state.filter;
    const parts = [f.agent, f.intent_type, f.from && `from ${f.from}`, f.to && `to ${f.to}`, f.text && `“${f.text}”`].filter(Boolean);
    const reason = `bulk: ${parts.length ? parts.join(", ") : "all settlements"}`;
    try {
      const n = await api.markMatching(state.filter, "exclude", reason);
      toast(`${fmtInt(n)} settlements excluded from training`);
      await load(state.selected);
    } catch (err) {
      toast(err.message, "error");
    }
  });

  list.addEventListener("keydown", (e) => {
    const keys = {
      ArrowDown: () => select(state.selected + 1), j: () => select(state.selected + 1),
      ArrowUp: () => select(state.selected - 1), k: () => select(state.selected - 1),
      Home: () => select(0), End: () => select(Infinity),
      PageDown: () => turn(1), n: () => turn(1),
      PageUp: () => turn(-1), p: () => turn(-1),
    };
    const action = keys[e.key];
    if (action && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      action();
    }
  });
  list.addEventListener("focus", () => {
    if (state.selected < 0 && state.page?.items.length) select(0);
  });
  ctx.onKey((e) => {
    if (e.key === "/" && document.activeElement !== search) {
      e.preventDefault();
      search.focus();
      search.select();
    }
  });

  mount(root,
    h("header", { class: "view-head" },
      h("h1", {}, "Settlements"),
      h("div", { class: "filters", role: "search" }, agent, kind, from, h("span", { class: "muted" }, "to"), to, search),
      h("div", { class: "pager" }, count, prev, next, bulk, importBtn),
    ),
    drawer,
    h("div", { class: "split" }, list, detail),
  );
  await load();
}

function markChip(m) {
  if (!m) return null;
  return m.kind === "gold"
    ? h("span", { class: "chip gold", title: "Always exported for training" }, "gold")
    : h("span", { class: "chip err", title: m.reason ? `Excluded: ${m.reason}` : "Excluded from training" }, "excluded");
}

/** The detail's curation buttons: exclude (with a reason), gold, clear. */
function curationBar(id, mark, act) {
  const reason = h("input", { type: "text", id: "mark-reason", placeholder: "Reason (optional)", value: mark?.reason || "", "aria-label": "Reason" });
  const button = (kind, label, on) => h("button", { type: "button", class: ["secondary", "small", on && "on"], id: `mark-${kind}`, onClick: () => act(kind, reason.value) }, label);
  return h("div", { class: "curation", role: "group", "aria-label": "Training data" },
    h("span", { class: "muted" }, mark ? (mark.kind === "gold" ? "Gold: always exported." : `Excluded from training${mark.reason ? `: ${mark.reason}` : ""}.`) : "Training data:"),
    button("exclude", "Exclude from training", mark?.kind === "exclude"), reason,
    button("gold", "Mark gold", mark?.kind === "gold"),
    mark ? button("clear", "Clear mark") : null);
}

function rateClass(rate) {
  if (rate === null || rate === undefined) return "r-none";
  if (rate >= 0.7) return "r-good";
  if (rate >= 0.4) return "r-mid";
  return "r-bad";
}

/** "3 kept · 1 edited · 1 moved", leaving out what did not happen. */
function sentenceSummary(c) {
  if (!c) return "–";
  const parts = [["kept", c.kept], ["edited", c.edited], ["moved", c.moved], ["split", c.split], ["merged", c.merged], ["deleted", c.deleted], ["added", c.inserted], ["rewritten", c.rewritten]]
    .filter(([, n]) => n > 0).map(([what, n]) => `${fmtInt(n)} ${what}`);
  return parts.length ? parts.join(" · ") : "none";
}

function detailView({ settlement: s, spans, counts, coarse, sentences }) {
  const { before, after } = diffSides(spans);
  const meta = [
    ["Agent", s.agent],
    ["Intent type", s.intent_type || "unknown"],
    ["Created", fmtDateTime(s.created_at)],
    ["Acceptance (source)", fmtPct(s.acceptance_rate)],
    ["Words kept", `${fmtInt(counts.kept)} of ${fmtInt(counts.old_words)} (${fmtPct(counts.kept_share ?? (counts.old_words ? counts.kept / counts.old_words : 1))})`],
    ["Deleted / added", `${fmtInt(counts.deleted)} / ${fmtInt(counts.inserted)} words`],
    ["Sentences", sentenceSummary(sentences)],
    ["Prompt version", s.prompt_version ?? "–"],
    ["Processing", s.processing_ms == null ? "–" : `${fmtInt(s.processing_ms)} ms`],
    ["Error", s.error == null ? "–" : s.error ? "yes" : "no"],
    ["Source", `${s.source.kind} · ${s.source.id}`],
    ["Id", s.id],
  ];
  return h("article", { class: "settlement" },
    h("h2", { id: "detail-title" }, s.intent || "(no intent text)"),
    h("dl", { class: "meta" }, meta.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    s.system_prompt ? h("details", { class: "prompt" }, h("summary", {}, "System prompt"), h("pre", {}, s.system_prompt)) : null,
    h("div", { class: "legend muted" },
      h("del", { class: "d-del" }, "deleted"), " by the person · ", h("ins", { class: "d-ins" }, "added"), " by the person",
      spans.some((x) => x.moved) ? [" · ", h("span", { class: "d-moved" }, "moved"), " unchanged"] : null),
    coarse ? h("p", { id: "diff-coarse", class: "warn" }, "A very long rewrite: the word alignment was stopped at its time limit, so part of the text shows as deleted and added whole (coarser than exact).") : null,
    h("div", { class: "sides" },
      h("section", { "aria-labelledby": "ai-title" }, h("h3", { id: "ai-title" }, "AI output"),
        h("div", { id: "ai-output", class: "text" }, before)),
      h("section", { "aria-labelledby": "final-title" }, h("h3", { id: "final-title" }, "Final version"),
        h("div", { id: "final-output", class: "text" }, after)),
    ),
  );
}
