/**
 * Messages of the primary-backup log: a small replicated protocol that exercises the kernel,
 * network and faults before the Kafka actors exist. Clients append unique values to the
 * primary, which replicates to every backup before acknowledging; reads see committed entries.
 */
export interface LogEntry {
  readonly value: string;
  readonly client: string;
  readonly reqSeq: number;
}

export type PbMessage =
  | { readonly type: "Append"; readonly reqSeq: number; readonly value: string }
  | { readonly type: "AppendResponse"; readonly reqSeq: number; readonly offset: number }
  | { readonly type: "Read"; readonly reqSeq: number }
  | { readonly type: "ReadResponse"; readonly reqSeq: number; readonly values: readonly string[] }
  /** A restarted primary does not know what was committed until every backup has answered. */
  | { readonly type: "ReadError"; readonly reqSeq: number; readonly error: "RECOVERING" }
  | { readonly type: "Replicate"; readonly offset: number; readonly entries: readonly LogEntry[] }
  | { readonly type: "ReplicateAck"; readonly logEnd: number };

export const PB_BUGS = {
  /** The primary appends a retried Append again instead of answering from its index. */
  noDedup: "no-dedup",
  /** The primary acknowledges without fsyncing its log: a crash that loses the page cache loses acknowledged writes. */
  noFsyncBeforeAck: "no-fsync-before-ack",
} as const;

/** Typed send: the kernel's `send` takes any Message. */
export function sendPb(ctx: { send(to: string, message: PbMessage): void }, to: string, message: PbMessage): void {
  ctx.send(to, message);
}
