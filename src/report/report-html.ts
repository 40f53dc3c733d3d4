/**
 * The self-contained HTML report of one run: inline CSS and SVG, no script, no external
 * resource (a Content-Security-Policy forbids them), drawn in Node with d3-scale. Everything on
 * the page comes from the run's result, history and recording, never from the wall clock, so
 * the same run gives the same bytes.
 */
import { historyReader, opAt, type HistoryOp, type HistoryReader, type HistorySource } from "../../sim/history.js";
import type { SimTimeUs } from "../../sim/time.js";
import type { Violation } from "../checks/violation.js";
import { describeFault } from "../faults/fault.js";
import type { RunResult } from "../run/result.js";
import { el, esc, fmtDuration, fmtMs, jsonText, num, paletteColor, PALETTE } from "./html.js";
import type { DiagramWindow, RunRecording } from "./recording.js";
import { REPORT_CSS } from "./style.js";
import { renderMetrics, evaluateAlerts, renderAlerts } from "./views/metrics.js";
import { renderOverview } from "./views/overview.js";
import { renderPartitions } from "./views/partitions.js";
import { renderSpaceTime } from "./views/spacetime.js";
import { renderTransactions } from "./views/transactions.js";
import { emptyState } from "./views/charts.js";

export interface ReportInput {
  readonly result: RunResult;
  readonly history: HistorySource;
  /** What the run's trace showed; without it the views say the run was not recorded. */
  readonly recording?: RunRecording;
  /** The command that replays the run. */
  readonly replay: string;
  /** The scenario's description. */
  readonly description?: string;
}

/** Faults listed in the fault table; the rest are counted. */
const FAULTS_LISTED = 300;
const EVIDENCE_OPS_SHOWN = 8;
/** Violations listed per invariant before the rest are folded away. */
const VIOLATIONS_LISTED = 3;

/** The trace index a violation became visible at: the last of its evidence. */
export function anchorOf(violation: Violation, source: HistorySource): number {
  const history = historyReader(source);
  const indices = [...violation.evidence.traceIndices, ...violation.evidence.ops.map((i) => opAt(history, i)?.traceIndex ?? -1)];
  return indices.length > 0 ? Math.max(...indices) : -1;
}

/** The violation that became visible first (smallest anchor), or undefined for a passing run. */
export function firstViolation(result: RunResult, history: HistorySource): { violation: Violation; index: number; anchor: number } | undefined {
  let best: { violation: Violation; index: number; anchor: number } | undefined;
  result.violations.forEach((violation, index) => {
    const anchor = anchorOf(violation, history);
    if (best === undefined || anchor < best.anchor) best = { violation, index, anchor };
  });
  return best;
}

interface WindowChoice {
  readonly window: DiagramWindow | undefined;
  readonly anchors: readonly number[];
  readonly label: string;
  readonly note: string;
}

function chooseWindow(input: ReportInput): WindowChoice {
  const { recording, result } = input;
  const history = historyReader(input.history);
  if (recording === undefined) return { window: undefined, anchors: [], label: "", note: "" };
  const first = firstViolation(result, history);
  if (first !== undefined) {
    const anchors = [...first.violation.evidence.traceIndices, ...first.violation.evidence.ops.map((i) => opAt(history, i)?.traceIndex ?? -1)].filter((i) => i >= 0);
    const window = recording.windowShowing(first.anchor);
    const label = `first violation: ${first.violation.invariant}`;
    if (window !== undefined) {
      return { window, anchors, label, note: `Centred on the first violation (${first.violation.invariant}, trace #${first.anchor}); its causal past is in full colour, everything else is faded.` };
    }
    const fallback = recording.windows().find((w) => w.reason === "tail");
    return {
      window: fallback,
      anchors: [],
      label,
      note: `The first violation (trace #${first.anchor}) lies outside the windows this recording kept; shown: the end of the run. Replay the seed to see it (the CLI does this by itself).`,
    };
  }
  const windows = recording.windows();
  const window = windows.find((w) => w.reason === "first-fault") ?? windows.find((w) => w.reason === "head");
  const note = window?.reason === "first-fault" ? "No violation: the window shows the run around its first fault." : "No violation: the window shows the start of the run.";
  return { window, anchors: [], label: "", note };
}

export function renderReportHtml(input: ReportInput): string {
  const { result, recording } = input;
  const history = historyReader(input.history);
  const endUs: SimTimeUs = Math.round(result.simTimeMs * 1000);
  const typeNames = recording ? [...recording.messageTypes.keys()].sort() : [];
  const typeIndex = new Map(typeNames.map((t, i) => [t, i]));
  const typeColor = (type: string): string => paletteColor(typeIndex.get(type) ?? PALETTE.length - 1);
  const markerIds = (type: string): string => `ah-${(typeIndex.get(type) ?? PALETTE.length - 1) % PALETTE.length}`;
  const markerDefs = PALETTE.map(
    (color, i) => `<marker id="ah-${i}" viewBox="0 0 10 10" refX="9.5" refY="5" markerWidth="5.5" markerHeight="5.5" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="${color}"/></marker>`,
  ).join("");
  const lanes = recording?.nodes ?? [];
  const nodeColor = (node: string): string => paletteColor(Math.max(0, lanes.indexOf(node)));

  const choice = chooseWindow(input);
  let diagram = emptyState("No space-time diagram.", recording ? "The run sent no messages and had no node events." : "This run was not recorded.");
  const shownIds = new Set<number>();
  if (choice.window !== undefined && recording !== undefined) {
    const opByTrace = new Map<number, HistoryOp>();
    const first = choice.window.events[0]?.index ?? 0;
    const last = choice.window.events[choice.window.events.length - 1]?.index ?? -1;
    for (const op of ops(history, first, last)) opByTrace.set(op.traceIndex, op);
    const st = renderSpaceTime({
      window: choice.window,
      lanes,
      intervals: recording.intervals.items,
      typeColor,
      anchors: choice.anchors,
      anchorLabel: choice.label,
      opAt: (i) => opByTrace.get(i),
      markerIds,
      markerDefs,
    });
    for (const e of choice.window.events) shownIds.add(e.index);
    const w = choice.window;
    const from = w.events[0]?.timeUs ?? 0;
    const to = w.events[w.events.length - 1]?.timeUs ?? 0;
    const typesLegend = typeNames
      .map((t) => `<span class="legend-item"><svg width="22" height="10" aria-hidden="true"><line x1="1" y1="5" x2="21" y2="5" stroke="${typeColor(t)}" stroke-width="2.2"/></svg>${esc(t)}</span>`)
      .join("");
    diagram =
      `<p class="lead">${esc(choice.note)} ${w.events.length} events from ${esc(fmtMs(from))} to ${esc(fmtMs(to))}${w.skippedBefore > 0 ? `; ${w.skippedBefore} earlier events not shown` : ""}. Rows are the distinct times of events, in order (not to scale); hover for details.${st.coneSize > 0 ? ` Causal past: ${st.coneSize} events.` : ""}</p>` +
      `<div class="legend">${typesLegend}${GLYPH_LEGEND}</div>` +
      `<div class="scroll diagram-box">${st.header}${st.svg}</div>`;
  }

  const violationsHtml = result.violations.length === 0 ? `<p class="ok-text">Every check held: no violation.</p>` : violationGroups(result, history, shownIds);

  const overviewWindow =
    choice.window !== undefined && choice.window.events.length > 0
      ? { fromUs: choice.window.events[0]?.timeUs ?? 0, toUs: choice.window.events[choice.window.events.length - 1]?.timeUs ?? 0 }
      : undefined;
  const liveness = result.faults.find((f) => f.kind === "heal-all");
  const overview = recording
    ? renderOverview({
        lanes,
        endUs,
        intervals: recording.intervals.items,
        faults: recording.faults.items,
        violations: result.violations.map((v, i) => ({ id: `v-${i}`, timeUs: v.evidence.timeUs, label: `${v.invariant}: ${v.message}`, kind: v.kind })),
        window: overviewWindow,
        faultWindowEndUs: liveness ? Math.round(liveness.atMs * 1000) : undefined,
      })
    : emptyState("No overview.", "This run was not recorded.");

  const txns = recording ? renderTransactions([...recording.txns.values()], endUs, recording.omittedTxnIds) : emptyState("No transactions view.", "This run was not recorded.");
  const partitions = recording
    ? renderPartitions([...recording.partitions.values()], endUs, nodeColor, recording.intervals.items, recording.omittedPartitions)
    : emptyState("No partition view.", "This run was not recorded.");
  const metrics = recording ? renderMetrics(recording, endUs) : emptyState("No metrics.", "This run was not recorded.");
  const alerts = recording ? renderAlerts(evaluateAlerts(recording, endUs)) : "";

  const verdictText = result.verdict === "pass" ? "PASS" : result.verdict === "safety-violation" ? "FAIL · safety violation" : "FAIL · liveness violation";
  const facts = [
    `seed <code>${result.seed}</code>`,
    `bugs <code>${esc(result.bugs.length ? result.bugs.join(", ") : "none")}</code>`,
    `${esc(fmtDuration(endUs))} simulated`,
    `${result.events} events`,
    `${result.traceRecords} trace records`,
    `${result.historyOps} history ops`,
    `${result.faults.length} faults`,
    `trace hash <code>${esc(result.traceHash)}</code>`,
  ];
  const banner = el(
    "header",
    { class: `banner ${result.verdict}` },
    el(
      "div",
      { class: "inner" },
      el("div", { class: "verdict" }, esc(verdictText)),
      el("div", { class: "what" }, `scenario <strong>${esc(result.scenario)}</strong> <span class="mono">(${esc(result.scenarioFile)})</span>`),
      el("div", { class: "facts" }, ...facts.map((f) => `<span>${f}</span>`)),
      input.description ? el("div", { class: "description" }, esc(input.description)) : "",
    ),
  );
  const nav = `<nav class="toc"><div class="inner">${[
    ["violations", "Violations"],
    ["overview", "Overview"],
    ["diagram", "Space-time diagram"],
    ["transactions", "Transactions"],
    ["partitions", "Partitions"],
    ["metrics", "Metrics & alerts"],
    ["evidence", "Evidence"],
    ["faults", "Faults"],
    ["replay", "Replay"],
  ]
    .map(([id, name]) => `<a href="#${id}">${name}</a>`)
    .join("")}</div></nav>`;

  const notes = recording && (recording.notes.length > 0 || recording.malformed > 0)
    ? `<p class="note">${[...recording.notes, ...(recording.malformed > 0 ? [`${recording.malformed} report records were malformed and ignored.`] : [])].map(esc).join(" ")}</p>`
    : "";
  const sections = [
    section("violations", "Violations", violationsHtml),
    section(
      "overview",
      "Overview",
      `<p class="lead">The whole run on a linear time axis: crashed (red) and paused (amber) nodes, faults (◆; clock faults teal), partitions and clogs on the network row, violations, and the span the diagram below shows (blue).</p><div class="scroll">${overview}</div>`,
    ),
    section("diagram", "Space-time diagram", diagram + notes),
    section("transactions", "Transactions", `<p class="lead">Per transactional.id: coordinator states over time, producer epochs (eN) and fences.</p>${txns}`),
    section("partitions", "Partitions", `<p class="lead">Per partition: the leader over time, log end offset (solid), high watermark (dashed) and last stable offset (dotted) per replica, transaction markers and aborted ranges (red bars).</p>${partitions}`),
    section("metrics", "Metrics & alerts", `${metrics}<h3 id="alerts">Alert rules</h3>${alerts}`),
    section("evidence", "Evidence", evidenceHtml(result, history, shownIds)),
    section("faults", "Faults", faultsHtml(result)),
    section(
      "replay",
      "Replay",
      `<p class="lead">Same scenario, seed, bugs and eosim version give the same trace (hash <code>${esc(result.traceHash)}</code>):</p><pre class="replay"><code>${esc(input.replay)}</code></pre>`,
    ),
  ];
  const footer = `<footer>eosim ${esc(result.eosimVersion)} · scenario hash <code>${esc(result.scenarioHash.slice(0, 16))}</code> · trace hash <code>${esc(result.traceHash)}</code> · ${result.traceRecords} trace records · ${
    recording ? `${recording.records} recorded` : "not recorded"
  }</footer>`;
  const pageTitle = `eosim · ${result.scenario} seed ${result.seed} · ${verdictText}`;
  return (
    `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">\n` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<title>${esc(pageTitle)}</title>\n<style>${REPORT_CSS}</style>\n</head>\n<body>\n${banner}\n${nav}\n<main>\n${sections.join("\n")}\n${footer}\n</main>\n</body>\n</html>\n`
  );
}

const GLYPH_LEGEND = [
  `<span class="legend-item"><svg width="12" height="12" aria-hidden="true"><circle cx="6" cy="6" r="4" fill="#fff" stroke="#374151"/></svg>invoke</span>`,
  `<span class="legend-item"><svg width="12" height="12" aria-hidden="true"><circle cx="6" cy="6" r="4" fill="#2f8f46"/></svg>ok</span>`,
  `<span class="legend-item"><svg width="12" height="12" aria-hidden="true"><circle cx="6" cy="6" r="4" fill="#f2b233"/></svg>info</span>`,
  `<span class="legend-item"><svg width="12" height="12" aria-hidden="true"><circle cx="6" cy="6" r="4" fill="#d43c3c"/></svg>fail</span>`,
  `<span class="legend-item"><svg width="22" height="10" aria-hidden="true"><line x1="1" y1="5" x2="14" y2="5" stroke="#6b7280" stroke-width="1.5" stroke-dasharray="4 3"/><path d="M15,2L21,8M15,8L21,2" stroke="#d43c3c" stroke-width="2"/></svg>dropped</span>`,
  `<span class="legend-item"><svg width="22" height="10" aria-hidden="true"><line x1="1" y1="5" x2="21" y2="5" stroke="#6b7280" stroke-width="3"/></svg>held</span>`,
  `<span class="legend-item"><svg width="14" height="12" aria-hidden="true"><path d="M2,2L12,10M2,10L12,2" stroke="#d43c3c" stroke-width="2.5"/></svg>crash</span>`,
  `<span class="legend-item"><svg width="14" height="12" aria-hidden="true"><path d="M7,1L13,6L7,11L1,6Z" fill="#7b57c5"/></svg>fault</span>`,
  `<span class="legend-item"><svg width="14" height="12" aria-hidden="true"><circle cx="7" cy="6" r="5" fill="#d43c3c"/></svg>assertion</span>`,
].join("");

function section(id: string, name: string, body: string): string {
  return `<section id="${id}"><h2>${esc(name)}</h2>${body}</section>`;
}

/** History ops whose trace index lies in [first, last] (ops are in trace order). */
function ops(history: HistoryReader, first: number, last: number): HistoryOp[] {
  let lo = 0;
  let hi = history.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (history.op(mid).traceIndex < first) lo = mid + 1;
    else hi = mid;
  }
  const out: HistoryOp[] = [];
  for (let i = lo; i < history.length; i++) {
    const op = history.op(i);
    if (op.traceIndex > last) break;
    out.push(op);
  }
  return out;
}

/** Violations per invariant: the first few listed, the rest folded away. */
function violationGroups(result: RunResult, history: HistoryReader, shown: ReadonlySet<number>): string {
  const invariants = [...new Set(result.violations.map((v) => v.invariant))];
  return invariants
    .map((invariant) => {
      const items = result.violations.map((v, i) => ({ v, i })).filter(({ v }) => v.invariant === invariant);
      const total = result.violationCounts[invariant] ?? items.length;
      const kind = items[0]?.v.kind ?? "safety";
      const head = `<h3><span class="tag ${esc(kind)}">${esc(kind)}</span>${esc(invariant)} <span class="sub">${total} violation${total === 1 ? "" : "s"}${
        total > items.length ? `, the first ${items.length} kept in the result` : ""
      }</span></h3>`;
      const rendered = items.map(({ v, i }) => violationItem(v, i, history, shown));
      const first = rendered.slice(0, VIOLATIONS_LISTED);
      const rest = rendered.slice(VIOLATIONS_LISTED);
      const folded = rest.length > 0 ? `<details><summary>${rest.length} more ${esc(invariant)} violations</summary><ol class="violations" start="${VIOLATIONS_LISTED + 1}">${rest.join("")}</ol></details>` : "";
      return `${head}<ol class="violations">${first.join("")}</ol>${folded}`;
    })
    .join("");
}

function violationItem(v: Violation, i: number, history: HistoryReader, shown: ReadonlySet<number>): string {
  const links: string[] = [];
  for (const index of v.evidence.traceIndices) {
    links.push(shown.has(index) ? `<a href="#t-${index}">trace #${index} (diagram)</a>` : `trace #${index}`);
  }
  for (const opIndex of v.evidence.ops.slice(0, EVIDENCE_OPS_SHOWN)) {
    const op = opAt(history, opIndex);
    const inDiagram = op !== undefined && shown.has(op.traceIndex);
    links.push(inDiagram ? `<a href="#t-${op.traceIndex}">op ${opIndex} (diagram)</a>` : `<a href="#ev-${i}">op ${opIndex}</a>`);
  }
  return (
    `<li id="v-${i}"><span class="inv">${esc(v.invariant)}</span> at ${esc(fmtMs(v.evidence.timeUs))}: ${esc(v.message)}.` +
    ` <span class="counts">Evidence: ${links.join(", ")}${links.length ? ", " : ""}<a href="#ev-${i}">details</a>.</span></li>`
  );
}

function evidenceHtml(result: RunResult, history: HistoryReader, shown: ReadonlySet<number>): string {
  if (result.violations.length === 0) return `<p class="note">No violation, so no evidence.</p>`;
  const seenOps = new Set<number>();
  const perInvariant = new Map<string, number>();
  const blocks = result.violations.map((v, i) => {
    const rows = v.evidence.ops.slice(0, EVIDENCE_OPS_SHOWN).map((opIndex) => {
      const op = opAt(history, opIndex);
      if (op === undefined) return `<tr><td>${opIndex}</td><td colspan="6">not in the history</td></tr>`;
      const id = seenOps.has(opIndex) ? undefined : `op-${opIndex}`;
      seenOps.add(opIndex);
      const trace = shown.has(op.traceIndex) ? `<a href="#t-${op.traceIndex}">#${op.traceIndex}</a>` : `#${op.traceIndex}`;
      return el(
        "tr",
        { id },
        el("td", {}, String(op.index)),
        el("td", {}, esc(op.process)),
        el("td", {}, esc(op.type)),
        el("td", {}, esc(op.f)),
        el("td", { class: "value" }, esc(jsonText(op.value, 240)), op.error ? ` <span class="counts">(${esc(op.error)})</span>` : ""),
        el("td", {}, esc(fmtMs(op.timeUs))),
        el("td", {}, trace),
      );
    });
    const more = v.evidence.ops.length > EVIDENCE_OPS_SHOWN ? `<p class="note">${v.evidence.ops.length - EVIDENCE_OPS_SHOWN} more ops in result.json.</p>` : "";
    const table =
      rows.length > 0
        ? `<table><thead><tr><th>op</th><th>process</th><th>type</th><th>f</th><th>value</th><th>time</th><th>trace</th></tr></thead><tbody>${rows.join("")}</tbody></table>${more}`
        : "";
    const traces = v.evidence.traceIndices.map((t) => (shown.has(t) ? `<a href="#t-${t}">#${t}</a>` : `#${t}`)).join(", ");
    const block =
      `<div class="evidence" id="ev-${i}"><p><a href="#v-${i}">${i + 1}.</a> <span class="inv">${esc(v.invariant)}</span> at ${esc(fmtMs(v.evidence.timeUs))}: ${esc(v.message)}</p>` +
      `<p class="counts">trace records: ${traces || "none"} · data: <code>${esc(jsonText(v.evidence.data, 400))}</code></p>${table}</div>`;
    const shownSoFar = (perInvariant.get(v.invariant) ?? 0) + 1;
    perInvariant.set(v.invariant, shownSoFar);
    return { block, folded: shownSoFar > VIOLATIONS_LISTED };
  });
  const open = blocks.filter((b) => !b.folded).map((b) => b.block);
  const folded = blocks.filter((b) => b.folded).map((b) => b.block);
  return open.join("") + (folded.length > 0 ? `<details><summary>Evidence of ${folded.length} more violations</summary>${folded.join("")}</details>` : "");
}

function faultsHtml(result: RunResult): string {
  const nemesis = result.nemesis
    ? `<p class="note">Nemesis: kinds ${esc(result.nemesis.kinds.join(", "))}, interval ${num(result.nemesis.intervalMsMin)}–${num(result.nemesis.intervalMsMax)} ms.</p>`
    : "";
  if (result.faults.length === 0) return nemesis + `<p class="note">No faults were applied.</p>`;
  const rows = result.faults.slice(0, FAULTS_LISTED).map((f) => `<tr><td>${esc(fmtMs(Math.round(f.atMs * 1000)))}</td><td>${esc(f.kind)}</td><td class="value">${esc(describeFault(f))}</td></tr>`);
  const more = result.faults.length > FAULTS_LISTED ? `<p class="note">${result.faults.length - FAULTS_LISTED} more faults in result.json.</p>` : "";
  return nemesis + `<table><thead><tr><th>at</th><th>kind</th><th>fault</th></tr></thead><tbody>${rows.join("")}</tbody></table>${more}`;
}
