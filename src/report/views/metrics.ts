/**
 * Monitoring metrics of Kafka EOS over simulated time, computed from the report record kinds
 * (record-kinds.ts), the simulation's own traffic and client operations, and the alert rules
 * evaluated over them. A metric without the records it needs says so instead of drawing zero.
 */
import type { SimTimeUs } from "../../../sim/time.js";
import { el, esc, fmtAxisTime, fmtDuration, fmtMs, num, paletteColor, title } from "../html.js";
import { RECORD_KINDS } from "../record-kinds.js";
import { EPOCH_AGE_ALERT_MS, type RunRecording } from "../recording.js";
import type { BucketSeries } from "../series.js";
import { axes, chartFrame, emptyState, formatCount, gaugePath, legend, maxOf, maxRate, ratePath } from "./charts.js";

const CARD_WIDTH = 566;
const CARD_HEIGHT = 150;

/** Abort rate alert: aborts above this share of commits within one minute of simulated time. */
export const ABORT_RATE_ALERT_RATIO = 0.05;
/** No-coordinator alert: a `__transaction_state` partition without a leader for at least this long. */
export const NO_COORDINATOR_ALERT_MS = 10_000;

export interface AlertResult {
  readonly name: string;
  readonly condition: string;
  readonly status: "fired" | "ok" | "no data";
  readonly detail: string;
}

interface RateLayer {
  readonly kind: "rate";
  readonly label: string;
  readonly series: BucketSeries;
  readonly color: string;
}

interface GaugeLayer {
  readonly kind: "gauge";
  readonly label: string;
  readonly series: BucketSeries;
  readonly color: string;
  readonly pick: "last" | "max";
}

type Layer = RateLayer | GaugeLayer;

function card(name: string, unit: string, endUs: SimTimeUs, layers: readonly Layer[], missing: string | undefined): string {
  const head = el("h4", {}, esc(name), unit ? ` <span class="sub">${esc(unit)}</span>` : "");
  if (missing !== undefined) return el("div", { class: "card" }, head, emptyState("No data in this run.", missing));
  const yMax = Math.max(
    1e-9,
    ...layers.map((l) => (l.kind === "rate" ? maxRate(l.series) : maxOf([l.series]))),
  );
  const frame = chartFrame({ width: CARD_WIDTH, height: CARD_HEIGHT, endUs, yMax });
  const paths = layers.map((l) =>
    l.kind === "rate"
      ? el("path", { class: "rate", d: ratePath(frame, l.series), fill: l.color }, title(`${l.label}: peak ${num(maxRate(l.series))}${unit}`))
      : el("path", { class: "curve", d: gaugePath(frame, l.series.buckets(), l.pick), stroke: l.color }, title(`${l.label}: max ${num(maxOf([l.series]))}`)),
  );
  const svg = el("svg", { class: "chart", width: CARD_WIDTH, height: CARD_HEIGHT, viewBox: `0 0 ${CARD_WIDTH} ${CARD_HEIGHT}`, xmlns: "http://www.w3.org/2000/svg" }, axes(frame, formatCount), ...paths);
  const legendHtml = layers.length > 1 ? legend(layers.map((l) => ({ label: l.label, color: l.color, area: l.kind === "rate" }))) : "";
  return el("div", { class: "card" }, head, svg, legendHtml);
}

export function renderMetrics(recording: RunRecording, endUs: SimTimeUs): string {
  const m = recording.metrics;
  const hasTxn = recording.txns.size > 0 || recording.omittedTxnIds > 0;
  const noTxn = `Needs ${RECORD_KINDS.txnState} records from a transaction coordinator.`;
  const kafka = [
    card("Transaction commit rate", "/s", endUs, [{ kind: "rate", label: "commits", series: m.commits, color: "#59a14f" }], hasTxn ? undefined : noTxn),
    card("Transaction abort rate", "/s", endUs, [{ kind: "rate", label: "aborts", series: m.aborts, color: "#e15759" }], hasTxn ? undefined : noTxn),
    card(
      "Producer-id age",
      "s, oldest epoch in an open transaction",
      endUs,
      [{ kind: "gauge", label: "age", series: m.producerEpochAgeSec, color: "#b07aa1", pick: "max" }],
      hasTxn ? undefined : noTxn,
    ),
    card(
      "Records consumed",
      "/s",
      endUs,
      [{ kind: "rate", label: "records", series: m.consumed, color: "#4e79a7" }],
      m.consumerRecords > 0 ? undefined : `Needs ${RECORD_KINDS.consumerRecords} records from consumers.`,
    ),
    card(
      "Consumer lag against the LSO",
      "records, max over partitions",
      endUs,
      [{ kind: "gauge", label: "lag", series: m.consumerLag, color: "#f28e2b", pick: "max" }],
      m.consumerLag.isEmpty ? `Needs ${RECORD_KINDS.consumerRecords} and ${RECORD_KINDS.partitionOffsets} (with lso or hw) records.` : undefined,
    ),
    card(
      "Offset-commit latency",
      "ms, max per bucket",
      endUs,
      [{ kind: "gauge", label: "latency", series: m.offsetCommitLatencyMs, color: "#76b7b2", pick: "max" }],
      m.offsetCommits > 0 ? undefined : `Needs ${RECORD_KINDS.offsetCommit} records from clients.`,
    ),
  ];
  const sim = [
    card("Network messages", "/s", endUs, [
      { kind: "rate", label: "sent", series: m.messages, color: "#4e79a7" },
      { kind: "rate", label: "dropped", series: m.drops, color: "#e15759" },
    ], m.messages.isEmpty ? "No messages were sent." : undefined),
    card("Client operations completed", "/s", endUs, [
      { kind: "rate", label: "ok", series: m.opsOk, color: "#59a14f" },
      { kind: "rate", label: "unknown (info)", series: m.opsUnknown, color: "#edc948" },
      { kind: "rate", label: "failed", series: m.opsFailed, color: "#e15759" },
    ], m.opsOk.isEmpty && m.opsFailed.isEmpty && m.opsUnknown.isEmpty ? "No client operations completed." : undefined),
  ];
  const custom = [...m.custom.entries()].map(([name, entry], i) =>
    card(name, entry.unit ?? "", endUs, [{ kind: "gauge", label: name, series: entry.series, color: paletteColor(i), pick: "last" }], undefined),
  );
  const anyKafka = hasTxn || m.consumerRecords > 0 || m.offsetCommits > 0;
  const kafkaHtml = anyKafka
    ? `<div class="cards">${kafka.join("")}</div>`
    : emptyState(
        "No Kafka exactly-once metrics in this run.",
        `Transaction commit and abort rates and producer-id age come from ${RECORD_KINDS.txnState} records, records consumed and consumer lag against the LSO from ${RECORD_KINDS.consumerRecords} (with ${RECORD_KINDS.partitionOffsets}), offset-commit latency from ${RECORD_KINDS.offsetCommit}; this run's system emitted none.`,
      );
  return (
    `<h3>Kafka exactly-once</h3>${kafkaHtml}` +
    `<h3>Simulation</h3><div class="cards">${sim.join("")}</div>` +
    (custom.length > 0 ? `<h3>Emitted metrics (${esc(RECORD_KINDS.metricPrefix)}*)</h3><div class="cards">${custom.join("")}</div>` : "")
  );
}

/** Evaluates the alert rules over the recording. */
export function evaluateAlerts(recording: RunRecording, endUs: SimTimeUs): AlertResult[] {
  const m = recording.metrics;
  const hasTxn = recording.txns.size > 0 || recording.omittedTxnIds > 0;
  const results: AlertResult[] = [];

  const abortCondition = `transaction aborts above ${ABORT_RATE_ALERT_RATIO * 100}% of commits within a minute of simulated time`;
  if (!hasTxn) {
    results.push({ name: "abort-rate", condition: abortCondition, status: "no data", detail: `no ${RECORD_KINDS.txnState} records` });
  } else {
    const fired = [...m.perMinute.entries()].filter(([, c]) => c.aborts > 0 && c.aborts > ABORT_RATE_ALERT_RATIO * c.commits);
    results.push({
      name: "abort-rate",
      condition: abortCondition,
      status: fired.length > 0 ? "fired" : "ok",
      detail:
        fired.length > 0
          ? fired
              .slice(0, 5)
              .map(([minute, c]) => `${fmtAxisTime(minute * 60_000_000)}–${fmtAxisTime((minute + 1) * 60_000_000)}: ${c.aborts} aborts, ${c.commits} commits`)
              .join("; ") + (fired.length > 5 ? `; and ${fired.length - 5} more minutes` : "")
          : `${sum([...m.perMinute.values()].map((c) => c.aborts))} aborts, ${sum([...m.perMinute.values()].map((c) => c.commits))} commits in all`,
    });
  }

  const coordinatorCondition = `a __transaction_state partition without a leader for ${fmtDuration(NO_COORDINATOR_ALERT_MS * 1000)} or more`;
  const stateTopics = [...recording.partitions.values()].filter((p) => p.topic === "__transaction_state" && p.leaders.total > 0);
  if (stateTopics.length === 0) {
    results.push({
      name: "no-active-transaction-coordinator",
      condition: coordinatorCondition,
      status: "no data",
      detail: `no ${RECORD_KINDS.partitionLeader} records for __transaction_state`,
    });
  } else {
    const long = recording.coordinatorGaps.items.filter((g) => (g.toUs ?? endUs) - g.fromUs >= NO_COORDINATOR_ALERT_MS * 1000);
    results.push({
      name: "no-active-transaction-coordinator",
      condition: coordinatorCondition,
      status: long.length > 0 ? "fired" : "ok",
      detail:
        long.length > 0
          ? long
              .slice(0, 5)
              .map((g) => `${g.partition} from ${fmtMs(g.fromUs)} for ${fmtDuration((g.toUs ?? endUs) - g.fromUs)}${g.toUs === undefined ? " (until the end)" : ""}`)
              .join("; ")
          : `${recording.coordinatorGaps.total} leaderless spans, none that long`,
    });
  }

  const ageCondition = `a producer epoch in an open transaction older than ${fmtDuration(EPOCH_AGE_ALERT_MS * 1000)}`;
  if (!hasTxn) {
    results.push({ name: "producer-epoch-age", condition: ageCondition, status: "no data", detail: `no ${RECORD_KINDS.txnState} records` });
  } else {
    const alert = m.epochAgeAlert;
    results.push({
      name: "producer-epoch-age",
      condition: ageCondition,
      status: alert ? "fired" : "ok",
      detail: alert
        ? `${alert.txnId} at ${fmtMs(alert.timeUs)}: epoch age ${fmtDuration(alert.ageMs * 1000)}`
        : `oldest open epoch: ${fmtDuration(maxOf([m.producerEpochAgeSec]) * 1_000_000)}`,
    });
  }
  return results;
}

export function renderAlerts(alerts: readonly AlertResult[]): string {
  const fired = alerts.filter((a) => a.status === "fired");
  const rows = alerts.map((a) =>
    el(
      "tr",
      { class: `alert-${a.status.replace(" ", "-")}` },
      el("td", {}, el("code", {}, esc(a.name))),
      el("td", {}, esc(a.condition)),
      el("td", { class: "status" }, esc(a.status === "fired" ? "FIRED" : a.status)),
      el("td", {}, esc(a.detail)),
    ),
  );
  const summary =
    fired.length > 0
      ? `<p class="alert-summary fired">Fired: ${fired.map((a) => `<code>${esc(a.name)}</code>`).join(", ")}.</p>`
      : `<p class="alert-summary">No alert fired.</p>`;
  return summary + `<table class="alerts"><thead><tr><th>rule</th><th>fires when</th><th>status</th><th>detail</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
