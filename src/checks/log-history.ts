import type { HistoryOp } from "../../sim/history.js";

/**
 * A single-log workload's history: appends of unique values, and reads that return the whole
 * readable log. The shape the duplicate and lost-write checkers read.
 */
export interface AppendAck {
  readonly value: string;
  readonly offset: number;
  readonly ok: HistoryOp;
}

export interface LogRead {
  readonly values: readonly string[];
  readonly invoke: HistoryOp;
  readonly ok: HistoryOp;
}

export interface LogHistory {
  readonly acks: readonly AppendAck[];
  readonly reads: readonly LogRead[];
}

export function logHistoryOf(ops: readonly HistoryOp[]): LogHistory {
  const acks: AppendAck[] = [];
  const reads: LogRead[] = [];
  for (const op of ops) {
    if (op.type !== "ok" || op.invokeIndex === undefined) continue;
    const invoke = ops[op.invokeIndex] as HistoryOp;
    if (op.f === "append") {
      const { value, offset } = op.value as { value: string; offset: number };
      acks.push({ value, offset, ok: op });
    } else if (op.f === "read") {
      reads.push({ values: (op.value as { values: readonly string[] }).values, invoke, ok: op });
    }
  }
  return { acks, reads };
}
