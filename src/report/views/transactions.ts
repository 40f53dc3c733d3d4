/**
 * The transaction timeline, from `txn.state` records (record-kinds.ts): one row per
 * transactional.id with its coordinator states over time, producer epoch changes (ticks
 * labelled with the new epoch) and fences (red triangles).
 */
import { scaleLinear } from "d3-scale";
import type { SimTimeUs } from "../../../sim/time.js";
import { el, esc, fmtAxisTime, fmtMs, idFor, num, svgEl, title, truncate } from "../html.js";
import { RECORD_KINDS, TXN_STATES } from "../record-kinds.js";
import type { TxnTrack } from "../recording.js";
import { emptyState } from "./charts.js";

/** transactional.ids drawn; the rest are counted. */
export const TXN_IDS_SHOWN = 40;

export const TXN_STATE_COLORS: Readonly<Record<string, string>> = {
  Empty: "#d9d9d9",
  Ongoing: "#4e79a7",
  PrepareCommit: "#8cd17d",
  CompleteCommit: "#59a14f",
  PrepareAbort: "#ff9d9a",
  CompleteAbort: "#e15759",
  PrepareEpochFence: "#f28e2b",
  Dead: "#555555",
};

const WIDTH = 1180;
const LEFT = 150;
const RIGHT = 16;
const ROW = 26;

export function renderTransactions(tracks: readonly TxnTrack[], endUs: SimTimeUs, omitted: number): string {
  if (tracks.length === 0) {
    return emptyState(
      "No transactions in this run.",
      `The transaction timeline is drawn from ${RECORD_KINDS.txnState} records, which transaction coordinators emit; this run's system has none.`,
    );
  }
  const shown = [...tracks].sort((a, b) => (a.txnId < b.txnId ? -1 : a.txnId > b.txnId ? 1 : 0)).slice(0, TXN_IDS_SHOWN);
  const top = 6;
  const height = top + shown.length * ROW + 24;
  const x = scaleLinear()
    .domain([0, Math.max(1, endUs)])
    .range([LEFT, WIDTH - RIGHT]);
  const parts: string[] = [];
  for (const tick of x.ticks(12)) {
    parts.push(svgEl("line", { class: "grid", x1: x(tick), x2: x(tick), y1: top, y2: top + shown.length * ROW }));
    parts.push(el("text", { class: "tick", x: x(tick), y: top + shown.length * ROW + 14, "text-anchor": "middle" }, esc(fmtAxisTime(tick))));
  }
  shown.forEach((track, row) => {
    const y0 = top + row * ROW;
    parts.push(
      el(
        "text",
        { class: "lane-name small", x: LEFT - 8, y: y0 + 13, "text-anchor": "end", id: idFor("txn", track.txnId) },
        esc(truncate(track.txnId, 22)),
        title(`${track.txnId}: ${track.commits} commits, ${track.aborts} aborts, producer ${track.producerId ?? "?"} epoch ${track.epoch ?? "?"}, coordinator ${track.coordinator}`),
      ),
    );
    const width = track.bucketWidthUs;
    track.starts.forEach((start, i) => {
      const x0 = x(start);
      const next = track.starts[i + 1];
      const state = track.states[i] as string;
      const x1 = x(Math.min(endUs, next ?? endUs));
      const seen = track.seen[i] as string;
      const transitions = track.transitions[i] as number;
      parts.push(
        el(
          "rect",
          { class: "txn-seg", x: x0, y: y0 + 3, width: Math.max(1, x1 - x0), height: ROW - 12, fill: TXN_STATE_COLORS[state] ?? "#bbbbbb" },
          title(`${track.txnId} ${fmtMs(start)}${transitions > 1 ? ` (+${fmtMs(width)} bucket: ${transitions} transitions: ${seen})` : ""}: ${state}`),
        ),
      );
    });
    for (const change of track.epochs.items) {
      const ex = x(change.timeUs);
      parts.push(
        el(
          "g",
          { class: "epoch-tick", id: `t-${change.index}` },
          svgEl("line", { x1: ex, x2: ex, y1: y0 + 1, y2: y0 + ROW - 7 }),
          el("text", { x: ex + 2, y: y0 + ROW - 1 }, esc(`e${change.epoch}`)),
          title(`${fmtMs(change.timeUs)}: producer ${change.producerId} epoch ${change.epoch} (coordinator ${change.node})`),
        ),
      );
    }
    for (const fence of track.fences.items) {
      const fx = x(fence.timeUs);
      parts.push(
        el(
          "g",
          { class: "fence", id: `t-${fence.index}` },
          svgEl("path", { d: `M${num(fx - 5)},${num(y0)}L${num(fx + 5)},${num(y0)}L${num(fx)},${num(y0 + 8)}Z` }),
          title(`${fmtMs(fence.timeUs)}: fenced (epoch ${fence.epoch}): ${fence.reason}`),
        ),
      );
    }
  });
  const svg = el("svg", { class: "chart txn", width: WIDTH, height, viewBox: `0 0 ${WIDTH} ${height}`, xmlns: "http://www.w3.org/2000/svg" }, ...parts);
  const legendItems = TXN_STATES.map(
    (s) => `<span class="legend-item"><svg width="14" height="10" aria-hidden="true"><rect width="14" height="10" fill="${TXN_STATE_COLORS[s]}"/></svg>${esc(s)}</span>`,
  );
  legendItems.push(`<span class="legend-item"><svg width="12" height="10" aria-hidden="true"><path class="fence" d="M1,1L11,1L6,9Z"/></svg>fence</span>`);
  const more = tracks.length - shown.length + omitted;
  return svg + `<div class="legend">${legendItems.join("")}</div>` + (more > 0 ? `<p class="note">${more} more transactional.ids not drawn.</p>` : "");
}
