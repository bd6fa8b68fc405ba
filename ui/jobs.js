// Long jobs started from the UI (import a file, load sample data): the panel that starts them,
// shows their progress from `job-progress` events, cancels them, and reports what they did.

import { api } from "./api.js";
import { h, mount, fmtInt, toast } from "./dom.js";

/** A progress bar with a Cancel button, fed by job-progress events while `run` is pending. */
export async function withProgress(area, unit, run) {
  const bar = h("progress", { id: "job-bar", max: 1, value: 0 });
  const label = h("span", { id: "job-label", class: "muted" }, "Starting…");
  const cancel = h("button", { id: "job-cancel", type: "button", class: "secondary" }, "Cancel");
  cancel.addEventListener("click", async () => {
    cancel.disabled = true;
    label.textContent = "Cancelling at the next batch…";
    await api.cancelJob();
  });
  mount(area, h("div", { class: "job", role: "group", "aria-label": "Progress" }, bar, label, cancel));
  const unlisten = await api.onProgress((p) => {
    if (p.total) {
      bar.max = p.total;
      bar.value = p.done;
    } else {
      bar.removeAttribute("value");
    }
    const pct = p.total ? ` · ${Math.round((100 * p.done) / p.total)}%` : "";
    label.textContent = `${fmtInt(p.items)} ${unit}${pct}`;
  });
  try {
    return await run();
  } finally {
    unlisten();
    area.replaceChildren();
  }
}

function importReport(r) {
  const w = r.written;
  const rows = [
    h("p", { class: "summary" },
      r.rejected
        ? `Nothing imported: ${fmtInt(r.bad_total)} of ${fmtInt(r.records)} lines are bad, and “only if every line is valid” was on.`
        : `${fmtInt(r.records)} records read: ${fmtInt(w.inserted)} new, ${fmtInt(w.updated)} updated, ${fmtInt(w.unchanged)} unchanged, ${fmtInt(r.bad_total)} skipped.`),
  ];
  if (r.cancelled) {
    rows.push(h("p", { class: "warn" }, "Cancelled. The batches before the cancel were imported; import the file again to finish (nothing is duplicated)."));
  }
  if (r.bad.length) {
    rows.push(
      h("h4", {}, r.bad_total === 1 ? "1 line was not imported" : `${fmtInt(r.bad_total)} lines were not imported`),
      h("ul", { class: "bad-lines" }, r.bad_runs.map((b) => h("li", {}, h("strong", {}, b.first === b.last ? `line ${b.first}` : `lines ${b.first}–${b.last}`), `: ${b.reason}`))),
    );
    if (r.bad_total > r.bad.length) rows.push(h("p", { class: "muted" }, `…and ${fmtInt(r.bad_total - r.bad.length)} more.`));
  }
  return h("div", { id: "import-report", class: ["report", r.bad_total ? "has-bad" : "ok"], role: "status" }, rows);
}

/** The import panel: pick a file (or type its path), import it, show the report; once
 *  something was written, a button (`doneLabel`) calls `onDone`. */
export function importPanel({ onDone, doneLabel = "Show settlements" } = {}) {
  const path = h("input", {
    id: "import-path", type: "text", placeholder: "/path/to/settlements.jsonl",
    "aria-label": "Path of the file to import", spellcheck: "false", autocomplete: "off",
  });
  const strict = h("input", { id: "import-strict", type: "checkbox" });
  const run = h("button", { id: "import-run", type: "submit" }, "Import");
  const pick = h("button", { id: "import-pick", type: "button", class: "secondary" }, "Choose file…");
  const progress = h("div", { class: "job-area" });
  const result = h("div", { class: "result-area" });

  pick.addEventListener("click", async () => {
    const chosen = await api.pickImportFile();
    if (chosen) {
      path.value = chosen;
      run.focus();
    }
  });

  const form = h("form", { class: "import-form" },
    path,
    h("div", { class: "inline" }, pick, run),
    h("label", { class: "check" }, strict, " Import only if every line is valid"),
    progress, result,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    result.replaceChildren();
    run.disabled = pick.disabled = true;
    try {
      const report = await withProgress(progress, "records read", () => api.importFile(path.value, strict.checked));
      mount(result, importReport(report));
      if (onDone && report.written.inserted + report.written.updated > 0) {
        const next = h("button", { id: "import-done", type: "button" }, doneLabel);
        next.addEventListener("click", () => onDone(report));
        result.append(next);
        next.focus();
      }
    } catch (err) {
      mount(result, h("p", { id: "import-error", class: "error", role: "alert" }, err.message));
    } finally {
      run.disabled = pick.disabled = false;
    }
  });
  return h("section", { class: "panel", "aria-labelledby": "import-title" },
    h("h3", { id: "import-title" }, "Import a file"),
    h("p", { class: "muted" }, "JSONL or CSV in Redline's interchange format. Records are matched by id, so importing a file again updates instead of duplicating."),
    form);
}

/** Load generated sample data: five agents over six months, with realistic edits. */
export function samplePanel({ onDone } = {}) {
  const count = h("input", { id: "sample-count", type: "number", min: 1, max: 1000000, value: 3000, "aria-label": "How many sample settlements" });
  const load = h("button", { id: "sample-load", type: "submit" }, "Load sample data");
  const progress = h("div", { class: "job-area" });
  const form = h("form", { class: "inline" }, count, load);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    load.disabled = true;
    try {
      const n = Math.max(1, Math.min(1000000, Number(count.value) || 3000));
      const written = await withProgress(progress, "settlements", () => api.loadSample(n, 1));
      toast(`Sample data loaded: ${fmtInt(written.inserted)} new, ${fmtInt(written.updated + written.unchanged)} already there.`);
      onDone?.(written);
    } catch (err) {
      toast(err.message, "error");
    } finally {
      load.disabled = false;
    }
  });
  return h("section", { class: "panel", "aria-labelledby": "sample-title" },
    h("h3", { id: "sample-title" }, "Load sample data"),
    h("p", { class: "muted" }, "Realistic settlements from five agents over six months, with the edits people make: filler deleted, next steps added, tone changed, and one agent regressing recently."),
    form, progress);
}
