import { describe, expect, it } from "vitest";
import type { HistoryOp } from "../../sim/history.js";
import type { TraceRecord } from "../../sim/trace.js";
import { COPIER_BUGS } from "../../src/nodes/kafka/client/copier-app.js";
import { GROUP_BUGS } from "../../src/nodes/kafka/group/bugs.js";
import { prepareRun } from "../../src/run/run.js";
import type { RunResult } from "../../src/run/result.js";
import { loadScenario } from "../../src/scenario/load.js";
import { describeSwitch } from "../helpers/bug-sweep.js";

/**
 * The group coordinator's guards and the copier's rewind, each with a scenario in
 * scenarios/bugs/ where EOS v2 copiers (consume-transform-produce in one group) meet the
 * situation the guard exists for: with the switch a sweep finds eos-copy, without it nothing.
 * Then the group scenarios of scenarios/ hold on the correct model, and the situation they are
 * about really happens in every seed.
 */

const SEEDS = [1, 2, 3, 4, 5, 6];

describeSwitch(GROUP_BUGS.offsetsOutsideTxn, "an aborted transaction's offsets count, and the owner after a rebalance skips the inputs it rolled back", SEEDS);
describeSwitch(GROUP_BUGS.noRequireStable, "a new owner reads the committed offset while the old owner's transactional offsets are pending, and copies those inputs again", SEEDS);
describeSwitch(GROUP_BUGS.noGenerationCheck, "a copier removed from the group for missing its session timeout commits the inputs it no longer owns (KIP-447)", SEEDS);
describeSwitch(COPIER_BUGS.noRewindAfterAbort, "after an abort the copier reads on, and its next commit covers the rolled-back inputs (KAFKA-17582)", SEEDS);

interface Observed {
  readonly result: RunResult;
  readonly ops: readonly HistoryOp[];
  readonly trace: readonly TraceRecord[];
}

/** Runs a scenario and keeps the trace records of the kinds asked for (the whole trace is large). */
function observe(file: string, seed: number, kinds: readonly string[]): Observed {
  const trace: TraceRecord[] = [];
  const prepared = prepareRun(loadScenario(file), { seed, onTrace: (record) => kinds.includes(record.kind) && trace.push(record) });
  const result = prepared.execute();
  return { result, ops: prepared.sim.history.all(), trace };
}

function field(record: TraceRecord, name: string): unknown {
  return record.fields?.[name];
}

describe("zombie-fencing", () => {
  const file = "scenarios/zombie-fencing.yaml";
  const resumedUs = 12_500_000;

  it.each([1, 2, 3])("seed %i: the stalled copier is removed from the group, its replacement fences it, its commit after resuming fails, and every invariant holds", (seed) => {
    const { result, ops, trace } = observe(file, seed, ["group.member.removed", "copier.stopped"]);
    expect(result.violations).toEqual([]);
    expect(trace.some((r) => r.kind === "group.member.removed" && field(r, "reason") === "session-timeout" && String(field(r, "memberId")).startsWith("x1"))).toBe(true);
    expect(ops.some((op) => op.process === "x2" && op.f === "init" && op.type === "ok")).toBe(true);
    const zombieTxns = ops.filter((op) => op.process === "x1" && op.f === "txn" && op.type !== "invoke" && op.timeUs >= resumedUs);
    expect(zombieTxns.map((op) => [op.type, op.error])).toEqual([["fail", "PRODUCER_FENCED"]]);
    expect(trace.some((r) => r.kind === "copier.stopped" && r.node === "x1")).toBe(true);
  });
});

describe("static-member-takeover", () => {
  const file = "scenarios/static-member-takeover.yaml";

  it.each([1, 2, 3])("seed %i: the replacement takes the stalled static member's place without a rebalance, the zombie is fenced by its group.instance.id, and every invariant holds", (seed) => {
    const { result, trace } = observe(file, seed, ["group.join", "group.generation", "consumer.group-fatal", "copier.stopped"]);
    expect(result.violations).toEqual([]);
    expect(trace.some((r) => r.kind === "group.join" && field(r, "phase") === "static-replace" && String(field(r, "replaced")).startsWith("x1"))).toBe(true);
    expect(trace.filter((r) => r.kind === "group.generation").length, "one generation: the takeover does not rebalance").toBe(1);
    expect(trace.some((r) => r.kind === "consumer.group-fatal" && r.node === "x1" && String(field(r, "reason")).includes("FENCED_INSTANCE_ID"))).toBe(true);
    expect(trace.some((r) => r.kind === "copier.stopped" && r.node === "x1")).toBe(true);
  });

  it("with no-generation-check the zombie's offsets pass: a sweep finds inputs copied twice (eos-copy)", () => {
    const broken = [1, 2, 3, 4, 5, 6].map((seed) => Object.keys(runWith(file, seed, [GROUP_BUGS.noGenerationCheck]).violationCounts));
    expect(broken.some((invariants) => invariants.includes("eos-copy"))).toBe(true);
  });
});

function runWith(file: string, seed: number, bugs: readonly string[]): RunResult {
  return prepareRun(loadScenario(file), { seed, bugs }).execute();
}

describe("rebalance-during-txn", () => {
  const file = "scenarios/rebalance-during-txn.yaml";

  it.each([1, 2, 3])("seed %i: members join and leave while transactions are open, and every invariant holds", (seed) => {
    const { result, ops, trace } = observe(file, seed, ["group.generation", "group.member.removed", "consumer.revoke", "producer.txn-state"]);
    expect(result.violations).toEqual([]);
    expect(trace.filter((r) => r.kind === "group.generation").length).toBeGreaterThanOrEqual(4);
    expect(trace.some((r) => r.kind === "group.member.removed" && field(r, "reason") === "session-timeout")).toBe(true);
    expect(revocationAborts(trace)).toBeGreaterThan(0);
    expect(ops.some((op) => op.process === "x2#1" && op.f === "init" && op.type === "ok")).toBe(true);
    expect(ops.filter((op) => op.f === "txn" && op.type === "ok").length).toBeGreaterThan(50);
  });
});

/** Transactions a copier aborted because a rebalance took its partitions (the abort starts at the revocation's instant). */
function revocationAborts(trace: readonly TraceRecord[]): number {
  const revokedAt = new Map<string, number>();
  let aborts = 0;
  for (const record of trace) {
    if (record.kind === "consumer.revoke" && Number(field(record, "partitions")) > 0) revokedAt.set(record.node, record.timeUs);
    if (record.kind === "producer.txn-state" && field(record, "to") === "ABORTING_TRANSACTION" && revokedAt.get(record.node) === record.timeUs) aborts++;
  }
  return aborts;
}
