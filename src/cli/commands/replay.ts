/**
 * `eosim replay <result.json>`: re-runs exactly the run a result file describes (its scenario
 * file, which must still have the recorded content hash; its seed; its bug switches) and checks
 * that the trace hash is the recorded one.
 *
 * A result made by another eosim version is refused (exit 2): a different version may trace the
 * same seed differently, and that is not nondeterminism. `--any-version` replays it anyway with
 * a warning; a hash mismatch then still exits 4, and the message says the versions differ.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import type { RunResult } from "../../run/result.js";
import { EXIT } from "../../run/result.js";
import { prepareRun } from "../../run/run.js";
import { formatSummary } from "../../report/summary.js";
import { loadScenario } from "../../scenario/load.js";
import { EOSIM_VERSION } from "../../version.js";
import { replayCommand, UsageError, type CliIo } from "../main.js";

export interface ReplayCliOptions {
  json?: boolean;
  anyVersion?: boolean;
  scenario?: string;
}

export function registerReplay(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command("replay")
    .description("re-run the run a result.json describes and check that its trace hash is the same")
    .argument("<result>", "a result.json (from eosim run --out, sweep reports, or --json output)")
    .option("--scenario <file>", "the scenario file, if it moved (its content hash must still match)")
    .option("--any-version", "replay a result made by another eosim version (a warning instead of an error)")
    .option("--json", "print the replayed result as one JSON object")
    .action((file: string, options: ReplayCliOptions) => {
      setExit(replayResultCommand(file, options, io));
    });
}

/** The fields of a result that replay reads. */
type Recorded = Pick<RunResult, "eosimVersion" | "scenario" | "scenarioFile" | "scenarioHash" | "seed" | "bugs" | "traceHash" | "verdict">;

export function replayResultCommand(file: string, options: ReplayCliOptions, io: CliIo): number {
  const recorded = readResult(file);
  const versionDiffers = recorded.eosimVersion !== EOSIM_VERSION;
  if (versionDiffers && !options.anyVersion) {
    throw new UsageError(`replay: ${file} was made by eosim ${recorded.eosimVersion}, this is ${EOSIM_VERSION}: the same seed may trace differently (pass --any-version to replay anyway)`);
  }
  if (versionDiffers) io.err(`eosim: warning: ${file} was made by eosim ${recorded.eosimVersion}, this is ${EOSIM_VERSION}; a trace hash mismatch may come from the version\n`);
  const scenarioFile = options.scenario ?? recorded.scenarioFile;
  if (scenarioFile.startsWith("<")) {
    throw new UsageError(`replay: ${file} was made from a scenario built in memory (${scenarioFile}), not a file: pass --scenario <file>`);
  }
  const scenario = loadScenario(scenarioFile);
  if (scenario.contentHash !== recorded.scenarioHash) {
    throw new UsageError(
      `replay: ${scenarioFile} is not the scenario ${file} was made from: its content hash is ${scenario.contentHash}, the result names ${recorded.scenarioHash}` +
        (options.scenario === undefined ? " (if the original moved, pass --scenario <file>)" : ""),
    );
  }
  const prepared = prepareRun(scenario, { seed: recorded.seed, bugs: recorded.bugs });
  const result = prepared.execute();
  const same = result.traceHash === recorded.traceHash;
  const replay = replayCommand(scenarioFile, result.seed, result.bugs);
  if (options.json) io.out(JSON.stringify(result) + "\n");
  else io.out(formatSummary(result, replay, undefined, { color: io.color }));
  if (!same) {
    const why = versionDiffers ? ` (the result was made by eosim ${recorded.eosimVersion}, this is ${EOSIM_VERSION})` : "";
    io.err(
      `eosim: replay: NONDETERMINISM: ${file} recorded trace hash ${recorded.traceHash} (${recorded.verdict}), the replay traced ${result.traceHash} (${result.verdict})${why}; ` +
        `find the first divergent record: eosim check-determinism ${scenarioFile} --seeds ${recorded.seed}${recorded.bugs.map((b) => ` --bug ${b}`).join("")}\n`,
    );
    return EXIT.nondeterminism;
  }
  if (!options.json) io.out(`replay: trace hash ${result.traceHash} matches ${file}\n`);
  return result.exitCode;
}

function readResult(file: string): Recorded {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`replay: expected a readable result.json, found ${JSON.stringify(file)} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`replay: ${file}: expected a JSON result object (result.json or one line of run --json), found text that is not JSON`);
  }
  const r = value as Partial<Record<keyof Recorded, unknown>>;
  const problems: string[] = [];
  const want = (key: keyof Recorded, ok: boolean, what: string) => {
    if (!ok) problems.push(`${key} (${what})`);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new UsageError(`replay: ${file}: expected a JSON result object, found ${Array.isArray(value) ? "a list" : typeof value}`);
  want("eosimVersion", typeof r.eosimVersion === "string", "a version");
  want("scenarioFile", typeof r.scenarioFile === "string", "a file name");
  want("scenarioHash", typeof r.scenarioHash === "string" && /^[0-9a-f]{64}$/.test(r.scenarioHash), "a sha256");
  want("seed", typeof r.seed === "number" && Number.isSafeInteger(r.seed) && r.seed >= 0, "a whole number");
  want("bugs", Array.isArray(r.bugs) && r.bugs.every((b) => typeof b === "string"), "a list of names");
  want("traceHash", typeof r.traceHash === "string" && /^[0-9a-f]{16}$/.test(r.traceHash), "16 hex digits");
  if (problems.length > 0) throw new UsageError(`replay: ${file}: expected an eosim result with ${problems.join(", ")}`);
  return value as Recorded;
}
