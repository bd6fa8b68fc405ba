// The one way the UI builds DOM: elements and text nodes, never HTML strings. Every settlement
// text is untrusted, so nothing here parses markup (`innerHTML` is never used).

const SVG_NS = "http://www.w3.org/2000/svg";

function apply(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (key === "class") {
      el.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : value);
    } else if (key === "value" && "value" in el) {
      el.value = value;
    } else if (key === "checked" || key === "disabled" || key === "selected") {
      el[key] = Boolean(value);
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** h("div", {class: "x", onClick}, "text", child) → an HTML element. Strings become text nodes. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/** s("rect", {x: 1}) → an SVG element, for charts. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/** Replace an element's children. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const numberFormat = new Intl.NumberFormat("en-US");
export const fmtInt = (n) => numberFormat.format(n);
export const fmtPct = (x) => (x === null || x === undefined ? "–" : `${Math.round(x * 100)}%`);
export const fmtDate = (iso) => (iso ? iso.slice(0, 10) : "–");
export const fmtDateTime = (iso) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : "–");

export function fmtBytes(n) {
  if (n < 1e3) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

let toastTimer;
/** A short message at the bottom of the window, read out by screen readers. */
export function toast(message, kind = "info") {
  const el = document.getElementById("toast");
  mount(el, h("div", { class: ["toast", kind] }, message));
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.replaceChildren(), 6000);
}
