// The LLM settings panel: provider, base URL and model (kept in the store), the API key (kept in
// the OS keychain; only its last four characters are ever shown) and the consent to send
// settlement text to that provider. Without it Redline composes variants offline.

import { api } from "../api.js";
import { h, mount, toast } from "../dom.js";

const PRESETS = {
  anthropic: { base: "https://api.anthropic.com", model: "" },
  openai: { base: "http://localhost:11434/v1", model: "" },
};

export function llmPanel() {
  const panel = h("section", { class: "panel", id: "llm-panel", "aria-labelledby": "llm-title" });
  const draw = (st) => {
    const c = st.config || { provider: "anthropic", base_url: PRESETS.anthropic.base, model: "", timeout_secs: 60, max_tokens: 4096 };
    const provider = h("select", { id: "llm-provider", "aria-label": "Provider" },
      h("option", { value: "anthropic", selected: c.provider === "anthropic" }, "Anthropic (Messages API)"),
      h("option", { value: "openai", selected: c.provider === "openai" }, "OpenAI-compatible (OpenAI, Ollama, llama.cpp…)"));
    const base = h("input", { id: "llm-base", type: "url", value: c.base_url, "aria-label": "Base URL" });
    const model = h("input", { id: "llm-model", type: "text", value: c.model, placeholder: "model name", "aria-label": "Model" });
    const timeout = h("input", { id: "llm-timeout", type: "number", min: 1, max: 600, value: c.timeout_secs, class: "narrow", "aria-label": "Timeout in seconds" });
    const key = h("input", { id: "llm-key", type: "password", autocomplete: "off", placeholder: st.key_last4 ? `saved key …${st.key_last4}` : "API key (not needed for a local server)", "aria-label": "API key" });
    const error = h("p", { id: "llm-error", class: "error", role: "alert", hidden: true });
    provider.addEventListener("change", () => { base.value = PRESETS[provider.value].base; });
    const save = h("button", { type: "button", id: "llm-save", onClick: async () => {
      try {
        const next = await api.llmConfigure({ provider: provider.value, base_url: base.value, model: model.value, timeout_secs: Number(timeout.value), max_tokens: c.max_tokens || 4096 }, key.value || null);
        toast("LLM settings saved");
        draw(next);
      } catch (err) { error.hidden = false; error.textContent = err.message; }
    } }, "Save");
    const consent = h("input", { id: "llm-consent", type: "checkbox", checked: st.consent, disabled: !st.config });
    consent.addEventListener("change", async () => {
      try { draw(await api.llmSetConsent(consent.checked)); } catch (err) { error.hidden = false; error.textContent = err.message; }
    });
    mount(panel,
      h("h3", { id: "llm-title" }, "LLM (optional)"),
      h("p", { class: "muted" }, "Variants are composed offline from edit patterns. With an LLM, Redline can also write variants and evaluate a candidate prompt by replaying recent intents. The key is kept in the OS keychain."),
      h("div", { class: "hbox wrap" }, provider, base, model, h("label", {}, "timeout (s) ", timeout)),
      h("div", { class: "hbox" }, key, save,
        st.key_last4 ? h("button", { type: "button", class: "secondary", id: "llm-key-remove", onClick: async () => draw(await api.llmRemoveKey()) }, "Remove key") : null),
      h("label", { class: "hbox", id: "llm-consent-line" }, consent, st.config
        ? `Allow sending settlement text (intents and edited phrases) to ${st.config.provider === "anthropic" ? "Anthropic" : "the OpenAI-compatible server"} at ${st.config.base_url}`
        : "Save the settings first, then allow sending settlement text"),
      st.keychain_error ? h("p", { class: "error" }, st.keychain_error) : null,
      error);
  };
  api.llmStatus().then(draw).catch((err) => mount(panel, h("p", { class: "error" }, err.message)));
  return panel;
}
