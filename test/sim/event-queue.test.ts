import { describe, it, expect } from "vitest";
import { EventQueue, type QueuedEvent } from "../../sim/event-queue.js";
import { Rng } from "../../sim/rng.js";
import { Simulation } from "../../sim/simulation.js";

interface Ev extends QueuedEvent {
  readonly label: string;
}

function ev(time: number, label: string): Ev {
  return { time, seq: 0, label, fire: () => undefined };
}

function before(a: Ev, b: Ev): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

function drain(queue: EventQueue<Ev>): Ev[] {
  const out: Ev[] = [];
  for (let e = queue.pop(); e !== undefined; e = queue.pop()) out.push(e);
  return out;
}

function tieOrder(seed: number, count: number): string[] {
  const rng = new Rng(seed);
  const queue = new EventQueue<Ev>(() => rng.uint32());
  for (let i = 0; i < count; i++) queue.push(ev(100, `e${i}`));
  return drain(queue).map((e) => e.label);
}

describe("EventQueue", () => {
  it("pops events in time order whatever the push order", () => {
    const queue = new EventQueue<Ev>();
    for (const t of [50, 10, 40, 0, 30, 20]) queue.push(ev(t, `t${t}`));
    expect(drain(queue).map((e) => e.time)).toEqual([0, 10, 20, 30, 40, 50]);
    expect(queue.size).toBe(0);
  });

  it("pops same-time events in insertion order without a tie-breaker", () => {
    const queue = new EventQueue<Ev>();
    const labels = Array.from({ length: 50 }, (_, i) => `e${i}`);
    for (const label of labels) queue.push(ev(7, label));
    expect(drain(queue).map((e) => e.label)).toEqual(labels);
  });

  it("peek returns the next event without removing it; pop on an empty queue returns undefined", () => {
    const queue = new EventQueue<Ev>();
    expect(queue.peek()).toBeUndefined();
    expect(queue.pop()).toBeUndefined();
    queue.push(ev(5, "b"));
    queue.push(ev(3, "a"));
    expect(queue.peek()?.label).toBe("a");
    expect(queue.size).toBe(2);
    expect(queue.pop()?.label).toBe("a");
    expect(queue.pop()?.label).toBe("b");
    expect(queue.pop()).toBeUndefined();
  });

  it("with a tie-breaker, same-time events come out as a permutation of what went in", () => {
    const order = tieOrder(1, 40);
    expect([...order].sort()).toEqual(Array.from({ length: 40 }, (_, i) => `e${i}`).sort());
    expect(new Set(order).size).toBe(40);
  });

  it("with a tie-breaker, the same seed gives the same same-time order", () => {
    expect(tieOrder(42, 40)).toEqual(tieOrder(42, 40));
  });

  it("with a tie-breaker, a different seed eventually gives a different same-time order", () => {
    const reference = tieOrder(1, 20);
    const insertion = Array.from({ length: 20 }, (_, i) => `e${i}`);
    let differs = false;
    for (let seed = 2; seed < 20 && !differs; seed++) differs = tieOrder(seed, 20).join() !== reference.join();
    expect(differs).toBe(true);
    // And it really shuffles: not simply insertion order.
    expect(reference).not.toEqual(insertion);
  });

  it("with a tie-breaker, time order is still respected", () => {
    const rng = new Rng(9);
    const queue = new EventQueue<Ev>(() => rng.uint32());
    const data = new Rng(10);
    for (let i = 0; i < 2000; i++) queue.push(ev(data.int(0, 20), `e${i}`));
    const times = drain(queue).map((e) => e.time);
    expect(times).toHaveLength(2000);
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1] as number);
  });

  for (const shuffled of [false, true]) {
    it(`agrees with a sort by (time, seq) over 10k random pushes and pops${shuffled ? " (tie-breaker)" : ""}`, () => {
      const tieRng = new Rng(77);
      const queue = new EventQueue<Ev>(shuffled ? () => tieRng.uint32() : undefined);
      const rng = new Rng(123);
      let reference: Ev[] = [];
      let pops = 0;
      for (let i = 0; i < 10_000; i++) {
        if (reference.length > 0 && rng.chance(0.4)) {
          let min = 0;
          for (let k = 1; k < reference.length; k++) if (before(reference[k] as Ev, reference[min] as Ev)) min = k;
          const expected = reference.splice(min, 1)[0];
          const got = queue.pop();
          expect(got).toBe(expected);
          pops++;
        } else {
          const e = ev(rng.int(0, 500), `e${i}`);
          queue.push(e);
          reference.push(e);
        }
        expect(queue.size).toBe(reference.length);
      }
      reference = reference.sort((a, b) => a.time - b.time || a.seq - b.seq);
      expect(drain(queue)).toEqual(reference);
      expect(pops).toBeGreaterThan(1000);
    });
  }
});

describe("Simulation event order", () => {
  function runOrder(seed: number, shuffleTies: boolean): number[] {
    const sim = new Simulation({ seed, shuffleTies });
    const order: number[] = [];
    for (let i = 0; i < 30; i++) sim.at(1000, () => order.push(i));
    sim.at(500, () => order.push(-1));
    sim.runUntil(2000);
    return order;
  }

  it("runs same-time events in scheduling order by default", () => {
    expect(runOrder(1, false)).toEqual([-1, ...Array.from({ length: 30 }, (_, i) => i)]);
  });

  it("with shuffleTies runs same-time events in a seeded order, after earlier events", () => {
    const a = runOrder(1, true);
    expect(a).toEqual(runOrder(1, true));
    expect(a[0]).toBe(-1);
    expect(a.slice(1)).not.toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect([...a.slice(1)].sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it("refuses to schedule in the past or at a non-integer time", () => {
    const sim = new Simulation({ seed: 1 });
    sim.runUntil(100);
    expect(() => sim.at(99, () => undefined)).toThrow(RangeError);
    expect(() => sim.at(100.5, () => undefined)).toThrow(RangeError);
    expect(() => sim.at(100, () => undefined)).not.toThrow();
  });

  it("runUntil runs events up to and including the limit, then sets the clock to the limit", () => {
    const sim = new Simulation({ seed: 1 });
    const fired: number[] = [];
    for (const t of [10, 20, 21]) sim.at(t, () => fired.push(sim.nowUs));
    sim.runUntil(20);
    expect(fired).toEqual([10, 20]);
    expect(sim.nowUs).toBe(20);
    expect(sim.pendingEvents).toBe(1);
    sim.runUntil(1000);
    expect(fired).toEqual([10, 20, 21]);
    expect(sim.nowUs).toBe(1000);
  });
});
