import { describe, expect, it } from "vitest";
import { KAFKA_BUGS } from "../../../../src/nodes/kafka/bugs.js";
import { CompletedFetch } from "../../../../src/nodes/kafka/client/completed-fetch.js";
import type { LastStableOffsetChange } from "../../../../src/nodes/kafka/observer.js";
import { NO_OBSERVER } from "../../../../src/nodes/kafka/observer.js";
import {
  cutOffFollowers,
  fetchedValues,
  fetchFrom,
  produceBatch,
  startedTxnCluster,
  TOPIC,
  txnBatch,
  writeMarker,
  type TxnCluster,
  type TxnClusterOptions,
} from "./protocol-helpers.js";

/**
 * The last stable offset and read_committed (facts §1.4): the LSO is the first offset of the
 * earliest transaction not yet decided and replicated, capped by the HW; read_committed reads
 * stop there, and carry the aborted transactions they overlap.
 */

const NO_VERIFY: TxnClusterOptions = { broker: { transactionVersion: 1, transactionPartitionVerificationEnable: false } };

function cluster(options: TxnClusterOptions = {}): TxnCluster {
  return startedTxnCluster({ ...NO_VERIFY, ...options, broker: { ...NO_VERIFY.broker, ...options.broker } });
}

function ok(c: TxnCluster, values: string[], producerId: number, baseSequence: number, transactional = true): number {
  const response = produceBatch(c, txnBatch(values, { producerId, baseSequence, transactional }));
  expect(response?.error, `produce ${values.join(",")}`).toBe("NONE");
  return response?.baseOffset ?? -1;
}

function lso(c: TxnCluster): number {
  return c.leaderReplica().lastStableOffset;
}

function hw(c: TxnCluster): number {
  return c.leaderReplica().highWatermark;
}

describe("last stable offset", () => {
  it("stops at the first offset of an open transaction while the HW moves past it", () => {
    const c = cluster();
    ok(c, ["plain"], 50, 0, false);
    const first = ok(c, ["t1"], 100, 0);
    ok(c, ["more"], 50, 1, false);
    expect(hw(c)).toBe(3);
    expect(lso(c)).toBe(first);
  });

  it("is the earliest open transaction's first offset across producers, and moves on as each is decided", () => {
    const c = cluster();
    const firstA = ok(c, ["a1"], 100, 0);
    const firstB = ok(c, ["b1"], 200, 0);
    ok(c, ["a2"], 100, 1);
    expect(lso(c)).toBe(firstA);
    expect(writeMarker(c, "COMMIT", { producerId: 100 })).toBe("NONE");
    expect(lso(c)).toBe(firstB);
    expect(writeMarker(c, "ABORT", { producerId: 200 })).toBe("NONE");
    expect(lso(c)).toBe(hw(c));
    expect(hw(c)).toBe(5);
  });

  it("equals the HW when no transaction is open", () => {
    const c = cluster();
    ok(c, ["x"], 50, 0, false);
    expect(lso(c)).toBe(1);
    expect(c.leaderReplica().producers.firstUnstableOffset).toBeUndefined();
  });

  it("holds a decided transaction until its marker is below the HW", () => {
    const c = cluster();
    const first = ok(c, ["t1"], 100, 0);
    cutOffFollowers(c);
    const leader = c.leaderReplica();
    const id = c.send(c.leaderNode(), {
      type: "WriteTxnMarkers",
      markers: [{ producerId: 100, producerEpoch: 0, coordinatorEpoch: 0, result: "COMMIT", transactionVersion: 1, partitions: [{ topic: TOPIC, partition: 0 }] }],
    });
    c.runFor(200);
    expect(leader.log.logEndOffset).toBe(2);
    expect(leader.producers.ongoingTransactions.some((t) => t.producerId === 100)).toBe(false);
    expect(leader.lastStableOffset).toBe(first);
    expect(c.response(id), "acks=all: no answer before the marker is replicated").toBeUndefined();
    c.apply({ kind: "heal" });
    expect(c.runUntil(() => c.response(id) !== undefined, 10_000)).toBe(true);
    expect(leader.lastStableOffset).toBe(2);
  });

  it("is reported to the observer on every move, never above the HW and never back on a leader within an epoch", () => {
    const changes: LastStableOffsetChange[] = [];
    const c = cluster({ observer: { ...NO_OBSERVER, lastStableOffsetChanged: (change) => changes.push(change) } });
    ok(c, ["t1"], 100, 0);
    ok(c, ["x"], 50, 0, false);
    writeMarker(c, "COMMIT", { producerId: 100 });
    c.runFor(500);
    const leaderMoves = changes.filter((ch) => ch.isLeader && ch.previous >= 0);
    expect(leaderMoves.map((ch) => ch.lastStableOffset)).toContain(3);
    for (const ch of changes) expect(ch.lastStableOffset).toBeLessThanOrEqual(ch.highWatermark);
    for (const ch of leaderMoves) expect(ch.lastStableOffset).toBeGreaterThanOrEqual(ch.previous);
  });

  it("is traced in partition.offsets as lso, next to leo and hw", () => {
    const c = cluster();
    const offsets: Record<string, unknown>[] = [];
    c.sim.trace.listen((r) => {
      if (r.kind === "partition.offsets" && r.node === c.leaderNode()) offsets.push({ ...r.fields });
    });
    ok(c, ["t1"], 100, 0);
    ok(c, ["x"], 50, 0, false);
    expect(offsets[offsets.length - 1]).toMatchObject({ topic: TOPIC, partition: 0, leo: 2, hw: 2, lso: 0 });
  });
});

describe("read_committed fetch", () => {
  it("returns data up to the LSO, while read_uncommitted returns data up to the HW", () => {
    const c = cluster();
    ok(c, ["before"], 50, 0, false);
    ok(c, ["open"], 100, 0);
    ok(c, ["after"], 50, 1, false);
    expect(fetchedValues(fetchFrom(c, 0, "read_committed"))).toEqual(["before"]);
    expect(fetchFrom(c, 0, "read_committed")).toMatchObject({ lastStableOffset: 1, highWatermark: 3 });
    expect(fetchedValues(fetchFrom(c, 0, "read_uncommitted"))).toEqual(["before", "open", "after"]);
  });

  it("lists the aborted transactions that overlap the data returned, and only those", () => {
    const c = cluster();
    ok(c, ["a1"], 100, 0);
    ok(c, ["c1"], 200, 0);
    ok(c, ["a2"], 100, 1);
    writeMarker(c, "ABORT", { producerId: 100 });
    writeMarker(c, "COMMIT", { producerId: 200 });
    ok(c, ["later"], 50, 0, false);
    const all = fetchFrom(c, 0, "read_committed");
    expect(all?.abortedTransactions).toEqual([{ producerId: 100, firstOffset: 0 }]);
    // A fetch from inside the aborted range still gets it (lastOffset >= fetch offset).
    expect(fetchFrom(c, 2, "read_committed")?.abortedTransactions).toEqual([{ producerId: 100, firstOffset: 0 }]);
    // A fetch past the ABORT marker does not.
    expect(fetchFrom(c, 4, "read_committed")?.abortedTransactions).toEqual([]);
    expect(fetchFrom(c, 0, "read_uncommitted")?.abortedTransactions).toBeNull();
  });

  it("lets the consumer drop exactly the aborted records (CompletedFetch)", () => {
    const c = cluster();
    ok(c, ["a1"], 100, 0);
    ok(c, ["c1"], 200, 0);
    ok(c, ["a2"], 100, 1);
    writeMarker(c, "ABORT", { producerId: 100 });
    writeMarker(c, "COMMIT", { producerId: 200 });
    const response = fetchFrom(c, 0, "read_committed");
    if (response === undefined) throw new Error("no fetch response");
    const consumed = new CompletedFetch(TOPIC, 0, 0, response, "read_committed");
    expect(consumed.records.map((r) => r.value)).toEqual(["c1"]);
    expect(consumed.nextFetchOffset).toBe(5);
  });
});

describe("ListOffsets", () => {
  it("answers LATEST with the LSO under read_committed and the HW under read_uncommitted", () => {
    const c = cluster();
    ok(c, ["x"], 50, 0, false);
    ok(c, ["open"], 100, 0);
    const latest = (isolationLevel: "read_committed" | "read_uncommitted") =>
      c.call<"ListOffsetsResponse">(c.leaderNode(), { type: "ListOffsets", isolationLevel, partitions: [{ topic: TOPIC, partition: 0, timestamp: -1 }] })?.partitions[0]?.offset;
    expect(latest("read_committed")).toBe(1);
    expect(latest("read_uncommitted")).toBe(2);
  });
});

describe("rebuilt from the log", () => {
  it("a new leader after failover has the open transaction and the aborted index its predecessor had", () => {
    const c = cluster();
    ok(c, ["a1"], 100, 0);
    writeMarker(c, "ABORT", { producerId: 100 });
    const open = ok(c, ["b1"], 200, 0);
    expect(c.waitForReplication()).toBe(true);
    const old = c.leaderNode();
    c.apply({ kind: "crash", node: old, loseUnflushed: false });
    expect(c.runUntil(() => c.leaderOf() !== undefined && c.leaderNode() !== old, 15_000)).toBe(true);
    const leader = c.leaderReplica();
    expect(leader.producers.ongoingTransactions).toEqual([{ producerId: 200, firstOffset: open }]);
    expect(leader.transactionIndex.all).toMatchObject([{ producerId: 100, firstOffset: 0, lastOffset: 1 }]);
    c.runUntil(() => leader.highWatermark === 3, 5000);
    expect(leader.lastStableOffset).toBe(open);
    expect(writeMarker(c, "COMMIT", { producerId: 200 })).toBe("NONE");
    expect(leader.lastStableOffset).toBe(4);
  });

  it("a restarted broker rebuilds the transactions of its own log", () => {
    const c = cluster();
    ok(c, ["a1"], 100, 0);
    writeMarker(c, "ABORT", { producerId: 100 });
    ok(c, ["b1"], 200, 0);
    expect(c.waitForReplication()).toBe(true);
    const follower = c.brokerIds.find((id) => id !== c.leaderOf()) as number;
    c.apply({ kind: "crash", node: `b${follower}`, loseUnflushed: false });
    c.apply({ kind: "restart", node: `b${follower}` });
    c.runFor(10);
    const replica = c.replica(follower);
    expect(replica?.producers.ongoingTransactions).toEqual([{ producerId: 200, firstOffset: 2 }]);
    expect(replica?.transactionIndex.all).toMatchObject([{ producerId: 100, firstOffset: 0, lastOffset: 1 }]);
  });
});

describe("bug switches", () => {
  it(`${KAFKA_BUGS.lsoIgnoresOpenTxns}: read_committed reads an open transaction`, () => {
    for (const bugs of [[], [KAFKA_BUGS.lsoIgnoresOpenTxns]]) {
      const c = cluster({ bugs });
      ok(c, ["open"], 100, 0);
      expect(fetchedValues(fetchFrom(c, 0, "read_committed"))).toEqual(bugs.length === 0 ? [] : ["open"]);
    }
  });

  it(`${KAFKA_BUGS.lsoOffByOne}: the LSO is one past the first unstable offset (Redpanda #3036)`, () => {
    for (const bugs of [[], [KAFKA_BUGS.lsoOffByOne]]) {
      const c = cluster({ bugs });
      ok(c, ["open"], 100, 0);
      ok(c, ["x"], 50, 0, false);
      expect(lso(c)).toBe(bugs.length === 0 ? 0 : 1);
      expect(fetchedValues(fetchFrom(c, 0, "read_committed"))).toEqual(bugs.length === 0 ? [] : ["open"]);
    }
  });

  it(`${KAFKA_BUGS.noAbortedFilter}: read_committed fetches carry no aborted list, so the consumer keeps aborted records`, () => {
    for (const bugs of [[], [KAFKA_BUGS.noAbortedFilter]]) {
      const c = cluster({ bugs });
      ok(c, ["aborted"], 100, 0);
      writeMarker(c, "ABORT", { producerId: 100 });
      const response = fetchFrom(c, 0, "read_committed");
      if (response === undefined) throw new Error("no fetch response");
      const values = new CompletedFetch(TOPIC, 0, 0, response, "read_committed").records.map((r) => r.value);
      expect(values).toEqual(bugs.length === 0 ? [] : ["aborted"]);
    }
  });
});

describe("long poll", () => {
  it("a parked read_committed fetch completes when a commit marker's replication moves the LSO", () => {
    const c = cluster();
    ok(c, ["t1"], 100, 0);
    const id = c.send(c.leaderNode(), {
      type: "Fetch",
      replicaId: -1,
      replicaEpoch: -1,
      isolationLevel: "read_committed",
      maxBytes: 1 << 20,
      maxWaitMs: 10_000,
      partitions: [{ topic: TOPIC, partition: 0, fetchOffset: 0, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }],
    });
    c.runFor(100);
    expect(c.response(id)).toBeUndefined();
    // Written without waiting for its answer: the marker append itself wakes nothing that has data yet.
    c.send(c.leaderNode(), {
      type: "WriteTxnMarkers",
      markers: [{ producerId: 100, producerEpoch: 0, coordinatorEpoch: 0, result: "COMMIT", transactionVersion: 1, partitions: [{ topic: TOPIC, partition: 0 }] }],
    });
    expect(c.runUntil(() => c.response(id) !== undefined, 2000)).toBe(true);
    expect(fetchedValues(c.response<"FetchResponse">(id)?.partitions[0])).toEqual(["t1"]);
  });
});
