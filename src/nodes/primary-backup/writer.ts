import type { Actor, Message, NodeContext, Timer } from "../../../sim/actor.js";
import { msToUs } from "../../../sim/time.js";
import { PB_COVERAGE } from "./coverage.js";
import { sendPb, type PbMessage } from "./messages.js";

export interface WriterOptions {
  readonly primary: string;
  /** Mean rate of new appends while the workload runs. */
  readonly opsPerSec: number;
  readonly requestTimeoutMs: number;
  /** Retries of one append before its outcome is recorded as unknown (info). */
  readonly retries: number;
  readonly retryBackoffMs: number;
  /** Set by the test driver: when false, no new appends start (the open one still finishes). */
  readonly workload: { readonly active: boolean };
}

interface OpenAppend {
  readonly reqSeq: number;
  readonly value: string;
  attempts: number;
  timeout: Timer | undefined;
}

/**
 * Appends unique values (`<node>-<n>`) one at a time and records each in the history:
 * ok with the offset, or info when every retry timed out (it may or may not have been applied).
 */
export class Writer implements Actor {
  private nextSeq = 0;
  private open: OpenAppend | undefined;

  constructor(
    private readonly ctx: NodeContext,
    private readonly options: WriterOptions,
  ) {}

  onStart(): void {
    this.scheduleNext();
  }

  onMessage(_from: string, raw: Message): void {
    const message = raw as PbMessage;
    if (message.type !== "AppendResponse" || this.open?.reqSeq !== message.reqSeq) return;
    const { value, attempts } = this.open;
    this.ctx.assert.sometimes(attempts > 1, PB_COVERAGE.ackAfterRetries);
    this.finish();
    this.ctx.history.ok(this.ctx.id, { value, offset: message.offset });
    this.scheduleNext();
  }

  onDisconnect(peer: string): void {
    if (peer !== this.options.primary || this.open === undefined) return;
    this.ctx.assert.reachable(PB_COVERAGE.retryAfterDisconnect);
    this.retry("disconnected");
  }

  private scheduleNext(): void {
    const gapUs = Math.round(this.ctx.rng.exponential(1_000_000 / this.options.opsPerSec));
    this.ctx.after(gapUs, "next-append", () => this.startAppend());
  }

  private startAppend(): void {
    if (!this.options.workload.active || this.open !== undefined) return;
    const reqSeq = this.nextSeq++;
    const value = `${this.ctx.id}-${reqSeq}`;
    this.open = { reqSeq, value, attempts: 0, timeout: undefined };
    this.ctx.history.invoke(this.ctx.id, "append", { value });
    this.send();
  }

  private send(): void {
    const open = this.open;
    if (open === undefined) return;
    open.attempts++;
    sendPb(this.ctx, this.options.primary, { type: "Append", reqSeq: open.reqSeq, value: open.value });
    open.timeout = this.ctx.after(msToUs(this.options.requestTimeoutMs), "append-timeout", () => this.retry("timeout"));
  }

  private retry(reason: string): void {
    const open = this.open;
    if (open === undefined) return;
    open.timeout?.cancel();
    open.timeout = undefined;
    if (open.attempts > this.options.retries) {
      this.finish();
      this.ctx.history.info(this.ctx.id, { value: open.value }, reason);
      this.scheduleNext();
      return;
    }
    this.ctx.after(msToUs(this.options.retryBackoffMs), "append-retry", () => {
      if (this.open === open && open.timeout === undefined) this.send();
    });
  }

  private finish(): void {
    this.open?.timeout?.cancel();
    this.open = undefined;
  }
}
