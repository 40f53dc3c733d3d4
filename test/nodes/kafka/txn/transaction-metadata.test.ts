import { describe, expect, it } from "vitest";
import {
  ALL_TRANSACTION_STATES,
  IllegalTxnStateError,
  TRANSACTION_STATES,
  TransactionMetadata,
  transactionStateFromId,
  type TransactionState,
  type TransactionMetadataInit,
} from "../../../../src/nodes/kafka/txn/transaction-metadata.js";
import { TP0, TP1, transit } from "./helpers.js";

/**
 * TransactionMetadata: Kafka's 8 states with their valid previous states (facts §1.3), the
 * two-phase prepare / complete protocol and its consistency checks, and the epoch rules the
 * prepares encode (facts §1.2, KIP-890).
 */

function metadata(init: Partial<TransactionMetadataInit> = {}): TransactionMetadata {
  return new TransactionMetadata({ transactionalId: "t", producerId: 7, producerEpoch: 3, txnTimeoutMs: 60_000, state: "Empty", txnLastUpdateTimestamp: 0, ...init });
}

/** Prepares a transition into `to` from a metadata resting in `from`, whatever the prepare method. */
function prepareInto(from: TransactionState, to: TransactionState): () => void {
  const m = metadata({ state: from, topicPartitions: from === "Empty" ? [] : [TP0], txnStartTimestamp: 5, clientTransactionVersion: 2 });
  switch (to) {
    case "Empty":
      return () => transit(m.prepareIncrementProducerEpoch(60_000, undefined, 10));
    case "Ongoing":
      return () => m.prepareAddPartitions([TP1], 10, 2);
    case "PrepareCommit":
    case "PrepareAbort":
      return () => m.prepareAbortOrCommit(to, 2, -1, 10, false);
    case "CompleteCommit":
    case "CompleteAbort":
      // prepareComplete picks the Complete* matching the current Prepare*; the table is what it checks.
      return () => m.prepareComplete(10);
    case "Dead":
      return () => m.prepareDead();
    case "PrepareEpochFence":
      return () => m.prepareFenceProducerEpoch();
  }
}

describe("the state table", () => {
  it("has Kafka's ids 0..7 in order and maps ids back to states", () => {
    expect(ALL_TRANSACTION_STATES.map((s) => TRANSACTION_STATES[s].id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const state of ALL_TRANSACTION_STATES) expect(transactionStateFromId(TRANSACTION_STATES[state].id)).toBe(state);
    expect(() => transactionStateFromId(8)).toThrow(IllegalTxnStateError);
  });

  it("only Empty, CompleteCommit and CompleteAbort allow transactional.id expiry", () => {
    expect(ALL_TRANSACTION_STATES.filter((s) => TRANSACTION_STATES[s].isExpirationAllowed)).toEqual(["Empty", "CompleteCommit", "CompleteAbort"]);
  });

  const table: Record<TransactionState, readonly TransactionState[]> = {
    Empty: ["Empty", "CompleteCommit", "CompleteAbort"],
    Ongoing: ["Ongoing", "Empty", "CompleteCommit", "CompleteAbort"],
    PrepareCommit: ["Ongoing"],
    PrepareAbort: ["Ongoing", "PrepareEpochFence", "Empty", "CompleteCommit", "CompleteAbort"],
    CompleteCommit: ["PrepareCommit"],
    CompleteAbort: ["PrepareAbort"],
    Dead: ["Empty", "CompleteAbort", "CompleteCommit"],
    PrepareEpochFence: ["Ongoing"],
  };

  for (const to of ALL_TRANSACTION_STATES) {
    it(`${to} may be prepared from ${table[to].join(", ")} and from no other state`, () => {
      expect([...TRANSACTION_STATES[to].validPreviousStates].sort()).toEqual([...table[to]].sort());
      for (const from of ALL_TRANSACTION_STATES) {
        // prepareComplete derives its target from the current state, so only Prepare* reach Complete*.
        if ((to === "CompleteCommit" || to === "CompleteAbort") && from !== "PrepareCommit" && from !== "PrepareAbort") continue;
        if (to === "CompleteCommit" && from === "PrepareAbort") continue;
        if (to === "CompleteAbort" && from === "PrepareCommit") continue;
        // Rotation/increment need a non-exhausted epoch and allow only Empty/Complete*; the table decides first.
        const prepare = prepareInto(from, to);
        if (table[to].includes(from)) expect(prepare, `${from} → ${to}`).not.toThrow();
        else expect(prepare, `${from} → ${to}`).toThrow(IllegalTxnStateError);
      }
    });
  }

  it("CompleteCommit cannot follow PrepareAbort nor CompleteAbort follow PrepareCommit", () => {
    const aborting = metadata({ state: "PrepareAbort", topicPartitions: [TP0], txnStartTimestamp: 5 });
    expect(aborting.prepareComplete(10).txnState).toBe("CompleteAbort");
    const committing = metadata({ state: "PrepareCommit", topicPartitions: [TP0], txnStartTimestamp: 5 });
    expect(committing.prepareComplete(10).txnState).toBe("CompleteCommit");
  });
});

describe("prepare and complete", () => {
  it("a prepare sets the pending state and changes nothing else until the transition completes", () => {
    const m = metadata();
    const transit = m.prepareAddPartitions([TP0], 50, 2);
    expect(m.pendingState).toBe("Ongoing");
    expect(m.state).toBe("Empty");
    expect(m.topicPartitions).toEqual([]);
    m.completeTransitionTo(transit);
    expect(m.state).toBe("Ongoing");
    expect(m.pendingState).toBeNull();
    expect(m.topicPartitions).toEqual([TP0]);
    expect(m.txnStartTimestamp).toBe(50);
  });

  it("a second prepare while one is pending is refused", () => {
    const m = metadata();
    m.prepareAddPartitions([TP0], 50, 2);
    expect(() => m.prepareAddPartitions([TP1], 51, 2)).toThrow(IllegalTxnStateError);
    expect(m.pendingState).toBe("Ongoing");
  });

  it("completing without a pending state, or into another state than the pending one, is refused", () => {
    const m = metadata();
    const transit = m.prepareAddPartitions([TP0], 50, 2);
    m.clearPendingState();
    expect(() => m.completeTransitionTo(transit)).toThrow(IllegalTxnStateError);
    m.prepareIncrementProducerEpoch(60_000, undefined, 50);
    expect(() => m.completeTransitionTo(transit)).toThrow(IllegalTxnStateError);
    expect(m.state).toBe("Empty");
  });

  it("an Empty transition must keep the epoch, add one, or start a new producer id at 0", () => {
    const m = metadata();
    const bump = transit(m.prepareIncrementProducerEpoch(60_000, undefined, 50));
    expect(() => m.completeTransitionTo({ ...bump, producerEpoch: 5 })).toThrow(IllegalTxnStateError);
    m.completeTransitionTo(bump);
    expect(m.producerEpoch).toBe(4);
    const rotation = m.prepareProducerIdRotation(99, 60_000, 60, false);
    m.completeTransitionTo(rotation);
    expect({ producerId: m.producerId, producerEpoch: m.producerEpoch, previousProducerId: m.previousProducerId }).toEqual({ producerId: 99, producerEpoch: 0, previousProducerId: 7 });
  });

  it("while Ongoing the partition set only grows and the timeout does not change", () => {
    const m = metadata({ state: "Ongoing", topicPartitions: [TP0, TP1], txnStartTimestamp: 5 });
    const transit = m.prepareAddPartitions([], 50, 2);
    expect(() => m.completeTransitionTo({ ...transit, topicPartitions: [TP0] })).toThrow(IllegalTxnStateError);
    expect(() => m.completeTransitionTo({ ...transit, txnTimeoutMs: 1 })).toThrow(IllegalTxnStateError);
    m.completeTransitionTo(transit);
    expect(m.topicPartitions).toEqual([TP0, TP1]);
  });

  it("Prepare* keeps the partitions and the start timestamp of the transaction", () => {
    const m = metadata({ state: "Ongoing", topicPartitions: [TP0], txnStartTimestamp: 5, clientTransactionVersion: 1 });
    const transit = m.prepareAbortOrCommit("PrepareCommit", 1, -1, 50, false);
    expect(() => m.completeTransitionTo({ ...transit, txnStartTimestamp: 6 })).toThrow(IllegalTxnStateError);
    expect(() => m.completeTransitionTo({ ...transit, topicPartitions: [] })).toThrow(IllegalTxnStateError);
    m.completeTransitionTo(transit);
    expect(m.txnStartTimestamp).toBe(5);
  });

  it("TV2 may abort from Empty with a new start timestamp; TV1 may not change it", () => {
    const v2 = metadata({ state: "Empty", clientTransactionVersion: 2 });
    v2.completeTransitionTo(v2.prepareAbortOrCommit("PrepareAbort", 2, -1, 50, true));
    expect({ state: v2.state, txnStartTimestamp: v2.txnStartTimestamp, producerEpoch: v2.producerEpoch }).toEqual({ state: "PrepareAbort", txnStartTimestamp: 50, producerEpoch: 4 });
    const v1 = metadata({ state: "Empty" });
    const transit = v1.prepareAbortOrCommit("PrepareAbort", 1, -1, 50, true);
    expect(() => v1.completeTransitionTo(transit)).toThrow(IllegalTxnStateError);
  });

  it("Complete* needs a start timestamp; PrepareEpochFence and Dead are never completed", () => {
    const prepared = metadata({ state: "PrepareCommit", topicPartitions: [TP0], txnStartTimestamp: 5 });
    const complete = prepared.prepareComplete(50);
    expect(() => prepared.completeTransitionTo({ ...complete, txnStartTimestamp: -1 })).toThrow(IllegalTxnStateError);
    const ongoing = metadata({ state: "Ongoing", topicPartitions: [TP0], txnStartTimestamp: 5 });
    expect(() => ongoing.completeTransitionTo(ongoing.prepareFenceProducerEpoch())).toThrow(IllegalTxnStateError);
    const idle = metadata({ state: "CompleteAbort", txnStartTimestamp: 5 });
    expect(() => idle.completeTransitionTo(idle.prepareDead())).toThrow(IllegalTxnStateError);
  });

  it("every prepare records the producer id it starts from as the previous producer id", () => {
    const m = metadata({ previousProducerId: 3 });
    expect(transit(m.prepareIncrementProducerEpoch(60_000, undefined, 50)).previousProducerId).toBe(7);
  });

  it("a new producer epoch outside [0, max] is refused, except for Dead", () => {
    const m = metadata({ state: "Ongoing", producerEpoch: 9, maxProducerEpoch: 9, topicPartitions: [TP0], txnStartTimestamp: 5, clientTransactionVersion: 2 });
    expect(() => m.prepareAbortOrCommit("PrepareCommit", 2, -1, 50, false)).toThrow(IllegalTxnStateError);
    const fresh = metadata({ producerEpoch: -1 });
    expect(fresh.prepareDead().producerEpoch).toBe(-1);
  });
});

describe("epoch rules of the prepares", () => {
  it("the epoch is exhausted at max - 1, with a configurable max", () => {
    expect(metadata({ producerEpoch: 32765 }).isProducerEpochExhausted).toBe(false);
    expect(metadata({ producerEpoch: 32766 }).isProducerEpochExhausted).toBe(true);
    expect(metadata({ producerEpoch: 3, maxProducerEpoch: 5 }).isProducerEpochExhausted).toBe(false);
    expect(metadata({ producerEpoch: 4, maxProducerEpoch: 5 }).isProducerEpochExhausted).toBe(true);
  });

  it("bumping an exhausted epoch is refused (InitProducerId must rotate the producer id instead)", () => {
    expect(() => metadata({ producerEpoch: 4, maxProducerEpoch: 5 }).prepareIncrementProducerEpoch(60_000, undefined, 0)).toThrow(IllegalTxnStateError);
  });

  it("a producer-id rotation is refused while a transaction is Ongoing or Prepare*", () => {
    for (const state of ["Ongoing", "PrepareCommit", "PrepareAbort"] as const) {
      expect(() => metadata({ state, topicPartitions: [TP0], txnStartTimestamp: 5 }).prepareProducerIdRotation(99, 60_000, 0, false)).toThrow(IllegalTxnStateError);
    }
  });

  it("a fence bumps the epoch by one, but never past the maximum", () => {
    expect(metadata({ state: "Ongoing", producerEpoch: 3 }).prepareFenceProducerEpoch().producerEpoch).toBe(4);
    expect(metadata({ state: "Ongoing", producerEpoch: 5, maxProducerEpoch: 5 }).prepareFenceProducerEpoch().producerEpoch).toBe(5);
  });

  it("after a failed fence the next fence reuses the epoch (KAFKA-9666), until a Complete* is prepared", () => {
    const m = metadata({ state: "Ongoing", producerEpoch: 3, topicPartitions: [TP0], txnStartTimestamp: 5 });
    m.applyFenceEpochInPlace(4);
    m.markFailedEpochFence();
    expect(m.prepareFenceProducerEpoch().producerEpoch).toBe(4);
    m.clearPendingState();
    m.completeTransitionTo(m.prepareAbortOrCommit("PrepareAbort", 1, -1, 50, false));
    m.prepareComplete(60);
    expect(m.hasFailedEpochFence).toBe(false);
  });

  it("TV2 Prepare* bumps the epoch and records the old one as last; TV1 keeps both", () => {
    const v2 = metadata({ state: "Ongoing", producerEpoch: 3, lastProducerEpoch: 1, topicPartitions: [TP0], txnStartTimestamp: 5 });
    expect(v2.prepareAbortOrCommit("PrepareCommit", 2, -1, 50, false)).toMatchObject({ producerEpoch: 4, lastProducerEpoch: 3 });
    const v1 = metadata({ state: "Ongoing", producerEpoch: 3, lastProducerEpoch: 1, topicPartitions: [TP0], txnStartTimestamp: 5 });
    expect(v1.prepareAbortOrCommit("PrepareCommit", 1, -1, 50, false)).toMatchObject({ producerEpoch: 3, lastProducerEpoch: 1 });
  });

  it("a TV2 abort at the maximum epoch is not bumped (so that a broken state can still be aborted)", () => {
    const m = metadata({ state: "Ongoing", producerEpoch: 5, maxProducerEpoch: 5, topicPartitions: [TP0], txnStartTimestamp: 5 });
    expect(m.prepareAbortOrCommit("PrepareAbort", 2, -1, 50, false).producerEpoch).toBe(5);
  });

  it("TV2 Complete* switches to the next producer id at epoch 0 and keeps the last epoch the client saw", () => {
    const m = metadata({ state: "Ongoing", producerEpoch: 4, maxProducerEpoch: 5, topicPartitions: [TP0], txnStartTimestamp: 5, clientTransactionVersion: 2 });
    m.completeTransitionTo(m.prepareAbortOrCommit("PrepareCommit", 2, 99, 50, false));
    expect({ producerId: m.producerId, producerEpoch: m.producerEpoch, nextProducerId: m.nextProducerId }).toEqual({ producerId: 7, producerEpoch: 5, nextProducerId: 99 });
    m.completeTransitionTo(m.prepareComplete(60));
    expect(m.snapshot()).toMatchObject({ state: "CompleteCommit", producerId: 99, producerEpoch: 0, previousProducerId: 7, nextProducerId: -1, lastProducerEpoch: 4, topicPartitions: [] });
  });

  it("a TV1 Complete* never switches producer id, whatever nextProducerId holds", () => {
    const m = metadata({ state: "PrepareAbort", nextProducerId: 99, topicPartitions: [TP0], txnStartTimestamp: 5, clientTransactionVersion: 1 });
    expect(m.prepareComplete(60)).toMatchObject({ producerId: 7, producerEpoch: 3 });
  });

  it("removing an acknowledged partition is only possible in Prepare*", () => {
    const m = metadata({ state: "PrepareCommit", topicPartitions: [TP0, TP1], txnStartTimestamp: 5 });
    m.removePartition(TP0);
    expect(m.topicPartitions).toEqual([TP1]);
    expect(() => metadata({ state: "Ongoing", topicPartitions: [TP0] }).removePartition(TP0)).toThrow(IllegalTxnStateError);
  });
});
