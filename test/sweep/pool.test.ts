/** The sweep's worker pool: the V8 flags its child processes get. (Runs through the pool: test/sweep/sweep.test.ts.) */
import { describe, expect, it } from "vitest";
import { workerV8Flags } from "../../src/sweep/pool.js";

describe("worker V8 flags", () => {
  it("as many workers as CPUs: each collects garbage on its own thread, so no GC helper competes with the other workers", () => {
    expect(workerV8Flags(2, 2)).toContain("--single-threaded-gc");
    expect(workerV8Flags(4, 2)).toContain("--single-threaded-gc");
  });

  it("fewer workers than CPUs: GC helpers may use the idle CPUs", () => {
    expect(workerV8Flags(1, 2)).not.toContain("--single-threaded-gc");
  });

  it("every worker gets a 32 MB semi-space (young generation), whatever the count", () => {
    expect(workerV8Flags(1, 2)).toContain("--max-semi-space-size=32");
    expect(workerV8Flags(2, 2)).toContain("--max-semi-space-size=32");
  });
});
