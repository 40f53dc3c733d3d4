/**
 * The partition view, from `partition.offsets`, `partition.leader` and `txn.marker` records
 * (record-kinds.ts): per partition, its leader over time, each replica's log end offset (solid),
 * high watermark (dashed) and last stable offset (dotted), transaction markers, and aborted
 * ranges drawn as red bars spanning the offsets they cover.
 */
import type { SimTimeUs } from "../../../sim/time.js";
import { el, esc, fmtMs, idFor, num, svgEl, title } from "../html.js";
import type { Interval, PartitionTrack } from "../recording.js";
import { RECORD_KINDS } from "../record-kinds.js";
import { axes, chartFrame, emptyState, gaugePath, legend, maxOf, timeAxisOnly } from "./charts.js";

/** Partitions drawn in full; the rest are listed. */
export const PARTITIONS_SHOWN = 12;

const WIDTH = 1180;
const HEIGHT = 230;
const STRIP = 16;

export function renderPartitions(tracks: readonly PartitionTrack[], endUs: SimTimeUs, nodeColor: (node: string) => string, intervals: readonly Interval[], omitted: number): string {
  if (tracks.length === 0) {
    return emptyState(
      "No partitions in this run.",
      `The partition view is drawn from ${RECORD_KINDS.partitionOffsets}, ${RECORD_KINDS.partitionLeader} and ${RECORD_KINDS.txnMarker} records; this run's system emitted none.`,
    );
  }
  const ordered = [...tracks].sort((a, b) => {
    const internal = Number(a.topic.startsWith("__")) - Number(b.topic.startsWith("__"));
    return internal !== 0 ? internal : a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
  });
  const shown = ordered.slice(0, PARTITIONS_SHOWN);
  const parts = shown.map((track) => renderPartition(track, endUs, nodeColor, intervals));
  const rest = ordered.slice(PARTITIONS_SHOWN).map((t) => t.name);
  if (rest.length > 0 || omitted > 0) {
    parts.push(`<p class="note">Not drawn: ${esc(rest.join(", "))}${omitted > 0 ? ` and ${omitted} records of partitions past the recording limit` : ""}.</p>`);
  }
  return parts.join("");
}

function renderPartition(track: PartitionTrack, endUs: SimTimeUs, nodeColor: (node: string) => string, intervals: readonly Interval[]): string {
  const replicas = [...track.replicas.keys()];
  const allSeries = replicas.flatMap((node) => {
    const s = track.replicas.get(node);
    return s ? [s.leo, s.hw, s.lso] : [];
  });
  const markers = track.markers.items;
  const top = (markers.length > 0 ? 2 * STRIP : STRIP) + 12;
  const maxOffset = Math.max(maxOf(allSeries), ...markers.map((m) => m.offset));
  const hasCurves = allSeries.some((s) => !s.isEmpty) || markers.length > 0;
  // Without offsets (a partition known only by its leader records) the view is the leader strip alone.
  const height = hasCurves ? HEIGHT : top + 30;
  const frame = chartFrame({ width: WIDTH, height, endUs, yMax: maxOffset, yMin: 0, margin: { left: 104, right: 16, top: top + 4, bottom: 24 } });
  const { x, y } = frame;
  const parts: string[] = [hasCurves ? axes(frame) : timeAxisOnly(frame)];

  // Leader strip.
  const leaderY = 4;
  parts.push(el("text", { class: "lane-name small", x: 96, y: leaderY + 12, "text-anchor": "end" }, "leader"));
  const changes = track.leaderChanges();
  changes.forEach((change, i) => {
    const x0 = x(change.timeUs);
    const x1 = x(changes[i + 1]?.timeUs ?? endUs);
    const none = change.leader === "";
    parts.push(
      el(
        "g",
        { class: `leader-seg${none ? " none" : ""}` },
        svgEl("rect", { x: x0, y: leaderY, width: Math.max(1, x1 - x0), height: STRIP - 2, fill: none ? undefined : nodeColor(change.leader) }),
        x1 - x0 > 30 ? el("text", { x: x0 + 4, y: leaderY + 11 }, esc(none ? "none" : change.leader)) : "",
        title(`${fmtMs(change.timeUs)}: leader ${none ? "none (offline)" : change.leader}${change.leaderEpoch !== undefined ? `, leader epoch ${change.leaderEpoch}` : ""}`),
      ),
    );
  });
  // The leader's own outages (crash, pause) over the leader strip.
  for (const iv of intervals) {
    if ((iv.kind !== "crashed" && iv.kind !== "paused") || !changes.some((c) => c.leader === iv.node)) continue;
    const leaderThen = [...changes].reverse().find((c) => c.timeUs <= iv.fromUs)?.leader;
    if (leaderThen !== iv.node) continue;
    const x0 = x(iv.fromUs);
    parts.push(
      el(
        "g",
        { class: `leader-down ${iv.kind}` },
        svgEl("rect", { x: x0, y: leaderY, width: Math.max(2, x(iv.toUs ?? endUs) - x0), height: STRIP - 2 }),
        title(`leader ${iv.node} ${iv.kind} ${fmtMs(iv.fromUs)} – ${iv.toUs === undefined ? "end" : fmtMs(iv.toUs)}`),
      ),
    );
  }

  // Marker strip.
  const markerY = leaderY + STRIP + 2;
  if (markers.length > 0) parts.push(el("text", { class: "lane-name small", x: 96, y: markerY + 12, "text-anchor": "end" }, "markers"));
  for (const m of markers) {
    const mx = x(m.timeUs);
    const abort = m.result === "ABORT";
    parts.push(
      el(
        "g",
        { class: `marker ${abort ? "abort" : "commit"}`, id: `t-${m.index}` },
        svgEl("line", { x1: mx, x2: mx, y1: markerY + 1, y2: markerY + STRIP - 3 }),
        title(`${fmtMs(m.timeUs)} ${m.result} marker at offset ${m.offset} (producer ${m.producerId}, epoch ${m.epoch}${m.txnId ? `, ${m.txnId}` : ""})`),
      ),
    );
    if (abort && m.firstOffset !== undefined) {
      const y0 = y(m.offset);
      const y1 = y(m.firstOffset);
      parts.push(
        el(
          "g",
          { class: "aborted-range" },
          svgEl("rect", { x: mx - 2, y: y0, width: 4, height: Math.max(2, y1 - y0) }),
          title(`aborted range [${m.firstOffset}, ${m.offset}] of producer ${m.producerId} epoch ${m.epoch}`),
        ),
      );
    }
  }
  if (track.markers.omitted > 0) parts.push(el("text", { class: "tick", x: WIDTH - 16, y: markerY + 12, "text-anchor": "end" }, `+${track.markers.omitted} markers not drawn`));

  // Offset curves.
  const legendEntries: { label: string; color: string; dash?: string }[] = [];
  replicas.forEach((node, i) => {
    const s = track.replicas.get(node);
    if (s === undefined) return;
    const color = nodeColor(node);
    // Replicas that agree draw on top of each other: earlier ones are wider, so each stays visible.
    const strokeWidth = 1.6 + 1.6 * (replicas.length - 1 - i);
    const lines: [string, typeof s.leo, string | undefined][] = [
      ["LEO", s.leo, undefined],
      ["HW", s.hw, "6 3"],
      ["LSO", s.lso, "1.5 3"],
    ];
    for (const [label, series, dash] of lines) {
      if (series.isEmpty) continue;
      parts.push(
        el(
          "path",
          { class: `pcurve ${label.toLowerCase()}`, d: gaugePath(frame, series.buckets()), stroke: color, "stroke-dasharray": dash, "stroke-width": strokeWidth },
          title(`${node} ${label}: last ${num(series.lastValue ?? 0)}`),
        ),
      );
      legendEntries.push({ label: `${node} ${label}`, color, dash });
    }
  });
  const svg = el("svg", { class: "chart partition", width: WIDTH, height, viewBox: `0 0 ${WIDTH} ${height}`, xmlns: "http://www.w3.org/2000/svg" }, ...parts);
  const last = replicas.map((node) => {
    const s = track.replicas.get(node);
    const parts2 = [`LEO ${num(s?.leo.lastValue ?? 0)}`];
    if (s && !s.hw.isEmpty) parts2.push(`HW ${num(s.hw.lastValue ?? 0)}`);
    if (s && !s.lso.isEmpty) parts2.push(`LSO ${num(s.lso.lastValue ?? 0)}`);
    return `${esc(node)}: ${parts2.join(", ")}`;
  });
  const aborts = markers.filter((m) => m.result === "ABORT").length;
  return el(
    "div",
    { class: "partition-view", id: idFor("partition", track.name) },
    el("h3", {}, esc(track.name), ` <span class="sub">leader ${esc(track.leader || "none")} · ${track.markers.total} markers (${aborts} abort) · at the end: ${last.join(" · ")}</span>`),
    svg,
    legend(legendEntries),
  );
}
