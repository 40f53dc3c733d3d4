import type { SimTimeUs } from "./time.js";

/**
 * Jepsen's operation types: `invoke` starts an operation; `ok` says it happened, `fail`
 * says it definitely did not, `info` says the outcome is unknown (it may have happened).
 */
export type OpType = "invoke" | "ok" | "fail" | "info";

export interface HistoryOp {
  readonly index: number;
  readonly type: OpType;
  readonly process: string;
  readonly f: string;
  readonly value: unknown;
  readonly timeUs: SimTimeUs;
  /** Index of the trace record written when the op was recorded: links history to trace. */
  readonly traceIndex: number;
  /** For completions: the index of the matching invoke. */
  readonly invokeIndex?: number;
  readonly error?: string;
}

export interface HistoryClock {
  nowUs(): SimTimeUs;
  traceOp(op: Omit<HistoryOp, "traceIndex" | "index">): number;
}

/** Receives every op as it is recorded (traced and appended), in history order. */
export type HistoryListener = (op: HistoryOp) => void;

/**
 * The client-visible history of a run, in the order operations were observed. Listeners
 * (`listen`) see each op as it is recorded: a checker can fold the history during the run
 * instead of reading `ops` again at the end.
 */
export class History {
  private readonly entries: HistoryOp[] = [];
  private readonly open = new Map<string, number>();
  private readonly listeners: HistoryListener[] = [];

  constructor(private readonly clock: HistoryClock) {}

  get ops(): readonly HistoryOp[] {
    return this.entries;
  }

  /** The simulated time ops are stamped with (not a node's clock): for values that must compare with op times. */
  nowUs(): SimTimeUs {
    return this.clock.nowUs();
  }

  /** Calls `listener` with every op recorded from now on; returns a function that stops it. */
  listen(listener: HistoryListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  invoke(process: string, f: string, value: unknown): HistoryOp {
    if (this.open.has(process)) {
      throw new Error(`history: process ${process} invoked ${f} while an operation is still open`);
    }
    // Built whole, in the field order of the HistoryOp interface: a spread into a literal puts
    // the spread fields out of object, and the history keeps every op for the whole run.
    const op: MutableOp = { index: this.entries.length, traceIndex: -1, type: "invoke", process, f, value, timeUs: this.clock.nowUs() };
    this.append(op);
    this.open.set(process, op.index);
    return op;
  }

  ok(process: string, value: unknown): HistoryOp {
    return this.complete("ok", process, value);
  }

  fail(process: string, value: unknown, error?: string): HistoryOp {
    return this.complete("fail", process, value, error);
  }

  info(process: string, value: unknown, error?: string): HistoryOp {
    return this.complete("info", process, value, error);
  }

  isOpen(process: string): boolean {
    return this.open.has(process);
  }

  /** The invoke an op completes (or the op itself for an invoke). */
  invocationOf(op: HistoryOp): HistoryOp {
    return op.invokeIndex === undefined ? op : (this.entries[op.invokeIndex] as HistoryOp);
  }

  private complete(type: Exclude<OpType, "invoke">, process: string, value: unknown, error?: string): HistoryOp {
    const invokeIndex = this.open.get(process);
    if (invokeIndex === undefined) throw new Error(`history: process ${process} completed an operation it never invoked`);
    this.open.delete(process);
    const f = (this.entries[invokeIndex] as HistoryOp).f;
    const index = this.entries.length;
    const timeUs = this.clock.nowUs();
    const op: MutableOp =
      error === undefined
        ? { index, traceIndex: -1, type, process, f, value, timeUs, invokeIndex }
        : { index, traceIndex: -1, type, process, f, value, timeUs, invokeIndex, error };
    this.append(op);
    return op;
  }

  /** Traces the op (which sets its trace index), appends it and hands it to the listeners. */
  private append(op: MutableOp): void {
    op.traceIndex = this.clock.traceOp(op);
    this.entries.push(op);
    for (let i = 0; i < this.listeners.length; i++) (this.listeners[i] as HistoryListener)(op);
  }
}

type MutableOp = { -readonly [K in keyof HistoryOp]: HistoryOp[K] };
