/** `eosim replay <result.json>`: checks the scenario, version and trace hash a result names. */
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunResult } from "../../src/run/result.js";
import { runMain, singleErrorLine, tempDir } from "../helpers/cli.js";
import { PB_SMALL_YAML, writeScenario } from "../sweep/fixtures/scenarios.js";

const tmp = tempDir("eosim-cli-replay-");
afterAll(() => tmp.remove());
let scenario = "";
let resultFile = "";
let recorded: RunResult;

/** A copy of the recorded result with some fields changed. */
function variant(name: string, change: Partial<Record<keyof RunResult, unknown>>): string {
  const file = join(tmp.dir, name);
  writeFileSync(file, JSON.stringify({ ...recorded, ...change }));
  return file;
}

beforeAll(async () => {
  scenario = writeScenario(tmp.dir, "pb-small.yaml", PB_SMALL_YAML);
  const out = join(tmp.dir, "reports");
  const { code } = await runMain(["run", scenario, "--seed", "3", "--out", out]);
  expect(code).toBe(0);
  resultFile = join(out, "pb-small-3", "result.json");
  recorded = JSON.parse(readFileSync(resultFile, "utf8")) as RunResult;
});

describe("eosim replay", () => {
  it("re-runs a passing result: the same hash, exit 0", async () => {
    const { code, stdout, stderr } = await runMain(["replay", resultFile]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^PASS pb-small seed 3 /m);
    expect(stdout).toContain(`replay: trace hash ${recorded.traceHash} matches ${resultFile}`);
  });

  it("a trace hash that differs from the recorded one is nondeterminism: exit 4, both hashes named", async () => {
    const tampered = variant("tampered.json", { traceHash: "0123456789abcdef" });
    const { code, stderr } = await runMain(["replay", tampered]);
    expect(code).toBe(4);
    const line = singleErrorLine(stderr);
    expect(line).toContain("NONDETERMINISM");
    expect(line).toContain("recorded trace hash 0123456789abcdef");
    expect(line).toContain(`the replay traced ${recorded.traceHash}`);
    expect(line).toContain(`eosim check-determinism ${scenario} --seeds 3`);
  });

  it("a scenario file that changed since the result is refused: exit 2, both content hashes named", async () => {
    const changed = writeScenario(tmp.dir, "changed.yaml", PB_SMALL_YAML + "# an edit\n");
    const file = variant("changed.json", { scenarioFile: changed });
    const { code, stderr } = await runMain(["replay", file]);
    expect(code).toBe(2);
    const line = singleErrorLine(stderr);
    expect(line).toMatch(/changed\.yaml is not the scenario .* its content hash is [0-9a-f]{64}, the result names [0-9a-f]{64} \(if the original moved, pass --scenario <file>\)$/);
  });

  it("--scenario points at a moved file; its content hash must still match", async () => {
    const moved = join(tmp.dir, "moved.yaml");
    copyFileSync(scenario, moved);
    const { code, stdout } = await runMain(["replay", resultFile, "--scenario", moved]);
    expect(code).toBe(0);
    expect(stdout).toContain("matches");
  });

  it("a result from another eosim version is refused (exit 2) unless --any-version, which warns", async () => {
    const old = variant("old.json", { eosimVersion: "0.0.1" });
    const refused = await runMain(["replay", old]);
    expect(refused.code).toBe(2);
    expect(singleErrorLine(refused.stderr)).toMatch(/made by eosim 0\.0\.1, this is \S+: the same seed may trace differently \(pass --any-version to replay anyway\)$/);
    const allowed = await runMain(["replay", old, "--any-version"]);
    expect(allowed.code).toBe(0);
    expect(allowed.stderr).toMatch(/^eosim: warning: .* was made by eosim 0\.0\.1/);
  });

  it.each([
    ["missing.json", undefined, /expected a readable result\.json, found ".*missing\.json" \(ENOENT\)/],
    ["text.json", "not json", /expected a JSON result object/],
    ["list.json", "[1,2]", /expected a JSON result object, found a list/],
    ["fields.json", JSON.stringify({ seed: -1 }), /expected an eosim result with eosimVersion .*seed \(a whole number\)/],
  ])("bad input %s exits 2 with one line", async (name, content, message) => {
    const file = join(tmp.dir, name);
    if (content !== undefined) writeFileSync(file, content);
    const { code, stderr } = await runMain(["replay", file]);
    expect(code).toBe(2);
    expect(singleErrorLine(stderr)).toMatch(message);
  });
});
