import { describe, expect, it } from "vitest";
import { failingSeeds } from "../helpers/soak.js";

/** `npm run soak`: the correct transactional model holds every invariant over many seeds (not in CI). */
describe("soak: kafka transactions", () => {
  const scenarios = ["transactional-writer", "eos-copy", "zombie-fencing", "coordinator-failover", "delayed-endtxn", "txn-timeout", "rebalance-during-txn", "static-member-takeover"];
  for (const file of scenarios.map((name) => `scenarios/${name}.yaml`)) {
    it(`${file}: every invariant holds for seeds 1..500 with the default nemesis`, () => {
      expect(failingSeeds(file)).toEqual([]);
    });
  }
});
