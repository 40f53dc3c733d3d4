import { describe, expect, it } from "vitest";
import { expireTransactionalIds, handleAddPartitionsToTxn, onTombstonesAppended } from "../../../../src/nodes/kafka/txn/coordinator-logic.js";
import { loadPartition } from "../../../../src/nodes/kafka/txn/transaction-log.js";
import { CoordinatorDriver, TP0 } from "./helpers.js";

/**
 * transactional.id expiry (facts §1.3): an id resting in Empty or Complete* whose last update is
 * at least transactional.id.expiration.ms old goes through Dead: a tombstone is appended to
 * `__transaction_state` and, once it is in, the entry leaves the cache.
 */

const ID = "txn-a";
const EXPIRATION_MS = 60_000;

function driver(): CoordinatorDriver {
  return new CoordinatorDriver({ config: { transactionalIdExpirationMs: EXPIRATION_MS, transactionVersion: 1 } });
}

describe("transactional.id expiry", () => {
  it("an idle Empty id is tombstoned once its last update is expiration.ms old, not a millisecond earlier", () => {
    const c = driver();
    c.init(ID);
    const updated = c.metadata(ID).txnLastUpdateTimestamp;
    c.nowMs = updated + EXPIRATION_MS - 1;
    expect(expireTransactionalIds(c.cache, c.ctx)).toEqual([]);
    c.nowMs = updated + EXPIRATION_MS;
    const [expiration] = expireTransactionalIds(c.cache, c.ctx);
    expect(expiration?.tombstones.map((t) => t.transactionalId)).toEqual([ID]);
    expect(expiration?.tombstones[0]?.record).toEqual({ key: { version: 0, transactionalId: ID }, value: null });
    expect(c.metadata(ID).pendingState).toBe("Dead");
  });

  it("CompleteCommit and CompleteAbort ids expire too", () => {
    for (const result of ["COMMIT", "ABORT"] as const) {
      const c = driver();
      const p = c.init(ID);
      c.begin(ID, p);
      c.finish(ID, p, result);
      c.nowMs += EXPIRATION_MS;
      expect(expireTransactionalIds(c.cache, c.ctx)).toHaveLength(1);
    }
  });

  it("Ongoing and Prepare* ids never expire, however old", () => {
    const c = driver();
    const p = c.init(ID);
    c.begin(ID, p);
    c.nowMs += 100 * EXPIRATION_MS;
    expect(expireTransactionalIds(c.cache, c.ctx)).toEqual([]);
    c.endTxn(ID, p, "COMMIT");
    c.metadata(ID).clearPendingState();
    c.nowMs += 100 * EXPIRATION_MS;
    expect(expireTransactionalIds(c.cache, c.ctx)).toEqual([]);
  });

  it("an id with a pending transition is skipped", () => {
    const c = driver();
    const p = c.init(ID);
    handleAddPartitionsToTxn(c.cache, { transactionalId: ID, ...p, partitions: [TP0], verifyOnly: false, transactionVersion: 1 }, c.ctx);
    c.nowMs += 2 * EXPIRATION_MS;
    expect(expireTransactionalIds(c.cache, c.ctx)).toEqual([]);
  });

  it("once the tombstone is in, the id is gone: the old producer gets INVALID_PRODUCER_ID_MAPPING and a new InitProducerId a new producer id at epoch 0", () => {
    const c = driver();
    const p = c.init(ID);
    c.nowMs += EXPIRATION_MS;
    for (const expiration of expireTransactionalIds(c.cache, c.ctx)) onTombstonesAppended(c.cache, expiration, "NONE");
    expect(c.has(ID)).toBe(false);
    expect(c.addPartitions(ID, p, [TP0]).reply).toMatchObject({ results: [{ error: "INVALID_PRODUCER_ID_MAPPING" }] });
    expect(c.init(ID)).toEqual({ producerId: p.producerId + 1, producerEpoch: 0 });
  });

  it("a failed tombstone append keeps the id and clears its pending Dead", () => {
    const c = driver();
    c.init(ID);
    c.nowMs += EXPIRATION_MS;
    for (const expiration of expireTransactionalIds(c.cache, c.ctx)) onTombstonesAppended(c.cache, expiration, "NOT_ENOUGH_REPLICAS");
    expect(c.metadata(ID).snapshot()).toMatchObject({ state: "Empty", pendingState: null });
  });

  it("a tombstone that lands after the coordinator moved removes nothing from the new cache", () => {
    const c = driver();
    c.init(ID);
    c.nowMs += EXPIRATION_MS;
    const expirations = expireTransactionalIds(c.cache, c.ctx);
    c.becomeLeader(c.cache.partitionFor(ID), 1);
    for (const expiration of expirations) onTombstonesAppended(c.cache, expiration, "NONE");
    expect(c.has(ID)).toBe(true);
  });

  it("a coordinator that loads the log after the tombstone does not know the id", () => {
    const c = driver();
    c.init(ID);
    const partition = c.cache.partitionFor(ID);
    c.nowMs += EXPIRATION_MS;
    for (const expiration of expireTransactionalIds(c.cache, c.ctx)) {
      c.logs.get(partition)?.push(...expiration.tombstones.map((t) => t.record));
      onTombstonesAppended(c.cache, expiration, "NONE");
    }
    expect(loadPartition(c.logs.get(partition) ?? [], c.config).transactions.has(ID)).toBe(false);
  });
});
