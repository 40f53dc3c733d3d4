/**
 * Small test systems for the kernel and the network: nodes whose actors record every message
 * and disconnect they see, with the simulated time at which they saw it.
 */
import type { Message, NodeContext } from "../../sim/actor.js";
import { Simulation, type SimulationOptions } from "../../sim/simulation.js";
import type { SimTimeUs } from "../../sim/time.js";
import type { TraceRecord } from "../../sim/trace.js";
import { Network, type NetworkOptions } from "../../src/network/network.js";

/** A test message: a type (what holds and the trace see) and a sequence number. */
export interface Msg extends Message {
  readonly type: string;
  readonly n: number;
}

export function msg(type: string, n: number): Msg {
  return { type, n };
}

function isMsg(message: Message): message is Msg {
  return typeof (message as Partial<Msg>).n === "number";
}

export interface SeenMessage {
  readonly kind: "message";
  readonly atUs: SimTimeUs;
  readonly node: string;
  readonly from: string;
  readonly type: string;
  readonly n: number;
}

export interface SeenDisconnect {
  readonly kind: "disconnect";
  readonly atUs: SimTimeUs;
  readonly node: string;
  readonly peer: string;
}

export type Seen = SeenMessage | SeenDisconnect;

export class Recorder {
  readonly seen: Seen[] = [];

  messages(node?: string, from?: string): SeenMessage[] {
    return this.seen.filter(
      (s): s is SeenMessage => s.kind === "message" && (node === undefined || s.node === node) && (from === undefined || s.from === from),
    );
  }

  /** Sequence numbers `node` received (from `from`, if given), in arrival order. */
  numbers(node: string, from?: string): number[] {
    return this.messages(node, from).map((m) => m.n);
  }

  disconnects(node?: string): SeenDisconnect[] {
    return this.seen.filter((s): s is SeenDisconnect => s.kind === "disconnect" && (node === undefined || s.node === node));
  }
}

export interface TestSystem {
  readonly sim: Simulation;
  readonly net: Network;
  readonly rec: Recorder;
  /** The context of the current incarnation of node `id`. */
  ctx(id: string): NodeContext;
  /** Sends `message` from `from` to `to` at absolute time `atUs`. */
  sendAt(atUs: SimTimeUs, from: string, to: string, message: Msg): void;
}

export interface SystemOptions {
  readonly seed?: number;
  readonly sim?: Omit<SimulationOptions, "seed">;
  readonly network?: NetworkOptions;
}

/** A simulation with a network and started recording nodes `ids`. */
export function buildSystem(ids: readonly string[], options: SystemOptions = {}): TestSystem {
  const sim = new Simulation({ seed: options.seed ?? 1, ...options.sim });
  const net = new Network(sim, options.network ?? {});
  const rec = new Recorder();
  const contexts = new Map<string, NodeContext>();
  for (const id of ids) {
    sim.addNode(id, (ctx) => {
      contexts.set(id, ctx);
      return {
        onMessage(from, message) {
          if (!isMsg(message)) throw new Error(`unexpected message ${JSON.stringify(message)}`);
          rec.seen.push({ kind: "message", atUs: sim.nowUs, node: id, from, type: message.type, n: message.n });
        },
        onDisconnect(peer) {
          rec.seen.push({ kind: "disconnect", atUs: sim.nowUs, node: id, peer });
        },
      };
    });
    sim.node(id).start();
  }
  const ctx = (id: string): NodeContext => {
    const c = contexts.get(id);
    if (c === undefined) throw new Error(`no context for ${id}`);
    return c;
  };
  return {
    sim,
    net,
    rec,
    ctx,
    sendAt: (atUs, from, to, message) => sim.at(atUs, () => ctx(from).send(to, message)),
  };
}

/** Collects every trace record of `sim` from now on. */
export function collectTrace(sim: Simulation): TraceRecord[] {
  const records: TraceRecord[] = [];
  sim.trace.listen((record) => records.push(record));
  return records;
}

/** Trace records of one kind, e.g. `net.drop`. */
export function recordsOf(records: readonly TraceRecord[], kind: string): TraceRecord[] {
  return records.filter((r) => r.kind === kind);
}
