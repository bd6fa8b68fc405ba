// Every call from the UI to the app, by name. Errors arrive as {kind, message}; they are
// re-thrown as ApiError so views can show `message` and branch on `kind`.

const tauri = window.__TAURI__;

/** Core messages start in lower case (they read well after "error: " in the CLI); the UI shows
 *  them as sentences. */
const sentence = (text) => (text ? text[0].toUpperCase() + text.slice(1) : text);

export class ApiError extends Error {
  constructor(kind, message) {
    super(sentence(message));
    this.kind = kind;
  }
}

async function call(command, args) {
  try {
    return await tauri.core.invoke(command, args);
  } catch (e) {
    if (e && typeof e === "object" && "message" in e) throw new ApiError(e.kind || "error", e.message);
    throw new ApiError("error", String(e));
  }
}

export const api = {
  status: () => call("app_status"),
  facets: () => call("facets"),
  list: (filter, offset, limit) => call("list_settlements", { filter, offset, limit }),
  get: (id) => call("get_settlement", { id }),
  setMarks: (ids, kind, reason) => call("set_marks", { ids, kind, reason }),
  markMatching: (filter, kind, reason) => call("mark_matching", { filter, kind, reason }),
  pickImportFile: () => call("pick_import_file"),
  importFile: (path, strict) => call("import_file", { path, strict }),
  loadSample: (count, seed) => call("load_sample", { count, seed }),
  cancelJob: () => call("cancel_job"),
  uiReady: () => call("ui_ready"),
  notionStatus: () => call("notion_status"),
  notionSaveToken: (token) => call("notion_save_token", { token }),
  notionRemoveToken: () => call("notion_remove_token"),
  notionSetBaseUrl: (baseUrl) => call("notion_set_base_url", { baseUrl }),
  notionConnect: (database) => call("notion_connect", { database }),
  notionSaveConnection: (connection) => call("notion_save_connection", { connection }),
  notionSync: (reconcile, force = false) => call("notion_sync", { reconcile, force }),
  notionSetAutoSync: (onLaunch, everyMinutes) => call("notion_set_auto_sync", { onLaunch, everyMinutes }),
  dashboard: (range, asOfNewest = false) => call("dashboard", { range, asOfNewest }),
  auditLog: (limit) => call("audit_log", { limit }),
  exportPreview: (options) => call("export_preview", { options }),
  pickExportPath: (format) => call("pick_export_path", { format }),
  exportDestination: (format) => call("export_destination", { format }),
  runExport: (options, destination) => call("run_export", { options, destination }),
  pickTablesFolder: () => call("pick_tables_folder"),
  runTablesExport: (options, destination) => call("run_tables_export", { options, destination }),
  exportTargets: () => call("export_targets"),
  systemPrompts: () => call("system_prompts"),
  setSystemPrompt: (agent, text) => call("set_system_prompt", { agent, text }),
  compareAgents: (agentA, agentB, range) => call("compare_agents", { agentA, agentB, range }),
  /** Mine edit patterns (a cancellable job with job-progress events); null if cancelled. */
  minePatterns: (agent, range, intentType) => call("mine_patterns", { agent, range, intentType }),
  replayPatterns: (agent, range, intentType) => call("replay_patterns", { agent, range, intentType }),
  listPrompts: () => call("list_prompts"),
  addPrompt: (agent, text, note, activate) => call("add_prompt", { agent, text, note, activate }),
  pickPromptFile: () => call("pick_prompt_file"),
  promptDiff: (agent, from, to) => call("prompt_diff", { agent, from, to }),
  diffTexts: (oldText, newText) => call("diff_texts", { old: oldText, new: newText }),
  activatePrompt: (agent, version) => call("activate_prompt", { agent, version }),
  adoptPrompts: () => call("adopt_prompts"),
  generateVariants: (agent, last) => call("generate_variants", { agent, last }),
  createExperiment: (experiment) => call("create_experiment", { experiment }),
  listExperiments: () => call("list_experiments"),
  experimentResults: (id) => call("experiment_results", { id }),
  completeExperiment: (id) => call("complete_experiment", { id }),
  deployExperiment: (id) => call("deploy_experiment", { id }),
  connectAbTests: (database) => call("connect_ab_tests", { database }),
  abTestsTarget: () => call("ab_tests_target"),
  /** Call `fn({id, error})` after each write of an experiment to Notion. */
  onExperimentPublished: (fn) => tauri.event.listen("experiment-published", (event) => fn(event.payload)),
  llmStatus: () => call("llm_status"),
  llmConfigure: (config, key) => call("llm_configure", { config, key }),
  llmRemoveKey: () => call("llm_remove_key"),
  llmSetConsent: (given) => call("llm_set_consent", { given }),
  /** Variants from the configured LLM (a cancellable job); null if cancelled. */
  generateVariantsLlm: (agent, last, count) => call("generate_variants_llm", { agent, last, count }),
  /** Replay recent intents with the active prompt and `candidate` (a job); null if cancelled. */
  evaluateVariant: (agent, candidate, replay) => call("evaluate_variant", { agent, candidate, replay }),
  homeOverview: () => call("home_overview"),
  startSuggested: (agent, candidate, baseVersion, title) => call("start_suggested", { agent, candidate, baseVersion, title }),
  /** Make a report in the saved folder, or one picked in a dialog; null if cancelled. */
  generateReport: (choose) => call("generate_report", { choose }),
  reportStatus: () => call("report_status"),
  setReportSchedule: (weekly, slack, email) => call("set_report_schedule", { weekly, slack, email }),
  setRoiSettings: (settings) => call("set_roi_settings", { settings }),
  saveEmailSettings: (settings, password) => call("save_email_settings", { settings, password }),
  saveSlackWebhook: (url) => call("save_slack_webhook", { url }),
  listAlerts: () => call("list_alerts"),
  acknowledgeAlert: (key) => call("acknowledge_alert", { key }),
  getSettings: () => call("get_settings"),
  setThreshold: (threshold) => call("set_threshold", { threshold }),
  /** Save `text` (a string) or `bytes` (an array of numbers) through a save dialog; the path or null. */
  saveFile: (name, text, bytes) => call("save_file", { name, text, bytes }),
  /** Call `fn({raised, active})` whenever the alerts were checked (after imports and syncs). */
  onAlertsChanged: (fn) => tauri.event.listen("alerts-changed", (event) => fn(event.payload)),
  /** Call `fn({stage, done, total})` as the background check after a change progresses. */
  onCheckProgress: (fn) => tauri.event.listen("check-progress", (event) => fn(event.payload)),
  /** Call `fn({message})` when a background check for incidents failed. */
  onAlertsCheckFailed: (fn) => tauri.event.listen("alerts-check-failed", (event) => fn(event.payload)),
  /** Call `fn({ok, message, report})` after every automatic sync; returns an unlisten function. */
  onNotionSynced: (fn) => tauri.event.listen("notion-synced", (event) => fn(event.payload)),
  /** Call `fn(progress)` on every Notion sync progress event; returns an unlisten function. */
  onNotionProgress: (fn) => tauri.event.listen("notion-progress", (event) => fn(event.payload)),
  /** Call `fn({job, done, total, items})` on every progress event; returns an unlisten function. */
  onProgress: (fn) => tauri.event.listen("job-progress", (event) => fn(event.payload)),
};
