/**
 * The space-time (Lamport) diagram: one vertical lane per node, time flowing down, an arrow per
 * message from its send to its delivery. Rows are the distinct simulated times of the window's
 * events (not a linear time scale), so a burst of messages within a millisecond stays readable;
 * the gutter gives the simulated time of the rows. Dropped messages are dashed and end in ✕,
 * held ones are thick and labelled, fault bands sit behind the lanes, and the causal past of the
 * first violation (causal.ts) is drawn in full colour while everything else fades.
 */
import { scalePoint } from "d3-scale";
import type { HistoryOp } from "../../../sim/history.js";
import type { SimTimeUs } from "../../../sim/time.js";
import { causalPast } from "../causal.js";
import { el, esc, fmtDuration, fmtMs, jsonText, num, svgEl, title, truncate } from "../html.js";
import type { DiagramEvent, DiagramWindow, Interval } from "../recording.js";

export interface SpaceTimeInput {
  readonly window: DiagramWindow;
  readonly lanes: readonly string[];
  readonly intervals: readonly Interval[];
  /** Colour per message type. */
  readonly typeColor: (type: string) => string;
  /** Trace indices of the violation to centre on; their causal past is highlighted. */
  readonly anchors: readonly number[];
  readonly anchorLabel: string;
  /** History ops by trace index, for op tooltips. */
  readonly opAt: (traceIndex: number) => HistoryOp | undefined;
  /** Colour index of each message type, for arrowhead markers. */
  readonly markerIds: (type: string) => string;
  readonly markerDefs: string;
}

const ROW = 11;
const TOP = 16;
const GUTTER = 104;
const PAD = 46;
/** Room right of the last lane for the labels of quiet stretches and network-wide events. */
const RIGHT_GUTTER = 70;
/** Quiet stretches at least this long between two rows are marked. */
const GAP_MARK_US = 100_000;
/** Faults whose effect has its own record (node events, partition bands, resets) get no glyph of their own. */
const FAULTS_SHOWN_BY_EFFECT = new Set(["crash", "restart", "pause", "resume", "partition", "heal", "heal-all", "clog", "reset"]);

interface Message {
  send?: DiagramEvent;
  hold?: DiagramEvent;
  delivers: DiagramEvent[];
  drop?: DiagramEvent;
  lost?: DiagramEvent;
}

export function renderSpaceTime(input: SpaceTimeInput): { svg: string; header: string; width: number; coneSize: number; anchorFound: boolean } {
  const events = input.window.events;
  const lanes = [...input.lanes];
  for (const e of events) if (e.node !== "" && !lanes.includes(e.node)) lanes.push(e.node);
  const laneGap = Math.max(78, Math.min(150, (1180 - GUTTER - 2 * PAD) / Math.max(1, lanes.length - 1)));
  const width = Math.round(GUTTER + 2 * PAD + laneGap * Math.max(1, lanes.length - 1) + RIGHT_GUTTER);
  const x = scalePoint<string>()
    .domain(lanes)
    .range([GUTTER + PAD, width - RIGHT_GUTTER - PAD]);
  const lx = (node: string): number => x(node) ?? GUTTER + PAD;

  const times: SimTimeUs[] = [];
  for (const e of events) if (times[times.length - 1] !== e.timeUs) times.push(e.timeUs);
  const rowOf = new Map<SimTimeUs, number>();
  times.forEach((t, i) => rowOf.set(t, i));
  const yRow = (i: number): number => TOP + i * ROW + ROW / 2;
  const y = (e: DiagramEvent): number => yRow(rowOf.get(e.timeUs) ?? 0);
  const bottom = TOP + times.length * ROW + 8;
  const height = bottom + 14;
  /** The top edge of the first row at or after `t`. */
  const yTime = (t: SimTimeUs | undefined): number => {
    if (t === undefined) return bottom;
    let lo = 0;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((times[mid] as number) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo >= times.length ? bottom : TOP + lo * ROW;
  };

  const anchorsHere = input.anchors.filter((a) => events.some((e) => e.index === a));
  const { cone, enteringMessages } = anchorsHere.length > 0 ? causalPast(events, anchorsHere) : { cone: new Set<number>(), enteringMessages: new Set<number>() };
  const highlighting = cone.size > 0;
  const cls = (inCone: boolean, base: string): string => (highlighting ? `${base} ${inCone ? "cone" : "dim"}` : base);

  const messages = new Map<number, Message>();
  const msg = (id: number): Message => {
    let m = messages.get(id);
    if (m === undefined) {
      m = { delivers: [] };
      messages.set(id, m);
    }
    return m;
  };
  for (const e of events) {
    if (e.msgId === undefined) continue;
    if (e.kind === "net.send") msg(e.msgId).send = e;
    else if (e.kind === "net.hold") msg(e.msgId).hold = e;
    else if (e.kind === "net.deliver") msg(e.msgId).delivers.push(e);
    else if (e.kind === "net.drop") msg(e.msgId).drop = e;
    else if (e.kind === "net.lost") msg(e.msgId).lost = e;
  }

  const t0 = events[0]?.timeUs ?? 0;
  const t1 = events[events.length - 1]?.timeUs ?? 0;
  const bands: string[] = [];
  for (const iv of input.intervals) {
    if ((iv.toUs ?? Infinity) < t0 || iv.fromUs > t1) continue;
    const y0 = yTime(iv.fromUs) - (iv.fromUs < t0 ? 8 : 0);
    const y1 = yTime(iv.toUs);
    const h = Math.max(3, y1 - y0);
    const tip = `${iv.kind} ${iv.node} from ${fmtMs(iv.fromUs)} to ${iv.toUs === undefined ? "the end" : fmtMs(iv.toUs)}: ${iv.detail}`;
    if (iv.kind === "partition") {
      bands.push(
        el("g", { class: "band partition" }, svgEl("rect", { x: GUTTER, y: y0, width: width - GUTTER, height: h }), title(tip)),
        el("text", { class: "band-label partition", x: GUTTER + 4, y: y0 + 11 }, esc(truncate(`partition ${iv.detail}`, 72))),
      );
    } else if (iv.kind === "clog") {
      const [from, to] = iv.detail.split("->");
      const xa = lx(from ?? "");
      const xb = lx(to ?? "");
      bands.push(el("g", { class: "band clog" }, svgEl("rect", { x: Math.min(xa, xb), y: y0, width: Math.max(4, Math.abs(xb - xa)), height: h }), title(tip)));
    } else if (lanes.includes(iv.node)) {
      const cx = lx(iv.node);
      bands.push(
        el("g", { class: `band ${iv.kind}` }, svgEl("rect", { x: cx - 9, y: y0, width: 18, height: h, rx: 3 }), title(tip)),
        el("text", { class: `band-label ${iv.kind}`, x: cx + 12, y: y0 + 10 }, iv.kind === "crashed" ? "crashed" : "paused"),
      );
    }
  }

  const gutter: string[] = [];
  // Rows are not to scale: a long quiet stretch between two rows gets a separator saying how long.
  for (let i = 1; i < times.length; i++) {
    const gap = (times[i] as number) - (times[i - 1] as number);
    if (gap < GAP_MARK_US) continue;
    const gy = TOP + i * ROW;
    gutter.push(svgEl("line", { class: "gap", x1: GUTTER, x2: width - RIGHT_GUTTER + 6, y1: gy, y2: gy }));
    gutter.push(el("text", { class: "gap-label", x: width - 6, y: gy + 3.5, "text-anchor": "end" }, esc(`+${fmtDuration(gap)}`)));
  }
  const every = Math.max(1, Math.round(44 / ROW));
  for (let i = 0; i < times.length; i += every) {
    gutter.push(el("text", { class: "tick", x: GUTTER - 8, y: yRow(i) + 3.5, "text-anchor": "end" }, esc(fmtMs(times[i] as number))));
    gutter.push(svgEl("line", { class: "row-tick", x1: GUTTER - 4, x2: GUTTER, y1: yRow(i), y2: yRow(i) }));
  }

  const laneLines = lanes.map((node) => svgEl("line", { class: "lane", x1: lx(node), x2: lx(node), y1: TOP - 6, y2: bottom, "data-lane": node }));

  const arrows: string[] = [];
  for (const [id, m] of messages) {
    const first = m.send ?? m.hold;
    const type = first?.label ?? m.delivers[0]?.label ?? m.drop?.label ?? m.lost?.label ?? "?";
    const color = input.typeColor(type);
    const from = first?.node ?? m.delivers[0]?.peer ?? m.lost?.peer ?? "";
    const to = first?.peer ?? m.delivers[0]?.node ?? m.lost?.node ?? "";
    const xs = lx(from);
    const xt = lx(to);
    const ys = first ? y(first) : TOP - 6;
    const inCone = first ? cone.has(first.index) : enteringMessages.has(id);
    const held = m.hold !== undefined;
    const heldFor = held ? ` held ${fmtDuration(Number(m.hold?.detail ?? 0))}` : "";
    const tipBase = `${type} ${from} → ${to} (message ${id})${heldFor}${first ? ` sent ${fmtMs(first.timeUs)}` : " sent before this window"}`;
    const idAttr = first ? `t-${first.index}` : undefined;
    if (m.drop !== undefined) {
      // A short stub toward the receiver, ending between lanes (never on another node's lane), named.
      const yd = Math.max(y(m.drop), ys) + ROW * 0.6;
      const direction = xt >= xs ? 1 : -1;
      const xe = xs + direction * Math.min(Math.abs(xt - xs) * 0.5, laneGap * 0.42);
      arrows.push(
        el(
          "g",
          { class: cls(inCone, "msg dropped"), id: idAttr },
          svgEl("line", { x1: xs, y1: ys, x2: xe, y2: yd, stroke: color }),
          cross(xe, yd, 4),
          el("text", { class: "drop-label", x: xe + direction * 6, y: yd + 3, "text-anchor": direction > 0 ? "start" : "end" }, esc(to)),
          title(`${tipBase}; dropped at ${fmtMs(m.drop.timeUs)}: ${m.drop.detail ?? ""}`),
        ),
      );
      continue;
    }
    if (m.delivers.length === 0) {
      arrows.push(
        el(
          "g",
          { class: cls(inCone, `msg inflight${held ? " held" : ""}`), id: idAttr },
          svgEl("line", { x1: xs, y1: ys, x2: xt, y2: bottom, stroke: color }),
          title(`${tipBase}; still in flight at the end of this window`),
        ),
      );
      if (held) arrows.push(heldLabel((xs + xt) / 2, (ys + bottom) / 2, heldFor));
      continue;
    }
    m.delivers.forEach((deliver, copy) => {
      const lost = m.lost !== undefined && m.lost.index > deliver.index && (m.delivers[copy + 1]?.index ?? Infinity) > m.lost.index;
      const yd = y(deliver);
      const tip = `${tipBase}; delivered ${fmtMs(deliver.timeUs)}${lost ? ", but the node was down: lost" : ""}`;
      arrows.push(
        el(
          "g",
          { class: cls(inCone || cone.has(deliver.index), `msg${held ? " held" : ""}${lost ? " lost" : ""}${first ? "" : " entering"}`), id: copy === 0 ? idAttr : undefined },
          svgEl("line", { x1: xs, y1: ys, x2: xt, y2: yd, stroke: color, "marker-end": lost ? undefined : `url(#${input.markerIds(type)})` }),
          lost ? cross(xt, yd, 4) : "",
          title(tip),
        ),
      );
      if (held) arrows.push(heldLabel((xs + xt) / 2, (ys + yd) / 2, heldFor));
    });
  }

  const glyphs: string[] = [];
  const globals: string[] = [];
  for (const e of events) {
    const inCone = cone.has(e.index);
    const id = `t-${e.index}`;
    if (e.node === "") {
      if (e.kind === "fault" && FAULTS_SHOWN_BY_EFFECT.has(e.label ?? "")) continue;
      const yy = y(e);
      // A partition's band carries its label; the rule alone marks the moment.
      const text = e.kind === "net.partition" ? "" : truncate(e.kind === "fault" ? (e.detail ?? e.label ?? "fault") : `${e.label ?? e.kind}${e.detail ? ` ${e.detail}` : ""}`, 60);
      globals.push(
        el(
          "g",
          { class: cls(inCone, "global"), id },
          svgEl("line", { x1: GUTTER, x2: width - 4, y1: yy, y2: yy }),
          text ? el("text", { x: width - 6, y: yy - 3, "text-anchor": "end" }, esc(text)) : "",
          title(`${fmtMs(e.timeUs)} ${e.kind} ${e.label ?? ""} ${e.detail ?? ""} (trace #${e.index})`),
        ),
      );
      continue;
    }
    const cx = lx(e.node);
    const cy = y(e);
    const tip = (text: string) => title(`${fmtMs(e.timeUs)} ${e.node}: ${text} (trace #${e.index})`);
    switch (e.kind) {
      case "op.invoke":
      case "op.ok":
      case "op.fail":
      case "op.info": {
        const op = input.opAt(e.index);
        const type = e.kind.slice(3);
        const text = op ? `op ${op.index} ${op.type} ${op.f} ${jsonText(op.value, 160)}${op.error ? ` (${op.error})` : ""}` : `${type} ${e.label ?? ""}`;
        glyphs.push(el("g", { class: cls(inCone, `op op-${type}`), id }, svgEl("circle", { cx, cy, r: 3.6 }), tip(text)));
        break;
      }
      case "node.crash":
        glyphs.push(el("g", { class: cls(inCone, "node-ev crash"), id }, cross(cx, cy, 6), tip(e.label ?? "crash")));
        break;
      case "node.start":
        glyphs.push(el("g", { class: cls(inCone, "node-ev start"), id }, svgEl("path", { d: `M${num(cx - 5)},${num(cy - 5)}L${num(cx + 6)},${num(cy)}L${num(cx - 5)},${num(cy + 5)}Z` }), tip(`start, ${e.label ?? ""}`)));
        break;
      case "node.pause":
      case "node.resume":
        glyphs.push(
          el("g", { class: cls(inCone, `node-ev ${e.kind === "node.pause" ? "pause" : "resume"}`), id }, svgEl("rect", { x: cx - 5, y: cy - 4, width: 10, height: 8, rx: 1.5 }), tip(e.label ?? e.kind)),
        );
        break;
      case "assert.fail": {
        const label = anchorsHere.includes(e.index) ? "" : el("text", { x: cx + 9, y: cy + 4 }, esc(truncate(e.label ?? "", 40)));
        glyphs.push(el("g", { class: cls(inCone, "assert"), id }, svgEl("circle", { cx, cy, r: 5.5 }), label, tip(`assertion failed: ${e.label ?? ""}`)));
        break;
      }
      case "fault":
        if (FAULTS_SHOWN_BY_EFFECT.has(e.label ?? "")) break;
        glyphs.push(
          el(
            "g",
            { class: cls(inCone, "fault-ev"), id },
            svgEl("path", { d: `M${num(cx)},${num(cy - 6)}L${num(cx + 6)},${num(cy)}L${num(cx)},${num(cy + 6)}L${num(cx - 6)},${num(cy)}Z` }),
            el("text", { x: cx - 9, y: cy + 4, "text-anchor": "end" }, esc(truncate(e.detail ?? e.label ?? "", 28))),
            tip(`fault ${e.detail ?? e.label ?? ""}`),
          ),
        );
        break;
      case "net.reset": {
        const px = lx(e.peer ?? e.node);
        glyphs.push(el("g", { class: cls(inCone, "reset"), id }, svgEl("line", { x1: cx, x2: px, y1: cy, y2: cy }), tip(`connection ${e.node}–${e.peer ?? ""} reset (${e.label ?? ""})`)));
        break;
      }
      case "net.send":
      case "net.deliver":
      case "net.drop":
      case "net.lost":
      case "net.hold":
      case "net.duplicate":
        break;
      case "net.clog":
        break;
      default:
        glyphs.push(
          el(
            "g",
            { class: cls(inCone, "note"), id },
            svgEl("rect", { x: cx - 3.5, y: cy - 3.5, width: 7, height: 7, transform: `rotate(45 ${num(cx)} ${num(cy)})` }),
            tip(`${e.kind} ${e.label ?? ""} ${e.detail ?? ""}`),
          ),
        );
    }
  }

  const anchorMarks: string[] = [];
  const mainAnchor = events.find((e) => e.index === Math.max(...anchorsHere));
  if (mainAnchor !== undefined) {
    const cx = mainAnchor.node === "" ? GUTTER + 20 : lx(mainAnchor.node);
    const cy = y(mainAnchor);
    const label = truncate(input.anchorLabel, 70);
    // Left of the mark when the label would run past the right edge (about 7 px per character).
    const fitsRight = cx + 14 + label.length * 7 < width;
    anchorMarks.push(
      el(
        "g",
        { class: "anchor" },
        svgEl("circle", { cx, cy, r: 10 }),
        el("text", { x: fitsRight ? cx + 14 : cx - 14, y: cy - 8, "text-anchor": fitsRight ? "start" : "end" }, esc(label)),
      ),
    );
  }

  const svg = el(
    "svg",
    { class: "spacetime", width, height, viewBox: `0 0 ${width} ${height}`, xmlns: "http://www.w3.org/2000/svg", role: "img", "aria-label": "space-time diagram" },
    `<defs>${input.markerDefs}</defs>`,
    el("g", { class: "bands" }, ...bands),
    el("g", { class: "gutter" }, ...gutter),
    el("g", { class: "lanes" }, ...laneLines),
    el("g", { class: "globals" }, ...globals),
    el("g", { class: "arrows" }, ...arrows),
    el("g", { class: "glyphs" }, ...glyphs),
    el("g", { class: "anchors" }, ...anchorMarks),
  );
  const header = el(
    "svg",
    { class: "lane-header", width, height: 30, viewBox: `0 0 ${width} 30`, xmlns: "http://www.w3.org/2000/svg", "aria-hidden": "true" },
    el("text", { class: "tick", x: GUTTER - 8, y: 19, "text-anchor": "end" }, "time ↓"),
    ...lanes.map((node) => el("text", { class: "lane-name", x: lx(node), y: 19, "text-anchor": "middle" }, esc(node))),
  );
  return { svg, header, width, coneSize: cone.size, anchorFound: mainAnchor !== undefined };
}

function cross(cx: number, cy: number, r: number): string {
  return svgEl("path", { class: "cross", d: `M${num(cx - r)},${num(cy - r)}L${num(cx + r)},${num(cy + r)}M${num(cx - r)},${num(cy + r)}L${num(cx + r)},${num(cy - r)}` });
}

function heldLabel(cx: number, cy: number, text: string): string {
  return el("text", { class: "held-label", x: cx + 4, y: cy }, esc(text.trim()));
}
