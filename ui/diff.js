// The two sides of a word diff, as text nodes: the AI output with what the person deleted
// marked, and the final version with what they added marked.

import { h } from "./dom.js";

/** Spans are [{kind: "equal"|"delete"|"insert", text}] from the core's word diff. */
export function diffSides(spans) {
  const before = [];
  const after = [];
  for (const span of spans) {
    if (span.kind === "equal") {
      before.push(span.text);
      after.push(span.text);
    } else if (span.kind === "delete") {
      before.push(h("del", { class: "d-del", title: "Deleted by the person" }, span.text));
    } else {
      after.push(h("ins", { class: "d-ins", title: "Added by the person" }, span.text));
    }
  }
  return { before, after };
}
