import type { Assertions } from "./assertions.js";
import type { Disk } from "./disk.js";
import type { History } from "./history.js";
import type { Rng } from "./rng.js";
import type { SimTimeUs } from "./time.js";
import type { TraceFields } from "./trace.js";

/** Anything sent between nodes. `type` names it in the trace (Kafka request names, for Kafka). */
export interface Message {
  readonly type: string;
}

/**
 * A process's behaviour. All of an actor's fields are volatile: a crash discards the actor,
 * and a restart builds a new one from the node's disk through the node's factory.
 */
export interface Actor {
  onStart?(): void;
  onMessage?(from: string, message: Message): void;
  /** The transport lost its connection to `peer`; whatever was in flight may or may not have arrived. */
  onDisconnect?(peer: string): void;
}

export interface Timer {
  cancel(): void;
  readonly pending: boolean;
}

/** What an actor may touch: its own clock, disk, randomness and the outside world through send. */
export interface NodeContext {
  readonly id: string;
  /** Counts restarts: 0 for the first start. */
  readonly incarnation: number;
  readonly rng: Rng;
  readonly disk: Disk;
  readonly history: History;
  readonly assert: Assertions;
  /** Bug switches of the run: names of guards that are switched off. */
  readonly bugs: ReadonlySet<string>;
  /** This node's wall clock (offset, drift and steps applied). */
  wallClockUs(): SimTimeUs;
  /** This node's monotonic clock: drift applies, offsets and steps do not. For timeouts. */
  monotonicClockUs(): SimTimeUs;
  send(to: string, message: Message): void;
  /** Runs `fn` after `delayUs` of this node's monotonic clock, unless the node crashes first. */
  after(delayUs: SimTimeUs, label: string, fn: () => void): Timer;
  trace(kind: string, fields?: TraceFields): void;
}

export type ActorFactory = (ctx: NodeContext) => Actor;
