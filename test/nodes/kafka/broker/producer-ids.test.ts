import { describe, expect, it } from "vitest";
import { KafkaHarness } from "../../../../src/systems/kafka/harness.js";
import { callInitProducerId, initProducerId, startedHarness } from "./protocol-helpers.js";

/**
 * InitProducerId with a null transactional.id (idempotent producers): any broker answers from
 * a block of producer ids the controller allocated to it (AllocateProducerIds, KIP-730). Until
 * a broker has a block it answers the retriable COORDINATOR_LOAD_IN_PROGRESS.
 */

describe("InitProducerId without a transactional.id", () => {
  it("a broker without a producer-id block yet answers COORDINATOR_LOAD_IN_PROGRESS", () => {
    const h = new KafkaHarness();
    // Sent at time 0: it arrives before b1 has registered with the controller.
    const response = callInitProducerId(h, "b1");
    expect(response).toMatchObject({ error: "COORDINATOR_LOAD_IN_PROGRESS", producerId: -1 });
  });

  it("once it has a block, every broker hands out ids at epoch 0, and no id is handed out twice", () => {
    const h = startedHarness();
    h.runFor(100);
    const ids: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (const broker of ["b1", "b2", "b3"]) {
        const response = callInitProducerId(h, broker);
        expect(response).toMatchObject({ error: "NONE", producerEpoch: 0 });
        ids.push(response?.producerId ?? -1);
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => id >= 0)).toBe(true);
  });

  it("consecutive ids from one broker come from its own block", () => {
    const h = startedHarness({ cluster: { producerIdBlockSize: 100 } });
    const first = initProducerId(h, "b2").producerId;
    const second = initProducerId(h, "b2").producerId;
    expect(second).toBe(first + 1);
  });

  it("a broker that used up its block gets a new one, disjoint from every block handed out before", () => {
    const h = startedHarness({ cluster: { producerIdBlockSize: 2 } });
    const ids = [initProducerId(h, "b1"), initProducerId(h, "b2"), initProducerId(h, "b1"), initProducerId(h, "b1"), initProducerId(h, "b1"), initProducerId(h, "b2")].map((p) => p.producerId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("a restarted broker gets a new block and never repeats an id it handed out before", () => {
    const h = startedHarness({ cluster: { producerIdBlockSize: 10 } });
    const before = [initProducerId(h, "b1").producerId, initProducerId(h, "b1").producerId];
    h.apply({ kind: "crash", node: "b1", loseUnflushed: true });
    h.apply({ kind: "restart", node: "b1" });
    const after = initProducerId(h, "b1").producerId;
    expect(before).not.toContain(after);
    expect(after).toBeGreaterThan(Math.max(...before));
  });

  it("the id does not depend on the producer id and epoch the request carries", () => {
    const h = startedHarness();
    const { producerId } = initProducerId(h, "b1");
    const again = h.call<"InitProducerIdResponse">("b1", { type: "InitProducerId", transactionalId: null, transactionTimeoutMs: 60_000, producerId, producerEpoch: 0 });
    expect(again).toMatchObject({ error: "NONE", producerEpoch: 0 });
    expect(again?.producerId).not.toBe(producerId);
  });
});
