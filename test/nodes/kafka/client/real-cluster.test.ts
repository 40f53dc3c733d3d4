import { describe, expect, it } from "vitest";
import { checkKafkaDataHistory } from "../../../../src/checks/kafka/index.js";
import { KafkaReader } from "../../../../src/nodes/kafka/client/reader-app.js";
import { KafkaWriter } from "../../../../src/nodes/kafka/client/writer-app.js";
import { KafkaHarness } from "../../../../src/systems/kafka/harness.js";

/** The clients against the real brokers and controller: a smoke test of the protocol they share. */
function run(seed: number, crashLeader: boolean) {
  const h = new KafkaHarness({ seed, cluster: { brokers: 3, topics: [{ name: "events", partitions: 2, replicationFactor: 3 }] } });
  expect(h.waitForLeaders()).toBe(true);
  const workload = { active: true };
  const drain = { active: false };
  let writer: KafkaWriter | undefined;
  let reader: KafkaReader | undefined;
  h.sim.addNode("w1", (ctx) => (writer = new KafkaWriter(ctx, { bootstrapBrokers: [1, 2, 3], topic: "events", opsPerSec: 50, concurrency: 2, keyCount: 8, workload })));
  h.sim.addNode("r1", (ctx) => (reader = new KafkaReader(ctx, { bootstrapBrokers: [1, 2, 3], topics: ["events"], drain, pollTimeoutMs: 500 })));
  h.sim.node("w1").start();
  h.sim.node("r1").start();
  h.runFor(3000);
  if (crashLeader) {
    const leader = h.leaderOf("events", 0) as number;
    h.sim.node(`b${leader}`).crash(false);
    h.runFor(15_000);
    h.sim.node(`b${leader}`).start();
  }
  h.runFor(3000);
  workload.active = false;
  const settled = h.runUntil(() => writer?.openSends === 0, 200_000);
  drain.active = true;
  const drained = h.runUntil(() => reader?.hasDrained === true, 60_000);
  return { h, settled, drained };
}

describe("clients against the real cluster", () => {
  for (const crashLeader of [false, true]) {
    it(`write, read and drain${crashLeader ? " across a leader crash" : ""}: the data checkers find nothing`, () => {
      const { h, settled, drained } = run(3, crashLeader);
      expect(settled).toBe(true);
      expect(drained).toBe(true);
      const sends = h.sim.history.all().filter((op) => op.f === "send" && op.type === "ok");
      expect(sends.length).toBeGreaterThan(100);
      expect(checkKafkaDataHistory(h.sim.history.all())).toEqual([]);
    });
  }
});
