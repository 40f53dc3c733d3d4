import type { Actor, ActorFactory, Message, NodeContext, Timer } from "./actor.js";
import { NodeClock } from "./clock.js";
import { Disk } from "./disk.js";
import type { SimTimeUs } from "./time.js";
import type { TraceFields } from "./trace.js";

export type NodeStatus = "up" | "paused" | "crashed";

/** What a node needs from the simulation that hosts it. */
export interface NodeHost {
  readonly nowUs: SimTimeUs;
  createContext(node: SimNode): NodeContext;
  scheduleTimer(node: SimNode, delayUs: SimTimeUs, label: string, fn: () => void): Timer;
  traceNode(node: SimNode, kind: string, fields?: TraceFields): void;
  nodeCrashed(node: SimNode): void;
  /** The OS writes back dirty disk pages after this long (Infinity: only fsync makes data durable). */
  readonly diskWritebackUs: number;
}

type PendingInput = () => void;

/**
 * One simulated process: lifecycle (up, paused, crashed), its clock and disk (which survive
 * crashes) and the current actor (which does not). Inputs that reach a paused node wait in
 * arrival order and are handled when it resumes.
 */
export class SimNode {
  readonly clock = new NodeClock();
  readonly disk: Disk;
  private currentStatus: NodeStatus = "crashed";
  private currentIncarnation = -1;
  private actor: Actor | undefined;
  private readonly pending: PendingInput[] = [];

  constructor(
    readonly id: string,
    private readonly factory: ActorFactory,
    private readonly host: NodeHost,
  ) {
    this.disk = new Disk({ nowUs: () => host.nowUs, writebackUs: host.diskWritebackUs });
  }

  get status(): NodeStatus {
    return this.currentStatus;
  }

  get incarnation(): number {
    return this.currentIncarnation;
  }

  /** The running actor, for inspection by tests and harnesses; undefined while crashed. */
  get current(): Actor | undefined {
    return this.actor;
  }

  get pendingInputs(): number {
    return this.pending.length;
  }

  start(): void {
    if (this.currentStatus !== "crashed") throw new Error(`node ${this.id} is already running`);
    this.currentIncarnation++;
    this.currentStatus = "up";
    this.host.traceNode(this, "node.start", { incarnation: this.currentIncarnation });
    const actor = this.factory(this.host.createContext(this));
    this.actor = actor;
    actor.onStart?.();
  }

  crash(loseUnflushed: boolean): void {
    if (this.currentStatus === "crashed") return;
    const lost = this.disk.crash(loseUnflushed);
    this.currentStatus = "crashed";
    this.actor = undefined;
    this.pending.length = 0;
    this.host.traceNode(this, "node.crash", { loseUnflushed, lostEntries: lost });
    this.host.nodeCrashed(this);
  }

  pause(): void {
    if (this.currentStatus !== "up") return;
    this.currentStatus = "paused";
    this.host.traceNode(this, "node.pause");
  }

  resume(): void {
    if (this.currentStatus !== "paused") return;
    this.currentStatus = "up";
    this.host.traceNode(this, "node.resume", { queued: this.pending.length });
    while (this.pending.length > 0 && this.currentStatus === "up") (this.pending.shift() as PendingInput)();
  }

  /** Returns false when the node is down and the message is lost. */
  deliver(from: string, message: Message): boolean {
    // The common case without the closure `input` needs only to queue it.
    if (this.currentStatus === "up") {
      this.actor?.onMessage?.(from, message);
      return true;
    }
    return this.input(() => this.actor?.onMessage?.(from, message));
  }

  disconnect(peer: string): boolean {
    return this.input(() => this.actor?.onDisconnect?.(peer));
  }

  /** Runs a timer callback of incarnation `incarnation`, or queues it while paused. */
  fireTimer(incarnation: number, fn: () => void): boolean {
    if (incarnation !== this.currentIncarnation) return false;
    return this.input(fn);
  }

  private input(handle: PendingInput): boolean {
    switch (this.currentStatus) {
      case "crashed":
        return false;
      case "paused":
        this.pending.push(handle);
        return true;
      case "up":
        handle();
        return true;
    }
  }
}
