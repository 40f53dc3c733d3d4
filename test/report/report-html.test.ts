import { describe, expect, it } from "vitest";
import { RunRecording } from "../../src/report/recording.js";
import { focusOnFirstViolation } from "../../src/report/artifacts.js";
import { firstViolation, renderReportHtml } from "../../src/report/report-html.js";
import { pbScenario } from "../helpers/scenarios.js";
import { idsIn, recordedRun, reportOf } from "./helpers.js";
import { syntheticKafkaRun } from "./synthetic.js";

/** Page assertions that name what is missing instead of printing a whole page. */
function has(html: string, what: string | RegExp): void {
  expect(typeof what === "string" ? html.includes(what) : what.test(html), `page should contain ${String(what)}`).toBe(true);
}

function lacks(html: string, what: string | RegExp): void {
  expect(typeof what === "string" ? html.includes(what) : what.test(html), `page should not contain ${String(what)}`).toBe(false);
}

const HOSTILE = `<script>alert("x")</script>'q' "><img src=x onerror=alert(1)>`;

/** Every in-page link (`href="#…"`) must lead to an element with that id. */
function expectLinksResolve(html: string): void {
  const ids = idsIn(html);
  const targets = [...html.matchAll(/href="#([^"]+)"/g)].map((m) => m[1] as string);
  expect(targets.length).toBeGreaterThan(0);
  expect(targets.filter((t) => !ids.has(t))).toEqual([]);
}

describe("report.html", () => {
  const crash = pbScenario(
    `faults:
  - { atMs: 3000, kind: partition, shape: isolate, node: r3 }
  - { atMs: 3500, kind: heal }
  - { atMs: 4000, kind: crash, node: r1, loseUnflushed: true }
  - { atMs: 4500, kind: restart, node: r1 }
`,
    6000,
  );

  it("is byte-identical for the same run, and never shows the wall time", () => {
    const run = recordedRun(crash, { seed: 2, bugs: ["no-fsync-before-ack"] });
    const again = recordedRun(crash, { seed: 2, bugs: ["no-fsync-before-ack"] });
    const slow = { ...again, result: { ...again.result, wallMs: 987_654_321 } };
    const html = reportOf(crash, run);
    expect(reportOf(crash, slow) === html, "the same run renders the same bytes").toBe(true);
    lacks(html, "987654321");
    lacks(html, /wall/i);
  });

  it("draws the first violation's window with its causal cone, and links every violation to evidence on the page", () => {
    const run = recordedRun(crash, { seed: 2, bugs: ["no-fsync-before-ack"] });
    expect(run.result.verdict).toBe("safety-violation");
    const html = reportOf(crash, run);
    has(html, "FAIL · safety violation");
    has(html, /first violation: (lost-write|replicas-agree)/);
    has(html, 'class="msg cone');
    has(html, 'class="msg dim');
    for (const node of ["r1", "r2", "r3", "w1", "w2", "w3", "reader1"]) has(html, `data-lane="${node}"`);
    run.result.violations.forEach((_, i) => has(html, `id="v-${i}"`));
    expectLinksResolve(html);
    has(html, `eosim run pb-test.yaml --seed 2 --bug no-fsync-before-ack`);
  });

  it("shows placeholders for the Kafka views of a system without transactions, and the replicas' log curves", () => {
    const run = recordedRun(crash, { seed: 3 });
    const html = reportOf(crash, run);
    has(html, "PASS");
    has(html, "No transactions in this run.");
    has(html, "No Kafka exactly-once metrics in this run.");
    has(html, 'id="partition-pb-log-0"');
    has(html, /r1 LEO.*r1 HW/s);
    has(html, "no data");
    expectLinksResolve(html);
  });

  it("fills the transaction timeline, partition view, metrics and alerts from the report record kinds", () => {
    const run = syntheticKafkaRun();
    const html = renderReportHtml({ ...run, replay: "eosim run scenarios/kafka-synthetic.yaml --seed 1" });
    lacks(html, "No transactions in this run.");
    lacks(html, "No partitions in this run.");
    has(html, 'id="txn-tx-a"');
    has(html, 'id="txn-tx-b"');
    has(html, 'class="fence"');
    has(html, 'id="partition-out-0"');
    has(html, 'id="partition-__transaction_state-0"');
    has(html, 'class="marker abort"');
    has(html, 'class="aborted-range"');
    has(html, "Transaction commit rate");
    has(html, "broker-request-queue");
    has(html, /<tr class="alert-fired"><td><code>abort-rate<\/code>/);
    has(html, /<tr class="alert-fired"><td><code>no-active-transaction-coordinator<\/code>/);
    has(html, /<tr class="alert-ok"><td><code>producer-epoch-age<\/code>/);
    expectLinksResolve(html);
  });

  it("fires the producer-epoch-age alert when an open transaction's epoch is older than 5 minutes", () => {
    const run = syntheticKafkaRun({ durationSec: 420 });
    const html = renderReportHtml({ ...run, replay: "x" });
    has(html, /<tr class="alert-fired"><td><code>producer-epoch-age<\/code><\/td><td>[^<]*<\/td><td class="status">FIRED<\/td><td>tx-b at /);
  });

  it("a run without a recording gets one by running the seed again; a different trace hash is reported as nondeterminism", () => {
    const bare = recordedRun(crash, { seed: 2, bugs: ["no-fsync-before-ack"] });
    const fresh = focusOnFirstViolation(crash, bare.result, bare.history, new RunRecording());
    expect(fresh.records).toBe(bare.result.traceRecords);
    expect(fresh.traceHash).toBe(bare.result.traceHash);
    const first = firstViolation(bare.result, bare.history);
    expect(fresh.windowShowing(first?.anchor ?? -1)).toBeDefined();
    const tampered = new RunRecording();
    expect(focusOnFirstViolation(crash, { ...bare.result, traceHash: "ffffffffffffffff" }, bare.history, tampered)).toBe(tampered);
    expect(tampered.notes.join(" ")).toMatch(/nondeterminism/);
  });

  it("says so where a view has nothing to draw: no transactions, no partitions, no recording", () => {
    const { result, history } = syntheticKafkaRun();
    const empty = renderReportHtml({ result, history, recording: new RunRecording(), replay: "x" });
    has(empty, "No transactions in this run.");
    has(empty, "No partitions in this run.");
    has(empty, "No Kafka exactly-once metrics in this run.");
    const unrecorded = renderReportHtml({ result, history, replay: "x" });
    has(unrecorded, "This run was not recorded.");
    has(unrecorded, "zombie-commit");
    expectLinksResolve(unrecorded);
  });

  it("escapes scenario text, fault fields, history values and violation messages", () => {
    const hostile = pbScenario(
      `description: ${JSON.stringify(HOSTILE)}
faults:
  - { atMs: 2000, kind: hold, type: ${JSON.stringify(HOSTILE)}, durationMs: 100 }
`,
      4000,
    );
    const real = reportOf(hostile, recordedRun(hostile, { seed: 1 }));
    const synthetic = syntheticKafkaRun({ hostile: HOSTILE });
    const fake = renderReportHtml({ ...synthetic, replay: `eosim run ${HOSTILE}`, description: HOSTILE });
    for (const html of [real, fake]) {
      lacks(html, /<script/i);
      lacks(html, /<img/i);
      has(html, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;q&#39; &quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
    }
    // Each source of text reached the page, escaped: the description, the fault table, the history value and the violation message.
    expect(real.match(/&lt;script&gt;/g)?.length).toBeGreaterThanOrEqual(2);
    has(fake, "became visible &lt;script&gt;");
    has(fake, /<td class="value">\{&quot;txn&quot;:59,&quot;note&quot;:&quot;&lt;script&gt;/);
  });
});
