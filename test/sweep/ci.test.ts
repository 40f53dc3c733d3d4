/** CI outputs of a sweep: JUnit XML, GitHub annotations, the JSON summary. */
import { describe, expect, it } from "vitest";
import { githubAnnotations, junitXml, sweepJson, xml, type CiOptions } from "../../src/sweep/ci.js";
import type { SeedOutcome, SweepSummary } from "../../src/sweep/sweep.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";

function outcome(position: number, seed: number, extra: Partial<SeedOutcome> = {}): SeedOutcome {
  return { position, seed, verdict: "pass", exitCode: 0, violationCounts: {}, violations: [], traceHash: "00112233aabbccdd", events: 100, wallMs: 12, ...extra };
}

const summary: SweepSummary = {
  eosimVersion: "0.1.0",
  scenario: "pb",
  scenarioFile: "scenarios/pb.yaml",
  scenarioHash: "f".repeat(64),
  seeds: "1..4",
  shard: { index: 1, count: 2 },
  bugs: ["no-dedup"],
  jobs: 2,
  planned: 5,
  outcomes: [
    outcome(0, 1),
    outcome(1, 2, {
      verdict: "safety-violation",
      exitCode: 1,
      violationCounts: { duplicate: 2 },
      violations: [{ invariant: "duplicate", kind: "safety", message: 'value "w1-3" <appears> twice & more' }],
      reportPath: "reports/pb-2",
    }),
    outcome(2, 3, { verdict: "error", exitCode: 70, error: "Error: boom\n    at x" }),
    outcome(3, 81985529216486, { commit: SHA, verdict: "liveness-violation", exitCode: 3, violationCounts: { converged: 1 }, violations: [{ invariant: "converged", kind: "liveness", message: "not converged: w1 pending" }] }),
  ],
  rechecks: [
    { seed: 1, firstHash: "aaaaaaaaaaaaaaaa", secondHash: "aaaaaaaaaaaaaaaa", firstWorker: 0, secondWorker: 1, match: true },
    { seed: 2, firstHash: "aaaaaaaaaaaaaaaa", secondHash: "bbbbbbbbbbbbbbbb", firstWorker: 1, secondWorker: 0, match: false },
  ],
  coverage: [
    { name: "p: hit", kind: "reachable", hits: 3, seedsHit: 2 },
    { name: "p: never", kind: "sometimes", hits: 0, seedsHit: 0 },
  ],
  stoppedEarly: true,
  wallMs: 2000,
};

const ci: CiOptions = { replay: (seed) => `eosim run scenarios/pb.yaml --seed ${seed} --bug no-dedup`, requireCoverage: true, exitCode: 70 };

describe("JUnit XML", () => {
  const text = junitXml(summary, ci);

  it("has a testcase per seed, one per failed re-check and one for the coverage gate, with matching counts", () => {
    expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="eosim sweep" tests="6" failures="3" errors="2"')).toBe(true);
    expect(text.match(/<testcase /g)).toHaveLength(6);
    expect(text).toContain('<testcase classname="eosim.pb" name="seed 1" time="0.012"/>');
    expect(text).toContain(`name="seed 81985529216486 (commit ${SHA})"`);
    expect(text).toContain('name="seed 2 determinism re-check"');
    expect(text).toContain('<testcase classname="eosim.pb" name="coverage gate"');
    expect(text).toContain('<property name="shard" value="1/2"/>');
  });

  it("a failure carries the violation (escaped) and the replay command", () => {
    expect(text).toContain('<failure message="duplicate: value &quot;w1-3&quot; &lt;appears&gt; twice &amp; more" type="duplicate">');
    expect(text).toContain("replay: eosim run scenarios/pb.yaml --seed 2 --bug no-dedup");
    expect(text).toContain("report: reports/pb-2");
    expect(text).toContain('<error message="internal error (a bug in eosim)" type="internal-error">Error: boom');
    expect(text).toContain('type="nondeterminism"');
  });

  it("escapes XML and drops characters XML cannot carry", () => {
    expect(xml(`a<b>&"'\u0001c`)).toBe("a&lt;b&gt;&amp;&quot;&apos;c");
  });
});

describe("GitHub annotations", () => {
  const lines = githubAnnotations(summary, ci);

  it("one ::error per broken invariant, internal error, failed re-check and failed coverage gate", () => {
    expect(lines).toHaveLength(5);
    for (const line of lines) expect(line).toMatch(/^::error file=scenarios\/pb\.yaml,title=eosim[^:]*::/);
    expect(lines[0]).toContain("title=eosim%3A duplicate (safety) broke in 1 seed::");
    expect(lines.join("\n")).toContain("title=eosim%3A nondeterminism detected::");
    expect(lines.join("\n")).toContain("title=eosim%3A coverage gate::never hit in 4 seeds: p: never");
  });

  it("escapes newlines and percent signs in messages, commas and colons in properties", () => {
    expect(lines[0]).toContain("%0Areplay: eosim run scenarios/pb.yaml --seed 2 --bug no-dedup");
    expect(lines.every((line) => !line.includes("\n"))).toBe(true);
    const [first] = githubAnnotations({ ...summary, scenarioFile: "a,b:c%.yaml", rechecks: [], coverage: [] }, { ...ci, requireCoverage: false });
    expect(first).toMatch(/^::error file=a%2Cb%3Ac%25\.yaml,/);
  });
});

describe("JSON summary", () => {
  it("counts verdicts and details only the failing seeds, with both names of a commit seed", () => {
    const json = sweepJson(summary, ci);
    expect(json).toMatchObject({
      scenario: "pb",
      shard: { index: 1, count: 2 },
      planned: 5,
      ran: 4,
      stoppedEarly: true,
      exitCode: 70,
      verdicts: { pass: 1, "safety-violation": 1, "liveness-violation": 1, error: 1 },
      nondeterministicSeeds: [2],
      coverageGate: { required: true, uncovered: ["p: never"], passed: false },
    });
    const failures = json["failures"] as { seed: number; commit?: string; replay: string }[];
    expect(failures.map((f) => f.seed)).toEqual([2, 3, 81985529216486]);
    expect(failures[2]?.commit).toBe(SHA);
    expect(json["byInvariant"]).toEqual([
      { invariant: "duplicate", kind: "safety", seeds: 1, violations: 2, firstSeeds: [{ seed: 2 }], replay: ci.replay(2) },
      { invariant: "converged", kind: "liveness", seeds: 1, violations: 1, firstSeeds: [{ seed: 81985529216486, commit: SHA }], replay: ci.replay(81985529216486) },
    ]);
    expect(() => JSON.parse(JSON.stringify(json)) as unknown).not.toThrow();
  });
});
