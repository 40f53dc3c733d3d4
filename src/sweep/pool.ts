/**
 * A fixed set of worker threads that run seeds. Tasks queue; an idle worker takes the first
 * task it may run (a task can ask to avoid one worker: a determinism re-check runs elsewhere
 * than the first run when there is an elsewhere). A worker that dies fails its task as an
 * internal error and is replaced.
 */
import type { Worker } from "node:worker_threads";
import type { FromWorker, SeedRunOutput, SeedTask, ToWorker, WorkerSetup } from "./protocol.js";
import { spawnSweepWorker } from "./spawn-worker.js";

/** How a task ended, and on which worker (0-based). */
export type TaskOutcome = { readonly worker: number } & ({ readonly ok: true; readonly output: SeedRunOutput } | { readonly ok: false; readonly error: string });

interface Queued {
  readonly id: number;
  readonly task: SeedTask;
  readonly avoidWorker: number | undefined;
  readonly resolve: (outcome: TaskOutcome) => void;
}

interface Slot {
  readonly index: number;
  worker: Worker;
  ready: boolean;
  running: Queued | undefined;
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

  private constructor(
    private readonly setup: WorkerSetup,
    size: number,
  ) {
    this.respawnsLeft = size * RESPAWNS_PER_WORKER;
  }

  /** Starts `size` workers and waits until each has imported its modules and parsed the scenario. */
  static async start(setup: WorkerSetup, size: number): Promise<WorkerPool> {
    const pool = new WorkerPool(setup, size);
    try {
      await Promise.all(Array.from({ length: size }, (_, index) => pool.spawn(index)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  get size(): number {
    return this.slots.length;
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
    const worker = spawnSweepWorker(this.setup);
    const slot: Slot = { index, worker, ready: false, running: undefined };
    this.slots[index] = slot;
    return new Promise((resolve, reject) => {
      worker.on("message", (message: FromWorker) => {
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
      worker.on("error", (error) => {
        if (!slot.ready) reject(new Error(`sweep worker could not start: ${error.stack ?? error.message}`));
        else this.died(slot, `worker ${index} died: ${error.stack ?? error.message}`);
      });
      worker.on("exit", (code) => {
        if (!slot.ready) reject(new Error(`sweep worker exited with code ${code} before it was ready`));
        else if (!this.closed && this.slots[index] === slot) this.died(slot, `worker ${index} exited with code ${code}`);
      });
    });
  }

  private finish(slot: Slot, message: Extract<FromWorker, { type: "done" | "failed" }>): void {
    const running = slot.running;
    if (running === undefined || running.id !== message.id) return;
    slot.running = undefined;
    running.resolve(message.type === "done" ? { worker: slot.index, ok: true, output: message.output } : { worker: slot.index, ok: false, error: message.error });
    this.dispatch();
  }

  private died(slot: Slot, reason: string): void {
    if (this.slots[slot.index] !== slot) return;
    const running = slot.running;
    slot.running = undefined;
    slot.ready = false;
    running?.resolve({ worker: slot.index, ok: false, error: reason });
    if (this.closed) return;
    if (this.respawnsLeft-- > 0) {
      this.spawn(slot.index).catch((error: unknown) => this.breakDown(error instanceof Error ? error.message : String(error)));
    } else {
      this.breakDown(`${reason}; no replacements left`);
    }
  }

  /** No worker can run anything any more: every queued task fails. */
  private breakDown(reason: string): void {
    this.brokenReason ??= reason;
    if (this.slots.some((s) => s.ready)) return;
    for (const queued of this.queue.splice(0)) queued.resolve({ worker: -1, ok: false, error: this.brokenReason });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.running !== undefined) continue;
      const i = this.queue.findIndex((q) => q.avoidWorker !== slot.index || !this.slots.some((s) => s.ready && s.index !== slot.index));
      if (i < 0) continue;
      const [queued] = this.queue.splice(i, 1) as [Queued];
      slot.running = queued;
      const message: ToWorker = { type: "run", id: queued.id, task: queued.task };
      slot.worker.postMessage(message, queued.task.compareTo ? [queued.task.compareTo.buffer as ArrayBuffer] : []);
    }
  }
}
