import { describe, expect, it } from "vitest";
import { Trace } from "../../sim/trace.js";
import { FingerprintComparer, TraceFingerprint } from "../../src/sweep/fingerprint.js";

function trace(values: readonly number[], listener: Parameters<Trace["listen"]>[0]): Trace {
  const t = new Trace();
  t.listen(listener);
  values.forEach((v, i) => t.record(i * 10, "step", "n1", { v }));
  return t;
}

describe("trace fingerprints", () => {
  it("keep the running hash after every record; the last one is the trace hash", () => {
    const fingerprint = new TraceFingerprint({ keepRecords: true });
    const t = trace([1, 2, 3], fingerprint.listener);
    expect(fingerprint.count).toBe(3);
    expect(fingerprint.hashAt(2)).toBe(t.hash);
    expect(fingerprint.toWords()).toHaveLength(6);
    expect(JSON.parse(fingerprint.recordJson(1) ?? "null")).toMatchObject({ i: 1, t: 10, kind: "step", node: "n1", v: 2, hash: fingerprint.hashAt(1) });
    expect(fingerprint.recordJson(3)).toBeNull();
  });

  it("grow past their first buffer", () => {
    const fingerprint = new TraceFingerprint();
    const values = Array.from({ length: 10_000 }, (_, i) => i);
    const t = trace(values, fingerprint.listener);
    expect(fingerprint.count).toBe(10_000);
    expect(fingerprint.hashAt(9_999)).toBe(t.hash);
    expect(fingerprint.recordJson(0)).toBeNull();
  });

  it("a comparer names the first record that differs, with this run's record", () => {
    const expected = new TraceFingerprint();
    trace([1, 2, 3, 4], expected.listener);
    const same = new FingerprintComparer(expected.toWords());
    trace([1, 2, 3, 4], same.listener);
    expect(same.divergence()).toBeUndefined();
    const other = new FingerprintComparer(expected.toWords());
    trace([1, 2, 9, 4], other.listener);
    const divergence = other.divergence();
    expect(divergence?.index).toBe(2);
    expect(JSON.parse(divergence?.record ?? "null")).toMatchObject({ i: 2, v: 9 });
  });

  it("a shorter trace diverges where it ended; a longer one at its first extra record", () => {
    const expected = new TraceFingerprint();
    trace([1, 2, 3], expected.listener);
    const shorter = new FingerprintComparer(expected.toWords());
    trace([1, 2], shorter.listener);
    expect(shorter.divergence()).toEqual({ index: 2, record: null });
    const longer = new FingerprintComparer(expected.toWords());
    trace([1, 2, 3, 4], longer.listener);
    expect(longer.divergence()?.index).toBe(3);
    expect(JSON.parse(longer.divergence()?.record ?? "null")).toMatchObject({ i: 3, v: 4 });
  });
});
