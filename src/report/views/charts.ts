/**
 * Time charts drawn as SVG strings with d3-scale (no DOM): a frame with axes, step lines for
 * gauges (with the min–max range of each bucket), and step areas for rates.
 */
import { scaleLinear, type ScaleLinear } from "d3-scale";
import type { SimTimeUs } from "../../../sim/time.js";
import { el, esc, fmtAxisTime, num, svgEl } from "../html.js";
import type { Bucket, BucketSeries } from "../series.js";

export interface Margin {
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

export interface ChartFrame {
  readonly width: number;
  readonly height: number;
  readonly margin: Margin;
  readonly x: ScaleLinear<number, number>;
  readonly y: ScaleLinear<number, number>;
  readonly endUs: SimTimeUs;
}

export const CHART_MARGIN: Margin = { left: 56, right: 14, top: 10, bottom: 24 };

export function chartFrame(options: { width: number; height: number; endUs: SimTimeUs; yMax: number; yMin?: number; margin?: Margin }): ChartFrame {
  const margin = options.margin ?? CHART_MARGIN;
  const x = scaleLinear()
    .domain([0, Math.max(1, options.endUs)])
    .range([margin.left, options.width - margin.right]);
  const yMin = options.yMin ?? 0;
  const y = scaleLinear()
    .domain([yMin, Math.max(yMin + 1, options.yMax)])
    .nice(4)
    .range([options.height - margin.bottom, margin.top]);
  return { width: options.width, height: options.height, margin, x, y, endUs: options.endUs };
}

/** Grid lines, y ticks with `yFormat`, x ticks in simulated time. */
export function axes(frame: ChartFrame, yFormat: (value: number) => string = (v) => formatCount(v)): string {
  const { x, y, margin, width, height } = frame;
  const parts: string[] = [];
  for (const tick of y.ticks(4)) {
    const py = y(tick);
    parts.push(svgEl("line", { class: "grid", x1: margin.left, x2: width - margin.right, y1: py, y2: py }));
    parts.push(el("text", { class: "tick", x: margin.left - 6, y: py + 3.5, "text-anchor": "end" }, esc(yFormat(tick))));
  }
  for (const tick of x.ticks(Math.max(2, Math.floor((width - margin.left - margin.right) / 90)))) {
    const px = x(tick);
    parts.push(svgEl("line", { class: "grid", x1: px, x2: px, y1: margin.top, y2: height - margin.bottom }));
    parts.push(el("text", { class: "tick", x: px, y: height - margin.bottom + 14, "text-anchor": "middle" }, esc(fmtAxisTime(tick))));
  }
  parts.push(svgEl("line", { class: "axis", x1: margin.left, x2: width - margin.right, y1: height - margin.bottom, y2: height - margin.bottom }));
  parts.push(svgEl("line", { class: "axis", x1: margin.left, x2: margin.left, y1: margin.top, y2: height - margin.bottom }));
  return parts.join("");
}

/** Only the time axis (ticks and labels) along the bottom of a frame. */
export function timeAxisOnly(frame: ChartFrame): string {
  const { x, margin, width, height } = frame;
  const parts: string[] = [svgEl("line", { class: "axis", x1: margin.left, x2: width - margin.right, y1: height - margin.bottom, y2: height - margin.bottom })];
  for (const tick of x.ticks(Math.max(2, Math.floor((width - margin.left - margin.right) / 90)))) {
    parts.push(el("text", { class: "tick", x: x(tick), y: height - margin.bottom + 14, "text-anchor": "middle" }, esc(fmtAxisTime(tick))));
  }
  return parts.join("");
}

/** A count with a k/M suffix for axes. */
export function formatCount(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1_000_000) return `${num(value / 1_000_000)}M`;
  if (abs >= 10_000) return `${num(value / 1000)}k`;
  return num(value);
}

/**
 * A step line for a gauge: the value holds until the next sample. Each bucket draws its range
 * (min to max) as a vertical stroke at its start, so a dip inside a bucket stays visible.
 */
export function gaugePath(frame: ChartFrame, buckets: readonly Bucket[], pick: "last" | "max" = "last"): string {
  const { x, y } = frame;
  let d = "";
  for (const b of buckets) {
    const px = num(x(b.startUs));
    const first = pick === "max" ? b.max : b.first;
    const last = pick === "max" ? b.max : b.last;
    if (d === "") d = `M${px},${num(y(first))}`;
    else d += `H${px}V${num(y(first))}`;
    if (pick === "last" && (b.min !== b.max || b.first !== b.last)) d += `V${num(y(b.min))}V${num(y(b.max))}V${num(y(last))}`;
    else d += `V${num(y(last))}`;
  }
  if (d !== "") d += `H${num(x(frame.endUs))}`;
  return d;
}

/** Per-second rate of a counter series: one bar per bucket, as one path. */
export function ratePath(frame: ChartFrame, series: BucketSeries): string {
  const { x, y } = frame;
  const widthUs = series.widthUs;
  const perSec = 1_000_000 / widthUs;
  const base = num(y(0));
  let d = "";
  for (const b of series.buckets()) {
    const x0 = num(x(b.startUs));
    const x1 = num(x(Math.min(frame.endUs, b.startUs + widthUs)));
    d += `M${x0},${base}V${num(y(b.sum * perSec))}H${x1}V${base}Z`;
  }
  return d;
}

/** Highest per-second rate of a counter series. */
export function maxRate(series: BucketSeries): number {
  const perSec = 1_000_000 / series.widthUs;
  let max = 0;
  for (const b of series.buckets()) max = Math.max(max, b.sum * perSec);
  return max;
}

export function maxOf(series: readonly BucketSeries[]): number {
  let max = 0;
  for (const s of series) for (const b of s.buckets()) max = Math.max(max, b.max);
  return max;
}

export function minOf(series: readonly BucketSeries[]): number {
  let min = Infinity;
  for (const s of series) for (const b of s.buckets()) min = Math.min(min, b.min);
  return Number.isFinite(min) ? min : 0;
}

/** A small legend (HTML) of coloured swatches. */
export function legend(entries: readonly { label: string; color: string; dash?: string; area?: boolean }[]): string {
  const items = entries.map((e) => {
    const swatch = e.area
      ? `<svg width="18" height="10" aria-hidden="true"><rect x="1" y="1" width="16" height="8" fill="${esc(e.color)}" opacity="0.55"/></svg>`
      : `<svg width="22" height="10" aria-hidden="true"><line x1="1" y1="5" x2="21" y2="5" stroke="${esc(e.color)}" stroke-width="2.2"${e.dash ? ` stroke-dasharray="${esc(e.dash)}"` : ""}/></svg>`;
    return `<span class="legend-item">${swatch}${esc(e.label)}</span>`;
  });
  return `<div class="legend">${items.join("")}</div>`;
}

/** An empty-state box in place of a chart or view. */
export function emptyState(text: string, hint?: string): string {
  return `<div class="empty"><strong>${esc(text)}</strong>${hint ? `<br><span>${esc(hint)}</span>` : ""}</div>`;
}
