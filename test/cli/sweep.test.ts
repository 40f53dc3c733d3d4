/** `eosim sweep`: text, JSON, JUnit and GitHub outputs, shards, exit codes, worker processes from source and from the build. */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { sweepCommand } from "../../src/cli/commands/sweep.js";
import type { CliIo } from "../../src/cli/main.js";
import { seedFromCommit, SeedList } from "../../src/sweep/seeds.js";
import { ROOT, runCli, runMain, tempDir } from "../helpers/cli.js";
import { COUNTER_SYSTEM_MODULE, counterScenarioYaml } from "../sweep/fixtures/counter-system.js";
import { PB_SMALL_YAML, writeScenario } from "../sweep/fixtures/scenarios.js";

const tmp = tempDir("eosim-cli-sweep-");
afterAll(() => tmp.remove());
const pbSmall = writeScenario(tmp.dir, "pb-small.yaml", PB_SMALL_YAML);
const SHA = "9d5ed678fe57bcca610140957afab571a0b5ac1f";

interface SweepJson {
  exitCode: number;
  ran: number;
  planned: number;
  shard: { index: number; count: number } | null;
  verdicts: Record<string, number>;
  failures: { seed: number; commit?: string; verdict: string; replay: string; report?: string }[];
  byInvariant: { invariant: string; seeds: number }[];
  rechecks: { match: boolean }[];
  coverage: { name: string; hits: number }[];
  coverageGate: { required: boolean; passed: boolean; uncovered: string[] };
}

const onlyJson = (stdout: string): SweepJson => {
  const lines = stdout.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] as string) as SweepJson;
};

describe("eosim sweep", () => {
  it("text: header, counts, determinism re-checks, coverage table, verdict; progress lines on stderr; exit 0", async () => {
    const { code, stdout, stderr } = await runMain(["sweep", pbSmall, "--seeds", "1..4", "--jobs", "2", "--no-report"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^eosim \S+ · sweep pb-small \(.*pb-small\.yaml\) · seeds 1\.\.4: 4 seeds · jobs 2 · bugs none$/m);
    expect(stdout).toMatch(/^ran 4 of 4 seeds in [\d.]+ s \([\d.]+ seeds\/s, 2 workers\) · 4 pass · 0 safety · 0 liveness$/m);
    expect(stdout).toMatch(/^determinism: \d+ seeds? re-run \([\d, ]+\), every trace hash identical$/m);
    expect(stdout).toMatch(/^coverage \(sometimes \/ reachable, over 4 seeds\):$/m);
    expect(stdout).toMatch(/^ {2}\d+ +\d+ +reachable +pb: retried append answered from the index$/m);
    expect(stdout.trimEnd().split("\n").at(-1)).toBe("PASS · exit 0");
    expect(stderr).toMatch(/^sweep: 4\/4 seeds · 0 failing · [\d.-]+ seeds\/s · done$/m);
  });

  it("--bug: the violations table names each invariant, its first failing seeds and a replay command; failing seeds get run folders; exit 1 (and --github annotations)", async () => {
    const out = join(tmp.dir, "reports-text");
    const { code, stdout } = await runMain(["sweep", pbSmall, "--seeds", "1..3", "--jobs", "2", "--bug", "no-dedup", "--out", out, "--github"]);
    expect(code).toBe(1);
    // --github in text mode: the annotations come first, on stdout.
    expect(stdout).toMatch(/^::error file=.*pb-small\.yaml,title=eosim%3A duplicate \(safety\) broke in 3 seeds::/m);
    expect(stdout).toMatch(/^violations by invariant:$/m);
    expect(stdout).toMatch(/^ {2}invariant +kind +seeds +first failing seeds +replay \(first seed\)$/m);
    expect(stdout).toMatch(new RegExp(`^  duplicate +safety +3 +1, 2, 3 +eosim run ${pbSmall.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} --seed 1 --bug no-dedup$`, "m"));
    expect(stdout).toMatch(/^ {2}duplicate, seed 1: value \S+ appears twice/m);
    expect(stdout).toContain(`reports: 3 run folders under ${out}`);
    expect(stdout.trimEnd().split("\n").at(-1)).toBe("FAIL (safety) · exit 1");
    for (const seed of [1, 2, 3]) expect(existsSync(join(out, `pb-small-${seed}`, "result.json"))).toBe(true);
    // A failing seed's report draws the space-time diagram around its first violation.
    const html = readFileSync(join(out, "pb-small-1", "report.html"), "utf8");
    expect([...html.matchAll(/<line class="lane"[^>]*data-lane="([^"]+)"/g)].length).toBeGreaterThan(0);
    expect(html).toContain("The seed was run a second time to draw the first violation");
  });

  it("--json --junit --github: one JSON object on stdout, ::error annotations on stderr, a JUnit testcase per seed", async () => {
    const junit = join(tmp.dir, "junit.xml");
    const { code, stdout, stderr } = await runMain(["sweep", pbSmall, "--seeds", `1..2,${SHA}`, "--jobs", "1", "--bug", "no-dedup", "--json", "--junit", junit, "--github", "--no-report"]);
    expect(code).toBe(1);
    const json = onlyJson(stdout);
    expect(json).toMatchObject({ exitCode: 1, ran: 3, planned: 3, shard: null });
    expect(json.failures.map((f) => f.seed)).toEqual([1, 2, seedFromCommit(SHA)]);
    expect(json.failures[2]?.commit).toBe(SHA);
    expect(json.failures[2]?.replay).toContain(`--seed ${seedFromCommit(SHA)} --bug no-dedup`);
    expect(json.byInvariant).toEqual([expect.objectContaining({ invariant: "duplicate", seeds: 3 })]);
    expect(stderr).toMatch(/^::error file=.*pb-small\.yaml,title=eosim%3A duplicate \(safety\) broke in 3 seeds::pb-small seed 1: .*%0Areplay: eosim run /m);
    const xml = readFileSync(junit, "utf8");
    expect(xml.match(/<testcase /g)).toHaveLength(3);
    expect(xml).toContain(`name="seed ${seedFromCommit(SHA)} (commit ${SHA})"`);
    expect(xml.match(/<failure message="duplicate: /g)).toHaveLength(3);
  });

  it("--shard i/n runs exactly that shard's seeds (the shards' exact cover: test/sweep/seeds.test.ts)", async () => {
    const { code, stdout } = await runMain(["sweep", pbSmall, "--seeds", "1..7", "--shard", "2/3", "--jobs", "1", "--bug", "no-dedup", "--json", "--no-report"]);
    expect(code).toBe(1);
    const json = onlyJson(stdout);
    expect(json.shard).toEqual({ index: 2, count: 3 });
    // Every seed fails under no-dedup, so the failures list the seeds the shard ran.
    expect(json.failures.map((f) => f.seed)).toEqual([...SeedList.parse("1..7").shard(2, 3)].map((item) => item.seed));
  });

  it("--require-coverage: a declared property never hit fails the sweep with exit 1 and says `coverage gate`", async () => {
    // No faults at all: nothing crashes, so no primary ever rebuilds its index from disk.
    const calm = writeScenario(tmp.dir, "pb-calm.yaml", PB_SMALL_YAML.replace(/^nemesis:.*\n/m, ""));
    const gated = await runMain(["sweep", calm, "--seeds", "1..2", "--jobs", "1", "--require-coverage", "--no-report"]);
    expect(gated.code).toBe(1);
    expect(gated.stdout).toMatch(/^coverage gate: FAILED: \d+ declared propert(y was|ies were) never hit: .*pb: restarted primary rebuilt its index from the log on disk/m);
    expect(gated.stdout).toMatch(/NEVER HIT$/m);
    expect(gated.stdout.trimEnd().split("\n").at(-1)).toBe("FAIL (coverage gate) · exit 1");
  });

  it("a sweep over a system with injected nondeterminism exits 4 and says how to find the first divergent record", async () => {
    const leaky = writeScenario(tmp.dir, "counter-leaky.yaml", counterScenarioYaml({ leak: true }));
    let stdout = "";
    const io: CliIo = { out: (t) => (stdout += t), err: () => undefined, color: false };
    const code = await sweepCommand(leaky, { seeds: SeedList.parse("1..4"), jobs: 1, bug: [], out: "reports", report: false }, io, { workerImports: [COUNTER_SYSTEM_MODULE] });
    expect(code).toBe(4);
    expect(stdout).toMatch(/^NONDETERMINISM: seed \d+ traced [0-9a-f]{16} \(worker 0\), then [0-9a-f]{16} \(worker 0\)$/m);
    expect(stdout).toContain(`find the first divergent record: eosim check-determinism ${leaky} --seeds `);
    expect(stdout.trimEnd().split("\n").at(-1)).toBe("FAIL (nondeterminism) · exit 4");
  });

  it("on a terminal, progress is a bar redrawn in place and cleared at the end", async () => {
    let stderr = "";
    const io: CliIo = { out: () => undefined, err: (t) => (stderr += t), color: false, tty: true };
    await sweepCommand(pbSmall, { seeds: SeedList.parse("1..2"), jobs: 1, bug: [], out: "reports", report: false }, io);
    const clear = "\r\u001b[K";
    expect(stderr.startsWith(clear)).toBe(true);
    expect(stderr).toContain(`${clear}[${"#".repeat(24)}] 2/2 seeds · 0 failing · `);
    expect(stderr).toMatch(/seeds\/s · done/);
    expect(stderr.endsWith(clear)).toBe(true);
  });

  it.each([
    [["--seeds", "5..3"], /--seeds.*expected a range A\.\.B with A <= B, found "5\.\.3"/],
    [[], /required option '--seeds <list>' not specified/],
    [["--seeds", "1..3", "--shard", "4/3"], /expected a shard i\/n with 1 <= i <= n, found "4\/3"/],
    [["--seeds", "1..3", "--jobs", "0"], /expected a number of workers from 1 to 1024, found "0"/],
    [["--seeds", "1..3", "--bug", "no-such-bug"], /--bug: expected a bug switch of primary-backup/],
  ])("bad input %j exits 2 with one line naming what was expected", async (args, message) => {
    const { code, stderr, stdout } = await runMain(["sweep", pbSmall, ...args]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stdout).toBe("");
  });

  it("runs its workers from source in a real process (node --import tsx src/cli/bin.ts)", async () => {
    const { code, stdout, stderr } = await runCli(["sweep", "scenarios/primary-backup.yaml", "--seeds", "1..2", "--jobs", "1", "--json", "--no-report"], 60_000);
    expect(code).toBe(0);
    // stderr holds progress lines only (no pipe is a terminal here).
    for (const line of stderr.trimEnd().split("\n")) expect(line).toMatch(/^sweep: \d\/2 seeds/);
    expect(onlyJson(stdout)).toMatchObject({ ran: 2, exitCode: 0 });
  });

  it("runs its workers from the build (node bin/eosim.js)", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["bin/eosim.js", "sweep", "scenarios/primary-backup.yaml", "--seeds", "1..2", "--jobs", "2", "--json", "--no-report"], { cwd: ROOT });
    expect(onlyJson(stdout)).toMatchObject({ ran: 2, exitCode: 0, rechecks: [expect.objectContaining({ match: true })] });
  });
});

describe("docs/github-actions-sweep.yml", () => {
  it("runs a sharded sweep as a matrix, writes JUnit, annotates, and uploads failing run folders", () => {
    const text = readFileSync(join(ROOT, "docs", "github-actions-sweep.yml"), "utf8");
    const workflow = parseYaml(text) as { jobs: { sweep: { strategy: { matrix: { shard: number[] } }; steps: { run?: string; uses?: string; with?: { path?: string } }[] } } };
    const job = workflow.jobs.sweep;
    const shards = job.strategy.matrix.shard;
    expect(shards.length).toBeGreaterThan(1);
    const sweep = job.steps.find((s) => s.run?.includes(" sweep "))?.run ?? "";
    expect(sweep).toContain(`--shard \${{ matrix.shard }}/${shards.length}`);
    for (const flag of ["--junit", "--github", "--out reports"]) expect(sweep).toContain(flag);
    expect(job.steps.some((s) => s.uses?.startsWith("actions/upload-artifact") && s.with?.path === "reports/")).toBe(true);
  });
});
