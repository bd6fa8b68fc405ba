// Export: approved settlements as fine-tuning data in one click. The form sets the format and
// filters; a live preview (a dry run: counts per agent, what is left out and why, redactions,
// tokens, the first examples) updates as it changes; Export writes the file — chosen with
// the OS save dialog or typed — with progress and Cancel, and validates it.

import { api } from "../api.js";
import { h, mount, fmtInt, toast } from "../dom.js";
import { withProgress } from "../jobs.js";

const FORMATS = [
  ["openai-chat", "OpenAI chat (supervised)"],
  ["openai-dpo", "OpenAI preference (DPO)"],
  ["bedrock", "Amazon Bedrock, Claude"],
  ["nova", "Amazon Bedrock, Nova"],
  ["trl-sft", "Hugging Face TRL, SFT"],
  ["trl-dpo", "Hugging Face TRL, preference"],
  ["trl-kto", "Hugging Face TRL, KTO (unpaired)"],
  ["csv", "CSV for analysis"],
  ["hf-dataset", "Hugging Face dataset folder (Parquet + card)"],
];

const SKIPS = [
  ["skipped_below_threshold", "below the minimum acceptance"],
  ["skipped_filtered", "outside the chosen agents, intent types or dates"],
  ["skipped_errors", "flagged as errors"],
  ["skipped_unedited", "not edited"],
  ["skipped_no_intent", "without an intent text"],
  ["skipped_no_preference", "with no edit to learn a preference from"],
  ["duplicates_exact", "exact duplicates"],
  ["duplicates_near", "near duplicates"],
];

function checkbox(id, label, checked) {
  const input = h("input", { type: "checkbox", id, checked });
  return { input, el: h("label", { class: "check", for: id }, input, label) };
}

function reportBlock(r) {
  const skipped = SKIPS.filter(([k]) => r[k] > 0).map(([k, label]) => h("li", {}, `${fmtInt(r[k])} ${label}`));
  const red = Object.entries(r.redactions);
  return [
    h("table", { class: "data", id: "export-agents" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Agent"), h("th", { scope: "col" }, "Examples"))),
      h("tbody", {}, Object.entries(r.per_agent).map(([a, n]) => h("tr", {}, h("th", { scope: "row" }, a), h("td", { class: "num" }, fmtInt(n)))))),
    r.undesirable ? h("p", { id: "export-kto" }, `KTO: ${fmtInt(r.written)} finals labelled true and ${fmtInt(r.undesirable)} drafts below the minimum acceptance labelled false.`) : null,
    skipped.length ? [h("h4", {}, `Left out of ${fmtInt(r.read)} settlements`), h("ul", { class: "skips" }, skipped)] : null,
    h("p", { class: "muted", id: "export-redactions" }, red.length
      ? `Redacted: ${red.map(([k, n]) => `${fmtInt(n)} ${k.replace(/_/g, " ")}`).join(" · ")}`
      : "Redacted: nothing found"),
  ];
}

const STANDING = { open: "Open", closing: "Closing", ended: "Ended" };

/** Where each format goes and how those services stand (the core's dated table). */
function targetsPanel(targets) {
  return h("details", { class: "panel", id: "ex-targets" },
    h("summary", {}, "Where each format goes"),
    h("table", { class: "data" },
      h("thead", {}, h("tr", {}, ["Service", "Formats", "Status", "What holds", "Checked"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, targets.map((t) => h("tr", { dataset: { formats: t.formats.join(" "), standing: t.standing } },
        h("th", { scope: "row" }, t.service),
        h("td", {}, t.formats.join(", ")),
        h("td", { class: [t.standing !== "open" && "neg"] }, STANDING[t.standing] || t.standing),
        h("td", {}, t.detail),
        h("td", {}, t.checked, h("br"), h("code", { class: "muted" }, t.source)))))));
}

/** A notice when the chosen format's service is closing or has ended. */
function standingNote(targets, format) {
  const gone = targets.filter((t) => t.formats.includes(format) && t.standing !== "open");
  return gone.map((t) => h("p", { class: "warn note", role: "status" }, `${t.service}: ${STANDING[t.standing].toLowerCase()} — ${t.detail} (checked ${t.checked})`));
}

// The app runs one job at a time: this view's previews and exports wait for each other here
// instead of one being refused because another is running.
let queue = Promise.resolve();
function inTurn(job) {
  const turn = queue.then(job, job);
  queue = turn.catch(() => {});
  return turn;
}

/**
 * The settlements with their measures and edit operations as Parquet tables, for engines that
 * outgrow a laptop (DuckDB, Spark, BigQuery): the form's agents, intent types, dates and
 * redaction apply. The folder is chosen in the app's dialog; the page only holds its handle.
 */
function tablesPanel(options) {
  const run = h("button", { type: "button", class: "secondary", id: "ex-tables-run" }, "Export tables…");
  const progress = h("div", { id: "ex-tables-progress" });
  const result = h("div", { id: "ex-tables-result", "aria-live": "polite" });
  run.addEventListener("click", async () => {
    run.disabled = true;
    result.replaceChildren();
    try {
      const d = await api.pickTablesFolder();
      if (!d) return;
      const t = await inTurn(() => withProgress(progress, "settlements read", () => api.runTablesExport(options(), d.handle)));
      mount(result, t
        ? h("p", { class: "summary", id: "ex-tables-done", role: "status" }, `Wrote ${fmtInt(t.settlements)} settlements and ${fmtInt(t.operations)} edit operations as Parquet tables (settlements.parquet, operations.parquet) to ${t.folder}.`)
        : h("p", { class: "warn", id: "ex-tables-done" }, "Cancelled: nothing was written."));
    } catch (err) {
      mount(result, h("p", { class: "error", role: "alert", id: "ex-tables-error" }, err.message));
    } finally {
      run.disabled = false;
    }
  });
  return h("details", { class: "panel", id: "ex-tables" },
    h("summary", {}, "Tables for analysis (Parquet)"),
    h("p", { class: "muted" }, "Every settlement the form selects (its agents, intent types and dates; redacted when that box is ticked), with its measures, and every edit operation, as two Parquet tables in a new, empty folder — for DuckDB, Spark or BigQuery when a team outgrows one laptop. The schema and tested queries are in docs/scale.md."),
    h("div", { class: "inline field" }, run),
    progress, result);
}

/** Per-agent system prompts, used for settlements that carry none. */
function promptsPanel(agents, saved, onSaved) {
  return h("details", { class: "panel prompts", id: "ex-prompts" },
    h("summary", {}, "System prompts per agent"),
    h("p", { class: "muted" }, "Used for settlements whose source gave no system prompt; empty means the default (“You are <agent>. Answer the admin's … request directly…”)."),
    agents.map(([name], i) => {
      const text = h("textarea", { id: `ex-prompt-${i}`, rows: 2, "aria-label": `System prompt for ${name}` });
      text.value = saved[name] || "";
      const save = h("button", { type: "button", class: "secondary small", onClick: async () => {
        try {
          await api.setSystemPrompt(name, text.value);
          toast(`System prompt for ${name} saved`);
          onSaved();
        } catch (err) {
          toast(err.message, "error");
        }
      } }, "Save");
      return h("div", { class: "field" }, h("label", { for: `ex-prompt-${i}` }, name), text, save);
    }));
}

export async function render(root, ctx) {
  const [facets, prompts, settings, targets] = await Promise.all([api.facets(), api.systemPrompts(), api.getSettings(), api.exportTargets()]);
  const format = h("select", { id: "ex-format", "aria-label": "Format" }, FORMATS.map(([v, l]) => h("option", { value: v }, l)));
  const minAcc = h("input", { id: "ex-min", type: "number", min: 0, max: 100, step: 1, value: Math.round(settings.threshold * 100), "aria-label": "Minimum acceptance (%)", title: "Default: the acceptance threshold of Settings (what counts as accepted everywhere)" });
  const valid = h("input", { id: "ex-valid", type: "number", min: 0, max: 49, step: 1, value: 10, "aria-label": "Validation share (%)" });
  const from = h("input", { id: "ex-from", type: "date", "aria-label": "From" });
  const to = h("input", { id: "ex-to", type: "date", "aria-label": "To" });
  const agentBoxes = facets.agents.map(([n, c], i) => ({ name: n, ...checkbox(`ex-agent-${i}`, `${n} (${fmtInt(c)})`, true) }));
  const kindBoxes = facets.intent_types.map(([n, c], i) => ({ name: n, ...checkbox(`ex-kind-${i}`, `${n || "unknown"} (${fmtInt(c)})`, true) }));
  const errors = checkbox("ex-errors", "Leave out settlements flagged as errors", true);
  const edited = checkbox("ex-edited", "Only edited outputs", false);
  const redact = checkbox("ex-redact", "Redact personal data and secrets (names, addresses, contacts, ids, cards, keys…)", true);
  const dedupe = checkbox("ex-dedupe", "Remove duplicates and near duplicates", true);
  const encrypt = checkbox("ex-encrypt", "Encrypt with a passphrase (age format: decrypt with age -d)", false);
  const pass = h("input", { id: "ex-pass", type: "password", autocomplete: "new-password", placeholder: "Passphrase (8+ characters)", "aria-label": "Passphrase", hidden: true });
  const pass2 = h("input", { id: "ex-pass2", type: "password", autocomplete: "new-password", placeholder: "Repeat the passphrase", "aria-label": "Repeat the passphrase", hidden: true });
  encrypt.input.addEventListener("change", () => {
    pass.hidden = pass2.hidden = !encrypt.input.checked;
  });
  // Where to save: chosen in a dialog run by the app (the view only holds its handle), and
  // remembered per format, so the next export is one click.
  let dest = null;
  const destShown = h("output", { id: "ex-dest", class: "muted" }, "No file chosen yet.");
  const choose = h("button", { type: "button", class: "secondary", id: "ex-choose" }, "Choose…");
  const showDest = (d) => {
    dest = d;
    destShown.textContent = d ? d.shown : "No file chosen yet.";
    choose.textContent = d ? "Change…" : "Choose…";
  };
  const loadDest = async () => {
    const asked = format.value;
    try {
      const d = await api.exportDestination(asked);
      // A late answer for another format does not replace the current one.
      if (format.value === asked) showDest(d);
    } catch (err) {
      toast(err.message, "error");
    }
  };
  format.addEventListener("change", loadDest);
  const license = h("input", { id: "ex-license", type: "text", value: "other", spellcheck: "false", "aria-label": "Licence id for the dataset card" });
  const licenseRow = h("label", { class: "field inline", hidden: true }, "Licence (dataset card)", license);
  const note = h("div", { id: "ex-format-note" });
  // What goes with the chosen format: its service's standing, and a licence for a dataset.
  const showFormat = () => {
    mount(note, ...standingNote(targets, format.value));
    licenseRow.hidden = format.value !== "hf-dataset";
  };
  format.addEventListener("change", showFormat);
  const go = h("button", { type: "button", id: "ex-run" }, "Export");
  const progress = h("div", { id: "ex-progress" });
  const preview = h("section", { class: "panel", id: "ex-preview", "aria-live": "polite" }, h("p", { class: "muted" }, "Preview…"));
  const result = h("div", { id: "ex-result" });

  const options = () => {
    const picked = (boxes) => (boxes.every((b) => b.input.checked) ? [] : boxes.filter((b) => b.input.checked).map((b) => b.name));
    return {
      format: format.value,
      minAcceptance: Number(minAcc.value) / 100,
      agents: picked(agentBoxes),
      intentTypes: picked(kindBoxes),
      from: from.value,
      to: to.value,
      excludeErrors: errors.input.checked,
      onlyEdited: edited.input.checked,
      redact: redact.input.checked,
      dedupe: dedupe.input.checked,
      validationShare: Number(valid.value) / 100,
      passphrase: encrypt.input.checked ? pass.value : null,
      license: license.value,
    };
  };

  let busy = false;
  let again = false;
  async function refresh() {
    if (busy) return void (again = true);
    busy = true;
    try {
      const p = await inTurn(() => api.exportPreview(options()));
      if (!p) return mount(preview, h("p", { class: "muted" }, "Preview cancelled."));
      const r = p.report;
      mount(preview,
        h("h2", {}, r.written ? `${fmtInt(r.written)} examples, ${fmtInt(p.tokens)} tokens` : "Nothing would be exported"),
        h("p", { class: "muted" }, `Tokens counted with cl100k_base (an estimate of what a provider bills per epoch).`),
        reportBlock(r),
        p.first.length ? [h("h4", {}, "First examples"), p.first.map((line) => h("pre", { class: "example-line" }, line))] : null);
    } catch (err) {
      mount(preview, h("p", { class: "error", role: "alert" }, err.message));
    } finally {
      busy = false;
      if (again) {
        again = false;
        refresh();
      }
    }
  }
  let debounce;
  const changed = () => {
    clearTimeout(debounce);
    debounce = setTimeout(refresh, 300);
  };
  [format, minAcc, valid, from, to, errors.input, edited.input, redact.input, dedupe.input, ...agentBoxes.map((b) => b.input), ...kindBoxes.map((b) => b.input)]
    .forEach((el) => el.addEventListener("change", changed));

  choose.addEventListener("click", async () => {
    try {
      const d = await api.pickExportPath(format.value);
      if (d) showDest(d);
    } catch (err) {
      toast(err.message, "error");
    }
  });
  go.addEventListener("click", async () => {
    if (!dest) return toast("Choose where to save the export", "error");
    if (encrypt.input.checked && pass.value !== pass2.value) return toast("The two passphrases differ", "error");
    go.disabled = true;
    if (busy) mount(result, h("p", { class: "muted" }, "Waiting for the preview to finish…"));
    else result.replaceChildren();
    try {
      // After a preview still being made; a preview asked for meanwhile waits for this.
      const r = await inTurn(() => withProgress(progress, "settlements read", () => api.runExport(options(), dest.handle)));
      if (!r) return mount(result, h("p", { class: "warn", id: "ex-done" }, "Cancelled: nothing was written."));
      const v = r.validation_report;
      mount(result, h("div", { class: ["report", v && !v.ok ? "has-bad" : "ok"], id: "ex-done", role: "status" },
        h("p", { class: "summary" }, r.format === "hf-dataset"
          ? `Wrote a Hugging Face dataset of ${fmtInt(r.written)} examples (${fmtInt(r.train)} train, ${fmtInt(r.validation)} validation; Parquet and a dataset card) to ${r.path}.`
          : `Wrote ${fmtInt(r.written)} examples${r.encrypted ? " (encrypted)" : ""} to ${r.path}${r.validation_path ? ` (${fmtInt(r.validation)} for validation in ${r.validation_path})` : ""}.`),
        v ? h("p", { id: "ex-validation" }, v.ok ? `Validation passed: ${fmtInt(v.examples)} examples, ${fmtInt(v.billable_tokens)} billable tokens per epoch, ${v.default_epochs} epochs by default.` : `Validation failed: ${v.failures.join("; ")}`) : null,
        v && v.warnings.length ? h("ul", {}, v.warnings.map((w) => h("li", { class: "muted" }, w))) : null));
    } catch (err) {
      mount(result, h("p", { class: "error", role: "alert", id: "ex-error" }, err.message));
    } finally {
      go.disabled = false;
    }
  });

  mount(root,
    h("header", { class: "view-head" }, h("h1", {}, "Export training data")),
    h("div", { class: "export" },
      h("section", { class: "panel", "aria-labelledby": "ex-form-title" },
        h("h3", { id: "ex-form-title" }, "What to export"),
        h("label", { class: "field inline" }, "Format", format),
        note,
        licenseRow,
        h("label", { class: "field inline" }, "Minimum acceptance", minAcc, "%"),
        h("div", { class: "field inline" }, "Dates", from, "–", to),
        h("fieldset", {}, h("legend", {}, "Agents"), agentBoxes.map((b) => b.el)),
        h("fieldset", {}, h("legend", {}, "Intent types"), kindBoxes.map((b) => b.el)),
        errors.el, edited.el, redact.el, dedupe.el, encrypt.el, h("div", { class: "inline" }, pass, pass2),
        h("label", { class: "field inline" }, "Validation file", valid, "% of examples"),
        h("h3", {}, "Save to"),
        h("div", { class: "inline" }, destShown, choose),
        h("div", { class: "inline field" }, go),
        progress, result),
      preview),
    targetsPanel(targets),
    tablesPanel(options),
    promptsPanel(facets.agents, prompts, () => refresh()));
  showFormat();
  await Promise.all([refresh(), loadDest()]);
}
