/**
 * A synthetic Kafka-like run for report tests: trace records of the report kinds
 * (src/report/record-kinds.ts) as the Kafka actors will emit them, fed through a RunRecording,
 * with a matching RunResult. Deterministic: no randomness, fixed numbers.
 */
import type { HistoryOp } from "../../sim/history.js";
import type { TraceFields } from "../../sim/trace.js";
import { RunRecording } from "../../src/report/recording.js";
import type { RunResult } from "../../src/run/result.js";

export interface SyntheticRun {
  readonly result: RunResult;
  readonly history: HistoryOp[];
  readonly recording: RunRecording;
}

const SEC = 1_000_000;

export function syntheticKafkaRun(options: { durationSec?: number; hostile?: string } = {}): SyntheticRun {
  const durationSec = options.durationSec ?? 60;
  const recording = new RunRecording();
  let index = 0;
  const history: HistoryOp[] = [];
  const emit = (timeUs: number, kind: string, node: string, fields?: TraceFields): number => {
    const i = index++;
    recording.listener({ index: i, timeUs, kind, node, fields }, "0000000000000000");
    return i;
  };
  const op = (timeUs: number, type: HistoryOp["type"], process: string, f: string, value: unknown): void => {
    const traceIndex = emit(timeUs, `op.${type}`, process, { f });
    history.push({ index: history.length, type, process, f, value, timeUs, traceIndex });
  };
  let msgId = 1;
  const message = (at: number, from: string, to: string, type: string, latencyUs = 800): void => {
    const id = msgId++;
    emit(at, "net.send", from, { to, type, id });
    emit(at + latencyUs, "net.deliver", to, { from, type, id });
  };
  emit(0, "run.start", "eosim", { scenario: "kafka-synthetic", seed: 1 });
  for (const node of ["b1", "b2", "b3", "p1", "c1"]) emit(0, "node.start", node, { incarnation: 0 });
  emit(0, "partition.leader", "b1", { topic: "__transaction_state", partition: 0, leader: "b1", leaderEpoch: 0 });
  emit(0, "partition.leader", "b1", { topic: "out", partition: 0, leader: "b2", leaderEpoch: 0 });
  let epoch = 0;
  let leo = 0;
  for (let s = 1; s < durationSec; s++) {
    const t = s * SEC;
    if (s === 20) {
      emit(t, "fault", "nemesis", { kind: "crash", detail: JSON.stringify({ atMs: 20000, kind: "crash", node: "b1", loseUnflushed: true }) });
      emit(t, "node.crash", "b1", { loseUnflushed: true, lostEntries: 0 });
      emit(t + 10, "partition.leader", "b2", { topic: "__transaction_state", partition: 0, leader: "", leaderEpoch: 1 });
    }
    if (s === 33) {
      emit(t, "node.start", "b1", { incarnation: 1 });
      emit(t + 10, "partition.leader", "b1", { topic: "__transaction_state", partition: 0, leader: "b1", leaderEpoch: 2 });
    }
    const coordinatorUp = s < 20 || s >= 33;
    message(t, "p1", "b1", "InitProducerId");
    op(t, "invoke", "p1", "txn", { txn: s, note: options.hostile ?? "" });
    if (!coordinatorUp) {
      op(t + 5000, "info", "p1", "txn", { txn: s });
      continue;
    }
    const fence = s === 40;
    if (fence) epoch++;
    emit(t + 1000, "txn.state", "b1", { txnId: "tx-a", state: "Ongoing", producerId: 7, epoch, reason: fence ? "fence" : undefined });
    emit(t + 1000, "txn.state", "b1", { txnId: "tx-b", state: "Ongoing", producerId: 9, epoch: 0 });
    for (let k = 0; k < 4; k++) {
      leo++;
      message(t + 2000 + k * 100, "p1", "b2", "Produce");
      emit(t + 2000 + k * 100 + 900, "partition.offsets", "b2", { topic: "out", partition: 0, leo, hw: leo - 1, lso: leo - 4, leader: "b2" });
      emit(t + 2000 + k * 100 + 1900, "partition.offsets", "b3", { topic: "out", partition: 0, leo: leo - 1, hw: leo - 2 });
    }
    const abort = s % 7 === 0;
    message(t + 5000, "p1", "b1", "EndTxn");
    emit(t + 6000, "txn.state", "b1", { txnId: "tx-a", state: abort ? "PrepareAbort" : "PrepareCommit", producerId: 7, epoch });
    message(t + 6000, "b1", "b2", "WriteTxnMarkers");
    const first = leo - 3;
    leo++;
    emit(t + 7000, "txn.marker", "b2", { topic: "out", partition: 0, result: abort ? "ABORT" : "COMMIT", producerId: 7, epoch, offset: leo, firstOffset: first, txnId: "tx-a" });
    emit(t + 7000, "partition.offsets", "b2", { topic: "out", partition: 0, leo, hw: leo, lso: leo, leader: "b2" });
    emit(t + 8000, "txn.state", "b1", { txnId: "tx-a", state: abort ? "CompleteAbort" : "CompleteCommit", producerId: 7, epoch });
    if (s < 50) emit(t + 8000, "txn.state", "b1", { txnId: "tx-b", state: "CompleteCommit", producerId: 9, epoch: 0 });
    op(t + 8000, abort ? "fail" : "ok", "p1", "txn", { txn: s });
    message(t + 9000, "c1", "b2", "Fetch");
    const count = abort ? 0 : 4;
    emit(t + 10_000, "consumer.records", "c1", { group: "g1", topic: "out", partition: 0, count, position: leo - 1 });
    emit(t + 12_000, "offset.commit", "c1", { group: "g1", latencyUs: 3000 + (s % 5) * 1000, transactional: false });
    emit(t + 12_000, "metric.broker-request-queue", "b2", { value: s % 9, unit: "requests" });
  }
  recording.finish(durationSec * SEC);
  const result: RunResult = {
    eosimVersion: "0.1.0",
    scenario: "kafka-synthetic",
    scenarioFile: "scenarios/kafka-synthetic.yaml",
    scenarioHash: "0".repeat(64),
    seed: 1,
    bugs: [],
    verdict: "safety-violation",
    exitCode: 1,
    violations: [
      {
        invariant: "zombie-commit",
        kind: "safety",
        message: `data from fenced producer 7 epoch 0 became visible ${options.hostile ?? ""}`.trim(),
        evidence: { ops: [history.length - 2, history.length - 1], traceIndices: [index - 5], timeUs: (durationSec - 1) * SEC, data: { producerId: 7, note: options.hostile ?? "" } },
      },
    ],
    violationCounts: { "zombie-commit": 1 },
    traceHash: "0123456789abcdef",
    traceRecords: index,
    events: index,
    simTimeMs: durationSec * 1000,
    wallMs: 12345,
    faults: [{ atMs: 20000, kind: "crash", node: "b1", loseUnflushed: true }],
    nemesis: null,
    assertions: [],
    historyOps: history.length,
  };
  return { result, history, recording };
}
