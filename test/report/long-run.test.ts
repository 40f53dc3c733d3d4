import { statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeRunArtifacts } from "../../src/report/artifacts.js";
import { parseScenario } from "../../src/scenario/load.js";
import { tempDir } from "../helpers/cli.js";
import { recordedRun } from "./helpers.js";

const tmp = tempDir("eosim-report-long-");
afterAll(() => tmp.remove());

/** Ten simulated minutes of primary-backup under the nemesis, at low rates so the test stays fast. */
const TEN_MINUTES = parseScenario(
  `name: ten-minutes
description: a 10-minute simulated run for the report size budget
durationMs: 600000
cluster: { kind: primary-backup, replicas: 3 }
clients:
  - { kind: pb-writer, count: 2, opsPerSec: 3, requestTimeoutMs: 300, retries: 10 }
  - { kind: pb-reader, count: 1, readIntervalMs: 10000 }
nemesis: { intervalMsMin: 2000, intervalMsMax: 8000, faultMsMin: 300, faultMsMax: 3000 }
liveness: { durationMs: 10000 }
`,
  "ten-minutes.yaml",
);

const FIVE_MB = 5 * 1024 * 1024;

describe("report size", () => {
  it("the report of a 10-minute simulated run stays under 5 MB, with the recording's windows bounded", () => {
    const run = recordedRun(TEN_MINUTES, { seed: 3, bugs: ["no-dedup"] });
    expect(run.result.simTimeMs).toBe(610_000);
    expect(run.result.verdict).toBe("safety-violation");
    const folder = writeRunArtifacts(tmp.dir, { ...run, summary: "" });
    const size = statSync(join(folder, "report.html")).size;
    expect(size).toBeLessThan(FIVE_MB);
    expect(size).toBeGreaterThan(50_000);
    for (const window of run.recording.windows()) expect(window.events.length).toBeLessThanOrEqual(run.recording.before + run.recording.after);
  });
});
