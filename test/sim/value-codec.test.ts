import { describe, it, expect } from "vitest";
import { ByteSink, ValueCodec } from "../../sim/value-codec.js";

function roundTrip(codec: ValueCodec, value: unknown): unknown {
  const sink = new ByteSink(4);
  codec.encode(value, sink);
  const decoded = codec.decode(sink.bytes, 0);
  expect(codec.decodedEnd).toBe(sink.length);
  return decoded;
}

describe("ValueCodec", () => {
  it("round-trips JSON-like values exactly: numbers of every kind, strings of any UTF-16, nested arrays and objects", () => {
    const codec = new ValueCodec();
    const values: unknown[] = [
      undefined, null, true, false, 0, 1, 127, 128, 300, -1, -128, 2 ** 31, -(2 ** 40), Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER,
      0.5, -2.25, 1e300, 2 ** 53, Infinity, -Infinity, "", "w1-12345", "é café ÿ", "日本語", "emoji 😀", "lone \ud800 surrogate",
      "x".repeat(20_000), "€".repeat(9_000),
      [], [1, [2, [3, []]]], { a: 1, b: "two", c: [null, { d: undefined }] }, { z: 1, a: 2 },
      [["t", 0, 12, "v"], ["t", 1, 13, "w"]],
    ];
    for (const value of values) expect(roundTrip(codec, value)).toStrictEqual(value);
  });

  it("keeps -0 and NaN (a varint cannot)", () => {
    const codec = new ValueCodec();
    expect(Object.is(roundTrip(codec, -0), -0)).toBe(true);
    expect(Number.isNaN(roundTrip(codec, NaN))).toBe(true);
  });

  it("keeps an object's key order and its undefined-valued keys", () => {
    const codec = new ValueCodec();
    const decoded = roundTrip(codec, { topic: "t", partition: undefined, offset: 3 }) as Record<string, unknown>;
    expect(Object.keys(decoded)).toEqual(["topic", "partition", "offset"]);
    expect("partition" in decoded).toBe(true);
  });

  it("reads array holes back as undefined", () => {
    const codec = new ValueCodec();
    // eslint-disable-next-line no-sparse-arrays
    expect(roundTrip(codec, [1, , 3])).toStrictEqual([1, undefined, 3]);
  });

  it("keeps what it cannot encode (class instances, Maps, null-prototype objects, bigints) by reference, never a lossy copy", () => {
    class Point {
      constructor(readonly x: number) {}
    }
    const codec = new ValueCodec();
    const point = new Point(1);
    const map = new Map([[1, 2]]);
    const bare = Object.create(null) as Record<string, unknown>;
    for (const value of [point, map, bare, 10n]) expect(roundTrip(codec, value)).toBe(value);
    expect((roundTrip(codec, { at: point }) as { at: Point }).at).toBe(point);
  });

  it("interns a short string once it repeats, and writes a rarely repeated one inline: repeats cost a few bytes", () => {
    const codec = new ValueCodec();
    const sizeOf = (value: unknown): number => {
      const sink = new ByteSink();
      codec.encode(value, sink);
      return sink.length;
    };
    const topic = "a-topic-name-of-some-length";
    const first = sizeOf(topic);
    for (let i = 0; i < 10; i++) sizeOf(topic);
    expect(first).toBe(2 + topic.length);
    expect(sizeOf(topic)).toBeLessThanOrEqual(3);
    expect(roundTrip(codec, topic)).toBe(topic);
    expect(sizeOf("unique-once")).toBe(2 + "unique-once".length);
  });

  it("encodes the same values to the same bytes in two codecs (deterministic)", () => {
    const bytesOf = (): number[] => {
      const codec = new ValueCodec();
      const sink = new ByteSink();
      for (let i = 0; i < 500; i++) codec.encode({ topic: "t", key: `k${i % 3}`, value: `v-${i}`, offset: i }, sink);
      return [...sink.trimmed()];
    };
    expect(bytesOf()).toEqual(bytesOf());
  });
});
