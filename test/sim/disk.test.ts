import { describe, it, expect } from "vitest";
import { Simulation } from "../../sim/simulation.js";
import { Disk, DiskFile } from "../../sim/disk.js";

function diskWithTails(): Disk {
  const disk = new Disk();
  const log = disk.file<string>("log");
  log.append("a");
  log.append("b");
  log.flush();
  log.append("c");
  log.append("d");
  const meta = disk.file<number>("meta");
  meta.append(1);
  meta.flush();
  const scratch = disk.file<number>("scratch");
  scratch.append(9);
  const clean = disk.file<string>("clean");
  clean.append("x");
  clean.flush();
  return disk;
}

describe("DiskFile", () => {
  it("appends land unflushed until flush makes them durable", () => {
    const file = new DiskFile<string>("f");
    expect(file.append("a")).toBe(0);
    expect(file.append("b")).toBe(1);
    expect(file.length).toBe(2);
    expect(file.flushedLength).toBe(0);
    expect(file.unflushedLength).toBe(2);
    file.flush();
    expect(file.flushedLength).toBe(2);
    expect(file.unflushedLength).toBe(0);
    expect(file.entries).toEqual(["a", "b"]);
  });

  it("truncate drops the tail and pulls the flushed mark back if it was beyond", () => {
    const file = new DiskFile<number>("f");
    for (const n of [1, 2, 3, 4]) file.append(n);
    file.flush();
    file.append(5);
    file.truncate(2);
    expect(file.entries).toEqual([1, 2]);
    expect(file.flushedLength).toBe(2);
    file.truncate(10);
    expect(file.entries).toEqual([1, 2]);
  });

  it("replaceDurably replaces the whole content as flushed", () => {
    const file = new DiskFile<number>("f");
    file.append(1);
    file.replaceDurably([7, 8, 9]);
    expect(file.entries).toEqual([7, 8, 9]);
    expect(file.unflushedLength).toBe(0);
    expect(file.loseUnflushed()).toBe(0);
    expect(file.entries).toEqual([7, 8, 9]);
  });
});

describe("Disk crash", () => {
  it("with loseUnflushed, loses exactly the unflushed tail of every file and keeps flushed entries", () => {
    const disk = diskWithTails();
    expect(disk.crash(true)).toBe(3);
    expect(disk.file<string>("log").entries).toEqual(["a", "b"]);
    expect(disk.file<number>("meta").entries).toEqual([1]);
    expect(disk.file<number>("scratch").entries).toEqual([]);
    expect(disk.file<string>("clean").entries).toEqual(["x"]);
    for (const name of disk.fileNames()) expect(disk.file(name).unflushedLength).toBe(0);
  });

  it("without loseUnflushed, loses nothing (the unflushed tail stays unflushed)", () => {
    const disk = diskWithTails();
    expect(disk.crash(false)).toBe(0);
    expect(disk.file<string>("log").entries).toEqual(["a", "b", "c", "d"]);
    expect(disk.file<string>("log").unflushedLength).toBe(2);
    expect(disk.file<number>("scratch").entries).toEqual([9]);
  });

  it("flushAll makes every file durable, so a later crash loses nothing", () => {
    const disk = diskWithTails();
    disk.flushAll();
    expect(disk.crash(true)).toBe(0);
    expect(disk.file<string>("log").entries).toEqual(["a", "b", "c", "d"]);
  });

  it("file(name) returns the same file each time and fileNames lists them sorted", () => {
    const disk = new Disk();
    const f = disk.file<number>("z");
    disk.file<number>("a");
    expect(disk.file<number>("z")).toBe(f);
    expect(disk.fileNames()).toEqual(["a", "z"]);
  });
});

describe("OS writeback of the page cache", () => {
  function nodeWithLog(diskWritebackMs: number) {
    const sim = new Simulation({ seed: 1, diskWritebackMs });
    const node = sim.addNode("n", () => ({}));
    node.start();
    const log = node.disk.file<string>("log");
    sim.at(0, () => log.append("old"));
    sim.at(10_000_000, () => log.append("recent"));
    sim.runUntil(20_000_000);
    return { node, log };
  }

  it("a crash that loses the page cache keeps what was dirty longer than the writeback delay, and loses the rest", () => {
    const { node, log } = nodeWithLog(15_000);
    node.crash(true);
    expect(log.entries).toEqual(["old"]);
  });

  it("with no writeback (Infinity), only fsync makes data durable", () => {
    const { node, log } = nodeWithLog(Number.POSITIVE_INFINITY);
    node.crash(true);
    expect(log.entries).toEqual([]);
  });

  it("a clean crash keeps everything, written back or not", () => {
    const { node, log } = nodeWithLog(15_000);
    node.crash(false);
    expect(log.entries).toEqual(["old", "recent"]);
  });
});
