import { historyReader, type HistoryOp, type HistorySource } from "../../sim/history.js";

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

export function logHistoryOf(source: HistorySource): LogHistory {
  const history = historyReader(source);
  const acks: AppendAck[] = [];
  const reads: LogRead[] = [];
  for (let i = 0; i < history.length; i++) {
    const op = history.op(i);
    if (op.type !== "ok" || op.invokeIndex === undefined) continue;
    if (op.f === "append") {
      const { value, offset } = op.value as { value: string; offset: number };
      acks.push({ value, offset, ok: op });
    } else if (op.f === "read") {
      reads.push({ values: (op.value as { values: readonly string[] }).values, invoke: history.op(op.invokeIndex), ok: op });
    }
  }
  return { acks, reads };
}
