import type { Message } from "../../sim/actor.js";
import type { QueuedEvent } from "../../sim/event-queue.js";
import type { Rng } from "../../sim/rng.js";
import type { Simulation, Transport } from "../../sim/simulation.js";
import { msToUs, type SimTimeUs } from "../../sim/time.js";
import { HoldTable, type MessageMatch } from "./holds.js";
import { DEFAULT_LATENCY, sampleLatencyUs, type LatencyModel } from "./latency.js";
import { applyPartition, PartitionTable, type PartitionShape } from "./partitions.js";

export interface LinkOptions {
  readonly from: string;
  readonly to: string;
  readonly latency: LatencyModel;
}

export interface NetworkOptions {
  /**
   * `connection` (default): FIFO connections per node pair, like TCP; nothing is lost,
   * duplicated or reordered inside a connection. `datagram`: independent loss, duplication
   * and reordering per message.
   */
  readonly mode?: "connection" | "datagram";
  /** Default one-way latency. Default: uniform 0.5–2 ms. */
  readonly latency?: LatencyModel;
  /** Per-direction overrides. */
  readonly links?: readonly LinkOptions[];
  /** Datagram mode: probability a message is lost. Default 0. */
  readonly lossRatio?: number;
  /** Datagram mode: probability a message is delivered twice. Default 0. */
  readonly duplicateRatio?: number;
  /** Datagram mode: probability a message gets an extra delay of up to `reorderMsMax`. Default 0. */
  readonly reorderRatio?: number;
  readonly reorderMsMax?: number;
  /**
   * Connection mode: how long the endpoints of a connection that lost a message to a
   * partition take to notice it is broken. Default 1000 ms.
   */
  readonly brokenConnectionDetectMs?: number;
}

interface Link {
  latency: LatencyModel;
  /** FIFO: the next delivery on this direction may not be earlier than this. */
  lastDeliveryUs: SimTimeUs;
  clogUntilUs: SimTimeUs;
}

interface Connection {
  generation: number;
  /**
   * Senders whose direction lost a message: nothing more may arrive from them on this
   * connection (TCP cannot skip a gap). The other direction still delivers until the reset.
   */
  brokenFrom: string[];
}

/**
 * One message on its way: its own queue entry (no closure per message). `generation` is the
 * connection's generation at send time, undefined for messages not bound to a connection
 * (datagrams, held messages).
 */
class Delivery implements QueuedEvent {
  seq = 0;
  constructor(
    readonly time: SimTimeUs,
    private readonly network: { arrive(delivery: Delivery): void },
    readonly id: number,
    readonly from: string,
    readonly to: string,
    readonly message: Message,
    readonly generation: number | undefined,
  ) {}
  fire(): void {
    this.network.arrive(this);
  }
}

/**
 * The fake network: the simulation's transport. Every send, delivery and drop is traced with
 * the message id, so a report can draw the arrows and a test can follow one message.
 */
export class Network implements Transport {
  readonly partitions = new PartitionTable();
  readonly holds = new HoldTable();
  private readonly mode: "connection" | "datagram";
  private readonly defaultLatency: LatencyModel;
  /** from → to → the direction's link. Nested maps: no key string to build and hash per message. */
  private readonly links = new Map<string, Map<string, Link>>();
  /** The smaller node id → the larger → their connection (one per pair, both directions). */
  private readonly connections = new Map<string, Map<string, Connection>>();
  private readonly rng: Rng;
  private readonly options: NetworkOptions;
  private nextMessageId = 1;
  /** What a Delivery calls when it fires (one object for the whole run). */
  private readonly arrival = { arrive: (d: Delivery) => this.arrive(d.id, d.from, d.to, d.message, d.generation) };

  constructor(
    private readonly sim: Simulation,
    options: NetworkOptions = {},
  ) {
    this.options = options;
    this.mode = options.mode ?? "connection";
    this.defaultLatency = options.latency ?? DEFAULT_LATENCY;
    this.rng = sim.rng.fork("network");
    for (const link of options.links ?? []) this.link(link.from, link.to).latency = link.latency;
    sim.transport = this;
    sim.onCrash((node) => this.resetAllOf(node.id, "crash"));
  }

  send(from: string, to: string, message: Message): void {
    const id = this.nextMessageId++;
    this.sim.trace.record3(this.sim.nowUs, "net.send", from, "to", to, "type", message.type, "id", id);
    if (this.partitions.isBlocked(from, to)) {
      this.drop(id, from, to, message, "partition");
      return;
    }
    const link = this.link(from, to);
    if (this.mode === "connection" && this.connection(from, to).brokenFrom.includes(from)) {
      this.drop(id, from, to, message, "broken-connection");
      return;
    }
    const hold = this.holds.take(from, to, message.type);
    if (hold !== undefined) {
      this.sim.record("net.hold", from, { to, type: message.type, id, holdUs: hold.holdUs });
      const at = this.sim.nowUs + hold.holdUs + sampleLatencyUs(link.latency, this.rng);
      this.sim.schedule(new Delivery(at, this.arrival, id, from, to, message, undefined));
      return;
    }
    if (this.mode === "datagram") this.sendDatagram(id, from, to, message, link);
    else this.sendOnConnection(id, from, to, message, link);
  }

  applyPartition(shape: PartitionShape, nodes: readonly string[]): void {
    applyPartition(this.partitions, shape, nodes, this.rng);
    this.sim.record("net.partition", "network", { shape: shape.shape, blocked: formatPairs(this.partitions.pairs()) });
  }

  heal(): void {
    this.partitions.heal();
    this.holds.clear();
    for (const byTo of this.links.values()) for (const link of byTo.values()) link.clogUntilUs = Math.min(link.clogUntilUs, this.sim.nowUs);
    this.sim.record("net.heal", "network");
  }

  /** Holds traffic from → to until `untilUs`, then releases it in order. */
  clog(from: string, to: string, untilUs: SimTimeUs): void {
    const link = this.link(from, to);
    link.clogUntilUs = Math.max(link.clogUntilUs, untilUs);
    this.sim.record("net.clog", from, { to, untilUs });
  }

  hold(match: MessageMatch, holdUs: SimTimeUs, count: number): void {
    const hold = this.holds.add(match, holdUs, count);
    this.sim.record("net.hold-armed", "network", {
      holdId: hold.id,
      type: match.type,
      from: match.from,
      to: match.to,
      holdUs,
      count: Number.isFinite(count) ? count : -1,
    });
  }

  /** Resets the connection between a and b: in-flight messages are lost and both ends are told. */
  reset(a: string, b: string, reason = "reset"): void {
    const connection = this.connection(a, b);
    connection.generation++;
    connection.brokenFrom = [];
    this.sim.record("net.reset", a, { peer: b, reason, generation: connection.generation });
    this.notifyDisconnect(a, b);
    this.notifyDisconnect(b, a);
  }

  private resetAllOf(node: string, reason: string): void {
    if (this.mode === "datagram") return;
    for (const peer of this.sim.nodeIds) if (peer !== node && this.hasConnection(node, peer)) this.reset(node, peer, reason);
  }

  private sendOnConnection(id: number, from: string, to: string, message: Message, link: Link): void {
    const connection = this.connection(from, to);
    if (connection.brokenFrom.includes(from)) {
      this.drop(id, from, to, message, "broken-connection");
      return;
    }
    const generation = connection.generation;
    const earliest = Math.max(this.sim.nowUs, link.clogUntilUs) + sampleLatencyUs(link.latency, this.rng);
    const at = Math.max(earliest, link.lastDeliveryUs + 1);
    link.lastDeliveryUs = at;
    this.sim.schedule(new Delivery(at, this.arrival, id, from, to, message, generation));
  }

  private sendDatagram(id: number, from: string, to: string, message: Message, link: Link): void {
    if (this.rng.chance(this.options.lossRatio ?? 0)) {
      this.drop(id, from, to, message, "loss");
      return;
    }
    const copies = this.rng.chance(this.options.duplicateRatio ?? 0) ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      let delay = sampleLatencyUs(link.latency, this.rng);
      if (this.rng.chance(this.options.reorderRatio ?? 0)) delay += this.rng.int(0, msToUs(this.options.reorderMsMax ?? 10));
      if (copy > 0) this.sim.record("net.duplicate", from, { to, type: message.type, id });
      this.sim.schedule(new Delivery(Math.max(this.sim.nowUs, link.clogUntilUs) + delay, this.arrival, id, from, to, message, undefined));
    }
  }

  /** `generation` is undefined for messages not bound to a connection (datagrams, held messages). */
  private arrive(id: number, from: string, to: string, message: Message, generation: number | undefined): void {
    if (generation !== undefined) {
      const connection = this.connection(from, to);
      if (connection.generation !== generation) return this.drop(id, from, to, message, "connection-reset");
      if (connection.brokenFrom.includes(from)) return this.drop(id, from, to, message, "broken-connection");
    }
    if (this.partitions.isBlocked(from, to)) return this.drop(id, from, to, message, "partition");
    if (!this.sim.hasNode(to)) return this.drop(id, from, to, message, "no-such-node");
    this.sim.trace.record3(this.sim.nowUs, "net.deliver", to, "from", from, "type", message.type, "id", id);
    if (this.sim.node(to).deliver(from, message)) return;
    this.sim.record("net.lost", to, { from, type: message.type, id, reason: "node-down" });
    // No process listens there: the host answers with a reset (connection refused), so the sender learns at once.
    if (generation !== undefined && this.connection(from, to).generation === generation) this.reset(from, to, "refused");
  }

  private drop(id: number, from: string, to: string, message: Message, reason: string): void {
    this.sim.record("net.drop", from, { to, type: message.type, id, reason });
    if (reason === "partition" && this.mode === "connection") this.breakConnection(from, to);
  }

  /** TCP cannot skip a lost message: the connection is dead from here on, and its ends notice later. */
  private breakConnection(from: string, to: string): void {
    const connection = this.connection(from, to);
    if (connection.brokenFrom.includes(from)) return;
    const alreadyBroken = connection.brokenFrom.length > 0;
    connection.brokenFrom.push(from);
    if (alreadyBroken) return;
    const generation = connection.generation;
    this.sim.after(msToUs(this.options.brokenConnectionDetectMs ?? 1000), () => {
      if (connection.generation === generation) this.reset(from, to, "broken");
    });
  }

  private notifyDisconnect(node: string, peer: string): void {
    if (this.sim.hasNode(node)) this.sim.node(node).disconnect(peer);
  }

  private link(from: string, to: string): Link {
    let byTo = this.links.get(from);
    if (byTo === undefined) {
      byTo = new Map();
      this.links.set(from, byTo);
    }
    let link = byTo.get(to);
    if (link === undefined) {
      link = { latency: this.defaultLatency, lastDeliveryUs: 0, clogUntilUs: 0 };
      byTo.set(to, link);
    }
    return link;
  }

  /** The connection of a pair, created on first use (a crash resets only connections that exist). */
  private connection(a: string, b: string): Connection {
    const low = a < b ? a : b;
    const high = a < b ? b : a;
    let byHigh = this.connections.get(low);
    if (byHigh === undefined) {
      byHigh = new Map();
      this.connections.set(low, byHigh);
    }
    let connection = byHigh.get(high);
    if (connection === undefined) {
      connection = { generation: 0, brokenFrom: [] };
      byHigh.set(high, connection);
    }
    return connection;
  }

  private hasConnection(a: string, b: string): boolean {
    return a < b ? this.connections.get(a)?.has(b) === true : this.connections.get(b)?.has(a) === true;
  }
}

function formatPairs(pairs: readonly [string, string][]): string {
  return pairs.map(([from, to]) => `${from}->${to}`).join(",");
}
