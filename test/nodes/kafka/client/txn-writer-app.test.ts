import { describe, expect, it } from "vitest";
import type { HistoryOp } from "../../../../sim/history.js";
import { KafkaTxnWriter, type KafkaTxnWriterOptions } from "../../../../src/nodes/kafka/client/txn-writer-app.js";
import type { InitValue, TxnValue } from "../../../../src/nodes/kafka/history-values.js";
import { buildFakeTxnSystem, type FakeTxnSystem } from "../../../helpers/kafka-fake-txn-coordinator.js";

function addTxnWriter(sys: FakeTxnSystem, options: Partial<KafkaTxnWriterOptions> = {}, id = "tw1"): { writer: () => KafkaTxnWriter; workload: { active: boolean } } {
  const workload = { active: true };
  let writer: KafkaTxnWriter | undefined;
  sys.sim.addNode(id, (ctx) => (writer = new KafkaTxnWriter(ctx, { bootstrapBrokers: sys.cluster.brokers, topics: ["t"], transactionsPerSec: 20, workload, ...options })));
  sys.sim.node(id).start();
  return { writer: () => writer as KafkaTxnWriter, workload };
}

const ops = (sys: FakeTxnSystem, f: string, type?: HistoryOp["type"]) => sys.sim.history.all().filter((op) => op.f === f && (type === undefined || op.type === type));

function runFor(sys: FakeTxnSystem, writer: () => KafkaTxnWriter, workload: { active: boolean }, ms: number): void {
  sys.runMs(ms);
  workload.active = false;
  expect(sys.runUntil(() => writer().openTransactions === 0, 120_000)).toBe(true);
}

describe("KafkaTxnWriter", () => {
  it("records init, then one txn per transaction: invoke with the planned sends, ok COMMIT with where each landed", () => {
    const sys = buildFakeTxnSystem({ topics: [{ name: "t", partitions: 2 }] });
    const { writer, workload } = addTxnWriter(sys, { keyCount: 4, sendsPerTxn: { min: 2, max: 3 } });
    runFor(sys, writer, workload, 1_000);
    const [initInvoke, initOk] = ops(sys, "init");
    expect(initInvoke?.value).toEqual({ transactionalId: "tw1" });
    expect(initOk?.type).toBe("ok");
    expect(initOk?.value as InitValue).toEqual({ transactionalId: "tw1", producerId: 5000, producerEpoch: 0 });
    const invokes = ops(sys, "txn", "invoke");
    const oks = ops(sys, "txn", "ok");
    expect(invokes.length).toBeGreaterThan(5);
    expect(oks).toHaveLength(invokes.length);
    const values = invokes.flatMap((op) => (op.value as TxnValue).sends.map((s) => s.value));
    expect(values).toEqual(values.map((_, i) => `tw1-${i}`));
    oks.forEach((op, i) => {
      const value = op.value as TxnValue;
      expect(value).toMatchObject({ transactionalId: "tw1", intent: "COMMIT", outcome: "COMMIT", producerId: 5000, producerEpoch: i });
      expect(value.sends.length).toBeGreaterThanOrEqual(2);
      for (const send of value.sends) expect(sys.cluster.values(`t-${send.partition}`)[send.offset as number]).toBe(send.value);
      expect(value.endRequestedUs).toBeLessThanOrEqual(op.timeUs);
      expect(value.endRequestedUs).toBeGreaterThanOrEqual(sys.sim.history.invocationOf(op).timeUs);
    });
    expect(sys.coordinator.ended.every((t) => t.result === "COMMIT")).toBe(true);
  });

  it("aborts the seeded fraction on purpose: ok with intent and outcome ABORT", () => {
    const sys = buildFakeTxnSystem();
    const { writer, workload } = addTxnWriter(sys, { abortRatio: 0.5 });
    runFor(sys, writer, workload, 2_000);
    const completions = ops(sys, "txn", "ok").map((op) => op.value as TxnValue);
    const aborted = completions.filter((v) => v.intent === "ABORT");
    expect(aborted.length).toBeGreaterThan(0);
    expect(aborted.length).toBeLessThan(completions.length);
    expect(aborted.every((v) => v.outcome === "ABORT")).toBe(true);
    expect(sys.coordinator.ended.filter((t) => t.result === "ABORT")).toHaveLength(aborted.length);
  });

  it("a commit that fails with an abortable error is aborted: ok with intent COMMIT and outcome ABORT", () => {
    const sys = buildFakeTxnSystem();
    sys.cluster.inject({ api: "Produce", tp: "t-0", action: { kind: "error", error: "TRANSACTION_ABORTABLE" } });
    const { writer, workload } = addTxnWriter(sys, { sendsPerTxn: { min: 1, max: 1 } });
    runFor(sys, writer, workload, 300);
    const first = ops(sys, "txn", "ok")[0]?.value as TxnValue;
    expect(first).toMatchObject({ intent: "COMMIT", outcome: "ABORT" });
    expect(first.sends[0]).toMatchObject({ partition: 0, offset: -1 });
    expect(writer().stopped).toBe(false);
  });

  it("fenced before EndTxn(COMMIT) went out: fail, and the writer stops", () => {
    const sys = buildFakeTxnSystem();
    const { writer, workload } = addTxnWriter(sys, { producer: { transactionVersion: 1 } });
    expect(sys.runUntil(() => ops(sys, "init", "ok").length === 1)).toBe(true);
    sys.coordinator.fence("tw1");
    runFor(sys, writer, workload, 500);
    const txns = ops(sys, "txn");
    expect(txns.map((op) => op.type)).toEqual(["invoke", "fail"]);
    expect(txns[1]?.error).toBe("PRODUCER_FENCED");
    expect((txns[1]?.value as TxnValue).endRequestedUs).not.toBeNull();
    expect(writer().stopped).toBe(true);
    expect(writer().producer.isClosed).toBe(true);
  });

  it("fenced after EndTxn(COMMIT) was sent: info (it may have committed)", () => {
    const sys = buildFakeTxnSystem();
    sys.cluster.inject({ api: "EndTxn", action: { kind: "error", error: "PRODUCER_FENCED" } });
    const { writer, workload } = addTxnWriter(sys);
    runFor(sys, writer, workload, 500);
    const txns = ops(sys, "txn");
    expect(txns.map((op) => op.type)).toEqual(["invoke", "info"]);
    expect(txns[1]?.error).toBe("PRODUCER_FENCED");
    expect(writer().stopped).toBe(true);
  });

  it("a restarted node is a new process that fences its previous incarnation", () => {
    const sys = buildFakeTxnSystem();
    const { writer, workload } = addTxnWriter(sys);
    sys.runMs(300);
    sys.sim.node("tw1").crash(false);
    sys.sim.node("tw1").start();
    runFor(sys, writer, workload, 300);
    const inits = ops(sys, "init", "ok");
    expect(inits.map((op) => op.process)).toEqual(["tw1", "tw1#1"]);
    expect((inits[1]?.value as InitValue).producerEpoch).toBeGreaterThan((inits[0]?.value as InitValue).producerEpoch as number);
    const later = ops(sys, "txn", "invoke").filter((op) => op.process === "tw1#1");
    expect((later[0]?.value as TxnValue).sends[0]?.value).toBe("tw1#1-0");
  });

  it("is deterministic: the same seed gives the same history", () => {
    const run = (seed: number) => {
      const sys = buildFakeTxnSystem({ seed, topics: [{ name: "t", partitions: 3 }, { name: "u", partitions: 2 }] });
      const { writer, workload } = addTxnWriter(sys, { topics: ["t", "u"], abortRatio: 0.3, keyCount: 3 });
      runFor(sys, writer, workload, 1_000);
      return JSON.stringify(sys.sim.history.all().map((op) => [op.type, op.f, op.value, op.timeUs]));
    };
    expect(run(3)).toBe(run(3));
    expect(run(3)).not.toBe(run(4));
  });
});
