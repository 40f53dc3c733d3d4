import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { EOSIM_VERSION, loadScenario as loadFromSource, run as runFromSource } from "../src/index.js";

/**
 * The published surface: `import { loadScenario, run } from "eosim"` resolves through
 * package.json's exports to the build (`npm ci` builds it through `prepare`).
 */
describe("package API", () => {
  it("`import ... from 'eosim'` gives loadScenario and run, which agree with the source", async () => {
    const eosim = (await import("eosim")) as typeof import("../src/index.js");
    const file = "scenarios/primary-backup.yaml";
    const fromPackage = eosim.run(eosim.loadScenario(file), { seed: 5 });
    const fromSource = runFromSource(loadFromSource(file), { seed: 5 });
    expect(fromPackage.traceHash).toBe(fromSource.traceHash);
    expect(fromPackage.verdict).toBe("pass");
    expect(typeof eosim.Simulation).toBe("function");
  });

  it("the bin entry runs the built CLI", () => {
    const version = execFileSync(process.execPath, ["bin/eosim.js", "--version"], { encoding: "utf8" });
    expect(version.trim()).toBe(EOSIM_VERSION);
  });
});
