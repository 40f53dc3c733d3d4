import { describe, expect, it } from "vitest";
import { KAFKA_BUGS } from "../../../../src/nodes/kafka/bugs.js";
import { brokerIdOf } from "../../../../src/nodes/kafka/names.js";
import { TRANSACTION_STATE_TOPIC } from "../../../../src/nodes/kafka/txn/protocol.js";
import { produceBatch, startedTxnCluster, TOPIC, txnBatch, writeMarker, type TxnCluster } from "./protocol-helpers.js";
import { scriptedCoordinators, type ScriptedCoordinator } from "./scripted-coordinator.js";

/**
 * KIP-890 verification at the partition leader (facts §1.7): the first transactional batch of
 * a producer on a partition is appended only after the transaction coordinator agrees.
 */

interface Setup {
  readonly c: TxnCluster;
  readonly coordinator: () => ScriptedCoordinator;
}

function setup(transactionVersion: 1 | 2, bugs: string[] = []): Setup {
  const fakes = scriptedCoordinators();
  const c = startedTxnCluster({
    bugs,
    broker: { transactionVersion },
    topics: [
      { name: TOPIC, partitions: 1, replicationFactor: 3 },
      { name: TRANSACTION_STATE_TOPIC, partitions: 1, replicationFactor: 3 },
    ],
    coordinators: fakes.factories,
  });
  const coordinator = () => {
    const leader = brokerIdOf(c.leaderNode(TRANSACTION_STATE_TOPIC, 0)) as number;
    return fakes.byBroker.get(leader) as ScriptedCoordinator;
  };
  return { c, coordinator };
}

function firstBatch(c: TxnCluster, producerEpoch = 0) {
  return produceBatch(c, txnBatch(["t"], { producerId: 100, producerEpoch, baseSequence: 0 }));
}

function verifications(coordinator: ScriptedCoordinator) {
  return coordinator.requests.map((r) => r.request).filter((r) => r.type === "AddPartitionsToTxn");
}

describe("transaction version 1: verify only", () => {
  it("asks the coordinator whether the partition is in the transaction, and appends when it is", () => {
    const { c, coordinator } = setup(1);
    expect(firstBatch(c)?.error).toBe("NONE");
    expect(verifications(coordinator())).toMatchObject([
      { transactionalId: "tx", producerId: 100, producerEpoch: 0, verifyOnly: true, transactionVersion: 1, partitions: [{ topic: TOPIC, partition: 0 }] },
    ]);
    expect(c.leaderReplica().producers.ongoingTransactions.some((t) => t.producerId === 100)).toBe(true);
  });

  it("refuses a partition the transaction does not hold with INVALID_TXN_STATE and appends nothing", () => {
    const { c, coordinator } = setup(1);
    coordinator().answer = () => "TRANSACTION_ABORTABLE";
    expect(firstBatch(c)?.error).toBe("INVALID_TXN_STATE");
    expect(c.leaderReplica().log.logEndOffset).toBe(0);
  });

  it("does not ask again for later batches of an open transaction", () => {
    const { c, coordinator } = setup(1);
    firstBatch(c);
    expect(produceBatch(c, txnBatch(["t2"], { producerId: 100, baseSequence: 1 }))?.error).toBe("NONE");
    expect(verifications(coordinator())).toHaveLength(1);
  });

  it("an answer that arrives after a marker ended the transaction cannot open one (the verification guard)", () => {
    const { c, coordinator } = setup(1);
    coordinator().hold = true;
    const id = c.send(c.leaderNode(), { type: "Produce", acks: -1, timeoutMs: 30_000, transactionalId: "tx", topicData: [{ topic: TOPIC, partition: 0, batch: txnBatch(["late"], { producerId: 100, baseSequence: 0 }) }] });
    c.runFor(50);
    expect(writeMarker(c, "ABORT", { producerId: 100 })).toBe("NONE");
    coordinator().release();
    expect(c.runUntil(() => c.response(id) !== undefined, 5000)).toBe(true);
    expect(c.response<"ProduceResponse">(id)?.responses[0]?.error).toBe("INVALID_TXN_STATE");
    expect(c.leaderReplica().producers.ongoingTransactions.some((t) => t.producerId === 100)).toBe(false);
  });
});

describe("transaction version 2: the leader adds the partition", () => {
  it("sends AddPartitionsToTxn without verifyOnly and appends on success", () => {
    const { c, coordinator } = setup(2);
    expect(firstBatch(c)?.error).toBe("NONE");
    expect(verifications(coordinator())).toMatchObject([{ verifyOnly: false, transactionVersion: 2 }]);
  });

  it("the next transaction's first batch (bumped epoch) is verified while the previous one still waits for its marker", () => {
    const { c, coordinator } = setup(2);
    expect(firstBatch(c, 0)?.error).toBe("NONE");
    // The coordinator is writing the previous transaction's markers: it refuses the implicit add.
    coordinator().answer = () => "CONCURRENT_TRANSACTIONS";
    expect(firstBatch(c, 1)?.error).toBe("NOT_ENOUGH_REPLICAS");
    expect(verifications(coordinator())).toHaveLength(2);
    expect(c.leaderReplica().log.logEndOffset).toBe(1);
  });

  it.each([
    ["TRANSACTION_ABORTABLE", "TRANSACTION_ABORTABLE"],
    ["PRODUCER_FENCED", "INVALID_PRODUCER_EPOCH"],
    ["CONCURRENT_TRANSACTIONS", "NOT_ENOUGH_REPLICAS"],
    ["NOT_COORDINATOR", "NOT_ENOUGH_REPLICAS"],
    ["INVALID_PRODUCER_ID_MAPPING", "INVALID_PRODUCER_ID_MAPPING"],
  ] as const)("a coordinator's %s reaches the producer as %s", (answer, produceError) => {
    const { c, coordinator } = setup(2);
    coordinator().answer = () => answer;
    expect(firstBatch(c)?.error).toBe(produceError);
    expect(c.leaderReplica().log.logEndOffset).toBe(0);
  });
});

describe("no coordinator", () => {
  it("without a transaction coordinator the produce gets the retriable NOT_ENOUGH_REPLICAS", () => {
    const c = startedTxnCluster();
    expect(firstBatch(c)?.error).toBe("NOT_ENOUGH_REPLICAS");
  });

  it("with transaction version 1 and verification disabled the first batch is appended without asking", () => {
    const c = startedTxnCluster({ broker: { transactionVersion: 1, transactionPartitionVerificationEnable: false } });
    expect(firstBatch(c)?.error).toBe("NONE");
  });
});

describe("verification config", () => {
  it("transaction version 2 adds the partition even with transaction.partition.verification.enable off", () => {
    const fakes = scriptedCoordinators();
    const c = startedTxnCluster({
      broker: { transactionVersion: 2, transactionPartitionVerificationEnable: false },
      topics: [
        { name: TOPIC, partitions: 1, replicationFactor: 3 },
        { name: TRANSACTION_STATE_TOPIC, partitions: 1, replicationFactor: 3 },
      ],
      coordinators: fakes.factories,
    });
    expect(firstBatch(c)?.error).toBe("NONE");
    const requests = [...fakes.byBroker.values()].flatMap((f) => verifications(f));
    expect(requests).toMatchObject([{ verifyOnly: false, transactionVersion: 2 }]);
  });
});

describe("bug switch", () => {
  it(`${KAFKA_BUGS.noPartitionVerification}: a first transactional batch is appended without asking the coordinator (KAFKA-12671)`, () => {
    for (const bugs of [[], [KAFKA_BUGS.noPartitionVerification]]) {
      const { c, coordinator } = setup(1, bugs);
      coordinator().answer = () => "TRANSACTION_ABORTABLE";
      expect(firstBatch(c)?.error).toBe(bugs.length === 0 ? "INVALID_TXN_STATE" : "NONE");
      expect(verifications(coordinator())).toHaveLength(bugs.length === 0 ? 1 : 0);
    }
  });
});
