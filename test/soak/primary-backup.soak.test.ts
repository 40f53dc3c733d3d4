import { describe, expect, it } from "vitest";
import { run } from "../../src/run/run.js";
import { loadScenario, parseScenario } from "../../src/scenario/load.js";

/** `npm run soak`: long sweeps, not in CI. */
describe("soak: primary-backup", () => {
  it("holds every invariant for seeds 1..500 with the bundled nemesis", () => {
    const scenario = loadScenario("scenarios/primary-backup.yaml");
    const failing: string[] = [];
    for (let seed = 1; seed <= 500; seed++) {
      const result = run(scenario, { seed });
      if (result.verdict !== "pass") failing.push(`seed ${seed}: ${Object.keys(result.violationCounts).join(",")}`);
    }
    expect(failing).toEqual([]);
  });

  it("holds every invariant for seeds 1..500 in swarm mode", () => {
    const base = loadScenario("scenarios/primary-backup.yaml");
    const swarm = parseScenario(base.source.replace("nemesis:\n", "nemesis:\n  swarm: true\n"), "primary-backup-swarm.yaml");
    expect(swarm.config.nemesis?.swarm).toBe(true);
    const failing: string[] = [];
    for (let seed = 1; seed <= 500; seed++) {
      const result = run(swarm, { seed });
      if (result.verdict !== "pass") failing.push(`seed ${seed}: ${Object.keys(result.violationCounts).join(",")}`);
    }
    expect(failing).toEqual([]);
  });
});
