/**
 * The golden report: report.html of a small fixed scenario and seed, committed under
 * test/report/golden/. Any change to the report's bytes shows up here. After an intended change
 * (to the report, or to what the primary-backup system traces), regenerate it and review the diff:
 *
 *   EOSIM_UPDATE_GOLDEN=1 npx vitest run test/report/golden.test.ts
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseScenario } from "../../src/scenario/load.js";
import { ROOT } from "../helpers/cli.js";
import { recordedRun, reportOf } from "./helpers.js";

const SCENARIO = "test/report/golden/pb-small.yaml";
const GOLDEN = "test/report/golden/pb-small-4.html";
const UPDATE = process.env["EOSIM_UPDATE_GOLDEN"] === "1";

function render(): string {
  const scenario = parseScenario(readFileSync(join(ROOT, SCENARIO), "utf8"), SCENARIO);
  return reportOf(scenario, recordedRun(scenario));
}

/** The first line where two texts differ, for a readable failure. */
function firstDifference(a: string, b: string): string {
  const la = a.split("\n");
  const lb = b.split("\n");
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] === lb[i]) continue;
    const x = la[i] ?? "";
    const y = lb[i] ?? "";
    let c = 0;
    while (c < x.length && x[c] === y[c]) c++;
    return `line ${i + 1}, column ${c + 1}: golden has ${JSON.stringify(x.slice(Math.max(0, c - 40), c + 80))}, the run gives ${JSON.stringify(y.slice(Math.max(0, c - 40), c + 80))}`;
  }
  return "none";
}

describe("golden report", () => {
  it("the same run gives a byte-identical report.html, twice in one process", () => {
    const a = render();
    const b = render();
    expect(a === b, `the two renders differ at ${firstDifference(a, b)}`).toBe(true);
  });

  it(`matches ${GOLDEN} (EOSIM_UPDATE_GOLDEN=1 regenerates it)`, () => {
    const html = render();
    const path = join(ROOT, GOLDEN);
    if (UPDATE) writeFileSync(path, html);
    expect(existsSync(path), `${GOLDEN} is missing: run with EOSIM_UPDATE_GOLDEN=1 to create it`).toBe(true);
    const golden = readFileSync(path, "utf8");
    expect(
      html === golden,
      `report.html differs from ${GOLDEN} at ${firstDifference(golden, html)}. If the change is intended: EOSIM_UPDATE_GOLDEN=1 npx vitest run test/report/golden.test.ts`,
    ).toBe(true);
  });
});
