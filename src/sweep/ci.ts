/**
 * A sweep's outputs for CI: JUnit XML (a testcase per seed), GitHub Actions `::error`
 * annotations, and the JSON summary. Pure functions of the summary.
 */
import { EXIT } from "../run/result.js";
import { describeSeed } from "./seeds.js";
import { failuresByInvariant, uncoveredProperties, type SeedOutcome, type SweepSummary } from "./sweep.js";

export interface CiOptions {
  /** The command that reproduces a seed (`eosim run … --seed N …`). */
  readonly replay: (seed: number) => string;
  /** --require-coverage: a declared property never hit fails the sweep. */
  readonly requireCoverage: boolean;
  /** The sweep's exit code. */
  readonly exitCode: number;
}

const FIRST_SEEDS_SHOWN = 5;

/** JUnit XML: one testsuite per sweep, a testcase per seed, one per failed re-check, one for the coverage gate. */
export function junitXml(summary: SweepSummary, options: CiOptions): string {
  const cases: string[] = [];
  let failures = 0;
  let errors = 0;
  const className = `eosim.${summary.scenario}`;
  for (const outcome of summary.outcomes) {
    const name = describeSeed(outcome);
    const time = (outcome.wallMs / 1000).toFixed(3);
    const open = `    <testcase classname="${xml(className)}" name="${xml(name)}" time="${time}"`;
    if (outcome.verdict === "pass") {
      cases.push(`${open}/>`);
    } else if (outcome.verdict === "error") {
      errors++;
      cases.push(`${open}>\n      <error message="internal error (a bug in eosim)" type="internal-error">${xml(outcome.error ?? "")}</error>\n    </testcase>`);
    } else {
      failures++;
      const first = outcome.violations[0];
      const message = first ? `${first.invariant}: ${first.message}` : outcome.verdict;
      const type = Object.keys(outcome.violationCounts).join(",");
      cases.push(`${open}>\n      <failure message="${xml(message)}" type="${xml(type)}">${xml(seedText(outcome, options))}</failure>\n    </testcase>`);
    }
  }
  for (const recheck of summary.rechecks.filter((r) => !r.match)) {
    errors++;
    const text = `the same seed traced differently: ${recheck.firstHash} (worker ${recheck.firstWorker}) then ${recheck.secondHash} (worker ${recheck.secondWorker})\nfind the first divergent record: eosim check-determinism ${summary.scenarioFile} --seeds ${recheck.seed}`;
    cases.push(
      `    <testcase classname="${xml(className)}" name="${xml(`${describeSeed(recheck)} determinism re-check`)}" time="0">\n      <error message="nondeterminism detected" type="nondeterminism">${xml(text)}</error>\n    </testcase>`,
    );
  }
  if (options.requireCoverage) {
    const uncovered = uncoveredProperties(summary);
    const open = `    <testcase classname="${xml(className)}" name="coverage gate" time="0"`;
    if (uncovered.length === 0) cases.push(`${open}/>`);
    else {
      failures++;
      const text = uncovered.map((u) => `${u.kind} ${u.name}: never hit in ${summary.outcomes.length} seeds`).join("\n");
      cases.push(`${open}>\n      <failure message="${xml(`coverage gate: ${uncovered.length} declared propert${uncovered.length === 1 ? "y" : "ies"} never hit`)}" type="coverage">${xml(text)}</failure>\n    </testcase>`);
    }
  }
  const tests = cases.length;
  const time = (summary.wallMs / 1000).toFixed(3);
  const properties = [
    ["scenarioFile", summary.scenarioFile],
    ["scenarioHash", summary.scenarioHash],
    ["seeds", summary.seeds],
    ["shard", summary.shard ? `${summary.shard.index}/${summary.shard.count}` : ""],
    ["bugs", summary.bugs.join(",")],
    ["eosimVersion", summary.eosimVersion],
    ["exitCode", String(options.exitCode)],
  ]
    .filter(([, value]) => value !== "")
    .map(([name, value]) => `      <property name="${xml(name as string)}" value="${xml(value as string)}"/>`);
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="eosim sweep" tests="${tests}" failures="${failures}" errors="${errors}" time="${time}">`,
    `  <testsuite name="${xml(summary.scenario)}" tests="${tests}" failures="${failures}" errors="${errors}" time="${time}">`,
    `    <properties>`,
    ...properties,
    `    </properties>`,
    ...cases,
    `  </testsuite>`,
    `</testsuites>`,
    "",
  ].join("\n");
}

function seedText(outcome: SeedOutcome, options: CiOptions): string {
  const lines = Object.entries(outcome.violationCounts).map(([invariant, count]) => {
    const first = outcome.violations.find((v) => v.invariant === invariant);
    return `${invariant} (${first?.kind ?? "safety"}): ${count} violation${count === 1 ? "" : "s"}${first ? `; first: ${first.message}` : ""}`;
  });
  lines.push(`trace hash: ${outcome.traceHash}`);
  lines.push(`replay: ${options.replay(outcome.seed)}`);
  if (outcome.reportPath !== undefined) lines.push(`report: ${outcome.reportPath}`);
  return lines.join("\n");
}

/**
 * GitHub Actions workflow commands: one `::error` per broken invariant (its first seed and how
 * many seeds broke it), per internal error, per failed re-check, and for a failed coverage gate.
 */
export function githubAnnotations(summary: SweepSummary, options: CiOptions): string[] {
  const file = summary.scenarioFile;
  const out: string[] = [];
  for (const group of failuresByInvariant(summary)) {
    const first = group.seeds[0] as SeedOutcome;
    const message = first.violations.find((v) => v.invariant === group.invariant)?.message ?? group.invariant;
    const seeds = group.seeds.length;
    out.push(
      annotation(
        file,
        `eosim: ${group.invariant} (${group.kind}) broke in ${seeds} seed${seeds === 1 ? "" : "s"}`,
        `${summary.scenario} ${describeSeed(first)}: ${message}\nreplay: ${options.replay(first.seed)}${first.reportPath ? `\nreport: ${first.reportPath}` : ""}`,
      ),
    );
  }
  const broken = summary.outcomes.filter((o) => o.verdict === "error");
  if (broken.length > 0) {
    const first = broken[0] as SeedOutcome;
    out.push(annotation(file, `eosim: internal error in ${broken.length} seed${broken.length === 1 ? "" : "s"}`, `${describeSeed(first)}: ${(first.error ?? "").split("\n")[0] ?? ""}\nreplay: ${options.replay(first.seed)}`));
  }
  for (const recheck of summary.rechecks.filter((r) => !r.match)) {
    out.push(
      annotation(
        file,
        "eosim: nondeterminism detected",
        `${summary.scenario} ${describeSeed(recheck)} traced ${recheck.firstHash}, then ${recheck.secondHash}\nfind the first divergent record: eosim check-determinism ${file} --seeds ${recheck.seed}`,
      ),
    );
  }
  const uncovered = uncoveredProperties(summary);
  if (options.requireCoverage && uncovered.length > 0) {
    out.push(annotation(file, "eosim: coverage gate", `never hit in ${summary.outcomes.length} seeds: ${uncovered.map((u) => u.name).join("; ")}`));
  }
  return out;
}

function annotation(file: string, title: string, message: string): string {
  return `::error file=${property(file)},title=${property(title)}::${data(message)}`;
}

/** Escaping of workflow command data (the message). */
function data(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** Escaping of workflow command properties (file, title). */
function property(text: string): string {
  return data(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/** The `--json` summary: one object. Per-seed detail only for seeds that failed. */
export function sweepJson(summary: SweepSummary, options: CiOptions): Record<string, unknown> {
  const verdicts: Record<string, number> = { pass: 0, "safety-violation": 0, "liveness-violation": 0, error: 0 };
  for (const o of summary.outcomes) verdicts[o.verdict] = (verdicts[o.verdict] ?? 0) + 1;
  const uncovered = uncoveredProperties(summary);
  return {
    eosimVersion: summary.eosimVersion,
    scenario: summary.scenario,
    scenarioFile: summary.scenarioFile,
    scenarioHash: summary.scenarioHash,
    seeds: summary.seeds,
    shard: summary.shard ?? null,
    bugs: summary.bugs,
    jobs: summary.jobs,
    planned: summary.planned,
    ran: summary.outcomes.length,
    stoppedEarly: summary.stoppedEarly,
    wallMs: summary.wallMs,
    seedsPerSec: summary.wallMs > 0 ? Math.round((summary.outcomes.length / summary.wallMs) * 1000 * 10) / 10 : null,
    exitCode: options.exitCode,
    verdicts,
    byInvariant: failuresByInvariant(summary).map((g) => ({
      invariant: g.invariant,
      kind: g.kind,
      seeds: g.seeds.length,
      violations: g.violations,
      firstSeeds: g.seeds.slice(0, FIRST_SEEDS_SHOWN).map((o) => (o.commit ? { seed: o.seed, commit: o.commit } : { seed: o.seed })),
      replay: options.replay((g.seeds[0] as SeedOutcome).seed),
    })),
    failures: summary.outcomes
      .filter((o) => o.exitCode !== EXIT.pass)
      .map((o) => ({
        seed: o.seed,
        ...(o.commit ? { commit: o.commit } : {}),
        verdict: o.verdict,
        exitCode: o.exitCode,
        violationCounts: o.violationCounts,
        violations: o.violations,
        traceHash: o.traceHash,
        replay: options.replay(o.seed),
        ...(o.reportPath ? { report: o.reportPath } : {}),
        ...(o.error ? { error: o.error } : {}),
      })),
    rechecks: summary.rechecks,
    nondeterministicSeeds: summary.rechecks.filter((r) => !r.match).map((r) => r.seed),
    coverage: summary.coverage,
    coverageGate: { required: options.requireCoverage, uncovered: uncovered.map((u) => u.name), passed: uncovered.length === 0 },
  };
}

/** Escapes text for XML attributes and content; drops characters XML 1.0 cannot carry. */
export function xml(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}
