import { describe, it, expect } from "vitest";
import { Float64Column, Int32Column, StringIds } from "../../../src/checks/kafka/columns.js";

describe("columns", () => {
  it("Int32Column and Float64Column grow as values are pushed and keep every value", () => {
    const ints = new Int32Column();
    const doubles = new Float64Column();
    for (let i = 0; i < 1000; i++) {
      expect(ints.push(i * 3)).toBe(i);
      doubles.push(i + 0.5);
    }
    expect(ints.length).toBe(1000);
    expect(ints.get(999)).toBe(2997);
    expect(doubles.get(500)).toBe(500.5);
    ints.set(2, -7);
    expect(ints.get(2)).toBe(-7);
  });

  it("columns keep values across their fixed-size chunks (tens of thousands of entries)", () => {
    const ints = new Int32Column();
    const doubles = new Float64Column();
    for (let i = 0; i < 20_000; i++) {
      ints.push(i);
      doubles.push(i / 4);
    }
    for (const i of [0, 4095, 4096, 4097, 8191, 8192, 19_999]) {
      expect(ints.get(i)).toBe(i);
      expect(doubles.get(i)).toBe(i / 4);
    }
    const slots = new Int32Column();
    slots.push(1);
    slots.extendTo(10_000, -1);
    slots.set(9_999, 5);
    expect([slots.length, slots.get(0), slots.get(4096), slots.get(9_998), slots.get(9_999)]).toEqual([10_000, 1, -1, -1, 5]);
  });

  it("Int32Column.extendTo fills the new entries and never shrinks", () => {
    const ints = new Int32Column();
    ints.push(9);
    ints.extendTo(300, -1);
    expect(ints.length).toBe(300);
    expect([ints.get(0), ints.get(1), ints.get(299)]).toEqual([9, -1, -1]);
    ints.extendTo(10, 0);
    expect(ints.length).toBe(300);
  });

  it("StringIds gives dense ids in order of first appearance and finds them by content", () => {
    const ids = new StringIds();
    expect(ids.idOf("b")).toBe(0);
    expect(ids.idOf("a")).toBe(1);
    expect(ids.idOf("b")).toBe(0);
    expect(ids.find("a")).toBe(1);
    expect(ids.find("c")).toBe(-1);
    for (let i = 0; i < 3000; i++) ids.idOf(`value-${i}`);
    expect(ids.size).toBe(3002);
    expect(ids.find("value-2999")).toBe(3001);
    expect(ids.at(3001)).toBe("value-2999");
    expect(ids.find(`value-${"x"}`)).toBe(-1);
  });
});
