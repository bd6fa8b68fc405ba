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
        h("section", { class: "panel", "aria-labelledby": "connect-title" },
          h("h3", { id: "connect-title" }, "Connect Notion"),
          h("p", { class: "muted" }, "Sync the “Training Data” database your diff logger writes, and work offline from the local copy. You need an integration token and the database's link."),
          h("button", { id: "welcome-notion", type: "button", onClick: () => ctx.refresh("settings") }, "Connect Notion…")),
      ),
    ));
}
