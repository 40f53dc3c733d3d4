import { describe, expect, it } from "vitest";
import { run } from "../../src/run/run.js";
import { DEFAULT_NEMESIS, pbScenario } from "../helpers/scenarios.js";

describe("trace hash: the determinism fingerprint", () => {
  const scenario = pbScenario(DEFAULT_NEMESIS, 10_000);

  it("is the same for the same scenario and seed, run twice in one process", () => {
    const a = run(scenario, { seed: 42 });
    const b = run(scenario, { seed: 42 });
    expect(a.traceHash).toBe(b.traceHash);
    expect(a.events).toBe(b.events);
    expect(a.faults).toEqual(b.faults);
    expect(a.events).toBeGreaterThan(1000);
  });

  it("differs between seeds", () => {
    const hashes = new Set([1, 2, 3, 4, 5].map((seed) => run(scenario, { seed }).traceHash));
    expect(hashes.size).toBe(5);
  });

  it("differs when a bug switch is on, even if behaviour happens to match", () => {
    expect(run(scenario, { seed: 3 }).traceHash).not.toBe(run(scenario, { seed: 3, bugs: ["no-fsync-before-ack"] }).traceHash);
  });

  it("stays deterministic with the seeded shuffle of same-time events, and the shuffle changes the order", () => {
    const shuffled = pbScenario(`${DEFAULT_NEMESIS}shuffleTies: true\n`, 10_000);
    const a = run(shuffled, { seed: 9 });
    expect(run(shuffled, { seed: 9 }).traceHash).toBe(a.traceHash);
    expect(a.traceHash).not.toBe(run(scenario, { seed: 9 }).traceHash);
  });
});
