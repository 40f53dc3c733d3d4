/**
 * Bad input of every kind gives exit code 2 and one line on stderr that names the file and the
 * field, says what was expected and what was found, and never shows a stack trace.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BUNDLED_SCENARIO, FIXTURES, runCli, runMain, singleErrorLine, tempDir } from "../helpers/cli.js";
import { MALFORMED, VALID } from "../scenario/malformed-cases.js";

const tmp = tempDir("eosim-cli-errors-");
const fileOf = (name: string) => join(tmp.dir, `${name.replace(/[^a-z0-9]+/gi, "-")}.yaml`);

beforeAll(() => {
  for (const c of MALFORMED) writeFileSync(fileOf(c.name), c.source);
});
afterAll(() => tmp.remove());

describe("eosim run on a malformed scenario", () => {
  test.each(MALFORMED.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const file = fileOf(c.name);
    const { code, stdout, stderr } = await runMain(["run", file, "--no-report"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    const line = singleErrorLine(stderr);
    expect(line.startsWith(`eosim: ${file}: `)).toBe(true);
    const rest = line.slice(`eosim: ${file}: `.length);
    const [path] = rest.split(": expected ");
    if (typeof c.path === "string") expect(path).toBe(c.path || "(top level)");
    else expect(path).toMatch(c.path);
    // What was expected comes before what was found, each with its piece.
    const expectedAt = rest.indexOf(": expected ");
    const foundAt = rest.indexOf(", found ", expectedAt);
    expect(expectedAt).toBeGreaterThanOrEqual(0);
    expect(foundAt).toBeGreaterThan(expectedAt);
    expect(rest.slice(expectedAt, foundAt)).toContain(c.expected);
    expect(rest.slice(foundAt)).toContain(c.found);
  });
});

describe("bad paths and options", () => {
  test("a missing file", async () => {
    const file = join(tmp.dir, "no-such-scenario.yaml");
    const { code, stdout, stderr } = await runMain(["run", file]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(singleErrorLine(stderr)).toBe(`eosim: ${file}: (top level): expected a readable scenario file, found no such file`);
  });

  test("a folder with no yaml in it", async () => {
    const dir = join(tmp.dir, "empty-folder");
    mkdirSync(dir);
    writeFileSync(join(dir, "notes.txt"), "not a scenario\n");
    const { code, stderr } = await runMain(["run", dir]);
    expect(code).toBe(2);
    expect(singleErrorLine(stderr)).toBe(`eosim: ${dir}: (top level): expected a folder with *.yaml scenario files, found none`);
  });

  test("a folder where one scenario is malformed fails with its error", async () => {
    const dir = join(tmp.dir, "mixed-folder");
    mkdirSync(dir);
    writeFileSync(join(dir, "a-bad.yaml"), VALID.replace("5000", "-5"));
    writeFileSync(join(dir, "b-good.yaml"), VALID);
    const { code, stderr } = await runMain(["run", dir, "--no-report", "--json"]);
    expect(code).toBe(2);
    expect(singleErrorLine(stderr)).toBe(`eosim: ${join(dir, "a-bad.yaml")}: durationMs: expected a number at least 1, found -5`);
  });

  test("an unknown bug switch via --bug", async () => {
    const { code, stdout, stderr } = await runMain(["run", BUNDLED_SCENARIO, "--bug", "no-dedup", "--bug", "no-such-bug", "--no-report"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(singleErrorLine(stderr)).toBe(
      `eosim: ${BUNDLED_SCENARIO}: --bug: expected a bug switch of primary-backup: no-dedup, no-fsync-before-ack, found "no-such-bug"`,
    );
  });

  test.each([["ten"], ["1.5"], ["-1"], ["1e3"], [""], ["9007199254740992"], ["99999999999999999999"]])("--seed %j is refused", async (seed) => {
    const { code, stdout, stderr } = await runMain(["run", BUNDLED_SCENARIO, "--seed", seed, "--no-report"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    const line = singleErrorLine(stderr);
    expect(line).toContain("--seed");
    expect(line).toContain("expected a whole number from 0 to 9007199254740991");
    expect(line).toContain(`found ${JSON.stringify(seed)}`);
  });

  test("--trace into a folder that does not exist", async () => {
    const trace = join(tmp.dir, "no-such-folder", "trace.jsonl");
    const { code, stdout, stderr } = await runMain(["run", BUNDLED_SCENARIO, "--trace", trace, "--no-report"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(singleErrorLine(stderr)).toBe(`eosim: --trace: expected a writable file, found ${JSON.stringify(trace)}: no such file or directory (ENOENT)`);
  });

  test("--trace with more than one scenario", async () => {
    const { code, stderr } = await runMain(["run", join(FIXTURES, "pair"), "--trace", join(tmp.dir, "t.jsonl"), "--no-report"]);
    expect(code).toBe(2);
    expect(singleErrorLine(stderr)).toBe("eosim: --trace: expected exactly one scenario, found 2");
  });

  test("--out where a file is in the way", async () => {
    const out = join(tmp.dir, "a-file-not-a-folder");
    writeFileSync(out, "");
    const { code, stderr } = await runMain(["run", join(FIXTURES, "pair", "a-crash.yaml"), "--out", out, "--json"]);
    expect(code).toBe(2);
    expect(singleErrorLine(stderr)).toMatch(/^eosim: --out: expected a folder it can write, found ".*a-file-not-a-folder": not a directory \(ENOTDIR\)$/);
  });
});

describe("in a real process", () => {
  test("bad YAML: exit 2, one line, no stack trace", async () => {
    const file = fileOf("bad YAML syntax");
    const { code, stdout, stderr } = await runCli(["run", file, "--no-report"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(singleErrorLine(stderr)).toMatch(new RegExp(`^eosim: ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: line \\d+, column \\d+: expected valid YAML, found `));
  });

  test("an alias to a missing anchor (once an internal error): exit 2, one line", async () => {
    const file = fileOf("an alias to a missing anchor");
    const { code, stderr } = await runCli(["run", file, "--no-report"]);
    expect(code).toBe(2);
    expect(singleErrorLine(stderr)).toContain(": (top level): expected valid YAML, found Unresolved alias");
  });

  test("a fault naming a missing node: exit 2, one line", async () => {
    const file = fileOf("a fault naming a node that does not exist");
    const { code, stderr } = await runCli(["run", file, "--no-report"]);
    expect(code).toBe(2);
    expect(singleErrorLine(stderr)).toBe(`eosim: ${file}: faults[0].node: expected a node of this scenario (r1, r2, r3, w1), found "r9"`);
  });

  test("--seed that is not a whole number: exit 2, one line", async () => {
    const { code, stdout, stderr } = await runCli(["run", BUNDLED_SCENARIO, "--seed", "1.5", "--no-report"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(singleErrorLine(stderr)).toContain('--seed <n>\' argument \'1.5\' is invalid. expected a whole number from 0 to 9007199254740991, found "1.5"');
  });
});
