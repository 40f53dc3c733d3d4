import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { ScenarioError } from "../../src/scenario/errors.js";
import { loadScenario, parseScenario } from "../../src/scenario/load.js";
import { DURATION_MS_MAX, SEED_MAX } from "../../src/scenario/schema.js";
import { BUNDLED_SCENARIO, FIXTURES, tempDir } from "../helpers/cli.js";
import { MALFORMED, VALID } from "./malformed-cases.js";

const tmp = tempDir("eosim-load-");
afterAll(() => tmp.remove());

/** Runs `fn`, which must throw a ScenarioError, and returns the error. */
function scenarioError(fn: () => unknown): ScenarioError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return error as ScenarioError;
  }
  throw new Error("expected a ScenarioError, but nothing was thrown");
}

describe("parseScenario accepts good scenarios", () => {
  test("the base of the malformed cases is itself valid, with defaults filled in", () => {
    const scenario = parseScenario(VALID, "base.yaml");
    expect(scenario.file).toBe("base.yaml");
    expect(scenario.config).toMatchObject({ name: "bad", durationMs: 5000, seed: 1, faults: [], bugs: [], cluster: { kind: "primary-backup", replicas: 3 } });
    expect(scenario.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  test("the bundled scenario and the fixtures load", () => {
    expect(loadScenario(BUNDLED_SCENARIO).config.name).toBe("primary-backup");
    expect(loadScenario(join(FIXTURES, "pair", "a-crash.yaml")).config.name).toBe("fixture-a-crash");
    expect(loadScenario(join(FIXTURES, "pair", "b-partition.yaml")).config.name).toBe("fixture-b-partition");
  });

  test("the limits themselves are accepted", () => {
    const atLimits = `${VALID.replace("5000", String(DURATION_MS_MAX))}seed: ${SEED_MAX}\n`;
    expect(parseScenario(atLimits).config).toMatchObject({ durationMs: DURATION_MS_MAX, seed: SEED_MAX });
    expect(parseScenario(`${VALID}seed: 0\n`).config.seed).toBe(0);
  });

  test("the content hash follows the text", () => {
    expect(parseScenario(VALID).contentHash).toBe(parseScenario(VALID).contentHash);
    expect(parseScenario(`${VALID}# a comment\n`).contentHash).not.toBe(parseScenario(VALID).contentHash);
  });
});

describe("parseScenario rejects malformed scenarios with a ScenarioError", () => {
  test.each(MALFORMED.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const error = scenarioError(() => parseScenario(c.source, "dir/case.yaml"));
    expect(error.name).toBe("ScenarioError");
    expect(error.file).toBe("dir/case.yaml");
    if (typeof c.path === "string") expect(error.path).toBe(c.path);
    else expect(error.path).toMatch(c.path);
    expect(error.expected).toContain(c.expected);
    expect(error.found).toBeDefined();
    expect(error.found).toContain(c.found);
    // The message is one line: file, field (or "(top level)"), what was expected, what was found.
    expect(error.message).not.toContain("\n");
    expect(error.message.startsWith(`dir/case.yaml: ${error.path || "(top level)"}: expected `)).toBe(true);
    expect(error.message).toContain(`, found ${error.found}`);
  });

  test("the default file name is <scenario>", () => {
    expect(scenarioError(() => parseScenario("")).file).toBe("<scenario>");
  });

  test("more problems than the first are counted, not listed", () => {
    const error = scenarioError(() => parseScenario(`${VALID.replace("5000", '"x"')}colour: blue\n`));
    expect(error.path).toBe("durationMs");
    expect(error.found).toBe('"x" (and 1 more problem)');
  });

  test("a billion-laughs alias bomb is refused as bad YAML, not expanded", () => {
    const row = (name: string, of: string) => `${name}: &${name} [${Array(10).fill(`*${of}`).join(", ")}]\n`;
    const bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + row("b", "a") + row("c", "b") + row("d", "c") + row("e", "d") + row("f", "e");
    const error = scenarioError(() => parseScenario(bomb, "bomb.yaml"));
    expect(error.expected).toBe("valid YAML");
    expect(error.message).not.toContain("\n");
  });
});

describe("loadScenario", () => {
  test("a missing file", () => {
    const file = join(tmp.dir, "missing.yaml");
    const error = scenarioError(() => loadScenario(file));
    expect(error).toMatchObject({ file, path: "", expected: "a readable scenario file", found: "no such file" });
  });

  test("a directory", () => {
    const dir = join(tmp.dir, "a-folder.yaml");
    mkdirSync(dir);
    const error = scenarioError(() => loadScenario(dir));
    expect(error).toMatchObject({ file: dir, path: "", found: "a directory" });
  });

  test("errors name the file that was read", () => {
    const file = join(tmp.dir, "negative.yaml");
    writeFileSync(file, VALID.replace("5000", "-1"));
    const error = scenarioError(() => loadScenario(file));
    expect(error).toMatchObject({ file, path: "durationMs", expected: "a number at least 1", found: "-1" });
    expect(error.message).toBe(`${file}: durationMs: expected a number at least 1, found -1`);
  });

  test("a file that is valid loads with its source and file name", () => {
    const file = join(tmp.dir, "good.yaml");
    writeFileSync(file, VALID);
    const scenario = loadScenario(file);
    expect(scenario.file).toBe(file);
    expect(scenario.source).toBe(VALID);
    expect(scenario.contentHash).toBe(parseScenario(VALID).contentHash);
  });
});
