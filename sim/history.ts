import type { SimTimeUs } from "./time.js";
import { ByteSink, ValueCodec } from "./value-codec.js";

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

/** Random access to a history's ops, each built when asked for: what checkers and reports read. */
export interface HistoryReader {
  readonly length: number;
  /** Op `index`, whole (its value decoded). */
  op(index: number): HistoryOp;
  /**
   * A handle on op `index` that reads each field when asked (the value is decoded on each read
   * of `value`): small, for keeping many ops around. Equal handles are not identical objects.
   */
  ref(index: number): HistoryOp;
}

/** A history, or its ops as an array (hand-made histories in tests). */
export type HistorySource = HistoryReader | readonly HistoryOp[];

/** Reads either form of history through one interface. */
export function historyReader(source: HistorySource): HistoryReader {
  if (!Array.isArray(source)) return source as HistoryReader;
  const ops = source as readonly HistoryOp[];
  const op = (index: number): HistoryOp => ops[index] as HistoryOp;
  return { length: ops.length, op, ref: op };
}

/** Op `index` of the history, or undefined when it has no such op. */
export function opAt(history: HistoryReader, index: number): HistoryOp | undefined {
  return Number.isInteger(index) && index >= 0 && index < history.length ? history.op(index) : undefined;
}

const TYPES: readonly OpType[] = ["invoke", "ok", "fail", "info"];
const TYPE_CODES: Readonly<Record<OpType, number>> = { invoke: 0, ok: 1, fail: 2, info: 3 };
const HAS_ERROR = 4;
const NAME_SHIFT = 3;
const BLOCK_SHIFT = 12;
const OPS_PER_BLOCK = 1 << BLOCK_SHIFT;
const NO_INVOKE = -1;

/**
 * The ops of one stretch of history in columns: a long run records about a million ops, and as
 * objects each costs several times what its fields do. A block's values are encoded one after
 * another in its own bytes, trimmed to size once the block is full.
 */
class OpBlock {
  /** Type code | HAS_ERROR | the f name's id << NAME_SHIFT. */
  readonly kinds = new Int32Array(OPS_PER_BLOCK);
  readonly processes = new Int32Array(OPS_PER_BLOCK);
  readonly traceIndices = new Int32Array(OPS_PER_BLOCK);
  readonly invokeIndices = new Int32Array(OPS_PER_BLOCK);
  readonly valueStarts = new Int32Array(OPS_PER_BLOCK);
  readonly times = new Float64Array(OPS_PER_BLOCK);
  sink: ByteSink | undefined;
  bytes: Uint8Array = new Uint8Array(0);

  /** `expectedBytes`: what the block's values will likely take (the previous block's, plus a margin). */
  constructor(expectedBytes: number) {
    this.sink = new ByteSink(expectedBytes);
  }

  get usedBytes(): number {
    return this.sink === undefined ? this.bytes.length : this.sink.length;
  }

  valueBytes(): Uint8Array {
    return this.sink === undefined ? this.bytes : this.sink.bytes;
  }

  /** Ends the block's writing; its bytes are trimmed to size unless little would be saved. */
  seal(): void {
    if (this.sink === undefined) return;
    const { bytes, length } = this.sink;
    this.bytes = bytes.length - length > bytes.length / 8 ? this.sink.trimmed() : bytes;
    this.sink = undefined;
  }
}

/** The value bytes a first block starts with; later blocks start with what the one before used. */
const FIRST_BLOCK_BYTES = OPS_PER_BLOCK * 16;

/**
 * The client-visible history of a run, in the order operations were observed. Listeners
 * (`listen`) see each op as it is recorded: a checker can fold the history during the run.
 *
 * Ops are stored in columns with their values in a compact binary form (sim/value-codec.ts), so
 * a value is a snapshot taken when it was recorded; `op(i)` builds op i afresh on each call
 * (compare ops by `index`, not by identity). `all()` builds them all: for small histories.
 */
export class History implements HistoryReader {
  private readonly blocks: OpBlock[] = [];
  private count = 0;
  private readonly codec = new ValueCodec();
  private readonly names: string[] = [];
  private readonly nameIds = new Map<string, number>();
  private readonly open = new Map<string, number>();
  private readonly listeners: HistoryListener[] = [];

  constructor(private readonly clock: HistoryClock) {}

  get length(): number {
    return this.count;
  }

  /** Op `index`, built from its columns (a new object on every call). */
  op(index: number): HistoryOp {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) throw new RangeError(`history: no op ${index} (the history has ${this.count})`);
    const block = this.blocks[index >>> BLOCK_SHIFT] as OpBlock;
    const slot = index & (OPS_PER_BLOCK - 1);
    const kind = block.kinds[slot] as number;
    const bytes = block.valueBytes();
    const value = this.codec.decode(bytes, block.valueStarts[slot] as number);
    const type = TYPES[kind & 3] as OpType;
    const process = this.names[block.processes[slot] as number] as string;
    const f = this.names[kind >>> NAME_SHIFT] as string;
    const traceIndex = block.traceIndices[slot] as number;
    const timeUs = block.times[slot] as number;
    if (type === "invoke") return { index, traceIndex, type, process, f, value, timeUs };
    const invokeIndex = block.invokeIndices[slot] as number;
    if ((kind & HAS_ERROR) === 0) return { index, traceIndex, type, process, f, value, timeUs, invokeIndex };
    const error = this.codec.decode(bytes, this.codec.decodedEnd) as string;
    return { index, traceIndex, type, process, f, value, timeUs, invokeIndex, error };
  }

  ref(index: number): HistoryOp {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) throw new RangeError(`history: no op ${index} (the history has ${this.count})`);
    return new OpRef(this, index);
  }

  /** Field `column` of op `index`, read without decoding its value (for OpRef). */
  field(index: number, column: "type" | "process" | "f" | "traceIndex" | "timeUs" | "invokeIndex"): string | number | undefined {
    const block = this.blocks[index >>> BLOCK_SHIFT] as OpBlock;
    const slot = index & (OPS_PER_BLOCK - 1);
    switch (column) {
      case "type":
        return TYPES[(block.kinds[slot] as number) & 3];
      case "process":
        return this.names[block.processes[slot] as number];
      case "f":
        return this.names[(block.kinds[slot] as number) >>> NAME_SHIFT];
      case "traceIndex":
        return block.traceIndices[slot];
      case "timeUs":
        return block.times[slot];
      case "invokeIndex": {
        const invokeIndex = block.invokeIndices[slot] as number;
        return invokeIndex === NO_INVOKE ? undefined : invokeIndex;
      }
    }
  }

  /** Every op, built: for tests and small histories (a long run's history is large as objects). */
  all(): HistoryOp[] {
    const out: HistoryOp[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.op(i));
    return out;
  }

  *[Symbol.iterator](): IterableIterator<HistoryOp> {
    for (let i = 0; i < this.count; i++) yield this.op(i);
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
    const op: MutableOp = { index: this.count, traceIndex: -1, type: "invoke", process, f, value, timeUs: this.clock.nowUs() };
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

  /** The processes with an operation still open, in the order of those operations' invokes. */
  openProcesses(): string[] {
    return [...this.open.keys()];
  }

  /** The invoke an op completes (or the op itself for an invoke). */
  invocationOf(op: HistoryOp): HistoryOp {
    return op.invokeIndex === undefined ? op : this.op(op.invokeIndex);
  }

  private complete(type: Exclude<OpType, "invoke">, process: string, value: unknown, error?: string): HistoryOp {
    const invokeIndex = this.open.get(process);
    if (invokeIndex === undefined) throw new Error(`history: process ${process} completed an operation it never invoked`);
    this.open.delete(process);
    const f = this.fOf(invokeIndex);
    const index = this.count;
    const timeUs = this.clock.nowUs();
    const op: MutableOp =
      error === undefined
        ? { index, traceIndex: -1, type, process, f, value, timeUs, invokeIndex }
        : { index, traceIndex: -1, type, process, f, value, timeUs, invokeIndex, error };
    this.append(op);
    return op;
  }

  private fOf(index: number): string {
    const block = this.blocks[index >>> BLOCK_SHIFT] as OpBlock;
    return this.names[(block.kinds[index & (OPS_PER_BLOCK - 1)] as number) >>> NAME_SHIFT] as string;
  }

  /** Traces the op (which sets its trace index), stores it and hands it to the listeners. */
  private append(op: MutableOp): void {
    op.traceIndex = this.clock.traceOp(op);
    this.store(op);
    for (let i = 0; i < this.listeners.length; i++) (this.listeners[i] as HistoryListener)(op);
  }

  private store(op: HistoryOp): void {
    const slot = this.count & (OPS_PER_BLOCK - 1);
    if (slot === 0) {
      const previous = this.blocks[this.blocks.length - 1];
      previous?.seal();
      const expected = previous === undefined ? FIRST_BLOCK_BYTES : previous.usedBytes + (previous.usedBytes >>> 4) + 64;
      this.blocks.push(new OpBlock(expected));
    }
    const block = this.blocks[this.blocks.length - 1] as OpBlock;
    const sink = block.sink as ByteSink;
    const hasError = op.error !== undefined;
    if (op.traceIndex > 0x7fffffff) throw new RangeError(`history: trace index ${op.traceIndex} does not fit the history's 32-bit column`);
    block.kinds[slot] = TYPE_CODES[op.type] | (hasError ? HAS_ERROR : 0) | (this.nameId(op.f) << NAME_SHIFT);
    block.processes[slot] = this.nameId(op.process);
    block.traceIndices[slot] = op.traceIndex;
    block.invokeIndices[slot] = op.invokeIndex ?? NO_INVOKE;
    block.times[slot] = op.timeUs;
    block.valueStarts[slot] = sink.length;
    this.codec.encode(op.value, sink);
    if (hasError) this.codec.encode(op.error, sink);
    this.count++;
  }

  private nameId(name: string): number {
    let id = this.nameIds.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.nameIds.set(name, id);
    }
    return id;
  }
}

/** A handle on one op of a History: two fields, each op field read from the columns when asked. */
class OpRef implements HistoryOp {
  constructor(
    private readonly history: History,
    readonly index: number,
  ) {}

  get type(): OpType {
    return this.history.field(this.index, "type") as OpType;
  }

  get process(): string {
    return this.history.field(this.index, "process") as string;
  }

  get f(): string {
    return this.history.field(this.index, "f") as string;
  }

  get traceIndex(): number {
    return this.history.field(this.index, "traceIndex") as number;
  }

  get timeUs(): SimTimeUs {
    return this.history.field(this.index, "timeUs") as number;
  }

  get invokeIndex(): number | undefined {
    return this.history.field(this.index, "invokeIndex") as number | undefined;
  }

  get value(): unknown {
    return this.history.op(this.index).value;
  }

  get error(): string | undefined {
    return this.history.op(this.index).error;
  }

  /** The whole op, as `op(index)` gives it (JSON output, test comparisons). */
  toJSON(): HistoryOp {
    return this.history.op(this.index);
  }
}

type MutableOp = { -readonly [K in keyof HistoryOp]: HistoryOp[K] };
