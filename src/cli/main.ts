import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { CATALOG_SECTIONS, listCatalog, type CatalogSection } from "./catalog.js";
import { registerCommands } from "./commands/index.js";
import { loadScenario } from "../scenario/load.js";
import { ScenarioError } from "../scenario/errors.js";
import { SEED_MAX } from "../scenario/schema.js";
import { prepareRun } from "../run/run.js";
import { EXIT } from "../run/result.js";
import { focusOnFirstViolation, writeRunArtifacts, reportDir } from "../report/artifacts.js";
import { composeListeners, RunRecording } from "../report/recording.js";
import { formatHeader, formatSummary } from "../report/summary.js";
import { TraceFileWriter } from "../report/trace-file.js";
import { EOSIM_VERSION } from "../version.js";

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  readonly color: boolean;
  /** stderr is a terminal: progress bars redraw in place (otherwise plain lines). */
  readonly tty?: boolean;
}

const EXAMPLES = `
Examples:
  $ eosim run scenarios/primary-backup.yaml --seed 7
  $ eosim run scenarios/primary-backup.yaml --seed 7 --bug no-dedup --json
  $ eosim run scenarios                      # every scenario in the folder
  $ eosim list bugs

Exit codes: 0 all checks hold · 1 a safety invariant broke · 2 bad input or usage ·
            3 a liveness check failed · 4 nondeterminism detected · 70 internal error`;

/** Severity for combining several runs into one exit code: the worst wins. */
const SEVERITY: Record<number, number> = { 0: 0, 3: 1, 1: 2, 2: 3, 4: 4, 70: 5 };

export function worstExit(codes: readonly number[]): number {
  return codes.reduce((worst, code) => ((SEVERITY[code] ?? 5) > (SEVERITY[worst] ?? 5) ? code : worst), 0);
}

/** Runs the CLI; returns the exit code. Never throws. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.pass;
  const program = new Command("eosim")
    .description("Deterministic simulator and fault injector for Apache Kafka's exactly-once semantics")
    .version(EOSIM_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError(false)
    .addHelpText("after", EXAMPLES);

  program
    .command("run")
    .description("run scenario files (or every *.yaml in a folder) with a seed and check every invariant")
    .argument("<scenario...>", "scenario files or folders")
    .option("--seed <n>", "seed (default: the scenario's own)", parseSeed)
    .option("--bug <name>", "switch off a guard (repeatable); see `eosim list bugs`", collect, [] as string[])
    .option("--json", "print one JSON result object per run instead of text")
    .option("--out <dir>", "where run folders are written", "reports")
    .option("--no-report", "write no run folder")
    .option("--trace <file>", "stream every trace record to a JSONL file (one scenario only)")
    .addHelpText("after", EXAMPLES)
    .action((scenarios: string[], options: RunCliOptions) => {
      exitCode = runCommand(scenarios, options, io);
    });

  program
    .command("list")
    .description("list scenarios, invariants, faults, bug switches and systems")
    .argument("[what]", `one of: ${CATALOG_SECTIONS.join(", ")} (default: all)`)
    .action((what: string | undefined) => {
      exitCode = listCommand(what, io);
    });

  registerCommands(program, io, (code) => {
    exitCode = code;
  });

  if (argv.length === 0) {
    io.err(program.helpInformation());
    return EXIT.usage;
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    return handleError(error, io);
  }
}

interface RunCliOptions {
  seed?: number;
  bug: string[];
  json?: boolean;
  out: string;
  report: boolean;
  trace?: string;
}

function runCommand(targets: readonly string[], options: RunCliOptions, io: CliIo): number {
  const files = targets.flatMap(expandScenarioPath);
  if (options.trace !== undefined && files.length !== 1) {
    throw new UsageError(`--trace: expected exactly one scenario, found ${files.length}`);
  }
  const codes = files.map((file) => runOne(file, options, io));
  return worstExit(codes);
}

function runOne(file: string, options: RunCliOptions, io: CliIo): number {
  const scenario = loadScenario(file);
  const trace = options.trace;
  const traceWriter = trace !== undefined ? writable("--trace", trace, "a writable file", () => new TraceFileWriter(trace)) : undefined;
  // What report.html draws, kept with bounded memory while the run goes.
  const recording = options.report ? new RunRecording() : undefined;
  try {
    const onTrace = composeListeners(traceWriter?.listener, recording?.listener);
    const prepared = prepareRun(scenario, { seed: options.seed, bugs: options.bug, onTrace });
    if (!options.json) {
      io.out(formatHeader({ ...prepared, scenario: scenario.config.name, file, eosimVersion: EOSIM_VERSION }, { color: io.color }));
    }
    const result = prepared.execute();
    const replay = replayCommand(file, result.seed, result.bugs);
    const folder = options.report ? reportDir(options.out, result) : undefined;
    const reportPath = folder === undefined ? undefined : join(folder, "report.html");
    const plainSummary = formatSummary(result, replay, reportPath, { color: false });
    if (folder !== undefined && recording !== undefined) {
      const history = prepared.sim.history;
      // If the first violation fell outside the windows kept, the seed runs again focused on it.
      const focused = focusOnFirstViolation(scenario, result, history, recording);
      const artifacts = { result, history, summary: plainSummary, recording: focused, replay, description: scenario.config.description };
      writable("--out", options.out, "a folder it can write", () => writeRunArtifacts(options.out, artifacts));
    }
    io.out(options.json ? JSON.stringify(result) + "\n" : formatSummary(result, replay, reportPath, { color: io.color }));
    return result.exitCode;
  } finally {
    traceWriter?.close();
  }
}

function listCommand(what: string | undefined, io: CliIo): number {
  const sections = listCatalog(existsSync("scenarios") ? "scenarios" : undefined);
  const wanted = what === undefined ? sections : sections.filter((s) => s.name === what);
  if (wanted.length === 0) {
    throw new UsageError(`list: expected one of ${sections.map((s) => s.name).join(", ")}, found ${JSON.stringify(what)}`);
  }
  io.out(wanted.map(formatSection).join("\n"));
  return EXIT.pass;
}

function formatSection(section: CatalogSection): string {
  const width = Math.max(0, ...section.rows.map((r) => r.name.length));
  const rows = section.rows.map((r) => `  ${r.name.padEnd(width)}  ${r.description}`);
  return `${section.name}:\n${rows.length ? rows.join("\n") : "  (none)"}\n`;
}

function expandScenarioPath(path: string): string[] {
  if (existsSync(path) && statSync(path).isDirectory()) {
    const files = readdirSync(path)
      .filter((name) => name.endsWith(".yaml") || name.endsWith(".yml"))
      .sort()
      .map((name) => join(path, name));
    if (files.length === 0) throw new ScenarioError(path, "", "a folder with *.yaml scenario files", "none");
    return files;
  }
  return [path];
}

export function replayCommand(file: string, seed: number, bugs: readonly string[]): string {
  return ["eosim run", file, "--seed", String(seed), ...bugs.flatMap((b) => ["--bug", b])].join(" ");
}

export class UsageError extends Error {}

/** Runs a file-system write; a path the user gave that cannot be written is bad input (exit 2), not a bug. */
function writable<T>(option: string, path: string, expected: string, write: () => T): T {
  try {
    return write();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code !== "string") throw error;
    const reason = (error as Error).message.replace(/^[A-Z]+: /, "").split(",")[0] ?? code;
    throw new UsageError(`${option}: expected ${expected}, found ${JSON.stringify(path)}: ${reason} (${code})`);
  }
}

function handleError(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help") return EXIT.pass;
    return EXIT.usage;
  }
  if (error instanceof ScenarioError || error instanceof UsageError) {
    io.err(`eosim: ${error.message}\n`);
    return EXIT.usage;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  io.err(`eosim: internal error (a bug in eosim, please report it with the command you ran):\n${stack}\n`);
  return EXIT.internal;
}

function parseSeed(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > SEED_MAX) {
    throw new InvalidArgumentError(`expected a whole number from 0 to ${SEED_MAX}, found ${JSON.stringify(text)}`);
  }
  return Number(text);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
