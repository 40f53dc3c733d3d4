import { describe, expect, it } from "vitest";
import type { HistoryOp } from "../../../../sim/history.js";
import { checkKafkaTxnHistory, copyValueOf, type CopierTxnFields } from "../../../../src/checks/kafka-txn/index.js";
import { COPIER_BUGS, KafkaCopier, type KafkaCopierOptions } from "../../../../src/nodes/kafka/client/copier-app.js";
import { KafkaReader } from "../../../../src/nodes/kafka/client/reader-app.js";
import type { PolledRecord, TxnValue } from "../../../../src/nodes/kafka/history-values.js";
import { buildFakeEosSystem, type FakeEosSystem } from "../../../helpers/kafka-fake-eos.js";

type CopierValue = TxnValue & CopierTxnFields;

const TOPICS = [
  { name: "in", partitions: 2 },
  { name: "out", partitions: 2 },
];

function system(bugs: readonly string[] = []): FakeEosSystem {
  return buildFakeEosSystem({ topics: TOPICS, bugs });
}

interface Copier {
  readonly copier: () => KafkaCopier;
  readonly workload: { active: boolean };
}

function addCopier(sys: FakeEosSystem, options: Partial<KafkaCopierOptions> = {}, id = "c1"): Copier {
  const workload = { active: true };
  let copier: KafkaCopier | undefined;
  sys.sim.addNode(id, (ctx) => (copier = new KafkaCopier(ctx, { bootstrapBrokers: sys.cluster.brokers, inputTopic: "in", outputTopic: "out", groupId: "g", workload, ...options })));
  sys.sim.node(id).start();
  return { copier: () => copier as KafkaCopier, workload };
}

function addReader(sys: FakeEosSystem): { reader: () => KafkaReader; drain: { active: boolean } } {
  const drain = { active: false };
  let reader: KafkaReader | undefined;
  sys.sim.addNode("r1", (ctx) => (reader = new KafkaReader(ctx, { bootstrapBrokers: sys.cluster.brokers, topics: ["out"], isolationLevel: "read_committed", pollTimeoutMs: 100, endOffsetsRefreshMs: 100, drain })));
  sys.sim.node("r1").start();
  return { reader: () => reader as KafkaReader, drain };
}

/** `count` plain records `in-<p>-<i>` on each input partition. */
function writeInputs(sys: FakeEosSystem, count: number): PolledRecord[] {
  const inputs: PolledRecord[] = [];
  for (let p = 0; p < 2; p++) {
    const base = sys.cluster.logEndOffset(`in-${p}`);
    const values = Array.from({ length: count }, (_, i) => `in-${p}-${base + i}`);
    sys.cluster.appendBatch(`in-${p}`, values);
    values.forEach((value, i) => inputs.push(["in", p, base + i, value]));
  }
  return inputs;
}

const txnOps = (sys: FakeEosSystem, type?: HistoryOp["type"]) => sys.sim.history.all().filter((op) => op.f === "txn" && (type === undefined || op.type === type));
const committedOffset = (sys: FakeEosSystem, p: number) => sys.groups.committed("g", `in-${p}`);
const copiesOf = (inputs: readonly PolledRecord[]) => inputs.map(([t, p, o, v]) => copyValueOf(t, p, o, v));
const sorted = (values: readonly string[]) => [...values].sort();

/** Runs until the group has committed `end` on both input partitions, then stops the workload and lets the open transaction finish. */
function copyUpTo(sys: FakeEosSystem, copiers: readonly Copier[], end: number): void {
  expect(sys.runUntil(() => committedOffset(sys, 0) === end && committedOffset(sys, 1) === end, 60_000)).toBe(true);
  for (const c of copiers) c.workload.active = false;
  expect(sys.runUntil(() => copiers.every((c) => c.copier().openTransactions === 0), 60_000)).toBe(true);
}

function drainReader(sys: FakeEosSystem, r: { reader: () => KafkaReader; drain: { active: boolean } }): void {
  r.drain.active = true;
  expect(sys.runUntil(() => r.reader().hasDrained, 60_000)).toBe(true);
}

/** What the read_committed reader polled from the output. */
function committedReads(sys: FakeEosSystem): PolledRecord[] {
  return sys.sim.history.all().filter((op) => op.f === "poll" && op.type === "ok").flatMap((op) => (op.value as { records: PolledRecord[] }).records);
}

function outputValues(sys: FakeEosSystem): string[] {
  return [...sys.cluster.values("out-0"), ...sys.cluster.values("out-1")];
}

describe("KafkaCopier", () => {
  it("copies each input record into a committed transaction recorded with groupId, inputs, copied sends and offsets", () => {
    const sys = system();
    const inputs = writeInputs(sys, 5);
    const c = addCopier(sys);
    copyUpTo(sys, [c], 5);
    const invokes = txnOps(sys, "invoke").map((op) => op.value as CopierValue);
    const oks = txnOps(sys, "ok").map((op) => op.value as CopierValue);
    expect(oks).toHaveLength(invokes.length);
    expect(sorted(invokes.flatMap((v) => v.inputs.map((r) => r[3])))).toEqual(sorted(inputs.map((r) => r[3])));
    for (const value of invokes) {
      expect(value).toMatchObject({ transactionalId: "c1", intent: "COMMIT", groupId: "g" });
      expect(value.sends.map((s) => s.value)).toEqual(value.inputs.map(([t, p, o, v]) => copyValueOf(t, p, o, v)));
      expect(value.sends.every((s) => s.topic === "out")).toBe(true);
      const lastOf = (p: number) => Math.max(...value.inputs.filter((r) => r[1] === p).map((r) => r[2]));
      expect(value.offsets).toEqual(value.offsets.map(([t, p]) => [t, p, lastOf(p) + 1]));
    }
    for (const value of oks) {
      expect(value.outcome).toBe("COMMIT");
      for (const send of value.sends) expect(sys.cluster.values(`out-${send.partition}`)).toContain(send.value);
    }
    expect(sorted(outputValues(sys))).toEqual(sorted(copiesOf(inputs)));
  });

  it("records the invoke once the transaction's content is final: endRequestedUs lies between invoke and completion", () => {
    const sys = system();
    writeInputs(sys, 3);
    const c = addCopier(sys);
    copyUpTo(sys, [c], 3);
    for (const op of txnOps(sys, "ok")) {
      const invoke = sys.sim.history.invocationOf(op);
      expect((op.value as CopierValue).endRequestedUs).toBeGreaterThanOrEqual(invoke.timeUs);
      expect((op.value as CopierValue).endRequestedUs).toBeLessThanOrEqual(op.timeUs);
    }
  });

  it("commits once commitIntervalMs has passed since the transaction began: records arriving later go into later transactions", () => {
    const sys = system();
    const c = addCopier(sys, { commitIntervalMs: 100 });
    expect(sys.runUntil(() => c.copier().consumer.assignment().length === 2)).toBe(true);
    for (let round = 1; round <= 4; round++) {
      writeInputs(sys, 1);
      sys.runMs(300);
    }
    copyUpTo(sys, [c], 4);
    expect(txnOps(sys, "ok").length).toBeGreaterThanOrEqual(4);
    expect(sys.coordinator.ended.every((t) => t.result === "COMMIT")).toBe(true);
  });

  it("a read_committed reader of the output and the transaction checkers find no eos-copy violation", () => {
    const sys = system();
    writeInputs(sys, 6);
    const r = addReader(sys);
    const c = addCopier(sys);
    copyUpTo(sys, [c], 6);
    drainReader(sys, r);
    expect(committedReads(sys)).toHaveLength(12);
    expect(checkKafkaTxnHistory(sys.sim.history.all())).toEqual([]);
  });

  it("an abort seeks the transaction's input partitions back: its inputs are copied again by a later committed transaction", () => {
    const sys = system();
    const r = addReader(sys);
    const c = addCopier(sys, { abortRatio: 0.5 });
    const inputs: PolledRecord[] = [];
    for (let round = 1; round <= 4; round++) {
      inputs.push(...writeInputs(sys, 1));
      sys.runMs(300);
    }
    copyUpTo(sys, [c], 4);
    drainReader(sys, r);
    const completions = txnOps(sys).filter((op) => op.type !== "invoke");
    const aborted = completions.filter((op) => (op.value as CopierValue).outcome === "ABORT");
    expect(aborted.length).toBeGreaterThan(0);
    for (const op of aborted) {
      expect(op.value).toMatchObject({ intent: "ABORT", outcome: "ABORT" });
      const later = completions.filter((o) => o.index > op.index && (o.value as CopierValue).outcome === "COMMIT").flatMap((o) => (o.value as CopierValue).inputs.map((i) => i[3]));
      for (const input of (op.value as CopierValue).inputs) expect(later).toContain(input[3]);
    }
    const committedInputs = completions.filter((op) => (op.value as CopierValue).outcome === "COMMIT").flatMap((op) => (op.value as CopierValue).inputs.map((i) => i[3]));
    expect(sorted(committedInputs)).toEqual(sorted(inputs.map((i) => i[3])));
    expect(checkKafkaTxnHistory(sys.sim.history.all())).toEqual([]);
  });

  it(`with ${COPIER_BUGS.noRewindAfterAbort} the aborted inputs are skipped, and eos-copy reports them lost`, () => {
    const sys = system([COPIER_BUGS.noRewindAfterAbort]);
    const r = addReader(sys);
    const c = addCopier(sys, { abortRatio: 0.5 });
    const caughtUp = () => [0, 1].every((p) => committedOffset(sys, p) === sys.cluster.logEndOffset(`in-${p}`));
    for (let round = 1; round <= 20 && !(c.copier().abortedTransactions > 0 && caughtUp()); round++) {
      writeInputs(sys, 1);
      sys.runMs(300);
    }
    expect(c.copier().abortedTransactions).toBeGreaterThan(0);
    c.workload.active = false;
    expect(sys.runUntil(() => c.copier().openTransactions === 0)).toBe(true);
    drainReader(sys, r);
    const violations = checkKafkaTxnHistory(sys.sim.history.all(), { invariants: ["eos-copy"] });
    expect(violations.length).toBeGreaterThan(0);
    expect(violations.every((v) => v.message.startsWith("input lost"))).toBe(true);
  });

  it("a fenced copier fails its transaction with PRODUCER_FENCED, stops, and leaves the group", () => {
    const sys = system();
    writeInputs(sys, 3);
    const c = addCopier(sys, { commitIntervalMs: 1_000 });
    expect(sys.runUntil(() => c.copier().openTransactions === 1 && sys.cluster.values("out-0").length + sys.cluster.values("out-1").length === 6)).toBe(true);
    sys.eos.fence("c1");
    expect(sys.runUntil(() => c.copier().stopped, 10_000)).toBe(true);
    sys.runMs(100);
    const txns = txnOps(sys);
    expect(txns.map((op) => op.type)).toEqual(["invoke", "fail"]);
    expect(txns[1]?.error).toBe("PRODUCER_FENCED");
    expect(sys.cluster.requests("LeaveGroup")).toHaveLength(1);
    expect(committedOffset(sys, 0)).toBeUndefined();
  });

  it("with rebuildOnFenced a fenced copier rebuilds its producer, rejoins, and copies everything from the committed offsets", () => {
    const sys = system();
    writeInputs(sys, 3);
    const c = addCopier(sys, { commitIntervalMs: 1_000, rebuildOnFenced: true });
    expect(sys.runUntil(() => c.copier().openTransactions === 1 && sys.cluster.values("out-0").length + sys.cluster.values("out-1").length === 6)).toBe(true);
    const fenced = c.copier().producer;
    sys.eos.fence("c1");
    expect(sys.runUntil(() => txnOps(sys, "ok").some((op) => (op.value as CopierValue).outcome === "COMMIT"), 20_000)).toBe(true);
    expect(c.copier().stopped).toBe(false);
    expect(c.copier().producer).not.toBe(fenced);
    expect(fenced.isClosed).toBe(true);
    const inits = sys.sim.history.all().filter((op) => op.f === "init" && op.type === "ok");
    expect(inits).toHaveLength(2);
    expect(txnOps(sys).map((op) => op.type)).toEqual(["invoke", "fail", "invoke", "ok"]);
    expect(committedOffset(sys, 0)).toBeDefined();
  });

  it("a rebalance that revokes the partitions aborts the open transaction; the group's members then copy everything exactly once", () => {
    const sys = system();
    const inputs = writeInputs(sys, 3);
    const r = addReader(sys);
    const consumer = { heartbeatIntervalMs: 50 };
    const c1 = addCopier(sys, { commitIntervalMs: 2_000, consumer }, "c1");
    expect(sys.runUntil(() => c1.copier().openTransactions === 1)).toBe(true);
    const c2 = addCopier(sys, { commitIntervalMs: 2_000, consumer }, "c2");
    expect(sys.runUntil(() => txnOps(sys).some((op) => op.type === "ok"), 10_000)).toBe(true);
    const first = txnOps(sys, "ok")[0]?.value as CopierValue;
    expect(first).toMatchObject({ transactionalId: "c1", intent: "COMMIT", outcome: "ABORT", offsets: [] });
    const more = writeInputs(sys, 3);
    copyUpTo(sys, [c1, c2], 6);
    drainReader(sys, r);
    expect(sorted(committedReads(sys).map((r) => r[3]))).toEqual(sorted(copiesOf([...inputs, ...more])));
    expect(new Set(txnOps(sys, "ok").map((op) => op.process))).toEqual(new Set(["c1", "c2"]));
    expect(checkKafkaTxnHistory(sys.sim.history.all())).toEqual([]);
  });
  it("a restarted copier (same transactional.id, next incarnation) aborts its predecessor's open transaction and copies everything exactly once", () => {
    const sys = system();
    const r = addReader(sys);
    const options = { commitIntervalMs: 1_000, consumer: { maxPollIntervalMs: 1_000 } };
    const c = addCopier(sys, options);
    const inputs = writeInputs(sys, 3);
    expect(sys.runUntil(() => committedOffset(sys, 0) === 3 && committedOffset(sys, 1) === 3)).toBe(true);
    inputs.push(...writeInputs(sys, 3));
    expect(sys.runUntil(() => c.copier().openTransactions === 1 && outputValues(sys).length === 12)).toBe(true);
    sys.sim.node("c1").crash(false);
    sys.sim.node("c1").start();
    copyUpTo(sys, [c], 6);
    drainReader(sys, r);
    expect(sorted(committedReads(sys).map((rec) => rec[3]))).toEqual(sorted(copiesOf(inputs)));
    expect(txnOps(sys, "ok").some((op) => op.process === "c1#1" && (op.value as CopierValue).outcome === "COMMIT")).toBe(true);
    expect(sys.coordinator.ended.some((t) => t.transactionalId === "c1" && t.result === "ABORT")).toBe(true);
    expect(checkKafkaTxnHistory(sys.sim.history.all())).toEqual([]);
  });
  it("a commit refused with an abortable error (ILLEGAL_GENERATION on TxnOffsetCommit) is aborted, rewound and copied again", () => {
    const sys = system();
    sys.cluster.inject({ api: "TxnOffsetCommit", action: { kind: "error", error: "ILLEGAL_GENERATION" } });
    const inputs = writeInputs(sys, 2);
    const r = addReader(sys);
    const c = addCopier(sys);
    copyUpTo(sys, [c], 2);
    drainReader(sys, r);
    const [first, ...rest] = txnOps(sys, "ok").map((op) => op.value as CopierValue);
    expect(first).toMatchObject({ intent: "COMMIT", outcome: "ABORT" });
    expect(first?.offsets.length).toBeGreaterThan(0);
    expect(sorted(rest.flatMap((v) => v.inputs.map((i) => i[3])))).toEqual(sorted(inputs.map((i) => i[3])));
    expect(c.copier().stopped).toBe(false);
    expect(checkKafkaTxnHistory(sys.sim.history.all())).toEqual([]);
  });

  it("when the workload stops, the open transaction commits at once and later inputs are still copied, each at once", () => {
    const sys = system();
    writeInputs(sys, 2);
    const c = addCopier(sys, { commitIntervalMs: 10_000 });
    expect(sys.runUntil(() => c.copier().openTransactions === 1)).toBe(true);
    const stoppedAtUs = sys.sim.nowUs;
    c.workload.active = false;
    expect(sys.runUntil(() => c.copier().openTransactions === 0)).toBe(true);
    expect(sys.sim.nowUs - stoppedAtUs).toBeLessThan(1_000_000);
    expect(txnOps(sys, "ok").map((op) => (op.value as CopierValue).outcome)).toEqual(["COMMIT"]);
    writeInputs(sys, 2);
    sys.runMs(1_000);
    expect(txnOps(sys, "ok").map((op) => (op.value as CopierValue).outcome)).toEqual(["COMMIT", "COMMIT"]);
    expect(c.copier().openTransactions).toBe(0);
  });
  it("a poll that fails for good (a fatal group error) stops the copier without a transaction", () => {
    const sys = system();
    sys.cluster.inject({ api: "JoinGroup", action: { kind: "error", error: "INCONSISTENT_GROUP_PROTOCOL" }, count: 10 });
    writeInputs(sys, 2);
    const c = addCopier(sys);
    expect(sys.runUntil(() => c.copier().stopped, 10_000)).toBe(true);
    expect(txnOps(sys)).toEqual([]);
    expect(c.copier().producer.isClosed).toBe(true);
  });
  it("the same seed gives the same history", () => {
    const historyOf = (): string => {
      const sys = system();
      const c = addCopier(sys, { abortRatio: 0.5 });
      for (let round = 1; round <= 3; round++) {
        writeInputs(sys, 2);
        sys.runMs(300);
      }
      copyUpTo(sys, [c], 6);
      return JSON.stringify(sys.sim.history.all());
    };
    expect(historyOf()).toEqual(historyOf());
  });
});
