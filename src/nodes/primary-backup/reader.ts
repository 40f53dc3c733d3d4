import type { Actor, Message, NodeContext, Timer } from "../../../sim/actor.js";
import { msToUs } from "../../../sim/time.js";
import { sendPb, type PbMessage } from "./messages.js";

export interface ReaderOptions {
  readonly primary: string;
  readonly readIntervalMs: number;
  readonly requestTimeoutMs: number;
}

/** Reads the committed log periodically; a read that gets no answer failed (reads change nothing). */
export class Reader implements Actor {
  private nextSeq = 0;
  private openSeq: number | undefined;
  private timeout: Timer | undefined;

  constructor(
    private readonly ctx: NodeContext,
    private readonly options: ReaderOptions,
  ) {}

  onStart(): void {
    this.ctx.after(msToUs(this.options.readIntervalMs), "read", () => this.read());
  }

  onMessage(_from: string, raw: Message): void {
    const message = raw as PbMessage;
    if (message.type === "ReadError" && message.reqSeq === this.openSeq) return this.fail(message.error);
    if (message.type !== "ReadResponse" || message.reqSeq !== this.openSeq) return;
    this.close();
    this.ctx.history.ok(this.ctx.id, { values: message.values });
  }

  onDisconnect(peer: string): void {
    if (peer === this.options.primary && this.openSeq !== undefined) this.fail("disconnected");
  }

  private read(): void {
    this.ctx.after(msToUs(this.options.readIntervalMs), "read", () => this.read());
    if (this.openSeq !== undefined) return;
    this.openSeq = this.nextSeq++;
    this.ctx.history.invoke(this.ctx.id, "read", null);
    sendPb(this.ctx, this.options.primary, { type: "Read", reqSeq: this.openSeq });
    this.timeout = this.ctx.after(msToUs(this.options.requestTimeoutMs), "read-timeout", () => this.fail("timeout"));
  }

  private fail(reason: string): void {
    this.close();
    this.ctx.history.fail(this.ctx.id, null, reason);
  }

  private close(): void {
    this.timeout?.cancel();
    this.timeout = undefined;
    this.openSeq = undefined;
  }
}
