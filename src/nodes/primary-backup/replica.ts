import type { Actor, Message, NodeContext } from "../../../sim/actor.js";
import type { DiskFile } from "../../../sim/disk.js";
import { msToUs } from "../../../sim/time.js";
import { PB_COVERAGE } from "./coverage.js";
import { PB_BUGS, sendPb, type LogEntry, type PbMessage } from "./messages.js";

export interface ReplicaOptions {
  readonly primary: string;
  readonly backups: readonly string[];
  /** How often the primary re-sends to backups that are behind. */
  readonly replicateRetryMs: number;
}

interface Waiter {
  readonly client: string;
  readonly reqSeq: number;
}

/** Read-only view of a replica, for invariants and liveness checks. */
export interface ReplicaView {
  readonly logLength: number;
  readonly commitIndex: number;
  valueAt(offset: number): string | undefined;
}

/**
 * One replica. The primary is fixed (no failover: the point is durability and retries, not
 * election). Its log is rebuilt from disk at every start; everything else is volatile.
 */
export class Replica implements Actor, ReplicaView {
  private readonly log: DiskFile<LogEntry>;
  private readonly index = new Map<string, number>();
  /** Per backup: how much of the primary's log it holds; undefined until it answered once. */
  private readonly match = new Map<string, number>();
  private readonly waiters = new Map<number, Waiter[]>();
  private commit = 0;
  /** What the last `partition.offsets` record said (see traceOffsets). */
  private tracedOffsets = "";

  constructor(
    private readonly ctx: NodeContext,
    private readonly options: ReplicaOptions,
  ) {
    this.log = ctx.disk.file<LogEntry>("log");
    this.log.entries.forEach((entry, offset) => this.index.set(indexKey(entry.client, entry.reqSeq), offset));
    if (this.isPrimary && ctx.incarnation > 0 && this.log.length > 0) ctx.assert.reachable(PB_COVERAGE.primaryRecoveredLog);
  }

  get isPrimary(): boolean {
    return this.ctx.id === this.options.primary;
  }

  get logLength(): number {
    return this.log.length;
  }

  get commitIndex(): number {
    return this.isPrimary ? this.commit : this.log.length;
  }

  valueAt(offset: number): string | undefined {
    return this.log.entries[offset]?.value;
  }

  onStart(): void {
    this.traceOffsets();
    if (!this.isPrimary) return;
    this.advanceCommit();
    this.replicateLoop();
  }

  onMessage(from: string, raw: Message): void {
    const message = raw as PbMessage;
    switch (message.type) {
      case "Append":
        return this.onAppend(from, message.reqSeq, message.value);
      case "Read":
        return this.onRead(from, message.reqSeq);
      case "Replicate":
        return this.onReplicate(from, message.offset, message.entries);
      case "ReplicateAck":
        return this.onReplicateAck(from, message.logEnd);
      case "AppendResponse":
      case "ReadResponse":
      case "ReadError":
        return;
    }
  }

  private onAppend(client: string, reqSeq: number, value: string): void {
    if (!this.isPrimary) return;
    const known = this.ctx.bugs.has(PB_BUGS.noDedup) ? undefined : this.index.get(indexKey(client, reqSeq));
    if (known !== undefined) {
      this.ctx.assert.reachable(PB_COVERAGE.retryFromIndex);
      return this.answerWhenCommitted(known, { client, reqSeq });
    }
    const offset = this.log.append({ value, client, reqSeq });
    if (!this.ctx.bugs.has(PB_BUGS.noFsyncBeforeAck)) this.log.flush();
    this.index.set(indexKey(client, reqSeq), offset);
    this.answerWhenCommitted(offset, { client, reqSeq });
    for (const backup of this.options.backups) this.replicateTo(backup);
    this.advanceCommit();
  }

  private onRead(client: string, reqSeq: number): void {
    if (!this.isPrimary) return;
    if (this.options.backups.some((backup) => !this.match.has(backup))) {
      this.ctx.assert.reachable(PB_COVERAGE.readWhileRecovering);
      return sendPb(this.ctx, client, { type: "ReadError", reqSeq, error: "RECOVERING" });
    }
    sendPb(this.ctx, client, { type: "ReadResponse", reqSeq, values: this.committedValues() });
  }

  private answerWhenCommitted(offset: number, waiter: Waiter): void {
    if (offset < this.commit) return this.answer(offset, waiter);
    const list = this.waiters.get(offset) ?? [];
    list.push(waiter);
    this.waiters.set(offset, list);
  }

  private answer(offset: number, waiter: Waiter): void {
    sendPb(this.ctx, waiter.client, { type: "AppendResponse", reqSeq: waiter.reqSeq, offset });
  }

  private onReplicate(primary: string, offset: number, entries: readonly LogEntry[]): void {
    if (offset > this.log.length) {
      this.ctx.assert.reachable(PB_COVERAGE.backupBehind);
      return sendPb(this.ctx, primary, { type: "ReplicateAck", logEnd: this.log.length });
    }
    entries.forEach((entry, i) => {
      const at = offset + i;
      const mine = this.log.entries[at];
      if (mine === undefined) this.log.append(entry);
      else this.ctx.assert.always(mine.value === entry.value, "replicas-agree", () => ({ offset: at, backup: mine.value, primary: entry.value }));
    });
    this.log.flush();
    this.traceOffsets();
    sendPb(this.ctx, primary, { type: "ReplicateAck", logEnd: this.log.length });
  }

  private onReplicateAck(backup: string, logEnd: number): void {
    if (!this.isPrimary) return;
    const previous = this.match.get(backup);
    this.match.set(backup, Math.min(logEnd, this.log.length));
    if (previous === undefined || logEnd > previous) this.replicateTo(backup);
    this.advanceCommit();
  }

  private replicateTo(backup: string): void {
    const from = this.match.get(backup) ?? this.log.length;
    if (this.match.has(backup) && from >= this.log.length) return;
    sendPb(this.ctx, backup, { type: "Replicate", offset: from, entries: this.log.entries.slice(from, from + 100) });
  }

  private replicateLoop(): void {
    for (const backup of this.options.backups) {
      const match = this.match.get(backup);
      if (match === undefined || match < this.log.length) this.replicateTo(backup);
    }
    this.ctx.after(msToUs(this.options.replicateRetryMs), "replicate", () => this.replicateLoop());
  }

  private advanceCommit(): void {
    let commit = this.log.length;
    for (const backup of this.options.backups) commit = Math.min(commit, this.match.get(backup) ?? 0);
    while (this.commit < commit) {
      const offset = this.commit++;
      for (const waiter of this.waiters.get(offset) ?? []) this.answer(offset, waiter);
      this.waiters.delete(offset);
    }
    this.traceOffsets();
  }

  /** For reports (record kinds: src/report/record-kinds.ts): log end and commit index, traced when either moves. */
  private traceOffsets(): void {
    const leo = this.log.length;
    const hw = this.commitIndex;
    if (this.tracedOffsets === `${leo}/${hw}`) return;
    this.tracedOffsets = `${leo}/${hw}`;
    this.ctx.trace("partition.offsets", { topic: "pb-log", partition: 0, leader: this.options.primary, leo, hw });
  }

  private committedValues(): string[] {
    return this.log.entries.slice(0, this.commitIndex).map((entry) => entry.value);
  }
}

function indexKey(client: string, reqSeq: number): string {
  return `${client}#${reqSeq}`;
}
