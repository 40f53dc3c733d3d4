import type { HistoryOp, HistoryReader } from "../../../sim/history.js";
import { Float64Column, Int32Column, StringIds } from "./columns.js";
import type { Ack, Observation, ReadPosition, Send, SendOutcome } from "./kafka-history.js";

/**
 * The folded sends and observations of a Kafka history, in columns, handed out as small view
 * objects (SendView, ObservationView) built when asked for. Ops are kept as indices and handed out
 * as handles (HistoryReader.ref).
 */

const OUTCOMES: readonly SendOutcome[] = ["ok", "fail", "info", "pending"];
const OUTCOME_CODES: Readonly<Record<SendOutcome, number>> = { ok: 0, fail: 1, info: 2, pending: 3 };
const NONE = -1;

export interface SendFields {
  readonly topic: string;
  readonly key: string | null;
  readonly value: string;
  readonly partition: number | undefined;
  readonly outcome: SendOutcome;
  readonly invokeIndex: number;
  /** -1 while pending. */
  readonly completionIndex: number;
  /** Only for a placed send (ok with a non-negative offset). */
  readonly offset: number | undefined;
}

export class SendTable {
  private readonly topics = new StringIds();
  private readonly keys = new StringIds();
  private readonly topicIds = new Int32Column();
  /** Key id, NONE for a null key. */
  private readonly keyIds = new Int32Column();
  private readonly values: string[] = [];
  /** NONE when unknown. */
  private readonly partitions = new Int32Column();
  private readonly outcomes = new Int32Column();
  private readonly invokes = new Int32Column();
  private readonly completions = new Int32Column();
  /** NaN unless placed. */
  private readonly offsets = new Float64Column();

  constructor(readonly history: HistoryReader) {}

  get length(): number {
    return this.values.length;
  }

  /** Adds a send; returns its index. */
  add(send: SendFields): number {
    this.topicIds.push(this.topics.idOf(send.topic));
    this.keyIds.push(send.key === null ? NONE : this.keys.idOf(send.key));
    this.values.push(send.value);
    this.partitions.push(send.partition ?? NONE);
    this.outcomes.push(OUTCOME_CODES[send.outcome]);
    this.invokes.push(send.invokeIndex);
    this.completions.push(send.completionIndex);
    return this.offsets.push(send.offset ?? NaN) ;
  }

  view = (index: number): SendView => new SendView(this, index);

  topicOf(index: number): string {
    return this.topics.at(this.topicIds.get(index));
  }

  keyOf(index: number): string | null {
    const id = this.keyIds.get(index);
    return id === NONE ? null : this.keys.at(id);
  }

  valueOf(index: number): string {
    return this.values[index] as string;
  }

  partitionOf(index: number): number | undefined {
    const partition = this.partitions.get(index);
    return partition === NONE ? undefined : partition;
  }

  outcomeOf(index: number): SendOutcome {
    return OUTCOMES[this.outcomes.get(index)] as SendOutcome;
  }

  invokeOf(index: number): number {
    return this.invokes.get(index);
  }

  completionOf(index: number): number {
    return this.completions.get(index);
  }

  offsetOf(index: number): number | undefined {
    const offset = this.offsets.get(index);
    return Number.isNaN(offset) ? undefined : offset;
  }
}

/** One send of a SendTable; a placed send is also its own Ack. */
export class SendView implements Send, Ack {
  constructor(
    private readonly table: SendTable,
    readonly index: number,
  ) {}

  get topic(): string {
    return this.table.topicOf(this.index);
  }

  get key(): string | null {
    return this.table.keyOf(this.index);
  }

  get value(): string {
    return this.table.valueOf(this.index);
  }

  get partition(): number | undefined {
    return this.table.partitionOf(this.index);
  }

  get outcome(): SendOutcome {
    return this.table.outcomeOf(this.index);
  }

  get invoke(): HistoryOp {
    return this.table.history.ref(this.table.invokeOf(this.index));
  }

  get completion(): HistoryOp | undefined {
    const completion = this.table.completionOf(this.index);
    return completion === NONE ? undefined : this.table.history.ref(completion);
  }

  /** Set only for an ok with a non-negative offset (so, as an Ack, always). */
  get offset(): number {
    return this.table.offsetOf(this.index) as number;
  }

  get send(): Send {
    return this;
  }

  get ok(): HistoryOp {
    return this.completion as HistoryOp;
  }
}

export class ObservationTable {
  private readonly processes = new StringIds();
  private readonly values: string[] = [];
  private readonly partitions = new Int32Column();
  private readonly offsets = new Float64Column();
  private readonly firsts = new Int32Column();
  private readonly readCounts = new Int32Column();
  private readonly committedFlags = new Int32Column();
  /** The first reader's process id. */
  private readonly readers = new Int32Column();
  /** Observation → every reader's process, for observations read by more than one. */
  private readonly moreReaders = new Map<number, string[]>();

  constructor(readonly history: HistoryReader) {}

  /** Adds the first read of `value` at (partition, offset), by the poll op `firstIndex`; returns its index. */
  add(value: string, partition: number, offset: number, firstIndex: number, process: string): number {
    this.values.push(value);
    this.partitions.push(partition);
    this.offsets.push(offset);
    this.firsts.push(firstIndex);
    this.readCounts.push(1);
    this.committedFlags.push(0);
    return this.readers.push(this.processes.idOf(process));
  }

  /** Counts one more read of observation `index`, by `process`. */
  readAgain(index: number, process: string): void {
    this.readCounts.set(index, this.readCounts.get(index) + 1);
    const more = this.moreReaders.get(index);
    if (more !== undefined) {
      if (!more.includes(process)) more.push(process);
      return;
    }
    const first = this.processes.at(this.readers.get(index));
    if (first !== process) this.moreReaders.set(index, [first, process]);
  }

  markCommitted(index: number): void {
    this.committedFlags.set(index, 1);
  }

  view = (index: number): ObservationView => new ObservationView(this, index);

  valueOf(index: number): string {
    return this.values[index] as string;
  }

  partitionOf(index: number): number {
    return this.partitions.get(index);
  }

  offsetOf(index: number): number {
    return this.offsets.get(index);
  }

  firstOf(index: number): number {
    return this.firsts.get(index);
  }

  readsOf(index: number): number {
    return this.readCounts.get(index);
  }

  committed(index: number): boolean {
    return this.committedFlags.get(index) === 1;
  }

  processesOf(index: number): readonly string[] {
    return this.moreReaders.get(index) ?? [this.processes.at(this.readers.get(index))];
  }
}

/** One observation of an ObservationTable; it is also its own ReadPosition. */
export class ObservationView implements Observation, ReadPosition {
  constructor(
    private readonly table: ObservationTable,
    readonly index: number,
  ) {}

  get value(): string {
    return this.table.valueOf(this.index);
  }

  get partition(): number {
    return this.table.partitionOf(this.index);
  }

  get offset(): number {
    return this.table.offsetOf(this.index);
  }

  get first(): HistoryOp {
    return this.table.history.ref(this.table.firstOf(this.index));
  }

  get processes(): readonly string[] {
    return this.table.processesOf(this.index);
  }

  get reads(): number {
    return this.table.readsOf(this.index);
  }

  get committed(): boolean {
    return this.table.committed(this.index);
  }

  get observation(): Observation {
    return this;
  }
}
