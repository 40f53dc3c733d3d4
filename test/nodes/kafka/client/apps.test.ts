import { describe, expect, it } from "vitest";
import type { HistoryOp } from "../../../../sim/history.js";
import { KafkaReader, type KafkaReaderOptions } from "../../../../src/nodes/kafka/client/reader-app.js";
import { KafkaWriter, type KafkaWriterOptions } from "../../../../src/nodes/kafka/client/writer-app.js";
import type { PollValue, SendValue } from "../../../../src/nodes/kafka/history-values.js";
import { buildFakeSystem, type FakeSystem } from "../../../helpers/kafka-fake-broker.js";

function addWriter(sys: FakeSystem, options: Partial<KafkaWriterOptions> = {}, id = "w1"): { writer: () => KafkaWriter; workload: { active: boolean } } {
  const workload = { active: true };
  let writer: KafkaWriter | undefined;
  sys.sim.addNode(id, (ctx) => (writer = new KafkaWriter(ctx, { bootstrapBrokers: sys.cluster.brokers, topic: "t", opsPerSec: 50, workload, ...options })));
  sys.sim.node(id).start();
  return { writer: () => writer as KafkaWriter, workload };
}

function addReader(sys: FakeSystem, options: Partial<KafkaReaderOptions> = {}, id = "r1"): { reader: () => KafkaReader; drain: { active: boolean } } {
  const drain = { active: false };
  let reader: KafkaReader | undefined;
  sys.sim.addNode(id, (ctx) => (reader = new KafkaReader(ctx, { bootstrapBrokers: sys.cluster.brokers, topics: ["t"], drain, pollTimeoutMs: 200, ...options })));
  sys.sim.node(id).start();
  return { reader: () => reader as KafkaReader, drain };
}

const ops = (sys: FakeSystem, f: string, type?: HistoryOp["type"]) => sys.sim.history.all().filter((op) => op.f === f && (type === undefined || op.type === type));

describe("KafkaWriter", () => {
  it("records an invoke and an ok with partition and offset for each unique value", () => {
    const sys = buildFakeSystem({ topics: [{ name: "t", partitions: 2 }] });
    const { writer, workload } = addWriter(sys, { keyCount: 5 });
    sys.runMs(2000);
    workload.active = false;
    expect(sys.runUntil(() => writer().openSends === 0)).toBe(true);
    const invokes = ops(sys, "send", "invoke");
    const oks = ops(sys, "send", "ok");
    expect(invokes.length).toBeGreaterThan(50);
    expect(oks).toHaveLength(invokes.length);
    expect(invokes.map((op) => (op.value as SendValue).value)).toEqual(invokes.map((_, i) => `w1-${i}`));
    for (const ok of oks) {
      const value = ok.value as SendValue;
      expect(sys.cluster.values(`t-${value.partition}`)[value.offset as number]).toBe(value.value);
      expect(ok.process).toBe("w1");
    }
    expect(new Set(oks.map((op) => (op.value as SendValue).partition))).toEqual(new Set([0, 1]));
  });

  it("with several outstanding sends, each slot is its own history process", () => {
    const sys = buildFakeSystem();
    sys.cluster.inject({ api: "Produce", action: { kind: "delay-response", ms: 200 }, count: Number.POSITIVE_INFINITY });
    const { writer, workload } = addWriter(sys, { concurrency: 3, opsPerSec: 100 });
    sys.runMs(1000);
    workload.active = false;
    expect(sys.runUntil(() => writer().openSends === 0)).toBe(true);
    expect(new Set(ops(sys, "send", "invoke").map((op) => op.process))).toEqual(new Set(["w1/0", "w1/1", "w1/2"]));
    expect(ops(sys, "send", "ok")).toHaveLength(ops(sys, "send", "invoke").length);
  });

  it("records fail when a send definitely did not happen and info when it may have", () => {
    const sys = buildFakeSystem({ topics: [{ name: "t", partitions: 2 }] });
    sys.cluster.leaders.set("t-0", { leader: 9, leaderEpoch: 0 }); // never a leader: nothing is sent
    sys.cluster.inject({ api: "Produce", tp: "t-1", action: { kind: "error", error: "NOT_ENOUGH_REPLICAS_AFTER_APPEND", append: true }, count: Number.POSITIVE_INFINITY });
    const producer = { requestTimeoutMs: 500, deliveryTimeoutMs: 1000 };
    const { writer, workload } = addWriter(sys, { producer, keyCount: 8, opsPerSec: 20, concurrency: 4 });
    sys.runMs(3000);
    workload.active = false;
    expect(sys.runUntil(() => writer().openSends === 0)).toBe(true);
    const fails = ops(sys, "send", "fail");
    const infos = ops(sys, "send", "info");
    expect(fails.length).toBeGreaterThan(0);
    expect(infos.length).toBeGreaterThan(0);
    expect(fails.every((op) => (op.value as SendValue).partition === 0 && op.error === "DELIVERY_TIMEOUT")).toBe(true);
    expect(infos.every((op) => (op.value as SendValue).partition === 1)).toBe(true);
    expect(fails.length + infos.length).toBe(ops(sys, "send", "invoke").length);
  });
});

describe("KafkaReader", () => {
  it("assigns every partition, seeks to the beginning, records its polls, and the end offsets once drained", () => {
    const sys = buildFakeSystem({ topics: [{ name: "t", partitions: 2 }] });
    const { writer, workload } = addWriter(sys, { keyCount: 4 });
    const { reader, drain } = addReader(sys);
    sys.runMs(2000);
    workload.active = false;
    expect(sys.runUntil(() => writer().openSends === 0)).toBe(true);
    drain.active = true;
    expect(sys.runUntil(() => reader().hasDrained)).toBe(true);

    const readerOps = sys.sim.history.all().filter((op) => op.process === "r1" && op.type === "ok");
    expect(readerOps[0]).toMatchObject({ f: "assign", value: { partitions: [["t", 0], ["t", 1]] } });
    expect(readerOps.filter((op) => op.f === "seek").map((op) => op.value)).toEqual([
      { topic: "t", partition: 0, offset: 0 },
      { topic: "t", partition: 1, offset: 0 },
    ]);
    const polled = readerOps.filter((op) => op.f === "poll").flatMap((op) => (op.value as PollValue).records);
    for (const p of [0, 1]) {
      const mine = polled.filter(([, partition]) => partition === p);
      expect(mine.map(([, , offset]) => offset)).toEqual(mine.map((_, i) => i));
      expect(mine.map(([, , , value]) => value)).toEqual(sys.cluster.values(`t-${p}`));
    }
    const end = readerOps.filter((op) => op.f === "end-offsets");
    expect(end).toHaveLength(1);
    expect(end[0]?.value).toEqual({
      offsets: [
        ["t", 0, sys.cluster.logEndOffset("t-0")],
        ["t", 1, sys.cluster.logEndOffset("t-1")],
      ],
    });
  });

  it("records an automatic reset after OFFSET_OUT_OF_RANGE as a seek", () => {
    const sys = buildFakeSystem();
    sys.cluster.appendBatch("t-0", ["a", "b", "c"]);
    sys.cluster.log("t-0").logStartOffset = 2;
    addReader(sys);
    sys.runMs(2000);
    const seeks = ops(sys, "seek", "ok").map((op) => op.value);
    expect(seeks).toEqual([{ topic: "t", partition: 0, offset: 2 }]);
    const polled = ops(sys, "poll", "ok").flatMap((op) => (op.value as PollValue).records);
    expect(polled).toEqual([["t", 0, 2, "c"]]);
  });
});
