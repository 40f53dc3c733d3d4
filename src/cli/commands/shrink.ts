/** `eosim shrink <scenario> --seed N -o min.yaml`: the smallest scenario that still breaks the same invariant. */
import { writeFileSync } from "node:fs";
import { InvalidArgumentError, type Command } from "commander";
import { EXIT } from "../../run/result.js";
import { loadScenario, parseScenario, validateReferences } from "../../scenario/load.js";
import { run } from "../../run/run.js";
import { NothingToShrink, shrink } from "../../shrink/shrink.js";
import { shrunkScenarioYaml, sizeText } from "../../shrink/yaml.js";
import { systemFor } from "../../systems/index.js";
import { UsageError, type CliIo } from "../main.js";
import { collect, parseSeedOrCommit } from "./options.js";

export interface ShrinkCliOptions {
  seed?: number;
  bug: string[];
  output: string;
  invariant?: string;
  maxRuns?: number;
}

export function registerShrink(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command("shrink")
    .description("shrink a failing seed's scenario: fewer faults, shorter, fewer and slower clients, same broken invariant")
    .argument("<scenario>", "scenario file")
    .option("--seed <n>", "the failing seed (default: the scenario's own); a 40-hex commit hash works too", parseSeedOrCommit)
    .option("--bug <name>", "switch off a guard (repeatable)", collect, [] as string[])
    .requiredOption("-o, --output <file>", "where to write the minimal scenario (YAML)")
    .option("--invariant <name>", "the invariant that must keep breaking (default: the first the run breaks)")
    .option("--max-runs <n>", "stop after this many runs and keep the smallest scenario so far", (text) => {
      if (!/^\d+$/.test(text) || Number(text) < 1) throw new InvalidArgumentError(`expected a positive whole number, found ${JSON.stringify(text)}`);
      return Number(text);
    })
    .addHelpText("after", "\nExit codes: 0 a smaller scenario was written · 2 bad input, or the seed does not break the invariant")
    .action((file: string, options: ShrinkCliOptions) => {
      setExit(shrinkCommand(file, options, io));
    });
}

export function shrinkCommand(file: string, options: ShrinkCliOptions, io: CliIo): number {
  const scenario = loadScenario(file);
  validateReferences(scenario.config, file, options.bug);
  const seed = options.seed ?? scenario.config.seed;
  const invariants = systemFor(scenario.config.cluster.kind).invariants.map((i) => i.name);
  if (options.invariant !== undefined && !invariants.includes(options.invariant)) {
    throw new UsageError(`--invariant: expected an invariant of ${scenario.config.cluster.kind}: ${invariants.join(", ")}, found ${JSON.stringify(options.invariant)}`);
  }
  io.out(`eosim shrink ${file} · seed ${seed} · bugs ${options.bug.length ? options.bug.join(",") : "none"}\n`);
  let outcome;
  try {
    outcome = shrink({
      scenario,
      seed,
      bugs: options.bug,
      invariant: options.invariant,
      maxRuns: options.maxRuns,
      onStep: (step) => io.out(`  ${step}\n`),
    });
  } catch (error) {
    if (error instanceof NothingToShrink) throw new UsageError(`shrink: nothing to shrink: ${error.message}`);
    throw error;
  }
  const text = shrunkScenarioYaml(outcome, { from: file, file: options.output });
  // What is written must reproduce by itself: seed and bug switches are in the file.
  const check = run(parseScenario(text, options.output));
  if ((check.violationCounts[outcome.invariant] ?? 0) === 0) throw new Error(`shrink: the written scenario does not break ${outcome.invariant}`);
  try {
    writeFileSync(options.output, text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code !== "string") throw error;
    throw new UsageError(`-o: expected a writable file, found ${JSON.stringify(options.output)} (${code})`);
  }
  io.out(`invariant ${outcome.invariant} still breaks after ${outcome.runs} runs${outcome.budgetExhausted ? " (run budget exhausted)" : ""}\n`);
  io.out(`  before: ${sizeText(outcome.before)}\n`);
  io.out(`  after:  ${sizeText(outcome.after)}\n`);
  io.out(`wrote ${options.output} · reproduce: eosim run ${options.output}\n`);
  return EXIT.pass;
}
