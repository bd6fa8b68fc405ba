// The background check's progress (it runs after every import, sync and launch: measuring new
// settlements, checking for incidents, computing the Dashboard's figures), as a sentence for
// the views that say a check is running. Every element with the class `check-progress` shows it.
import { fmtInt } from "./dom.js";

let text = "";

/** The progress sentence now ("" when no check has reported yet). */
export function checkText() {
  return text;
}

function describe(step) {
  if (step.stage === "measuring") {
    return step.total ? `Now measuring ${fmtInt(step.done)} of ${fmtInt(step.total)} new settlements.` : "Now checking what is new.";
  }
  if (step.stage === "incidents") return "Now checking for incidents and suggestions.";
  return `Now computing the Dashboard's figures (${step.done} of ${step.total} ranges).`;
}

/** Show a progress event of the check (`{stage, done, total}`). */
export function onCheckProgress(step) {
  text = describe(step);
  for (const el of document.querySelectorAll(".check-progress")) el.textContent = text;
}

/** The check ended: nothing more to say. */
export function checkEnded() {
  text = "";
  for (const el of document.querySelectorAll(".check-progress")) el.textContent = "";
}
