import { History, type HistoryOp } from "../../../sim/history.js";
import type { PolledRecord } from "../../../src/nodes/kafka/history-values.js";

/** Trace indices start here, so tests can tell them from history indices. */
export const TRACE_BASE = 1000;

/**
 * A Kafka application history written through the real History, with a fake clock that moves
 * 10µs per op. Each helper records one complete operation, in the shapes of history-values.ts.
 */
export class KafkaHistoryBuilder {
  private nowUs = 0;
  private traceIndex = TRACE_BASE;
  readonly history = new History({
    nowUs: () => (this.nowUs += 10),
    traceOp: () => this.traceIndex++,
  });

  get ops(): readonly HistoryOp[] {
    return this.history.all();
  }

  sendOk(process: string, topic: string, value: string, partition: number, offset: number): HistoryOp {
    this.history.invoke(process, "send", { topic, key: null, value });
    return this.history.ok(process, { topic, key: null, value, partition, offset });
  }

  sendFail(process: string, topic: string, value: string, error = "NOT_ENOUGH_REPLICAS"): HistoryOp {
    this.history.invoke(process, "send", { topic, key: null, value });
    return this.history.fail(process, { topic, key: null, value, partition: 0 }, error);
  }

  sendInfo(process: string, topic: string, value: string, error = "REQUEST_TIMED_OUT"): HistoryOp {
    this.history.invoke(process, "send", { topic, key: null, value });
    return this.history.info(process, { topic, key: null, value, partition: 0 }, error);
  }

  /** A send invoked and never completed (the process crashed or the run ended). */
  sendPending(process: string, topic: string, value: string): HistoryOp {
    return this.history.invoke(process, "send", { topic, key: null, value });
  }

  poll(process: string, records: readonly PolledRecord[], isolation?: "read_committed" | "read_uncommitted"): HistoryOp {
    this.history.invoke(process, "poll", {});
    return this.history.ok(process, isolation === undefined ? { records } : { records, isolation });
  }

  pollInfo(process: string): HistoryOp {
    this.history.invoke(process, "poll", {});
    return this.history.info(process, null, "timeout");
  }

  seek(process: string, topic: string, partition: number, offset: number): HistoryOp {
    const invoke = this.history.invoke(process, "seek", { topic, partition, offset });
    this.history.ok(process, { topic, partition, offset });
    return invoke;
  }

  assign(process: string, partitions: readonly (readonly [string, number])[]): HistoryOp {
    const invoke = this.history.invoke(process, "assign", { partitions });
    this.history.ok(process, { partitions });
    return invoke;
  }

  endOffsets(process: string, offsets: readonly (readonly [string, number, number])[]): HistoryOp {
    this.history.invoke(process, "end-offsets", {});
    return this.history.ok(process, { offsets });
  }
}

/** Records of one partition: `records("t", 0, [[0, "a"], [1, "b"]])`. */
export function records(topic: string, partition: number, entries: readonly (readonly [number, string])[]): PolledRecord[] {
  return entries.map(([offset, value]) => [topic, partition, offset, value] as const);
}
