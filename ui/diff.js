// The two sides of a word diff, as text nodes: the AI output with what the person deleted
// marked, and the final version with what they added marked.

import { h } from "./dom.js";

/** Spans are [{kind: "equal"|"delete"|"insert", text, moved?}] from the core's diff; a moved
 * sentence is a delete and an insert with `moved` set. */
export function diffSides(spans) {
  const before = [];
  const after = [];
  for (const span of spans) {
    if (span.kind === "equal") {
      before.push(span.text);
      after.push(span.text);
    } else if (span.kind === "delete" && span.moved) {
      before.push(h("del", { class: "d-moved", title: "Moved elsewhere, unchanged" }, span.text));
    } else if (span.kind === "delete") {
      before.push(h("del", { class: "d-del", title: "Deleted by the person" }, span.text));
    } else if (span.moved) {
      after.push(h("ins", { class: "d-moved", title: "Moved here, unchanged" }, span.text));
    } else {
      after.push(h("ins", { class: "d-ins", title: "Added by the person" }, span.text));
    }
  }
  return { before, after };
}
