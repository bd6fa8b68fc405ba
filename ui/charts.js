// Charts as SVG built from DOM nodes (never markup strings: agent names and intent types come
// from elsewhere). Every chart:
// - carries its colours and fonts as attributes, so a saved SVG or PNG looks like the screen;
// - is one tab stop: arrow keys move between its marks and show each mark's value, as hovering
//   does; Escape hides the value;
// - can be saved as SVG or PNG (see `chartPanel`).

import { h, s } from "./dom.js";

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';
/** Okabe–Ito colours: distinguishable with the common colour-vision deficiencies. */
export const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#7f7f7f", "#000000"];

function theme() {
  const css = getComputedStyle(document.documentElement);
  const v = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  return { bg: v("--surface", "#fff"), text: v("--text", "#1d1d1f"), muted: v("--muted", "#6b6b70"), line: v("--line", "#e2e2e0") };
}

const pct = (x) => `${Math.round(x * 100)}%`;

function text(x, y, content, attrs = {}) {
  const t = theme();
  return s("text", { x, y, fill: t.text, "font-family": FONT, "font-size": 12, ...attrs }, content);
}

/**
 * Make a chart keyboard- and pointer-friendly. `grid` is an array of rows, each an array of
 * marks `{el, label}` (or null); arrows move through it, hovering shows the same label.
 */
function interactive(svg, wrap, grid) {
  const tip = h("div", { class: "chart-tip", role: "status", "aria-live": "polite", hidden: true });
  wrap.append(tip);
  let cur = null;
  const show = (mark) => {
    if (cur) cur.el.classList.remove("current");
    cur = mark;
    if (!mark) return void (tip.hidden = true);
    mark.el.classList.add("current");
    tip.textContent = mark.label;
    tip.hidden = false;
    const box = mark.el.getBoundingClientRect();
    const outer = wrap.getBoundingClientRect();
    tip.style.left = `${Math.max(0, Math.min(outer.width - 260, box.left - outer.left + box.width / 2 - 40))}px`;
    tip.style.top = `${Math.max(0, box.top - outer.top - 34)}px`;
  };
  const pos = new Map();
  grid.forEach((row, r) => row.forEach((m, c) => {
    if (!m) return;
    pos.set(m, [r, c]);
    m.el.addEventListener("mouseenter", () => show(m));
    m.el.addEventListener("mouseleave", () => show(null));
    m.el.append(s("title", {}, m.label));
  }));
  const first = () => grid.flat().find(Boolean) || null;
  svg.setAttribute("tabindex", "0");
  svg.addEventListener("focus", () => show(cur || first()));
  svg.addEventListener("blur", () => show(null));
  svg.addEventListener("keydown", (e) => {
    if (!cur) return;
    let [r, c] = pos.get(cur);
    const step = { ArrowRight: [0, 1], ArrowLeft: [0, -1], ArrowDown: [1, 0], ArrowUp: [-1, 0] }[e.key];
    if (e.key === "Escape") return void show(null);
    if (!step) return;
    e.preventDefault();
    // Move to the next mark in that direction, skipping holes.
    for (;;) {
      r += step[0];
      c += step[1];
      if (r < 0 || r >= grid.length) return;
      const row = grid[r];
      if (step[0] !== 0) c = Math.min(c, row.length - 1);
      if (c < 0 || c >= row.length) return;
      if (row[c]) return void show(row[c]);
      if (step[0] !== 0) {
        // Moving between rows: take the nearest mark in the new row.
        const near = row.map((m, i) => (m ? i : null)).filter((i) => i !== null).sort((a, b) => Math.abs(a - c) - Math.abs(b - c))[0];
        if (near !== undefined) return void show(row[near]);
      }
    }
  });
}

function frame(width, height, title) {
  const t = theme();
  return s("svg", {
    xmlns: "http://www.w3.org/2000/svg", viewBox: `0 0 ${width} ${height}`, width, height,
    role: "img", "aria-label": title, class: "chart",
  }, s("rect", { x: 0, y: 0, width, height, fill: t.bg }));
}

function legend(svg, names, x, y) {
  names.forEach((name, i) => {
    const yy = y + i * 18;
    svg.append(s("rect", { x, y: yy - 9, width: 12, height: 12, rx: 2, fill: PALETTE[i % PALETTE.length] }));
    svg.append(text(x + 18, yy + 1, name));
  });
}

/**
 * Weekly mean acceptance per series. `series`: [{name, points: [{start, mean, n}]}]; points
 * with no settlements are gaps. A dashed line marks the threshold.
 */
export function lineChart({ series, threshold, title }) {
  const W = 760, H = 320, L = 48, R = 170, T = 16, B = 40;
  const svg = frame(W, H, title);
  const wrap = h("div", { class: "chart-wrap" }, svg);
  const t = theme();
  const times = series.flatMap((se) => se.points.map((p) => Date.parse(p.start)));
  const x0 = Math.min(...times), x1 = Math.max(...times);
  const ys = series.flatMap((se) => se.points.filter((p) => p.mean !== null).map((p) => p.mean));
  const lo = Math.max(0, Math.floor((Math.min(...ys, threshold) - 0.05) * 10) / 10);
  const X = (ms) => L + (x1 === x0 ? (W - L - R) / 2 : ((ms - x0) / (x1 - x0)) * (W - L - R));
  const Y = (v) => T + (1 - (v - lo) / (1 - lo)) * (H - T - B);
  for (let v = lo; v <= 1.0001; v += lo <= 0.5 ? 0.1 : 0.05) {
    svg.append(s("line", { x1: L, x2: W - R, y1: Y(v), y2: Y(v), stroke: t.line }));
    svg.append(text(L - 6, Y(v) + 4, pct(v), { "text-anchor": "end", fill: t.muted, "font-size": 11 }));
  }
  const fmt = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
  const ticks = Math.min(6, new Set(times).size);
  for (let i = 0; i < ticks; i++) {
    const ms = ticks === 1 ? x0 : x0 + ((x1 - x0) * i) / (ticks - 1);
    svg.append(text(X(ms), H - B + 18, fmt.format(ms), { "text-anchor": "middle", fill: t.muted, "font-size": 11 }));
  }
  svg.append(text(L, H - 6, "Week starting (UTC) · weekly mean acceptance", { fill: t.muted, "font-size": 11 }));
  svg.append(s("line", { x1: L, x2: W - R, y1: Y(threshold), y2: Y(threshold), stroke: t.muted, "stroke-dasharray": "4 4" }));
  svg.append(text(W - R + 4, Y(threshold) + 4, `bar ${pct(threshold)}`, { fill: t.muted, "font-size": 11 }));
  const grid = series.map((se, i) => {
    const colour = PALETTE[i % PALETTE.length];
    const pts = se.points.filter((p) => p.mean !== null);
    let d = "";
    let pen = false;
    for (const p of se.points) {
      if (p.mean === null) { pen = false; continue; }
      d += `${pen ? "L" : "M"}${X(Date.parse(p.start)).toFixed(1)},${Y(p.mean).toFixed(1)}`;
      pen = true;
    }
    if (d) svg.append(s("path", { d, fill: "none", stroke: colour, "stroke-width": 2 }));
    return pts.map((p) => {
      const el = s("circle", { cx: X(Date.parse(p.start)), cy: Y(p.mean), r: 3.5, fill: colour, class: "mark" });
      svg.append(el);
      return { el, label: `${se.name}, week of ${p.start.slice(0, 10)}: ${pct(p.mean)} (n = ${p.n})` };
    });
  });
  legend(svg, series.map((se) => se.name), W - R + 16, T + 24);
  interactive(svg, wrap, grid);
  return wrap;
}

/** Cell colour: light to dark blue over 40%..100% (values below 40% are the lightest). */
function blue(v) {
  const k = Math.max(0, Math.min(1, (v - 0.4) / 0.6));
  const l = 94 - k * 60;
  return { fill: `hsl(210, 70%, ${l}%)`, ink: l < 55 ? "#ffffff" : "#1d1d1f" };
}

/**
 * A grid of estimates: rows × columns, each cell `{value, n, low, high}` or null. Cells with
 * fewer than `small` settlements are drawn hatched-light and say so.
 */
export function heatmap({ rows, cols, cell, title, small = 10 }) {
  const cw = Math.max(70, Math.min(120, 600 / Math.max(1, cols.length))), ch = 34;
  const L = 150, T = 28, W = L + cols.length * cw + 16, H = T + rows.length * ch + 34;
  const svg = frame(W, H, title);
  const wrap = h("div", { class: "chart-wrap" }, svg);
  const t = theme();
  cols.forEach((c, j) => svg.append(text(L + j * cw + cw / 2, T - 10, c, { "text-anchor": "middle", fill: t.muted })));
  const grid = rows.map((r, i) => {
    svg.append(text(L - 8, T + i * ch + ch / 2 + 4, r, { "text-anchor": "end" }));
    return cols.map((c, j) => {
      const e = cell(r, c);
      const x = L + j * cw, y = T + i * ch;
      if (!e) {
        svg.append(s("rect", { x: x + 1, y: y + 1, width: cw - 2, height: ch - 2, fill: "none", stroke: t.line }));
        return null;
      }
      const few = e.n < small;
      const { fill, ink } = blue(e.value);
      const el = s("rect", { x: x + 1, y: y + 1, width: cw - 2, height: ch - 2, rx: 3, fill, "fill-opacity": few ? 0.45 : 1, class: "mark" });
      svg.append(el);
      svg.append(text(x + cw / 2, y + ch / 2 + 4, `${pct(e.value)}${few ? "*" : ""}`, { "text-anchor": "middle", fill: few ? t.text : ink, "pointer-events": "none" }));
      const ci = e.low !== null && e.high !== null ? ` [${pct(e.low)}–${pct(e.high)}]` : "";
      return { el, label: `${r} · ${c}: ${pct(e.value)}${ci}, n = ${e.n}${few ? " (few settlements: read with care)" : ""}` };
    });
  });
  svg.append(text(L, H - 10, `Mean acceptance; * fewer than ${small} settlements`, { fill: t.muted, "font-size": 11 }));
  interactive(svg, wrap, grid);
  return wrap;
}

/** Horizontal box plots of a 0..1 quantity per row: `{name, q: {min, q1, median, q3, max}, n}`. */
export function boxPlot({ rows, title, axis }) {
  const L = 150, R = 24, T = 16, rh = 30, W = 760, H = T + rows.length * rh + 46;
  const svg = frame(W, H, title);
  const wrap = h("div", { class: "chart-wrap" }, svg);
  const t = theme();
  const X = (v) => L + v * (W - L - R);
  for (let v = 0; v <= 1.0001; v += 0.2) {
    svg.append(s("line", { x1: X(v), x2: X(v), y1: T, y2: H - 40, stroke: t.line }));
    svg.append(text(X(v), H - 24, pct(v), { "text-anchor": "middle", fill: t.muted, "font-size": 11 }));
  }
  svg.append(text(L, H - 6, axis, { fill: t.muted, "font-size": 11 }));
  const grid = rows.map((r, i) => {
    const y = T + i * rh + rh / 2;
    const colour = PALETTE[i % PALETTE.length];
    svg.append(text(L - 8, y + 4, r.name, { "text-anchor": "end" }));
    svg.append(s("line", { x1: X(r.q.min), x2: X(r.q.max), y1: y, y2: y, stroke: t.muted }));
    const el = s("rect", { x: X(r.q.q1), y: y - 9, width: Math.max(2, X(r.q.q3) - X(r.q.q1)), height: 18, fill: colour, "fill-opacity": 0.35, stroke: colour, class: "mark" });
    svg.append(el);
    svg.append(s("line", { x1: X(r.q.median), x2: X(r.q.median), y1: y - 9, y2: y + 9, stroke: colour, "stroke-width": 3 }));
    return [{ el, label: `${r.name}: median ${pct(r.q.median)}, middle half ${pct(r.q.q1)}–${pct(r.q.q3)}, range ${pct(r.q.min)}–${pct(r.q.max)} (n = ${r.n})` }];
  });
  interactive(svg, wrap, grid);
  return wrap;
}

/** The SVG of a chart as a standalone file. */
export function svgText(wrap) {
  const svg = wrap.querySelector("svg").cloneNode(true);
  svg.querySelectorAll("title").forEach((n) => n.remove());
  svg.querySelectorAll(".current").forEach((n) => n.classList.remove("current"));
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(svg)}\n`;
}

/** The chart drawn at twice its size as PNG bytes. */
export async function pngBytes(wrap) {
  const svg = wrap.querySelector("svg");
  const w = Number(svg.getAttribute("width")), hgt = Number(svg.getAttribute("height"));
  const img = new Image();
  img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svgText(wrap))}`;
  await img.decode();
  const canvas = document.createElement("canvas");
  canvas.width = w * 2;
  canvas.height = hgt * 2;
  const g = canvas.getContext("2d");
  g.scale(2, 2);
  g.drawImage(img, 0, 0, w, hgt);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  return Array.from(new Uint8Array(await blob.arrayBuffer()));
}

/** Rows as CSV (RFC 4180 quoting; cells that a spreadsheet would run as formulas are quoted with '). */
export function csv(header, rows) {
  const cell = (v) => {
    let x = v === null || v === undefined ? "" : String(v);
    // A spreadsheet runs a cell starting with = + - @ (or a tab or CR before one) as a formula:
    // such a cell gets a leading ' unless it is a plain number ("-2.5"), which is data.
    if (/^[=+\-@\t\r]/.test(x) && !/^-?\d+(\.\d+)?$/.test(x)) x = `'${x}`;
    return /[",\n\r]/.test(x) ? `"${x.replace(/"/g, '""')}"` : x;
  };
  return [header, ...rows].map((r) => r.map(cell).join(",")).join("\r\n") + "\r\n";
}
