import type { ActorFactory, Message, NodeContext, Timer } from "./actor.js";
import { Assertions } from "./assertions.js";
import { EventQueue, type QueuedEvent } from "./event-queue.js";
import { History, type HistoryOp, type OpType } from "./history.js";
import { SimNode, type NodeHost } from "./node.js";
import { Rng } from "./rng.js";
import { assertTime, type SimTimeUs } from "./time.js";
import { Trace, type TraceFields } from "./trace.js";

/** How messages leave a node. The kernel does not know networks: `src/network` implements this. */
export interface Transport {
  send(from: string, to: string, message: Message): void;
}

export interface SimulationOptions {
  readonly seed: number;
  /** Order events that share a timestamp by a seeded random key instead of insertion order. */
  readonly shuffleTies?: boolean;
  /** Names of guards switched off for this run. */
  readonly bugs?: Iterable<string>;
  /**
   * After how long the OS writes dirty disk pages back without an fsync (Linux's
   * dirty_expire_centisecs: 30 s). Default 30000; Infinity keeps everything in the page cache.
   */
  readonly diskWritebackMs?: number;
}

/** Checked after every event; records failures through `sim.assert.always`. */
export type OnlineInvariant = (sim: Simulation) => void;

class ScheduledEvent implements QueuedEvent {
  seq = 0;
  constructor(
    readonly time: SimTimeUs,
    readonly fire: () => void,
  ) {}
}

/** The trace kind of each history op type. */
const OP_TRACE_KINDS: Readonly<Record<OpType, string>> = { invoke: "op.invoke", ok: "op.ok", fail: "op.fail", info: "op.info" };

/**
 * A node timer is its own queue entry (no separate event object or closure per timer: this
 * is the kernel's hottest path). Firing checks, in order: cancelled or already fired, then
 * the node's incarnation and status (SimNode.fireTimer), then traces "timer" and runs `fn`.
 */
const noop = (): void => undefined;

class NodeTimer implements Timer, QueuedEvent {
  seq = 0;
  private cancelled = false;
  private fired = false;
  constructor(
    readonly time: SimTimeUs,
    private readonly sim: Simulation,
    private readonly node: SimNode,
    private readonly incarnation: number,
    private readonly label: string,
    private fn: () => void,
  ) {}
  get pending(): boolean {
    return !this.cancelled && !this.fired;
  }
  cancel(): void {
    this.cancelled = true;
    // A cancelled timer waits in the queue until its time; let go of what its callback holds now.
    this.fn = noop;
  }
  fire(): void {
    if (!this.pending) return;
    const node = this.node;
    // SimNode.fireTimer's own fast path, without allocating its closure: an up node of this incarnation runs it now.
    if (node.status === "up" && node.incarnation === this.incarnation) {
      this.run();
      return;
    }
    // SimNode.fireTimer drops it (another incarnation, crashed) or queues it while the node is paused.
    // (Keep this closure an argument: under tsx/esbuild keepNames, a named closure costs a defineProperty each.)
    node.fireTimer(this.incarnation, () => this.run());
  }
  private run(): void {
    if (!this.pending) return;
    // The same record as trace.record(now, "timer", node.id, { label }), minus the fields object.
    this.sim.trace.recordField(this.sim.nowUs, "timer", this.node.id, "label", this.label);
    this.fired = true;
    this.fn();
  }
}

/**
 * The deterministic kernel: one object owns all mutable state of a run (time, event queue,
 * nodes, trace, history, assertions). Nothing here reads a real clock or real randomness.
 */
export class Simulation implements NodeHost {
  readonly seed: number;
  readonly rng: Rng;
  readonly trace = new Trace();
  readonly history: History;
  readonly assert: Assertions;
  readonly bugs: ReadonlySet<string>;
  readonly diskWritebackUs: number;
  transport: Transport | undefined;

  private now: SimTimeUs = 0;
  private events = 0;
  private readonly queue: EventQueue<QueuedEvent>;
  private readonly nodeMap = new Map<string, SimNode>();
  private readonly invariants: OnlineInvariant[] = [];
  private readonly crashListeners: ((node: SimNode) => void)[] = [];
  private haltReason: string | undefined;

  constructor(options: SimulationOptions) {
    this.seed = options.seed;
    this.rng = new Rng(options.seed);
    const tieRng = options.shuffleTies ? this.rng.fork("kernel/ties") : undefined;
    this.queue = new EventQueue<QueuedEvent>(tieRng ? () => tieRng.uint32() : undefined);
    this.bugs = new Set(options.bugs ?? []);
    const writebackMs = options.diskWritebackMs ?? 30_000;
    this.diskWritebackUs = Number.isFinite(writebackMs) ? Math.round(writebackMs * 1000) : Number.POSITIVE_INFINITY;
    this.history = new History({ nowUs: () => this.now, traceOp: (op) => this.traceHistoryOp(op) });
    this.assert = new Assertions({ nowUs: () => this.now, traceFailure: (name) => this.trace.record(this.now, "assert.fail", "sim", { name }) });
  }

  get nowUs(): SimTimeUs {
    return this.now;
  }

  get eventCount(): number {
    return this.events;
  }

  get pendingEvents(): number {
    return this.queue.size;
  }

  get halted(): string | undefined {
    return this.haltReason;
  }

  /** Adds a node, not yet started. Ids are trace names: keep them short and stable. */
  addNode(id: string, factory: ActorFactory): SimNode {
    if (this.nodeMap.has(id)) throw new Error(`duplicate node id ${id}`);
    const node = new SimNode(id, factory, this);
    this.nodeMap.set(id, node);
    return node;
  }

  node(id: string): SimNode {
    const node = this.nodeMap.get(id);
    if (node === undefined) throw new Error(`unknown node ${id}`);
    return node;
  }

  hasNode(id: string): boolean {
    return this.nodeMap.has(id);
  }

  /** Node ids in the order they were added. */
  get nodeIds(): string[] {
    return [...this.nodeMap.keys()];
  }

  /** Called after a node crashes (the network resets its connections). */
  onCrash(listener: (node: SimNode) => void): void {
    this.crashListeners.push(listener);
  }

  nodeCrashed(node: SimNode): void {
    for (const listener of this.crashListeners) listener(node);
  }

  addInvariant(invariant: OnlineInvariant): void {
    this.invariants.push(invariant);
  }

  /** Runs `fn` at absolute simulated time `atUs` (not earlier than now). */
  at(atUs: SimTimeUs, fn: () => void): void {
    this.schedule(new ScheduledEvent(atUs, fn));
  }

  /**
   * Queues an event of the caller's own class to fire at `event.time` (not earlier than now),
   * in the same order `at` would: for hot paths that would otherwise allocate a closure and a
   * wrapper per event (the network's deliveries).
   */
  schedule(event: QueuedEvent): void {
    this.checkEventTime(event.time);
    this.queue.push(event);
  }

  private checkEventTime(atUs: SimTimeUs): void {
    assertTime(atUs, "event time");
    if (atUs < this.now) throw new RangeError(`cannot schedule at ${atUs}µs: now is ${this.now}µs`);
  }

  after(delayUs: SimTimeUs, fn: () => void): void {
    this.at(this.now + delayUs, fn);
  }

  record(kind: string, node: string, fields?: TraceFields): number {
    return this.trace.record(this.now, kind, node, fields);
  }

  /** Stops the run after the current event (an internal error or a fatal assertion). */
  halt(reason: string): void {
    this.haltReason ??= reason;
  }

  /** Processes one event; returns false when none is left. */
  step(): boolean {
    const event = this.queue.pop();
    if (event === undefined) return false;
    this.now = event.time;
    this.events++;
    event.fire();
    for (let i = 0; i < this.invariants.length; i++) (this.invariants[i] as OnlineInvariant)(this);
    return true;
  }

  /** Runs every event up to and including `untilUs`, then sets the clock to `untilUs`. */
  runUntil(untilUs: SimTimeUs): void {
    assertTime(untilUs, "run limit");
    for (;;) {
      if (this.haltReason !== undefined) return;
      const next = this.queue.peekTime();
      if (next === undefined || next > untilUs) break;
      this.step();
    }
    if (untilUs > this.now) this.now = untilUs;
  }

  // NodeHost: what nodes ask of the kernel.

  createContext(node: SimNode): NodeContext {
    const sim = this;
    const incarnation = node.incarnation;
    return {
      id: node.id,
      incarnation,
      rng: this.rng.fork(`node/${node.id}/${incarnation}`),
      disk: node.disk,
      history: this.history,
      assert: this.assert,
      bugs: this.bugs,
      wallClockUs: () => node.clock.wallUs(sim.now),
      monotonicClockUs: () => node.clock.monotonicUs(sim.now),
      send: (to, message) => {
        if (node.incarnation !== incarnation || node.status === "crashed") return;
        if (sim.transport === undefined) throw new Error("no transport: attach a network before sending");
        sim.transport.send(node.id, to, message);
      },
      after: (delayUs, label, fn) => sim.scheduleTimer(node, delayUs, label, fn),
      trace: (kind, fields) => sim.traceNode(node, kind, fields),
    };
  }

  scheduleTimer(node: SimNode, delayUs: SimTimeUs, label: string, fn: () => void): Timer {
    const atUs = this.now + node.clock.toSimDurationUs(Math.max(0, Math.round(delayUs)));
    this.checkEventTime(atUs);
    const timer = new NodeTimer(atUs, this, node, node.incarnation, label, fn);
    this.queue.push(timer);
    return timer;
  }

  traceNode(node: SimNode, kind: string, fields?: TraceFields): void {
    this.trace.record(this.now, kind, node.id, fields);
  }

  /**
   * The same record as trace.record(now, `op.${type}`, process, { f }), without building the
   * kind string (a fresh string is hashed again on every intern) or the fields object.
   */
  private traceHistoryOp(op: Omit<HistoryOp, "traceIndex" | "index">): number {
    return this.trace.recordField(this.now, OP_TRACE_KINDS[op.type], op.process, "f", op.f);
  }
}
