/** `eosim sweep <scenario> --seeds A..B`: many seeds in worker processes, one verdict. */
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { EXIT } from "../../run/result.js";
import { loadScenario, validateReferences } from "../../scenario/load.js";
import { githubAnnotations, junitXml, sweepJson, type CiOptions } from "../../sweep/ci.js";
import { describeSeed, type SeedList } from "../../sweep/seeds.js";
import { failuresByInvariant, runSweep, sweepExitCodes, uncoveredProperties, type SweepSummary } from "../../sweep/sweep.js";
import { EOSIM_VERSION } from "../../version.js";
import { replayCommand, UsageError, worstExit, type CliIo } from "../main.js";
import { collect, parseJobs, parseSeedList, parseShardOption } from "./options.js";
import { ProgressReporter } from "./progress.js";

export interface SweepCliOptions {
  seeds: SeedList;
  jobs?: number;
  shard?: { index: number; count: number };
  bug: string[];
  stopOnFirst?: boolean;
  junit?: string;
  json?: boolean;
  github?: boolean;
  requireCoverage?: boolean;
  out: string;
  report: boolean;
}

/** Not on the command line: what tests (and other embedders) may add. */
export interface SweepInternals {
  /** Module URLs each worker imports first (a test-only system registering itself). */
  readonly workerImports?: readonly string[];
  readonly recheckRatio?: number;
}

const FIRST_SEEDS_SHOWN = 5;

export function registerSweep(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command("sweep")
    .description("run a scenario over many seeds in worker processes; exit with the worst verdict")
    .argument("<scenario>", "scenario file")
    .requiredOption("--seeds <list>", "seeds: A..B, N or a 40-hex commit hash, comma-separated", parseSeedList)
    .option("--jobs <n>", "worker processes (default: the number of CPUs)", parseJobs)
    .option("--shard <i/n>", "run shard i of n: every n-th seed of the list from position i", parseShardOption)
    .option("--bug <name>", "switch off a guard (repeatable); see `eosim list bugs`", collect, [] as string[])
    .option("--stop-on-first", "start no new seed after the first failure")
    .option("--junit <file>", "write JUnit XML: a testcase per seed")
    .option("--json", "print one JSON summary object instead of text")
    .option("--github", "print GitHub Actions ::error annotations (on stderr with --json)")
    .option("--require-coverage", "fail (exit 1, `coverage gate`) when a declared sometimes/reachable property was never hit")
    .option("--out <dir>", "where failing seeds' run folders are written", "reports")
    .option("--no-report", "write no run folders")
    .action(async (file: string, options: SweepCliOptions) => {
      setExit(await sweepCommand(file, options, io));
    });
}

export async function sweepCommand(file: string, options: SweepCliOptions, io: CliIo, internals: SweepInternals = {}): Promise<number> {
  const scenario = loadScenario(file);
  validateReferences(scenario.config, file, options.bug);
  const seeds = options.shard ? options.seeds.shard(options.shard.index, options.shard.count) : options.seeds;
  const bugs = [...new Set(options.bug)];
  const replay = (seed: number) => replayCommand(file, seed, bugs);
  if (!options.json) io.out(header(scenario.config.name, file, seeds, options, bugs));
  const progress = new ProgressReporter((text) => io.err(text), io.tty === true);
  const summary = await runSweep({
    scenario,
    seeds,
    bugs,
    jobs: options.jobs,
    stopOnFirst: options.stopOnFirst,
    report: options.report ? { outDir: options.out, replay } : undefined,
    workerImports: internals.workerImports,
    recheckRatio: internals.recheckRatio,
    onProgress: progress.update,
  });
  progress.finish();

  const requireCoverage = options.requireCoverage === true;
  const codes = sweepExitCodes(summary);
  if (requireCoverage && uncoveredProperties(summary).length > 0) codes.push(EXIT.safety);
  const exitCode = worstExit(codes);
  const ci: CiOptions = { replay, requireCoverage, exitCode };
  const junit = options.junit;
  if (junit !== undefined) {
    try {
      writeFileSync(junit, junitXml(summary, ci));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (typeof code !== "string") throw error;
      throw new UsageError(`--junit: expected a writable file, found ${JSON.stringify(junit)} (${code})`);
    }
  }
  const annotations = options.github ? githubAnnotations(summary, ci).map((line) => line + "\n") : [];
  if (options.json) {
    for (const line of annotations) io.err(line);
    io.out(JSON.stringify(sweepJson(summary, ci)) + "\n");
  } else {
    for (const line of annotations) io.out(line);
    io.out(formatSweepSummary(summary, ci, options.report ? options.out : undefined));
  }
  return exitCode;
}

function header(name: string, file: string, seeds: SeedList, options: SweepCliOptions, bugs: readonly string[]): string {
  const shard = seeds.shardInfo ? ` · shard ${seeds.shardInfo.index}/${seeds.shardInfo.count}` : "";
  const jobs = options.jobs === undefined ? "jobs = CPUs" : `jobs ${options.jobs}`;
  return `eosim ${EOSIM_VERSION} · sweep ${name} (${file}) · seeds ${seeds.text}${shard}: ${seeds.size} seed${seeds.size === 1 ? "" : "s"} · ${jobs} · bugs ${bugs.length ? bugs.join(",") : "none"}\n`;
}

/** The text summary: counts, violations by invariant, determinism, coverage, the verdict. */
export function formatSweepSummary(summary: SweepSummary, ci: CiOptions, outDir: string | undefined): string {
  const lines: string[] = [];
  const count = (verdict: string) => summary.outcomes.filter((o) => o.verdict === verdict).length;
  const ran = summary.outcomes.length;
  const rate = summary.wallMs > 0 ? ((ran / summary.wallMs) * 1000).toFixed(1) : "-";
  lines.push(
    `ran ${ran} of ${summary.planned} seeds in ${(summary.wallMs / 1000).toFixed(1)} s (${rate} seeds/s, ${summary.jobs} worker${summary.jobs === 1 ? "" : "s"})` +
      `${summary.stoppedEarly ? " · stopped at the first failure" : ""} · ${count("pass")} pass · ${count("safety-violation")} safety · ${count("liveness-violation")} liveness` +
      (count("error") > 0 ? ` · ${count("error")} internal errors` : ""),
  );

  const groups = failuresByInvariant(summary);
  if (groups.length > 0) {
    lines.push("violations by invariant:");
    const rows = groups.map((g) => {
      const first = g.seeds[0];
      return [
        g.invariant,
        g.kind,
        String(g.seeds.length),
        g.seeds
          .slice(0, FIRST_SEEDS_SHOWN)
          .map((o) => String(o.seed))
          .join(", ") + (g.seeds.length > FIRST_SEEDS_SHOWN ? ", …" : ""),
        first ? ci.replay(first.seed) : "",
      ];
    });
    lines.push(...table([["invariant", "kind", "seeds", "first failing seeds", "replay (first seed)"], ...rows]).map((l) => `  ${l}`));
    for (const g of groups) {
      const first = g.seeds[0];
      const message = first?.violations.find((v) => v.invariant === g.invariant)?.message;
      if (first && message) lines.push(`  ${g.invariant}, ${describeSeed(first)}: ${message}`);
    }
  }
  for (const o of summary.outcomes.filter((x) => x.verdict === "error").slice(0, FIRST_SEEDS_SHOWN)) {
    lines.push(`internal error in ${describeSeed(o)} (a bug in eosim): ${(o.error ?? "").split("\n")[0] ?? ""}`);
    lines.push(`  replay: ${ci.replay(o.seed)}`);
  }

  const mismatches = summary.rechecks.filter((r) => !r.match);
  if (mismatches.length === 0) {
    const seeds = summary.rechecks.map((r) => r.seed).join(", ");
    lines.push(`determinism: ${summary.rechecks.length} seed${summary.rechecks.length === 1 ? "" : "s"} re-run (${seeds}), every trace hash identical`);
  } else {
    for (const r of mismatches) {
      lines.push(`NONDETERMINISM: ${describeSeed(r)} traced ${r.firstHash} (worker ${r.firstWorker}), then ${r.secondHash} (worker ${r.secondWorker})`);
      lines.push(`  find the first divergent record: eosim check-determinism ${summary.scenarioFile} --seeds ${r.seed}`);
    }
  }

  if (summary.coverage.length > 0) {
    lines.push(`coverage (sometimes / reachable, over ${ran} seeds):`);
    const rows = summary.coverage.map((c) => [String(c.hits), `${c.seedsHit}`, c.kind, c.name, c.hits === 0 ? "NEVER HIT" : ""]);
    lines.push(...table([["hits", "seeds", "kind", "property", ""], ...rows]).map((l) => `  ${l}`));
  }
  const uncovered = uncoveredProperties(summary);
  if (ci.requireCoverage) {
    lines.push(
      uncovered.length === 0
        ? `coverage gate: passed (${summary.coverage.length} declared properties, each hit)`
        : `coverage gate: FAILED: ${uncovered.length} declared propert${uncovered.length === 1 ? "y was" : "ies were"} never hit: ${uncovered.map((u) => u.name).join("; ")}`,
    );
  }

  const folders = summary.outcomes.filter((o) => o.reportPath !== undefined);
  if (outDir !== undefined && folders.length > 0) {
    lines.push(`reports: ${folders.length} run folder${folders.length === 1 ? "" : "s"} under ${outDir} (first: ${folders[0]?.reportPath}); replay one with eosim replay <folder>/result.json`);
  }
  const onlyCoverage = ci.exitCode === EXIT.safety && count("safety-violation") === 0 && ci.requireCoverage && uncovered.length > 0;
  lines.push(`${onlyCoverage ? "FAIL (coverage gate)" : verdictLabel(ci.exitCode)} · exit ${ci.exitCode}`);
  return lines.join("\n") + "\n";
}

function verdictLabel(code: number): string {
  switch (code) {
    case EXIT.pass:
      return "PASS";
    case EXIT.safety:
      return "FAIL (safety)";
    case EXIT.liveness:
      return "FAIL (liveness)";
    case EXIT.nondeterminism:
      return "FAIL (nondeterminism)";
    default:
      return "FAIL (internal error)";
  }
}

/** Left-aligned columns; the last column is not padded. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}
