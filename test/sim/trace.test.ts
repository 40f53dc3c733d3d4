import { describe, it, expect } from "vitest";
import { Trace, traceRecordToJson, type TraceFields, type TraceRecord } from "../../sim/trace.js";

interface Rec {
  readonly t: number;
  readonly kind: string;
  readonly node: string;
  readonly fields?: TraceFields;
}

function hashOf(records: readonly Rec[]): string {
  const trace = new Trace();
  for (const r of records) trace.record(r.t, r.kind, r.node, r.fields);
  return trace.hash;
}

const base: Rec[] = [
  { t: 0, kind: "node.start", node: "b1", fields: { incarnation: 0 } },
  { t: 1500, kind: "net.send", node: "p1", fields: { to: "b1", type: "Produce", id: 1 } },
  { t: 2750, kind: "net.deliver", node: "b1", fields: { from: "p1", type: "Produce", id: 1 } },
  { t: 3000, kind: "timer", node: "b1" },
];

function withSecond(change: Partial<Rec>): Rec[] {
  return base.map((r, i) => (i === 1 ? { ...r, ...change } : r));
}

describe("Trace hash", () => {
  it("is the same for the same records", () => {
    expect(hashOf(base)).toBe(hashOf(base.map((r) => ({ ...r }))));
  });

  it("is a 16-digit hex string and changes with every record", () => {
    const trace = new Trace();
    const seen = new Set<string>([trace.hash]);
    for (const r of base) {
      trace.record(r.t, r.kind, r.node, r.fields);
      seen.add(trace.hash);
    }
    expect(trace.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(seen.size).toBe(base.length + 1);
    expect(trace.count).toBe(base.length);
  });

  it("differs when a record's time differs", () => {
    expect(hashOf(withSecond({ t: 1501 }))).not.toBe(hashOf(base));
    expect(hashOf(withSecond({ t: 1500 + 2 ** 32 }))).not.toBe(hashOf(base));
  });

  it("differs when a record's kind differs", () => {
    expect(hashOf(withSecond({ kind: "net.drop" }))).not.toBe(hashOf(base));
  });

  it("differs when a record's node differs", () => {
    expect(hashOf(withSecond({ node: "p2" }))).not.toBe(hashOf(base));
  });

  it("differs when a field value differs", () => {
    expect(hashOf(withSecond({ fields: { to: "b1", type: "Produce", id: 2 } }))).not.toBe(hashOf(base));
    expect(hashOf(withSecond({ fields: { to: "b2", type: "Produce", id: 1 } }))).not.toBe(hashOf(base));
  });

  it("differs when a field name differs, or a field is added or removed", () => {
    expect(hashOf(withSecond({ fields: { dest: "b1", type: "Produce", id: 1 } }))).not.toBe(hashOf(base));
    expect(hashOf(withSecond({ fields: { to: "b1", type: "Produce", id: 1, extra: true } }))).not.toBe(hashOf(base));
    expect(hashOf(withSecond({ fields: { to: "b1", type: "Produce" } }))).not.toBe(hashOf(base));
  });

  it("differs when a field value has a different type or is a different float", () => {
    const one = (value: TraceFields[string]): string => hashOf([{ t: 0, kind: "k", node: "n", fields: { v: value } }]);
    const values = [5, "5", true, false, null, undefined, 0.1, 0.2, -5];
    const hashes = values.map(one);
    expect(new Set(hashes).size).toBe(values.length);
  });

  it("differs when records come in a different order", () => {
    const swapped = [base[0], base[2], base[1], base[3]] as Rec[];
    expect(hashOf(swapped)).not.toBe(hashOf(base));
  });

  it("differs when a record is missing", () => {
    expect(hashOf(base.slice(0, 3))).not.toBe(hashOf(base));
  });
});

describe("Trace listeners", () => {
  it("receive every record with its index and the hash after it was folded in", () => {
    const trace = new Trace();
    const got: { record: TraceRecord; hash: string; hashNow: string }[] = [];
    trace.listen((record, hash) => got.push({ record, hash, hashNow: trace.hash }));
    const indexes = base.map((r) => trace.record(r.t, r.kind, r.node, r.fields));
    expect(indexes).toEqual([0, 1, 2, 3]);
    expect(got.map((g) => g.record.index)).toEqual([0, 1, 2, 3]);
    expect(got.map((g) => g.record.kind)).toEqual(base.map((r) => r.kind));
    expect(got.map((g) => g.record.timeUs)).toEqual(base.map((r) => r.t));
    expect(got[1]?.record.fields).toEqual(base[1]?.fields);
    for (const g of got) expect(g.hash).toBe(g.hashNow);
    expect(got[3]?.hash).toBe(hashOf(base));
  });

  it("stop receiving after unsubscribing, and listening does not change the hash", () => {
    const trace = new Trace();
    let calls = 0;
    const stop = trace.listen(() => calls++);
    trace.record(0, "a", "n");
    stop();
    trace.record(1, "b", "n");
    expect(calls).toBe(1);
    expect(trace.hash).toBe(hashOf([{ t: 0, kind: "a", node: "n" }, { t: 1, kind: "b", node: "n" }]));
  });
});

describe("traceRecordToJson", () => {
  it("writes one parseable JSON line with index, time, kind, node, fields and hash", () => {
    const trace = new Trace();
    const lines: string[] = [];
    trace.listen((record, hash) => lines.push(traceRecordToJson(record, hash)));
    trace.record(1500, "net.send", "p1", { to: "b1", type: "Produce", id: 1, ok: true, nothing: null });
    trace.record(2000, "timer", "b1");
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).not.toContain("\n");
    const first: unknown = JSON.parse(lines[0] as string);
    expect(first).toEqual({ i: 0, t: 1500, kind: "net.send", node: "p1", to: "b1", type: "Produce", id: 1, ok: true, nothing: null, hash: expect.stringMatching(/^[0-9a-f]{16}$/) });
    const second: unknown = JSON.parse(lines[1] as string);
    expect(second).toEqual({ i: 1, t: 2000, kind: "timer", node: "b1", hash: trace.hash });
  });
});

describe("traceRecordToJson keeps a record's own keys", () => {
  it("a field named like a record key cannot overwrite the record's kind, node, index, time or hash", () => {
    const line = traceRecordToJson({ index: 3, timeUs: 9, kind: "fault", node: "nemesis", fields: { kind: "crash", node: "b1", extra: 1 } }, "abc");
    expect(JSON.parse(line)).toMatchObject({ i: 3, t: 9, kind: "fault", node: "nemesis", hash: "abc", extra: 1 });
  });
});
