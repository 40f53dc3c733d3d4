/** `eosim shrink`: input errors and what it prints; the full find → replay → shrink loop is in sweep-find-replay-shrink.test.ts. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runMain, singleErrorLine, tempDir } from "../helpers/cli.js";
import { PB_SMALL_YAML, writeScenario } from "../sweep/fixtures/scenarios.js";

const tmp = tempDir("eosim-cli-shrink-");
afterAll(() => tmp.remove());
const scenario = writeScenario(tmp.dir, "pb-small.yaml", PB_SMALL_YAML);

describe("eosim shrink", () => {
  it("prints each step, the sizes before and after, and writes a commented YAML scenario", async () => {
    const output = join(tmp.dir, "min.yaml");
    const { code, stdout } = await runMain(["shrink", scenario, "--seed", "2", "--bug", "no-dedup", "-o", output]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^eosim shrink .*pb-small\.yaml · seed 2 · bugs no-dedup$/m);
    expect(stdout).toMatch(/^ {2}nemesis replaced by the \d+ faults it drew$/m);
    expect(stdout).toMatch(/^ {2}faults \d+ -> \d+ \(delta debugging\)$/m);
    expect(stdout).toMatch(/^ {2}durationMs 6000 -> \d+/m);
    const text = readFileSync(output, "utf8");
    expect(text).toMatch(/^# invariant that still breaks: duplicate$/m);
    expect(text).toMatch(/^seed: 2$/m);
    expect(text).toMatch(/^bugs: \[ no-dedup \]$/m);
    expect(text).toMatch(/^ {2}- \{ atMs: \d+, kind: /m);
  });

  it("a seed that breaks nothing: exit 2, nothing written", async () => {
    const output = join(tmp.dir, "nothing.yaml");
    const { code, stderr } = await runMain(["shrink", scenario, "--seed", "2", "-o", output]);
    expect(code).toBe(2);
    expect(singleErrorLine(stderr)).toMatch(/nothing to shrink: .* with seed 2 does not break any invariant: it passes$/);
    expect(existsSync(output)).toBe(false);
  });

  it.each([
    [["--seed", "2", "--bug", "no-dedup", "-o", "x.yaml", "--invariant", "nope"], /--invariant: expected an invariant of primary-backup: .*, found "nope"/],
    [["--seed", "2", "--bug", "no-dedup"], /required option '-o, --output <file>' not specified/],
    [["--seed", "x", "-o", "x.yaml"], /expected a whole number from 0 to \d+ or a 40-hex commit hash, found "x"/],
  ])("bad input %j exits 2", async (args, message) => {
    const { code, stderr } = await runMain(["shrink", scenario, ...args]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});
