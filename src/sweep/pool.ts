/**
 * A fixed set of workers (child processes by default, or worker threads) that run seeds. Tasks
 * queue; an idle worker takes the first task it may run (a task can ask to avoid one worker: a
 * determinism re-check runs elsewhere than the first run when there is an elsewhere). Each
 * worker is sent up to TASKS_AHEAD tasks at once, so it starts the next seed as soon as one is
 * done instead of waiting a round trip through this (possibly descheduled) process. A worker
 * that dies fails the task it was running as an internal error, and is replaced; the tasks
 * waiting behind it go back to the queue.
 */
import { availableParallelism } from "node:os";
import type { FromWorker, SeedRunOutput, SeedTask, WorkerIsolation, WorkerSetup } from "./protocol.js";
import { spawnSweepWorker, type SweepWorker } from "./spawn-worker.js";

/** How a task ended, and on which worker (0-based). */
export type TaskOutcome = { readonly worker: number } & ({ readonly ok: true; readonly output: SeedRunOutput } | { readonly ok: false; readonly error: string });

export interface PoolOptions {
  readonly size: number;
  /** Default: child processes. */
  readonly isolation?: WorkerIsolation;
  /** V8 flags of each child process; default: workerV8Flags(size). */
  readonly v8Flags?: readonly string[];
}

/**
 * V8 flags of a sweep's child processes. A sweep allocates a seed's whole world and drops it a
 * few milliseconds later: a young generation somewhat bigger than V8's default lets more of it
 * die before a scavenge copies it (measured: less CPU per seed at 32 MB; at 64 MB the Kafka
 * scenarios got slower again). When there are as many workers as CPUs, garbage collection stays
 * on each worker's own thread: V8's parallel GC helpers would only compete with the other
 * workers for the same cores. With fewer workers than CPUs the helpers use the idle ones.
 */
export function workerV8Flags(workers: number, cpus: number = availableParallelism()): string[] {
  return ["--max-semi-space-size=32", ...(workers >= cpus ? ["--single-threaded-gc"] : [])];
}

/** Tasks sent to a worker at once: the one it runs and the next, already in its inbox. */
const TASKS_AHEAD = 2;

interface Queued {
  readonly id: number;
  readonly task: SeedTask;
  readonly avoidWorker: number | undefined;
  readonly resolve: (outcome: TaskOutcome) => void;
}

interface Slot {
  readonly index: number;
  worker: SweepWorker;
  ready: boolean;
  /** Tasks sent and not yet answered, in the order sent: the first is the one running. */
  sent: Queued[];
}

/** Replacements for dead workers before the pool gives up (a worker that dies at once would loop forever). */
const RESPAWNS_PER_WORKER = 3;

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Queued[] = [];
  private nextId = 0;
  private respawnsLeft: number;
  private closed = false;
  private brokenReason: string | undefined;
  private readonly isolation: WorkerIsolation;
  private readonly v8Flags: readonly string[];

  private constructor(
    private readonly setup: WorkerSetup,
    options: PoolOptions,
  ) {
    this.respawnsLeft = options.size * RESPAWNS_PER_WORKER;
    this.isolation = options.isolation ?? "process";
    this.v8Flags = options.v8Flags ?? workerV8Flags(options.size);
  }

  /** Starts the workers and waits until each has imported its modules and parsed the scenario. */
  static async start(setup: WorkerSetup, options: PoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(setup, options);
    try {
      await Promise.all(Array.from({ length: options.size }, (_, index) => pool.spawn(index)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  /** Tasks the pool can hold in its workers at once: callers that queue this many keep every worker busy. */
  get capacity(): number {
    return this.slots.length * TASKS_AHEAD;
  }

  /** Runs one seed on some worker (not `avoidWorker` if another worker exists). */
  run(task: SeedTask, avoidWorker?: number): Promise<TaskOutcome> {
    if (this.closed) return Promise.reject(new Error("worker pool is closed"));
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, task, avoidWorker: this.slots.length > 1 ? avoidWorker : undefined, resolve });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private spawn(index: number): Promise<void> {
    const worker = spawnSweepWorker({ isolation: this.isolation, v8Flags: this.v8Flags });
    const slot: Slot = { index, worker, ready: false, sent: [] };
    this.slots[index] = slot;
    return new Promise((resolve, reject) => {
      worker.onMessage((message: FromWorker) => {
        switch (message.type) {
          case "ready":
            slot.ready = true;
            resolve();
            this.dispatch();
            return;
          case "fatal":
            reject(new Error(`sweep worker could not start: ${message.message}`));
            void worker.terminate();
            return;
          case "done":
          case "failed":
            this.finish(slot, message);
            return;
        }
      });
      worker.onError((error) => {
        if (!slot.ready) reject(new Error(`sweep worker could not start: ${error.stack ?? error.message}`));
        else this.died(slot, `worker ${index} died: ${error.stack ?? error.message}`);
      });
      worker.onExit((code, signal) => {
        const how = signal === null ? `with code ${code}` : `on signal ${signal}`;
        if (!slot.ready) reject(new Error(`sweep worker exited ${how} before it was ready`));
        else if (!this.closed && this.slots[index] === slot) this.died(slot, `worker ${index} exited ${how}`);
      });
      worker.send({ type: "setup", setup: this.setup });
    });
  }

  private finish(slot: Slot, message: Extract<FromWorker, { type: "done" | "failed" }>): void {
    const at = slot.sent.findIndex((queued) => queued.id === message.id);
    if (at < 0) return;
    const [queued] = slot.sent.splice(at, 1) as [Queued];
    queued.resolve(message.type === "done" ? { worker: slot.index, ok: true, output: message.output } : { worker: slot.index, ok: false, error: message.error });
    this.dispatch();
  }

  private died(slot: Slot, reason: string): void {
    if (this.slots[slot.index] !== slot) return;
    const [running, ...waiting] = slot.sent;
    slot.sent = [];
    slot.ready = false;
    running?.resolve({ worker: slot.index, ok: false, error: reason });
    // The tasks behind it never started: another worker (or the replacement) runs them.
    this.queue.unshift(...waiting);
    if (this.closed) return;
    if (this.respawnsLeft-- > 0) {
      this.spawn(slot.index).catch((error: unknown) => this.breakDown(error instanceof Error ? error.message : String(error)));
    } else {
      this.breakDown(`${reason}; no replacements left`);
    }
    this.dispatch();
  }

  /** No worker can run anything any more: every queued task fails. */
  private breakDown(reason: string): void {
    this.brokenReason ??= reason;
    if (this.slots.some((s) => s.ready)) return;
    for (const queued of this.queue.splice(0)) queued.resolve({ worker: -1, ok: false, error: this.brokenReason });
  }

  private dispatch(): void {
    for (let round = 0; round < TASKS_AHEAD; round++) {
      // Round by round, so the first worker does not take every task while the others idle.
      for (const slot of this.slots) {
        if (!slot.ready || slot.sent.length > round) continue;
        const i = this.queue.findIndex((q) => q.avoidWorker !== slot.index || !this.slots.some((s) => s.ready && s.index !== slot.index));
        if (i < 0) continue;
        const [queued] = this.queue.splice(i, 1) as [Queued];
        slot.sent.push(queued);
        slot.worker.send({ type: "run", id: queued.id, task: queued.task });
      }
    }
  }
}
