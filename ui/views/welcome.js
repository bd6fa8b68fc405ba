// The first-run view: an empty store, and the three ways to fill it.

import { h, mount } from "../dom.js";
import { importPanel, samplePanel } from "../jobs.js";

export async function render(root, ctx) {
  const done = () => ctx.refresh("settlements");
  mount(root,
    h("div", { class: "welcome" },
      h("h1", {}, "Welcome to Redline"),
      h("p", { class: "lead" },
        "Redline shows how people edit your AI agents' drafts, and turns those edits into better prompts and training data. ",
        "Your store is empty: bring in some settlements to begin."),
      h("div", { class: "cards" },
        samplePanel({ onDone: done }),
        importPanel({ onDone: done }),
        h("section", { class: "panel disabled", "aria-labelledby": "notion-title" },
          h("h3", { id: "notion-title" }, "Connect Notion"),
          h("p", { class: "muted" }, "Sync the “Training Data” database and work offline from the cache."),
          h("p", { class: "muted" }, "Not available in this version yet: export the database as CSV and import it meanwhile."),
          h("button", { type: "button", disabled: true }, "Connect Notion")),
      ),
    ));
}
