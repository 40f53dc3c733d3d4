import { describe, it, expect } from "vitest";
import { OffsetListMap, StringListMap } from "../../../src/checks/kafka/list-maps.js";

const names = ["a", "b", "c", "d", "e", "f"];
const view = (item: number): string => names[item] ?? `?${item}`;

describe("StringListMap", () => {
  it("reads like a Map of lists: one item comes back as a list of one, more in the order added", () => {
    const map = new StringListMap(view);
    map.add("x", 0);
    map.add("y", 1);
    map.add("x", 2);
    map.add("x", 3);
    expect(map.get("x")).toEqual(["a", "c", "d"]);
    expect(map.get("y")).toEqual(["b"]);
    expect(map.get("z")).toBeUndefined();
    expect(map.has("y")).toBe(true);
    expect(map.firstItem("x")).toBe(0);
    expect(map.firstItem("z")).toBe(-1);
    expect(map.size).toBe(2);
    expect([...map]).toEqual([["x", ["a", "c", "d"]], ["y", ["b"]]]);
    expect([...map.keys()]).toEqual(["x", "y"]);
    expect([...map.values()]).toEqual([["a", "c", "d"], ["b"]]);
    const seen: string[] = [];
    map.forEach((list, key) => seen.push(`${key}:${list.length}`));
    expect(seen).toEqual(["x:3", "y:1"]);
  });

  it("holds many keys (the table grows) and finds each again", () => {
    const map = new StringListMap((item) => item);
    for (let i = 0; i < 5000; i++) map.add(`v-${i}`, i);
    for (let i = 0; i < 5000; i += 7) map.add(`v-${i}`, -i);
    expect(map.size).toBe(5000);
    expect(map.get("v-14")).toEqual([14, -14]);
    expect(map.get("v-15")).toEqual([15]);
    expect(map.get("v-5000")).toBeUndefined();
  });
});

describe("OffsetListMap", () => {
  it("keeps lists by offset, iterates in insertion order and lists its keys ascending", () => {
    const map = new OffsetListMap(view);
    map.add(5, 4);
    map.add(1, 0);
    map.add(5, 5);
    expect(map.get(5)).toEqual(["e", "f"]);
    expect(map.get(1)).toEqual(["a"]);
    expect(map.has(2)).toBe(false);
    expect(map.get(100)).toBeUndefined();
    expect([...map.keys()]).toEqual([5, 1]);
    expect(map.dense).toBe(true);
    expect(map.sortedKeys()).toEqual([1, 5]);
    const isItem = (item: number, wanted: number): boolean => item === wanted;
    expect(map.findItem(5, isItem, 5)).toBe(5);
    expect(map.findItem(5, isItem, 0)).toBe(-1);
  });

  it("takes keys that are not column slots (negative, fractional, far off; -0 as 0) beside the slots", () => {
    const map = new OffsetListMap(view);
    map.add(-1, 0);
    map.add(0.5, 1);
    map.add(-0, 2);
    map.add(2 ** 29, 3);
    expect(map.get(-1)).toEqual(["a"]);
    expect(map.get(0.5)).toEqual(["b"]);
    expect(map.get(0)).toEqual(["c"]);
    expect(map.get(2 ** 29)).toEqual(["d"]);
    expect(map.dense).toBe(false);
    expect([...map]).toEqual([[-1, ["a"]], [0.5, ["b"]], [0, ["c"]], [2 ** 29, ["d"]]]);
  });
});
