import { describe, expect, it } from "vitest";
import type { HistoryOp } from "../../sim/history.js";
import type { TraceRecord } from "../../sim/trace.js";
import { KAFKA_BUGS } from "../../src/nodes/kafka/bugs.js";
import { TXN_BUGS } from "../../src/nodes/kafka/txn/bugs.js";
import { TXN_COVERAGE } from "../../src/nodes/kafka/txn/coverage.js";
import type { RunResult } from "../../src/run/result.js";
import { prepareRun } from "../../src/run/run.js";
import { loadScenario } from "../../src/scenario/load.js";
import { describeSwitch } from "../helpers/bug-sweep.js";

/**
 * The transaction coordinator's guards: for each switch, scenarios/bugs/<switch>.yaml sets up
 * the situation the guard exists for (see describeSwitch). Then the coordinator scenarios of
 * scenarios/: each holds on the correct model, and each test checks in the trace that its
 * situation really happened, so that a pass is not a pass by absence.
 */

describeSwitch(TXN_BUGS.noFenceOnTimeout, "a writer paused past its transaction timeout resumes with its epoch intact and commits the tail of an aborted transaction (KAFKA-6119)");
describeSwitch(TXN_BUGS.noEpochBumpPerTxn, "a delayed EndTxn(COMMIT) reaches the coordinator during the writer's next transaction and commits it early (KAFKA-17754)");
describeSwitch(TXN_BUGS.fatalCommitAfterTimeout, "a commit held past the transaction timeout gets INVALID_TXN_STATE instead of PRODUCER_FENCED, and the Streams-like copier dies instead of rebuilding (KAFKA-20785)", [1, 2]);
describeSwitch(TXN_BUGS.txnLogAcks1, "the coordinator answers a commit its followers never replicated; its leader crashes and the successor aborts the transaction");
describeSwitch(KAFKA_BUGS.noMarkerRetryRule, "a coordinator that resends markers after a failover is refused by partitions that already wrote them, abandons them, and the transaction hangs in PrepareCommit (KAFKA-19999)");
describeSwitch(KAFKA_BUGS.noPartitionVerification, "a produce held past its transaction's abort is appended unverified and opens a transaction nobody ends (KAFKA-12671)");

interface Observed {
  readonly result: RunResult;
  readonly records: readonly TraceRecord[];
  readonly ops: readonly HistoryOp[];
}

/** Runs a scenario keeping the trace records of the given kinds and the history. */
function observe(file: string, seed: number, kinds: readonly string[]): Observed {
  const wanted = new Set(kinds);
  const records: TraceRecord[] = [];
  const prepared = prepareRun(loadScenario(file), { seed, onTrace: (record) => wanted.has(record.kind) && records.push(record) });
  const result = prepared.execute();
  return { result, records, ops: prepared.sim.history.all() };
}

function hitsOf(result: RunResult, property: string): number {
  return result.assertions.find((a) => a.name === property)?.hits ?? 0;
}

function field(record: TraceRecord, name: string): unknown {
  return record.fields?.[name];
}

/** The coordinator's last traced state of a transactional id strictly before a time. */
function txnStateBefore(records: readonly TraceRecord[], transactionalId: string, timeUs: number): string | undefined {
  let state: string | undefined;
  for (const r of records) {
    if (r.timeUs >= timeUs) break;
    if (r.kind === "txn.state" && field(r, "txnId") === transactionalId) state = String(field(r, "state"));
  }
  return state;
}

/** Whether the invoke an op completes came before a time. */
function invokedBefore(ops: readonly HistoryOp[], op: HistoryOp, timeUs: number): boolean {
  const invoke = op.invokeIndex === undefined ? undefined : ops[op.invokeIndex];
  return invoke !== undefined && invoke.timeUs < timeUs;
}

describe("coordinator-failover", () => {
  it("the leader of __transaction_state crashes with transactions in PrepareCommit; its successor finishes them and every invariant holds", () => {
    for (const seed of [1, 2, 3]) {
      const { result, records } = observe("scenarios/coordinator-failover.yaml", seed, ["txn.load.done"]);
      expect(result.violations, `seed ${seed}`).toEqual([]);
      expect(result.verdict).toBe("pass");
      expect(hitsOf(result, TXN_COVERAGE.failoverDuringPrepareCommit), `seed ${seed}: PrepareCommits reloaded`).toBeGreaterThan(0);
      const successors = records.filter((r) => Number(field(r, "coordinatorEpoch")) > 1);
      expect(successors.length, `seed ${seed}: loads by a later coordinator epoch`).toBeGreaterThan(0);
    }
  });
});

describe("delayed-endtxn", () => {
  it("a held EndTxn is retried and commits; the late original reaches the coordinator during the next transaction and is refused", () => {
    let lateDuringNextTxn = 0;
    for (const seed of [1, 2, 3]) {
      let lateInSeed = 0;
      const { result, records } = observe("scenarios/delayed-endtxn.yaml", seed, ["net.hold", "net.deliver", "txn.state", "producer.txn-request"]);
      expect(result.violations, `seed ${seed}`).toEqual([]);
      expect(result.verdict).toBe("pass");
      const held = records.filter((r) => r.kind === "net.hold" && r.node === "t1" && field(r, "type") === "EndTxn");
      expect(held.length, `seed ${seed}: EndTxn requests held`).toBe(3);
      for (const hold of held) {
        const late = records.find((r) => r.kind === "net.deliver" && field(r, "id") === field(hold, "id"));
        expect(late, `seed ${seed}: the held EndTxn arrives`).toBeDefined();
        const retried = records.some((r) => r.kind === "producer.txn-request" && field(r, "api") === "EndTxn" && field(r, "retry") === true && r.timeUs > hold.timeUs && r.timeUs < (late?.timeUs ?? 0));
        expect(retried, `seed ${seed}: the writer retried the EndTxn before the original arrived`).toBe(true);
        if (late !== undefined && txnStateBefore(records, "t1", late.timeUs) === "Ongoing") lateInSeed++;
      }
      expect(hitsOf(result, TXN_COVERAGE.zombieFenced), `seed ${seed}: late EndTxn requests answered PRODUCER_FENCED`).toBeGreaterThanOrEqual(lateInSeed);
      lateDuringNextTxn += lateInSeed;
    }
    expect(lateDuringNextTxn, "late EndTxn requests that arrived while the next transaction was open").toBeGreaterThan(2);
  });
});

describe("txn-timeout", () => {
  it("a writer paused past its transaction timeout is fenced by the abort: its resumed batches are refused and the transaction does not commit", () => {
    const pauseUs = 4_000_000;
    const resumeUs = 10_000_000;
    for (const seed of [1, 2, 3, 4]) {
      const { result, records, ops } = observe("scenarios/txn-timeout.yaml", seed, ["txn.timeout", "txn.state", "producer.batch-failed"]);
      expect(result.violations, `seed ${seed}`).toEqual([]);
      expect(result.verdict).toBe("pass");
      expect(records.some((r) => r.kind === "txn.timeout" && field(r, "txnId") === "t1"), `seed ${seed}: t1's transaction timed out`).toBe(true);
      const fencingAbort = records.find((r) => r.kind === "txn.state" && field(r, "txnId") === "t1" && field(r, "reason") === "timeout");
      expect(fencingAbort === undefined ? undefined : field(fencingAbort, "state"), `seed ${seed}: the coordinator aborted it`).toBe("PrepareAbort");
      const refused = records.filter((r) => r.kind === "producer.batch-failed" && r.node === "t1" && r.timeUs >= resumeUs && field(r, "error") === "INVALID_PRODUCER_EPOCH");
      expect(refused.length, `seed ${seed}: resumed batches refused for their old epoch`).toBeGreaterThan(0);
      expect(hitsOf(result, TXN_COVERAGE.zombieFenced), `seed ${seed}: the coordinator answered PRODUCER_FENCED`).toBeGreaterThan(0);
      const interrupted = ops.find((op) => op.process === "t1" && op.f === "txn" && op.type !== "invoke" && op.timeUs >= resumeUs && invokedBefore(ops, op, pauseUs));
      expect(interrupted, `seed ${seed}: the transaction open at the pause completed`).toBeDefined();
      expect((interrupted?.value as { outcome?: string }).outcome, `seed ${seed}: it did not commit`).not.toBe("COMMIT");
    }
  });
});
