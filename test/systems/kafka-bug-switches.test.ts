import { describe, expect, it } from "vitest";
import type { TraceRecord } from "../../sim/trace.js";
import { KAFKA_BUGS } from "../../src/nodes/kafka/bugs.js";
import { CONSUMER_BUGS, PRODUCER_BUGS } from "../../src/nodes/kafka/client/index.js";
import type { RunResult } from "../../src/run/result.js";
import { run } from "../../src/run/run.js";
import { loadScenario } from "../../src/scenario/load.js";
import { describeSwitch } from "../helpers/bug-sweep.js";

/**
 * Every Kafka guard has a bug switch, and for each a scenario in scenarios/bugs/ sets up the
 * situation the guard exists for: a sweep over a few seeds with the switch finds the violation
 * the catalog says catches it (`caughtBy`), and the same seeds without it find nothing.
 * no-dedup and dedup-window-1 are swept in kafka.test.ts (idempotent-producer).
 */

describeSwitch(KAFKA_BUGS.noSequenceCheck, "a produce request held in the network lands after its batch left the 5-batch cache and is appended again");
describeSwitch(KAFKA_BUGS.noEpochCheck, "a held request of an old epoch's sequence 0 lands after the producer bumped its epoch again and is appended again");
describeSwitch(KAFKA_BUGS.truncateToHw, "a follower truncates to its stale HW on a leader change and is elected before it re-fetches (KIP-101)");
describeSwitch(KAFKA_BUGS.noIsrJoinRule, "a follower below the new leader's epoch start joins its ISR at a stale HW and is elected (KAFKA-7128)");
describeSwitch(KAFKA_BUGS.noMinIsrHwGate, "the HW runs on the last replica standing, which then loses the records consumers read (KIP-966)");
describeSwitch(PRODUCER_BUGS.racySequence, "concurrent sends to one partition share a base sequence and the later ones are acknowledged as duplicates of the first (platformatic/kafka #326)", [1, 2]);
describeSwitch(CONSUMER_BUGS.stuckOnTrailingMarker, "a consumer whose position only data batches move stays on the marker that ends each partition and never drains (kafka-node #1336)", [1, 2]);

describe("preferred-leader-election", () => {
  it("leadership fails over and comes back to each preferred replica under load, and every invariant holds", () => {
    const scenario = loadScenario("scenarios/preferred-leader-election.yaml");
    for (const seed of [1, 2]) {
      let preferredElections = 0;
      const result: RunResult = run(scenario, { seed, onTrace: (record: TraceRecord) => void (record.kind === "controller.preferred-election" && preferredElections++) });
      expect(result.violations, `seed ${seed}`).toEqual([]);
      expect(preferredElections, `seed ${seed}: leadership handed back to preferred replicas`).toBeGreaterThan(0);
    }
  });
});

describe("follower-restart", () => {
  it("followers crash (some losing their unflushed tail) and restart under load: every invariant holds", () => {
    const scenario = loadScenario("scenarios/follower-restart.yaml");
    for (const seed of [1, 2, 3]) {
      let lossyCrashes = 0;
      let rejoins = 0;
      const onTrace = (record: TraceRecord) => {
        if (record.kind === "node.crash" && Number(record.fields?.lostEntries) > 0) lossyCrashes++;
        if (record.kind === "controller.partition" && String(record.fields?.isr).split(",").length === 3) rejoins++;
      };
      const result: RunResult = run(scenario, { seed, onTrace });
      expect(result.violations, `seed ${seed}`).toEqual([]);
      expect(result.faults.filter((f) => f.kind === "restart").length).toBeGreaterThanOrEqual(3);
      expect(lossyCrashes, `seed ${seed}: crashes that lost data`).toBeGreaterThan(0);
      expect(rejoins, `seed ${seed}: ISR expansions back to all three replicas`).toBeGreaterThan(3);
      expect(result.historyOps).toBeGreaterThan(2000);
    }
  });
});
