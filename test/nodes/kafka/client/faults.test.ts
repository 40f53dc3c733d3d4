import { describe, expect, it } from "vitest";
import { KafkaReader } from "../../../../src/nodes/kafka/client/reader-app.js";
import { KafkaWriter } from "../../../../src/nodes/kafka/client/writer-app.js";
import type { PollValue, SendValue } from "../../../../src/nodes/kafka/history-values.js";
import { partitionKey } from "../../../../src/nodes/kafka/protocol.js";
import { buildFakeSystem } from "../../../helpers/kafka-fake-broker.js";

/**
 * Writers and a reader against two fake brokers while connections reset, links partition,
 * leaders move and responses get lost. The fake brokers never lose producer state, so an
 * idempotent producer must write every value at most once, and the history must agree with
 * the logs.
 */
function runWithFaults(seed: number) {
  const sys = buildFakeSystem({ seed, brokers: [1, 2], topics: [{ name: "t", partitions: 3 }], network: { latency: { model: "uniform", msMin: 0.5, msMax: 15 } } });
  const workload = { active: true };
  const drain = { active: false };
  const writers: KafkaWriter[] = [];
  let reader: KafkaReader | undefined;
  for (const id of ["w1", "w2"]) {
    sys.sim.addNode(id, (ctx) => {
      const writer = new KafkaWriter(ctx, {
        bootstrapBrokers: [1, 2],
        topic: "t",
        opsPerSec: 40,
        concurrency: 3,
        keyCount: 10,
        producer: { requestTimeoutMs: 800, deliveryTimeoutMs: 5000, lingerMs: 2, batchSizeRecords: 4 },
        workload,
      });
      writers.push(writer);
      return writer;
    });
    sys.sim.node(id).start();
  }
  sys.sim.addNode("r1", (ctx) => (reader = new KafkaReader(ctx, { bootstrapBrokers: [1, 2], topics: ["t"], drain, pollTimeoutMs: 200, consumer: { requestTimeoutMs: 800 } })));
  sys.sim.node("r1").start();

  const rng = sys.sim.rng.fork("test/faults");
  for (let atMs = 500; atMs < 15_000; atMs += rng.int(300, 1500)) {
    const kind = rng.int(0, 3);
    sys.sim.at(atMs * 1000, () => {
      const client = rng.pick(["w1", "w2", "r1"]);
      const broker = rng.pick(["b1", "b2"]);
      if (kind === 0) sys.net.reset(client, broker);
      else if (kind === 1) sys.cluster.moveLeader(`t-${rng.int(0, 2)}`, rng.int(1, 2));
      else if (kind === 2) sys.cluster.inject({ api: rng.pick(["Produce", "Fetch", "Metadata"] as const), action: { kind: "drop-response" }, count: rng.int(1, 3) });
      else {
        sys.net.partitions.blockOneWay(client, broker);
        sys.net.partitions.blockOneWay(broker, client);
        sys.sim.after(rng.int(200, 2000) * 1000, () => sys.net.heal());
      }
    });
  }
  sys.runMs(16_000);
  sys.net.heal();
  workload.active = false;
  const settled = sys.runUntil(() => writers.every((w) => w.openSends === 0), 60_000);
  drain.active = true;
  const drained = sys.runUntil(() => reader?.hasDrained === true, 60_000);
  return { sys, settled, drained };
}

describe("clients under faults", () => {
  it("an idempotent producer writes every value at most once, and the history matches the logs", () => {
    const { sys, settled, drained } = runWithFaults(11);
    expect(settled).toBe(true);
    expect(drained).toBe(true);
    const logs = new Map([0, 1, 2].map((p) => [p, sys.cluster.values(partitionKey("t", p))]));
    const written = [...logs.values()].flat();
    expect(new Set(written).size).toBe(written.length);

    const completions = sys.sim.history.all().filter((op) => op.f === "send" && op.type !== "invoke");
    expect(completions.length).toBe(sys.sim.history.all().filter((op) => op.f === "send" && op.type === "invoke").length);
    const types = new Set(completions.map((op) => op.type));
    expect(types.has("ok")).toBe(true);
    for (const op of completions) {
      const value = op.value as SendValue;
      if (op.type === "ok") expect(logs.get(value.partition as number)?.[value.offset as number]).toBe(value.value);
      if (op.type === "fail") expect(written).not.toContain(value.value);
    }
    const polled = sys.sim.history.all().filter((op) => op.f === "poll" && op.type === "ok").flatMap((op) => (op.value as PollValue).records);
    for (const [p, values] of logs) {
      expect(polled.filter(([, partition]) => partition === p).map(([, , , value]) => value)).toEqual(values);
    }
  });

  it("is deterministic: the same seed gives the same trace and history, another seed does not", () => {
    const a = runWithFaults(5).sys;
    const b = runWithFaults(5).sys;
    const c = runWithFaults(6).sys;
    expect(a.sim.trace.hash).toBe(b.sim.trace.hash);
    expect(a.sim.history.all().map((op) => [op.type, op.process, op.value])).toEqual(b.sim.history.all().map((op) => [op.type, op.process, op.value]));
    expect(c.sim.trace.hash).not.toBe(a.sim.trace.hash);
  });
});
