/**
 * The whole run at a glance, on a linear simulated-time axis: per node its crashed and paused
 * spans and the faults that named it; a network row with partitions and clogs; the violations;
 * and the span the space-time diagram below shows.
 */
import { scaleLinear } from "d3-scale";
import type { SimTimeUs } from "../../../sim/time.js";
import { el, esc, fmtAxisTime, fmtMs, num, svgEl, title, truncate } from "../html.js";
import type { FaultMark, Interval } from "../recording.js";

export interface OverviewInput {
  readonly lanes: readonly string[];
  readonly endUs: SimTimeUs;
  readonly intervals: readonly Interval[];
  readonly faults: readonly FaultMark[];
  readonly violations: readonly { readonly id: string; readonly timeUs: SimTimeUs; readonly label: string; readonly kind: "safety" | "liveness" }[];
  readonly window: { readonly fromUs: SimTimeUs; readonly toUs: SimTimeUs } | undefined;
  /** End of the fault window (start of the liveness phase), if any. */
  readonly faultWindowEndUs: SimTimeUs | undefined;
}

const WIDTH = 1180;
const LEFT = 104;
const RIGHT = 16;
const ROW = 18;

export function renderOverview(input: OverviewInput): string {
  const rows = [...input.lanes, "network", "violations"];
  const top = 18;
  const height = top + rows.length * ROW + 26;
  const x = scaleLinear()
    .domain([0, Math.max(1, input.endUs)])
    .range([LEFT, WIDTH - RIGHT]);
  const rowY = (i: number): number => top + i * ROW;
  const rowOf = (node: string): number => {
    const i = input.lanes.indexOf(node);
    return i >= 0 ? i : input.lanes.length;
  };
  const xEnd = (t: SimTimeUs | undefined): number => x(Math.min(input.endUs, t ?? input.endUs));
  const parts: string[] = [];

  rows.forEach((name, i) => {
    parts.push(svgEl("rect", { class: i % 2 === 0 ? "ov-row even" : "ov-row", x: LEFT, y: rowY(i), width: WIDTH - LEFT - RIGHT, height: ROW }));
    parts.push(el("text", { class: "lane-name small", x: LEFT - 8, y: rowY(i) + 13, "text-anchor": "end" }, esc(name)));
  });
  for (const tick of x.ticks(12)) {
    parts.push(svgEl("line", { class: "grid", x1: x(tick), x2: x(tick), y1: top, y2: rowY(rows.length) }));
    parts.push(el("text", { class: "tick", x: x(tick), y: rowY(rows.length) + 14, "text-anchor": "middle" }, esc(fmtAxisTime(tick))));
  }
  if (input.faultWindowEndUs !== undefined && input.faultWindowEndUs < input.endUs) {
    const fx = x(input.faultWindowEndUs);
    parts.push(
      el(
        "g",
        { class: "liveness-phase" },
        svgEl("rect", { x: fx, y: top, width: x(input.endUs) - fx, height: rows.length * ROW }),
        el("text", { x: x(input.endUs) - 2, y: top - 5, "text-anchor": "end" }, "liveness phase"),
        title(`liveness phase: faults healed at ${fmtMs(input.faultWindowEndUs)}`),
      ),
    );
  }
  for (const iv of input.intervals) {
    const row = iv.kind === "partition" || iv.kind === "clog" ? input.lanes.length : rowOf(iv.node);
    const x0 = x(iv.fromUs);
    const w = Math.max(2, xEnd(iv.toUs) - x0);
    const inset = iv.kind === "clog" ? 9 : 2;
    parts.push(
      el(
        "g",
        { class: `ov-band ${iv.kind}` },
        svgEl("rect", { x: x0, y: rowY(row) + inset, width: w, height: ROW - inset - 2, rx: 2 }),
        title(`${iv.kind}${iv.node ? ` ${iv.node}` : ""} ${fmtMs(iv.fromUs)} – ${iv.toUs === undefined ? "end" : fmtMs(iv.toUs)}: ${iv.detail}`),
      ),
    );
  }
  for (const fault of input.faults) {
    if (fault.kind === "heal-all") continue;
    const row = fault.node !== undefined && input.lanes.includes(fault.node) ? rowOf(fault.node) : input.lanes.length;
    const fx = x(fault.timeUs);
    const cy = rowY(row) + ROW / 2;
    parts.push(
      el(
        "g",
        { class: `ov-fault ${fault.kind.startsWith("clock") ? "clock" : ""}`.trim() },
        svgEl("path", { d: `M${num(fx)},${num(cy - 5)}L${num(fx + 4)},${num(cy)}L${num(fx)},${num(cy + 5)}L${num(fx - 4)},${num(cy)}Z` }),
        title(`${fmtMs(fault.timeUs)} fault ${truncate(fault.detail, 300)}`),
      ),
    );
  }
  const vRow = rowY(rows.length - 1);
  for (const v of input.violations) {
    const vx = x(v.timeUs);
    parts.push(
      el(
        "a",
        { href: `#${v.id}` },
        el("g", { class: `ov-violation ${v.kind}` }, svgEl("line", { x1: vx, x2: vx, y1: vRow + 2, y2: vRow + ROW - 2 }), svgEl("circle", { cx: vx, cy: vRow + ROW / 2, r: 3.2 }), title(v.label)),
      ),
    );
  }
  if (input.window !== undefined) {
    const wx = x(input.window.fromUs);
    const ww = Math.max(3, x(input.window.toUs) - wx);
    parts.push(
      el(
        "a",
        { href: "#diagram" },
        el(
          "g",
          { class: "ov-window" },
          svgEl("rect", { x: wx, y: top - 2, width: ww, height: rows.length * ROW + 4 }),
          title(`space-time diagram window: ${fmtMs(input.window.fromUs)} – ${fmtMs(input.window.toUs)}`),
        ),
      ),
    );
  }
  return el("svg", { class: "overview", width: WIDTH, height, viewBox: `0 0 ${WIDTH} ${height}`, xmlns: "http://www.w3.org/2000/svg", role: "img", "aria-label": "run overview" }, ...parts);
}
