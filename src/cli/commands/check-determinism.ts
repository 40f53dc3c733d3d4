/**
 * `eosim check-determinism <scenario> --seeds A..B`: every seed twice, in this process and in
 * a sweep worker (a child process); on a mismatch, the first divergent trace record of each run. Exit 4 on any.
 */
import type { Command } from "commander";
import { EXIT } from "../../run/result.js";
import { loadScenario, validateReferences } from "../../scenario/load.js";
import { checkDeterminism, type SeedDeterminism } from "../../sweep/check-determinism.js";
import { describeSeed, type SeedList } from "../../sweep/seeds.js";
import type { CliIo } from "../main.js";
import { collect, parseSeedList } from "./options.js";

export interface CheckDeterminismCliOptions {
  seeds: SeedList;
  bug: string[];
  json?: boolean;
}

export interface CheckDeterminismInternals {
  /** Module URLs the worker imports first (a test-only system registering itself). */
  readonly workerImports?: readonly string[];
}

export function registerCheckDeterminism(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command("check-determinism")
    .description("run each seed twice (this process and a worker process) and compare the traces record by record")
    .argument("<scenario>", "scenario file")
    .requiredOption("--seeds <list>", "seeds: A..B, N or a 40-hex commit hash, comma-separated", parseSeedList)
    .option("--bug <name>", "switch off a guard (repeatable)", collect, [] as string[])
    .option("--json", "print one JSON object per seed")
    .action(async (file: string, options: CheckDeterminismCliOptions) => {
      setExit(await checkDeterminismCommand(file, options, io));
    });
}

export async function checkDeterminismCommand(file: string, options: CheckDeterminismCliOptions, io: CliIo, internals: CheckDeterminismInternals = {}): Promise<number> {
  const scenario = loadScenario(file);
  validateReferences(scenario.config, file, options.bug);
  const bugs = [...new Set(options.bug)];
  const checks = await checkDeterminism({
    scenario,
    seeds: options.seeds,
    bugs,
    workerImports: internals.workerImports,
    onSeed: (check) => io.out(options.json ? JSON.stringify(check) + "\n" : formatCheck(check)),
  });
  const mismatches = checks.filter((c) => !c.match);
  if (!options.json) {
    io.out(
      mismatches.length === 0
        ? `deterministic: ${checks.length} seed${checks.length === 1 ? "" : "s"} traced identically in this process and a worker process\n`
        : `NONDETERMINISM in ${mismatches.length} of ${checks.length} seeds (${mismatches.map((m) => m.seed).join(", ")}) · exit 4\n`,
    );
  }
  return mismatches.length === 0 ? EXIT.pass : EXIT.nondeterminism;
}

function formatCheck(check: SeedDeterminism): string {
  if (check.match) return `ok ${describeSeed(check)}: trace ${check.mainHash} (${check.mainRecords} records) in both runs\n`;
  const lines = [`MISMATCH ${describeSeed(check)}: main process traced ${check.mainHash} (${check.mainRecords} records), the worker ${check.workerHash} (${check.workerRecords} records)`];
  const d = check.divergence;
  if (d !== undefined) {
    lines.push(`  first divergent record: #${d.index}${d.index > 0 ? ` (records #0..#${d.index - 1} agree)` : " (the very first)"}`);
    if (d.lastCommon !== null) lines.push(`    last common:  ${d.lastCommon}`);
    lines.push(`    main process: ${d.main ?? "(its trace had ended)"}`);
    lines.push(`    worker:       ${d.worker ?? "(its trace had ended)"}`);
  }
  return lines.join("\n") + "\n";
}
