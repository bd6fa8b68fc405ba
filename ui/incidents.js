// What Home and the Dashboard call each kind of finding, in one place.

const KIND = {
  stale: "No new data",
  drop: "Drop",
  below_bar: "Below the bar",
  emerging_pattern: "New pattern",
  rejections_rising: "More rewrites",
};

/** The label of a finding's kind (`drop`, `below_bar`, …); an unknown kind is shown as is. */
export function kindLabel(kind) {
  return KIND[kind] || kind;
}
