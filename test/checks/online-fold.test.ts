import { describe, it, expect } from "vitest";
import { checkKafkaDataHistory, KAFKA_DATA_INVARIANTS } from "../../src/checks/kafka/index.js";
import { checkKafkaTxnHistory, KAFKA_TXN_INVARIANTS } from "../../src/checks/kafka-txn/index.js";
import type { Violation } from "../../src/checks/violation.js";
import { prepareRun } from "../../src/run/run.js";
import { loadScenario } from "../../src/scenario/load.js";

const HISTORY_INVARIANTS = new Set([...KAFKA_DATA_INVARIANTS, ...KAFKA_TXN_INVARIANTS].map((i) => i.name));

function countsOf(violations: readonly Violation[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of violations) counts[v.invariant] = (counts[v.invariant] ?? 0) + 1;
  return counts;
}

/**
 * A Kafka run folds its history online, op by op as it is recorded. Folding the recorded history
 * again afterwards, the way the library's batch checkers do, must find exactly the same: the same
 * violations, with the same messages and evidence.
 */
describe("online history fold", () => {
  for (const [bug, seed] of [["no-sequence-check", 2], ["no-aborted-filter", 1]] as const) {
    it(`finds what the batch checkers find on the recorded history (${bug}, seed ${seed})`, () => {
      const prepared = prepareRun(loadScenario(`scenarios/bugs/${bug}.yaml`), { seed, bugs: [bug] });
      const result = prepared.execute();
      const batch = [...checkKafkaDataHistory(prepared.sim.history), ...checkKafkaTxnHistory(prepared.sim.history)];
      const online = Object.fromEntries(Object.entries(result.violationCounts).filter(([name]) => HISTORY_INVARIANTS.has(name)));
      expect(Object.keys(online).length).toBeGreaterThan(0);
      expect(online).toEqual(countsOf(batch));
      const firstOnline = result.violations.filter((v) => HISTORY_INVARIANTS.has(v.invariant));
      const firstBatch = batch.filter((v) => firstOnline.some((o) => o.invariant === v.invariant)).slice(0, firstOnline.length);
      expect(firstOnline.map((v) => [v.invariant, v.message, v.evidence.ops])).toEqual(firstBatch.map((v) => [v.invariant, v.message, v.evidence.ops]));
    });
  }
});
