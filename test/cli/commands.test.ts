import { describe, expect, test } from "vitest";
import { worstExit } from "../../src/cli/main.js";
import { EXIT } from "../../src/run/result.js";
import { BUNDLED_SCENARIO, runCli, runMain, singleErrorLine } from "../helpers/cli.js";

const SECTIONS = ["scenarios", "invariants", "faults", "nemesis", "bugs", "systems"];

describe("eosim list", () => {
  test("prints every section", async () => {
    const { code, stdout, stderr } = await runMain(["list"]);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    const headings = stdout.split("\n").filter((line) => /^\S.*:$/.test(line));
    expect(headings).toEqual(SECTIONS.map((s) => `${s}:`));
    expect(stdout).toContain(BUNDLED_SCENARIO);
    for (const name of ["duplicate", "lost-write", "replicas-agree", "converged", "partition", "crash", "clog", "primary-backup"]) {
      expect(stdout).toContain(name);
    }
  });

  test("list bugs lists both bug switches and only the bugs section", async () => {
    const { code, stdout } = await runMain(["list", "bugs"]);
    expect(code).toBe(0);
    expect(stdout.startsWith("bugs:\n")).toBe(true);
    expect(stdout).toMatch(/^ {2}no-dedup +\[primary-backup\] .*Caught by: duplicate\.$/m);
    expect(stdout).toMatch(/^ {2}no-fsync-before-ack +\[primary-backup\] .*Caught by: lost-write, replicas-agree\.$/m);
    expect(stdout).not.toContain("invariants:");
  });

  test.each(SECTIONS.map((s) => [s]))("list %s prints that section alone", async (section) => {
    const { code, stdout } = await runMain(["list", section]);
    expect(code).toBe(0);
    expect(stdout.startsWith(`${section}:\n`)).toBe(true);
    expect(stdout.split("\n").filter((line) => /^\S.*:$/.test(line))).toHaveLength(1);
  });

  test("list nonsense exits 2 with one line naming the sections", async () => {
    const { code, stdout, stderr } = await runMain(["list", "nonsense"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(singleErrorLine(stderr)).toBe(`eosim: list: expected one of ${SECTIONS.join(", ")}, found "nonsense"`);
  });
});

describe("help and usage", () => {
  test("--help exits 0 and shows the commands, the examples and the exit codes (real process)", async () => {
    const { code, stdout, stderr } = await runCli(["--help"]);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    expect(stdout).toContain("Usage: eosim");
    expect(stdout).toMatch(/^ {2}run \[options\] <scenario\.\.\.>/m);
    expect(stdout).toMatch(/^ {2}list \[what\]/m);
    expect(stdout).toContain("Examples:");
    expect(stdout).toContain("$ eosim run scenarios/primary-backup.yaml --seed 7 --bug no-dedup --json");
    expect(stdout).toContain("Exit codes: 0 all checks hold");
  });

  test("run --help shows the options and the examples", async () => {
    const { code, stdout } = await runMain(["run", "--help"]);
    expect(code).toBe(0);
    for (const option of ["--seed <n>", "--bug <name>", "--json", "--out <dir>", "--no-report", "--trace <file>"]) expect(stdout).toContain(option);
    expect(stdout).toContain("Examples:");
  });

  test("--version exits 0", async () => {
    const { code, stdout } = await runMain(["--version"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  test("an unknown command exits 2 with one line (real process)", async () => {
    const { code, stdout, stderr } = await runCli(["frobnicate"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(singleErrorLine(stderr)).toContain("unknown command 'frobnicate'");
  });

  test("an unknown option exits 2 with one line", async () => {
    const { code, stdout, stderr } = await runMain(["run", BUNDLED_SCENARIO, "--frobnicate"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(singleErrorLine(stderr)).toContain("unknown option '--frobnicate'");
  });

  test("run without a scenario exits 2", async () => {
    const { code, stderr } = await runMain(["run"]);
    expect(code).toBe(2);
    expect(singleErrorLine(stderr)).toContain("missing required argument 'scenario'");
  });

  test("no arguments at all is a usage error: the help goes to stderr and the exit code is 2", async () => {
    const { code, stdout, stderr } = await runMain([]);
    expect(code).toBe(EXIT.usage);
    expect(stdout).toBe("");
    expect(stderr).toContain("Usage: eosim");
    expect(stderr).not.toMatch(/^\s+at /m);
  });
});

describe("worstExit", () => {
  /** Worst first. */
  const ORDER = [EXIT.internal, EXIT.nondeterminism, EXIT.usage, EXIT.safety, EXIT.liveness, EXIT.pass];

  test("the order is 70 > 4 > 2 > 1 > 3 > 0", () => {
    expect(ORDER).toEqual([70, 4, 2, 1, 3, 0]);
    for (let i = 0; i < ORDER.length; i++) {
      for (let j = i; j < ORDER.length; j++) {
        const [worse, better] = [ORDER[i] as number, ORDER[j] as number];
        expect(worstExit([worse, better])).toBe(worse);
        expect(worstExit([better, worse])).toBe(worse);
      }
    }
  });

  test("a mixed list gives its worst code; an empty list passes", () => {
    expect(worstExit([])).toBe(0);
    expect(worstExit([0, 0, 0])).toBe(0);
    expect(worstExit([0, 3, 0])).toBe(3);
    expect(worstExit([3, 1, 3])).toBe(1);
    expect(worstExit([0, 1, 2, 3])).toBe(2);
    expect(worstExit([3, 0, 4, 1, 2])).toBe(4);
    expect(worstExit([0, 3, 1, 2, 4, 70, 0])).toBe(70);
  });
});
