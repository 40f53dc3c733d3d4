/**
 * Small helpers for writing HTML and SVG as strings. Every piece of run data (scenario text,
 * node names, message types, history values, violation messages) goes through `esc` before it
 * reaches the page; numbers go through `num` so the output is the same on every run.
 */
import type { SimTimeUs } from "../../sim/time.js";

const ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text for HTML element content and quoted attribute values alike. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** A number for an SVG coordinate: at most one decimal, no "-0". */
export function num(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  return Object.is(rounded, -0) ? "0" : String(rounded);
}

/** `name="value"` pairs; undefined and false values are left out. */
export function attrs(values: Readonly<Record<string, string | number | boolean | undefined>>): string {
  let out = "";
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || value === false) continue;
    out += value === true ? ` ${key}` : ` ${key}="${esc(typeof value === "number" ? num(value) : value)}"`;
  }
  return out;
}

/** An element with escaped attributes and already-rendered children. */
export function el(tag: string, attributes: Readonly<Record<string, string | number | boolean | undefined>>, ...children: string[]): string {
  return `<${tag}${attrs(attributes)}>${children.join("")}</${tag}>`;
}

/** A void/self-closing SVG element. */
export function svgEl(tag: string, attributes: Readonly<Record<string, string | number | boolean | undefined>>): string {
  return `<${tag}${attrs(attributes)}/>`;
}

/** An SVG tooltip. */
export function title(text: string): string {
  return `<title>${esc(text)}</title>`;
}

/** Simulated time in milliseconds with microsecond digits: `12345.678 ms`. Integer arithmetic only. */
export function fmtMs(us: SimTimeUs): string {
  const sign = us < 0 ? "-" : "";
  const abs = Math.abs(Math.round(us));
  return `${sign}${Math.floor(abs / 1000)}.${String(abs % 1000).padStart(3, "0")} ms`;
}

/** Simulated time for axis labels: `12.5 s`, `850 ms`. */
export function fmtAxisTime(us: SimTimeUs): string {
  if (Math.abs(us) >= 1_000_000) return `${num(us / 1_000_000)} s`;
  return `${num(us / 1000)} ms`;
}

/** A duration for people: `3.2 s`, `450 ms`, `12 µs`. */
export function fmtDuration(us: SimTimeUs): string {
  if (Math.abs(us) >= 60_000_000) return `${num(us / 60_000_000)} min`;
  if (Math.abs(us) >= 1_000_000) return `${num(us / 1_000_000)} s`;
  if (Math.abs(us) >= 1000) return `${num(us / 1000)} ms`;
  return `${Math.round(us)} µs`;
}

/** Cuts text to `max` characters with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, Math.max(0, max - 1)) + "…";
}

/** JSON for display: deterministic (insertion order), cut to `max` characters. */
export function jsonText(value: unknown, max = 240): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return truncate(text, max);
}

/** Distinct colours for message types and nodes: Tableau 10, then ten darker companions (Kafka has many request types). */
export const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#59a14f",
  "#b07aa1",
  "#76b7b2",
  "#edc948",
  "#9c755f",
  "#ff9da7",
  "#e15759",
  "#bab0ac",
  "#2c4f73",
  "#b35806",
  "#2f6b2a",
  "#7a4b6f",
  "#3f7f7a",
  "#a88d10",
  "#6b4e3d",
  "#c2566a",
  "#9e2a2b",
  "#6e6661",
] as const;

export function paletteColor(i: number): string {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length] as string;
}

/** A safe fragment id from a name (ids are also CSS-selector safe). */
export function idFor(prefix: string, name: string): string {
  return `${prefix}-${name.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`)}`;
}
