/** `eosim check-determinism`: each seed in this process and a worker process, compared record by record. */
import { afterAll, describe, expect, it } from "vitest";
import { checkDeterminismCommand } from "../../src/cli/commands/check-determinism.js";
import type { CliIo } from "../../src/cli/main.js";
import { run } from "../../src/run/run.js";
import { loadScenario } from "../../src/scenario/load.js";
import { SeedList } from "../../src/sweep/seeds.js";
import { runMain, tempDir } from "../helpers/cli.js";
import { COUNTER_SYSTEM_MODULE, counterScenarioYaml } from "../sweep/fixtures/counter-system.js";
import { writeScenario } from "../sweep/fixtures/scenarios.js";

const tmp = tempDir("eosim-cli-determinism-");
afterAll(() => tmp.remove());

describe("eosim check-determinism", () => {
  it("the bundled scenario traces identically in the main process and a worker: exit 0", async () => {
    const { code, stdout } = await runMain(["check-determinism", "scenarios/primary-backup.yaml", "--seeds", "1,7", "--bug", "no-dedup"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ok seed 1: trace [0-9a-f]{16} \(\d+ records\) in both runs$/m);
    expect(stdout).toMatch(/^ok seed 7: /m);
    expect(stdout).toContain("deterministic: 2 seeds traced identically in this process and a worker process");
  });

  it("injected nondeterminism: exit 4, naming the first divergent record and printing both", async () => {
    const file = writeScenario(tmp.dir, "counter-leaky.yaml", counterScenarioYaml({ leak: true }));
    // The counter persists across runs in a process: one run here puts the main process ahead of the fresh worker.
    run(loadScenario(file), { seed: 1 });
    let stdout = "";
    const io: CliIo = { out: (t) => (stdout += t), err: () => undefined, color: false };
    const code = await checkDeterminismCommand(file, { seeds: SeedList.parse("1..2"), bug: [] }, io, { workerImports: [COUNTER_SYSTEM_MODULE] });
    expect(code).toBe(4);
    expect(stdout).toMatch(/^MISMATCH seed 1: main process traced [0-9a-f]{16} \(\d+ records\), the worker [0-9a-f]{16} \(\d+ records\)$/m);
    expect(stdout).toMatch(/^ {2}first divergent record: #(\d+) \(records #0\.\.#\d+ agree\)$/m);
    const main = /^ {4}main process: (\{.*\})$/m.exec(stdout)?.[1];
    const worker = /^ {4}worker: {7}(\{.*\})$/m.exec(stdout)?.[1];
    const parsedMain = JSON.parse(main ?? "null") as { kind: string; runsBefore: number; i: number };
    const parsedWorker = JSON.parse(worker ?? "null") as { kind: string; runsBefore: number; i: number };
    expect(parsedMain.kind).toBe("leak");
    expect(parsedWorker.kind).toBe("leak");
    expect(parsedMain.i).toBe(parsedWorker.i);
    expect(parsedMain.runsBefore).not.toBe(parsedWorker.runsBefore);
    expect(stdout).toMatch(/^ {4}last common: {2}\{.*"kind":"node\.start"/m);
    expect(stdout).toMatch(/^NONDETERMINISM in 2 of 2 seeds \(1, 2\) · exit 4$/m);
  });

  it("--json: one object per seed", async () => {
    const { code, stdout } = await runMain(["check-determinism", "scenarios/primary-backup.yaml", "--seeds", "4", "--json"]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as { seed: number; match: boolean; mainHash: string; workerHash: string });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ seed: 4, match: true });
    expect(lines[0]?.mainHash).toBe(lines[0]?.workerHash);
  });

  it("bad seeds exit 2", async () => {
    const { code, stderr } = await runMain(["check-determinism", "scenarios/primary-backup.yaml", "--seeds", "x"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/expected A\.\.B, N or a 40-hex commit hash, found "x"/);
  });
});
