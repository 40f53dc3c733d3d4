import { describe, expect, it } from "vitest";
import { failingSeeds } from "../helpers/soak.js";

/** `npm run soak`: the correct Kafka model holds every invariant over many seeds (not in CI). */
describe("soak: kafka data plane", () => {
  for (const file of ["scenarios/idempotent-producer.yaml", "scenarios/follower-restart.yaml", "scenarios/preferred-leader-election.yaml"]) {
    it(`${file}: every invariant holds for seeds 1..500 with the default nemesis`, () => {
      expect(failingSeeds(file)).toEqual([]);
    });
  }
});
