// Home: what changed since the last visit, what needs attention, what to test next (one click
// from a suggestion to an A/B test), the running experiments and when they will have enough
// data, and the weekly report.

import { api } from "../api.js";
import { kindLabel } from "../incidents.js";
import { h, mount, fmtInt, fmtDateTime, toast } from "../dom.js";
import { checkText } from "../check.js";

function eta(r) {
  if (r.eta_days === null) return "no settlements yet";
  if (r.eta_days < 0.05) return "planned sample reached";
  if (r.eta_days < 1.5) return "about a day to the planned sample";
  return `about ${Math.round(r.eta_days)} days to the planned sample`;
}

export function roiPanel(ctx, r, view = "home") {
  const c = r.settings;
  const field = (id, label, value, step) => h("label", {}, `${label} `, h("input", { id, type: "number", min: 0, step, value, class: "narrow" }));
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const form = h("details", { id: "roi-settings" }, h("summary", {}, "Figures used"),
    h("div", { class: "hbox wrap" },
      field("roi-spw", "seconds per changed word", c.seconds_per_word, 0.5),
      field("roi-rate", "value of an editing hour", c.hourly_rate, 1),
      field("roi-ft", "fine-tuning spend", c.fine_tuning_cost, 1),
      field("roi-api", "extra API spend a month", c.monthly_api_cost, 1),
      field("roi-in", "price per 1M input tokens", c.price_input_per_mtok, 0.01),
      field("roi-out", "price per 1M output tokens", c.price_output_per_mtok, 0.01),
      h("button", { type: "button", class: "secondary", id: "roi-save", onClick: async () => {
        const v = (id) => Number(document.getElementById(id).value);
        try {
          await api.setRoiSettings({ seconds_per_word: v("roi-spw"), hourly_rate: v("roi-rate"), fine_tuning_cost: v("roi-ft"), monthly_api_cost: v("roi-api"), price_input_per_mtok: v("roi-in"), price_output_per_mtok: v("roi-out") });
          toast("Saved"); ctx.refresh(view);
        } catch (err) { error.hidden = false; error.textContent = err.message; }
      } }, "Save")), error);
  const lines = [
    `${r.hours_last_week.toFixed(1)} hours of editing in the last 7 days (${r.hours_last_week >= r.hours_week_before ? "+" : "−"}${Math.abs(r.hours_last_week - r.hours_week_before).toFixed(1)} against the week before), at ${c.seconds_per_word} s per changed word.`,
    ...r.deployments.map((d) => `${d.experiment} (${d.agent}): ${d.before === null ? "–" : d.before.toFixed(0)} → ${d.after === null ? "–" : d.after.toFixed(0)} seconds of editing per settlement after deployment.`),
    r.hours_saved_per_week > 0 ? `Deployed winners save about ${r.hours_saved_per_week.toFixed(1)} hours a week.` : null,
    r.break_even_weeks !== null ? `The fine-tuning spend pays back in about ${Math.round(r.break_even_weeks)} weeks.` : null,
    r.llm_calls ? `Redline's own LLM calls: ${fmtInt(r.llm_calls)} (${fmtInt(r.llm_input_tokens)} input, ${fmtInt(r.llm_output_tokens)} output tokens; ${r.llm_cost.toFixed(2)} at the prices entered).` : null,
  ].filter(Boolean);
  const trend = (a) => (a.trend === null ? "–" : `${a.trend[0] >= 0 ? "+" : "−"}${Math.abs(a.trend[0]).toFixed(1)} min/week each week${a.trend[1] < 0.05 ? "" : " (not significant)"}`);
  const agents = r.agents.length
    ? h("table", { class: "data", id: "roi-agents" },
      h("thead", {}, h("tr", {}, ["Agent", "Editing last week", "Per settlement (4 weeks)", "Trend (12 weeks)"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, r.agents.map((a) => h("tr", {},
        h("th", { scope: "row" }, a.agent),
        h("td", { class: "num" }, `${(a.weekly_minutes[a.weekly_minutes.length - 1] || 0).toFixed(0)} min`),
        h("td", { class: "num" }, a.seconds_per_settlement === null ? "–" : `${a.seconds_per_settlement.toFixed(0)} s`),
        h("td", {}, trend(a))))))
    : null;
  return h("section", { class: "panel", id: "roi-panel", "aria-labelledby": "roi-title" },
    h("h2", { id: "roi-title" }, "Editing time and ROI"),
    h("ul", { id: "roi-lines" }, lines.map((l) => h("li", {}, l))),
    agents,
    h("p", { class: "muted note" }, "Editing effort = words changed × seconds per changed word; definitions in docs/learning.md."),
    form);
}

export function reportPanel(ctx, status, view = "home") {
  const s = status.settings;
  const error = h("p", { id: "report-error", class: "error", role: "alert", hidden: true });
  const fail = (err) => { error.hidden = false; error.textContent = err.message || String(err); };
  const done = (made) => {
    if (!made) return;
    toast(`Report saved: ${made.html}`);
    if (made.slack_error) fail(new Error(`Saved, but not posted to Slack: ${made.slack_error}`));
    if (made.email_error) fail(new Error(`Saved, but not e-mailed: ${made.email_error}`));
    ctx.refresh(view);
  };
  const weekly = h("input", { id: "report-weekly", type: "checkbox", checked: s.weekly, disabled: !s.folder });
  const slack = h("input", { id: "report-slack", type: "checkbox", checked: s.slack, disabled: !status.slack_saved });
  const email = h("input", { id: "report-email", type: "checkbox", checked: s.email, disabled: !status.email });
  const saveSchedule = async () => {
    try { await api.setReportSchedule(weekly.checked, slack.checked, email.checked); toast("Report schedule saved"); } catch (err) { fail(err); }
  };
  [weekly, slack, email].forEach((el) => el.addEventListener("change", saveSchedule));
  const e = status.email || { host: "", port: 587, security: "starttls", username: "", from: "", to: [] };
  const host = h("input", { id: "smtp-host", type: "text", value: e.host, placeholder: "smtp.example.org", "aria-label": "SMTP server" });
  const port = h("input", { id: "smtp-port", type: "number", min: 1, max: 65535, value: e.port, class: "narrow", "aria-label": "Port" });
  const security = h("select", { id: "smtp-security", "aria-label": "Security" },
    [["starttls", "STARTTLS (587)"], ["tls", "TLS (465)"], ["none", "None (local relay only)"]].map(([v, l]) => h("option", { value: v, selected: e.security === v }, l)));
  const user = h("input", { id: "smtp-user", type: "text", value: e.username || "", placeholder: "login (optional)", "aria-label": "Login" });
  const password = h("input", { id: "smtp-password", type: "password", autocomplete: "off", placeholder: status.smtp_password_saved ? "password saved in the keychain" : "password", "aria-label": "SMTP password" });
  const from = h("input", { id: "smtp-from", type: "text", value: e.from, placeholder: "Redline <redline@example.org>", "aria-label": "From" });
  const to = h("input", { id: "smtp-to", type: "text", value: e.to.join(", "), placeholder: "you@example.org, team@example.org", "aria-label": "To" });
  const emailForm = h("details", { id: "email-settings" }, h("summary", {}, status.email ? `E-mail: to ${e.to.join(", ")} via ${e.host}` : "E-mail the report (SMTP settings)"),
    h("div", { class: "hbox wrap" }, host, port, security, user, password),
    h("div", { class: "hbox wrap" }, from, to, h("button", { type: "button", class: "secondary", id: "smtp-save", onClick: async () => {
      try {
        await api.saveEmailSettings({ host: host.value, port: Number(port.value), security: security.value, username: user.value || null, from: from.value, to: to.value.split(",").map((x) => x.trim()).filter(Boolean) }, password.value || null);
        toast("E-mail settings saved"); ctx.refresh(view);
      } catch (err) { fail(err); }
    } }, "Save e-mail settings")));
  const webhook = h("input", { id: "slack-webhook", type: "password", autocomplete: "off", placeholder: status.slack_saved ? "saved in the keychain (type a new one to replace)" : "https://hooks.slack.com/services/…", "aria-label": "Slack webhook URL" });
  return h("section", { class: "panel", id: "report-panel", "aria-labelledby": "report-title" },
    h("h2", { id: "report-title" }, "Weekly report"),
    h("p", { class: "muted", id: "report-last" }, s.last ? `Last report ${fmtDateTime(s.last)} in ${s.folder}.` : "No report yet. A report has agent trends, detected issues, experiments, suggestions and editing time, as HTML (with charts) and Markdown."),
    h("div", { class: "hbox wrap" },
      h("button", { type: "button", id: "report-now", onClick: async () => { try { done(await api.generateReport(false)); } catch (err) { fail(err); } } }, s.folder ? "Make a report now" : "Choose a folder and make a report"),
      h("button", { type: "button", class: "secondary", onClick: async () => { try { done(await api.generateReport(true)); } catch (err) { fail(err); } } }, "Choose another folder…")),
    h("label", { class: "hbox" }, weekly, "Make one every week while Redline runs (a missed week is made at the next start)"),
    h("div", { class: "hbox" }, webhook, h("button", { type: "button", class: "secondary", id: "slack-save", onClick: async () => {
      try { await api.saveSlackWebhook(webhook.value); toast(webhook.value ? "Slack webhook saved in the keychain" : "Slack webhook removed"); ctx.refresh(view); } catch (err) { fail(err); }
    } }, "Save webhook")),
    h("label", { class: "hbox" }, slack, status.slack_saved ? "Also post the summary to Slack" : "Save a Slack webhook to post the summary there"),
    emailForm,
    h("label", { class: "hbox" }, email, status.email ? "Also e-mail the report" : "Save the e-mail settings to e-mail the report"),
    error);
}

export async function render(root, ctx) {
  const [o, status] = await Promise.all([api.homeOverview(), api.reportStatus()]);
  const changed = o.since
    ? `${fmtInt(o.new_settlements)} new settlement${o.new_settlements === 1 ? "" : "s"} since your last visit (${fmtDateTime(o.since)}).`
    : "Welcome. From now on this line says what changed since your last visit.";
  const onAck = async (key) => {
    try { await api.acknowledgeAlert(key); toast("Acknowledged: it stays quiet until something new comes with it"); ctx.refresh("home"); } catch (err) { toast(err.message, "error"); }
  };
  const findings = o.incidents.length
    ? h("ul", { class: "findings", id: "home-findings" }, o.incidents.map((i) => h("li", { dataset: { kind: i.kind, key: i.key, severity: i.severity }, class: i.open ? "open" : "acked" },
      h("span", { class: ["chip", i.severity === "low" ? "" : "err"] }, kindLabel(i.kind)), " ", i.summary, " ",
      i.open
        ? h("button", { type: "button", class: "secondary small ack", onClick: () => onAck(i.key) }, i.parts.length > 1 ? `Acknowledge all ${i.parts.length}` : "Acknowledge")
        : h("span", { class: "muted" }, "(acknowledged)"),
      i.parts.length > 1
        ? h("details", { class: "incident-parts" }, h("summary", {}, `${i.parts.length} findings`),
          h("ul", {}, i.parts.map((p) => h("li", { dataset: { kind: p.kind } }, h("span", { class: ["chip", p.kind === "emerging_pattern" ? "" : "err"] }, kindLabel(p.kind)), " ", p.message))))
        : null)))
    : h("p", { class: "muted", id: "home-findings-none" }, "Nothing needs attention: no drop, low agent, new failure pattern or rise in rewrites.");
  const suggestions = o.suggestions.length
    ? o.suggestions.map((sg, i) => {
      const error = h("p", { class: "error", role: "alert", hidden: true });
      return h("article", { class: "panel suggestion", id: `suggestion-${i}`, dataset: { agent: sg.agent } },
        h("p", {}, sg.title),
        h("details", {}, h("summary", {}, "Evidence"), h("ul", {}, sg.evidence.map((e) => h("li", {}, e))), sg.examples.length ? h("p", { class: "muted" }, `e.g. ${sg.examples.join(", ")}`) : null),
        sg.candidate !== null && sg.base_version !== null
          ? h("button", { type: "button", class: "suggestion-start", onClick: async (ev) => {
            ev.currentTarget.disabled = true;
            try {
              const e = await api.startSuggested(sg.agent, sg.candidate, sg.base_version, sg.title);
              toast(`Started ${e.id}: v${e.a.prompt_version} against v${e.b.prompt_version}`);
              ctx.refresh("home");
            } catch (err) { error.hidden = false; error.textContent = err.message; ev.currentTarget.disabled = false; }
          } }, `Start an A/B test (v${sg.base_version} against v${sg.base_version} + this rule)`)
          : h("p", { class: "note" }, `${sg.agent} has no prompt in the registry yet: add it in Experiments (or take the prompts from the settlements), then test this rule.`),
        error);
    })
    : h("p", { class: "muted" }, "No suggestion: no agent shows a gap or an issue the data can pin down.");
  const running = o.running.length
    ? h("table", { class: "data", id: "home-running" },
      h("thead", {}, h("tr", {}, ["Experiment", "Agent", "A", "B", "When"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, o.running.map((r) => h("tr", {},
        h("th", { scope: "row" }, r.id), h("td", {}, r.agent),
        h("td", { class: "num" }, `${fmtInt(r.n_a)} of ${fmtInt(r.planned[0])}`),
        h("td", { class: "num" }, `${fmtInt(r.n_b)} of ${fmtInt(r.planned[1])}`),
        h("td", {}, eta(r))))))
    : h("p", { class: "muted" }, "No experiment is running.");
  mount(root,
    h("header", { class: "view-head" }, h("h1", {}, "Home")),
    h("p", { id: "home-changed" }, changed),
    o.refreshing
      ? h("p", { class: "warn note", id: "home-refreshing", role: "status" }, `Checking again since ${fmtDateTime(o.refreshing)} (new settlements came in): what needs attention and the suggestions below are those of ${fmtDateTime(o.computed)}; this view updates when the check ends. `,
        h("span", { class: "check-progress" }, checkText()))
      : h("p", { class: "muted note", id: "home-computed" }, `What needs attention and the suggestions as of ${fmtDateTime(o.computed)} (checked again after every import and sync).`),
    h("section", { class: "panel", "aria-labelledby": "attention-title" }, h("h2", { id: "attention-title" }, "Needs attention"), findings),
    h("section", { class: "panel", "aria-labelledby": "suggest-title" }, h("h2", { id: "suggest-title" }, "Suggested experiments"), suggestions),
    h("section", { class: "panel", "aria-labelledby": "running-title" }, h("h2", { id: "running-title" }, "Running experiments"), running),
    roiPanel(ctx, o.roi),
    o.unmeasured ? h("p", { class: "muted note", id: "home-unmeasured" }, `The editing time above leaves out ${fmtInt(o.unmeasured)} settlements that are still being measured.`) : null,
    reportPanel(ctx, status));
  ctx.onKey(() => {});
  // Shown while a check ran: the check's end brings the view up to date, unless the person
  // has started something here (typing a setting, starting a test): then it says so and waits.
  if (o.refreshing || o.unmeasured) {
    ctx.onAlerts(() => {
      if (!ctx.worked()) return ctx.refresh("home");
      const note = root.querySelector("#home-refreshing") || root.querySelector("#home-unmeasured");
      if (note) {
        mount(note, "The check has ended. ",
          h("button", { type: "button", class: "secondary small", id: "home-update", onClick: () => ctx.refresh("home") }, "Show what it found"));
      }
    });
  }
}
