import { History, type HistoryOp } from "../../../sim/history.js";
import type { PolledRecord, TxnIntent } from "../../../src/nodes/kafka/history-values.js";

/** Trace indices start here, so tests can tell them from history indices. */
export const TRACE_BASE = 1000;

/** [topic, partition, offset, value]; offset -1 for a send the broker did not acknowledge. */
export type Placed = readonly [topic: string, partition: number, offset: number, value: string];

export interface TxnEnd {
  readonly outcome?: TxnIntent;
  /** Default: 5µs after the invoke. `null`: the writer never asked. */
  readonly endRequestedUs?: number | null;
  readonly error?: string;
  /** Extra fields of the completion (the copier's). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/**
 * A transactional history written through the real History, with a fake clock that moves 10µs
 * per op, in the shapes of history-values.ts: writers' init and txn ops, readers' assign (with
 * isolationLevel), polls and end offsets.
 */
export class TxnHistoryBuilder {
  private now = 0;
  private traceIndex = TRACE_BASE;
  private readonly open = new Map<string, { invoke: HistoryOp; sends: readonly Placed[]; extra: Readonly<Record<string, unknown>> }>();
  readonly history = new History({
    nowUs: () => (this.now += 10),
    traceOp: () => this.traceIndex++,
  });

  get ops(): readonly HistoryOp[] {
    return this.history.all();
  }

  /** The simulated time of the last op. */
  get nowUs(): number {
    return this.now;
  }

  init(process: string, transactionalId: string, producerEpoch: number): HistoryOp {
    this.history.invoke(process, "init", { transactionalId });
    return this.history.ok(process, { transactionalId, producerId: 1, producerEpoch });
  }

  /** beginTransaction: the invoke; the sends carry the offsets the completion will report. */
  begin(process: string, transactionalId: string, sends: readonly Placed[], extra: Readonly<Record<string, unknown>> = {}): HistoryOp {
    const invoke = this.history.invoke(process, "txn", { transactionalId, intent: "COMMIT", sends: sends.map(([topic, , , value]) => ({ topic, key: null, value })), ...extra });
    this.open.set(process, { invoke, sends, extra });
    return invoke;
  }

  /** Completes the open transaction of `process` with ok, fail or info. */
  end(process: string, type: "ok" | "fail" | "info", end: TxnEnd = {}): HistoryOp {
    const open = this.open.get(process);
    if (open === undefined) throw new Error(`no open transaction for ${process}`);
    this.open.delete(process);
    const invoked = open.invoke.value as { transactionalId: string };
    const value = {
      transactionalId: invoked.transactionalId,
      intent: "COMMIT",
      ...open.extra,
      ...(end.outcome === undefined ? {} : { outcome: end.outcome }),
      producerId: 1,
      producerEpoch: 0,
      endRequestedUs: end.endRequestedUs === undefined ? open.invoke.timeUs + 5 : end.endRequestedUs,
      sends: open.sends.map(([topic, partition, offset, v]) => ({ topic, key: null, value: v, partition, offset })),
      ...end.extra,
    };
    if (type === "ok") return this.history.ok(process, value);
    if (type === "fail") return this.history.fail(process, value, end.error ?? "PRODUCER_FENCED");
    return this.history.info(process, value, end.error ?? "REQUEST_TIMED_OUT");
  }

  /** A whole transaction: begin then end. */
  txn(process: string, transactionalId: string, sends: readonly Placed[], type: "ok" | "fail" | "info", end: TxnEnd = {}): HistoryOp {
    this.begin(process, transactionalId, sends);
    return this.end(process, type, end);
  }

  committed(process: string, transactionalId: string, sends: readonly Placed[]): HistoryOp {
    return this.txn(process, transactionalId, sends, "ok", { outcome: "COMMIT" });
  }

  assign(process: string, partitions: readonly (readonly [string, number])[], isolationLevel: "read_committed" | "read_uncommitted" = "read_committed"): HistoryOp {
    this.history.invoke(process, "assign", { partitions, isolationLevel });
    return this.history.ok(process, { partitions, isolationLevel });
  }

  poll(process: string, records: readonly PolledRecord[]): HistoryOp {
    this.history.invoke(process, "poll", {});
    return this.history.ok(process, { records });
  }

  endOffsets(process: string, offsets: readonly (readonly [string, number, number])[]): HistoryOp {
    this.history.invoke(process, "end-offsets", {});
    return this.history.ok(process, { offsets });
  }

  committedOffsets(process: string, groupId: string, offsets: readonly (readonly [string, number, number])[]): HistoryOp {
    this.history.invoke(process, "committed-offsets", { groupId });
    return this.history.ok(process, { groupId, offsets });
  }
}

/** Records of one partition: `records("t", 0, [[0, "a"], [1, "b"]])`. */
export function records(topic: string, partition: number, entries: readonly (readonly [number, string])[]): PolledRecord[] {
  return entries.map(([offset, value]) => [topic, partition, offset, value] as const);
}
