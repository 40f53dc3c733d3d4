import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, type TopicPartition } from "../protocol.js";
import { TXN_BUGS } from "./bugs.js";
import type { TxnCoordinatorConfig } from "./config.js";
import { coordinatorErrorForAppend, type TxnError } from "./errors.js";
import { markerErrorAction, markerWorkFor, type MarkerPartitionResult, type TxnMarkerWork } from "./markers.js";
import {
  GROUP_METADATA_TOPIC,
  supportsEpochBump,
  type AddOffsetsToTxnParams,
  type AddPartitionsToTxnParams,
  type EndTxnParams,
  type InitProducerIdParams,
  type TransactionResult,
  type TransactionVersion,
  type TxnReply,
} from "./protocol.js";
import type { TransactionStateCache } from "./state-cache.js";
import { loadPartition, partitionFor, transactionLogRecord, transactionLogTombstone, type TransactionLogRecord } from "./transaction-log.js";
import { containsAll, IllegalTxnStateError, normalizePartitions, TransactionMetadata, type TxnTransitMetadata } from "./transaction-metadata.js";

/**
 * The transaction coordinator's request handling (Kafka's TransactionCoordinator, 4.x, without
 * KIP-939 two-phase commit), as deterministic functions with no I/O, timers or network: each
 * handler reads the cache, prepares at most one transition and returns a decision — answer now,
 * or append this record to `__transaction_state` (acks=all) and call `onAppendCompleted` with
 * the append's error, which completes the transition and says what to answer and which markers
 * to send. Like Kafka's, the handlers mutate the metadata only through its two-phase protocol
 * (plus the few in-place writes Kafka makes: a TV1 fence epoch, `hasFailedEpochFence`, marker
 * acknowledgements).
 *
 * What the coordinator actor (coordinator.ts, with marker-channel.ts) does with these functions:
 * 1. On leading a `__transaction_state` partition: `cache.startLoading(p, leaderEpoch)`, read the
 *    partition from its start to its end, `onPartitionLoaded`, send the markers it returns. On
 *    losing it: `cache.unload(p)` and drop that partition's marker queues.
 * 2. On a request: call its handler; for an append, write `toKafkaRecord(append.record)` to
 *    `append.partition` with acks=all (acks=1 under `txn-log-acks-1`) within `append.timeoutMs`,
 *    then `onAppendCompleted`: answer, start the markers, or re-append `retry` later.
 * 3. Markers: group by the current partition leader, send WriteTxnMarkers, feed each response to
 *    `onMarkersWritten` (resend, abandon, or append the Complete* record).
 * 4. Timers: `abortTimedOutTransactions` every abortTimedOutTransactionsIntervalMs and
 *    `expireTransactionalIds` every removeExpiredTransactionalIdsIntervalMs (then
 *    `onTombstonesAppended`), both against the host's own wall clock (skew matters).
 * 5. Producer ids come from the broker's block; cap the client's transaction version at the
 *    cluster's; an `IllegalTxnStateError` is a model assertion failure; after
 *    NOT_ENOUGH_REPLICAS_AFTER_APPEND the record may be in the log although the append failed.
 */

/** Where the coordinator gets new producer ids (a block from the controller, KIP-730). */
export interface ProducerIdGenerator {
  /** The next id, or undefined while no block is available (Kafka: COORDINATOR_LOAD_IN_PROGRESS). */
  generateProducerId(): number | undefined;
}

export interface TxnCoordinatorContext {
  /** The coordinator host's wall clock. */
  readonly nowMs: number;
  readonly config: TxnCoordinatorConfig;
  readonly bugs: ReadonlySet<string>;
  readonly producerIds: ProducerIdGenerator;
}

/** An append to `__transaction_state` the actor must perform with acks=all, then report back. */
export interface TxnLogAppend {
  readonly transactionalId: string;
  /** The `__transaction_state` partition. */
  readonly partition: number;
  /** The coordinator epoch the transition was prepared under. */
  readonly coordinatorEpoch: number;
  readonly transit: TxnTransitMetadata;
  readonly record: TransactionLogRecord;
  /** Kafka uses the transaction's timeout as the append's timeout. */
  readonly timeoutMs: number;
  readonly then: AfterAppend;
}

/** What the coordinator does once the append returns. */
export type AfterAppend =
  | { readonly kind: "init-producer-id" }
  | { readonly kind: "add-partitions"; readonly api: "AddPartitionsToTxn" | "AddOffsetsToTxn"; readonly partitions: readonly TopicPartition[] }
  | {
      readonly kind: "end-txn";
      readonly result: TransactionResult;
      /** The producer id and epoch the (client or internal) request carried. */
      readonly producerId: number;
      readonly producerEpoch: number;
      /** The abort of an Ongoing transaction that fences its producer (InitProducerId or timeout). */
      readonly isEpochFence: boolean;
      /** Which of Kafka's two EndTxn paths prepared it: TV1 (endTransactionWithTV1) or TV2. */
      readonly path: "tv1" | "tv2";
      /** Who hears the outcome: the EndTxn client, the InitProducerId client (fence), or nobody (timeout). */
      readonly replyTo: "EndTxn" | "InitProducerId" | "none";
      /** A bug switch withheld the TV2 epoch bump of this Prepare*. */
      readonly suppressedEpochBump: boolean;
    }
  | { readonly kind: "complete-txn"; readonly work: TxnMarkerWork };

export type TxnDecision = { readonly kind: "reply"; readonly reply: TxnReply } | { readonly kind: "append"; readonly append: TxnLogAppend };

export interface AppendCompletion {
  /** The outcome of the append as the coordinator sees it (after Kafka's error mapping). */
  readonly error: TxnError;
  /** The answer to the request that caused the append, if someone is waiting for it. */
  readonly reply?: TxnReply;
  /** Start sending these markers (EndTxn: right after answering the client). */
  readonly markers?: TxnMarkerWork;
  /** Append this again (a Complete* append that failed with COORDINATOR_NOT_AVAILABLE). */
  readonly retry?: TxnLogAppend;
}

// ── InitProducerId ─────────────────────────────────────────────────────────────────────

/** facts §1.2, request by request. */
export function handleInitProducerId(cache: TransactionStateCache, request: InitProducerIdParams, ctx: TxnCoordinatorContext): TxnDecision {
  // KafkaApis: a producer id without an epoch (or the reverse) is malformed.
  const hasId = request.producerId !== NO_PRODUCER_ID;
  const hasEpoch = request.producerEpoch !== NO_PRODUCER_EPOCH;
  if (hasId !== hasEpoch) return initReply("INVALID_REQUEST");
  const expected = hasId ? { producerId: request.producerId, producerEpoch: request.producerEpoch } : undefined;

  if (request.transactionalId === null) {
    // Idempotent producer: a fresh id at epoch 0; the coordinator keeps no state.
    const producerId = ctx.producerIds.generateProducerId();
    return producerId === undefined ? initReply("COORDINATOR_LOAD_IN_PROGRESS") : initReply("NONE", producerId, 0);
  }
  const transactionalId = request.transactionalId;
  if (transactionalId === "") return initReply("INVALID_REQUEST");
  if (!validTransactionTimeout(request.transactionTimeoutMs, ctx.config)) return initReply("INVALID_TRANSACTION_TIMEOUT");

  let lookup = cache.get(transactionalId);
  if (!lookup.ok) return initReply(lookup.error);
  if (lookup.metadata === undefined) {
    // First use: epoch -1, so that the first bump yields epoch 0. Cached before the append.
    const producerId = ctx.producerIds.generateProducerId();
    if (producerId === undefined) return initReply("COORDINATOR_LOAD_IN_PROGRESS");
    lookup = cache.putIfNotExists(
      new TransactionMetadata({
        transactionalId,
        producerId,
        producerEpoch: NO_PRODUCER_EPOCH,
        txnTimeoutMs: request.transactionTimeoutMs,
        state: "Empty",
        txnLastUpdateTimestamp: ctx.nowMs,
        clientTransactionVersion: 0,
        maxProducerEpoch: ctx.config.maxProducerEpoch,
      }),
    );
    if (!lookup.ok) return initReply(lookup.error);
  }
  const metadata = lookup.metadata as TransactionMetadata;
  const prepared = prepareInitProducerIdTransit(metadata, request.transactionTimeoutMs, expected, ctx);
  if (typeof prepared === "string") return initReply(prepared);

  if (prepared.txnState === "PrepareEpochFence") {
    // Abort the ongoing transaction with the fence epoch; the client then gets
    // CONCURRENT_TRANSACTIONS and retries, which bumps the epoch once more.
    return endTransaction(
      cache,
      {
        transactionalId,
        producerId: prepared.producerId,
        producerEpoch: prepared.producerEpoch,
        result: "ABORT",
        isFromClient: false,
        // Not from the client: the cluster's transaction version decides.
        transactionVersion: ctx.config.transactionVersion,
        replyTo: "InitProducerId",
        suppressEpochBump: false,
      },
      ctx,
    );
  }
  return appendDecision(transactionalId, lookup.coordinatorEpoch, prepared, { kind: "init-producer-id" }, cache, ctx);
}

function prepareInitProducerIdTransit(
  metadata: TransactionMetadata,
  transactionTimeoutMs: number,
  expected: { readonly producerId: number; readonly producerEpoch: number } | undefined,
  ctx: TxnCoordinatorContext,
): TxnTransitMetadata | TxnError {
  if (metadata.pendingTransitionInProgress) return "CONCURRENT_TRANSACTIONS";
  // KIP-360: the producer's current pair must still be this id's (or a retry after rotation).
  if (
    expected !== undefined &&
    !(
      metadata.producerEpoch === NO_PRODUCER_EPOCH ||
      expected.producerId === metadata.producerId ||
      (expected.producerId === metadata.previousProducerId && metadata.isEpochExhausted(expected.producerEpoch))
    )
  ) {
    return "PRODUCER_FENCED";
  }
  switch (metadata.state) {
    case "PrepareAbort":
    case "PrepareCommit":
      return "CONCURRENT_TRANSACTIONS";
    case "CompleteAbort":
    case "CompleteCommit":
    case "Empty":
      try {
        if (metadata.isProducerEpochExhausted && (expected === undefined || expected.producerEpoch === metadata.producerEpoch)) {
          const newProducerId = ctx.producerIds.generateProducerId();
          if (newProducerId === undefined) return "COORDINATOR_LOAD_IN_PROGRESS";
          return metadata.prepareProducerIdRotation(newProducerId, transactionTimeoutMs, ctx.nowMs, expected !== undefined);
        }
        return metadata.prepareIncrementProducerEpoch(transactionTimeoutMs, expected?.producerEpoch, ctx.nowMs);
      } catch (e) {
        // Kafka 4.x maps exceptions here with Errors.forException: IllegalState → UNKNOWN_SERVER_ERROR.
        if (e instanceof IllegalTxnStateError) return "UNKNOWN_SERVER_ERROR";
        throw e;
      }
    case "Ongoing":
      return metadata.prepareFenceProducerEpoch();
    case "Dead":
    case "PrepareEpochFence":
      throw new IllegalTxnStateError(`Found transactionalId ${metadata.transactionalId} with state ${metadata.state}. This is illegal as we should never have transitioned to this state.`);
  }
}

/** TransactionStateManager.validateTransactionTimeoutMs. */
export function validTransactionTimeout(txnTimeoutMs: number, config: TxnCoordinatorConfig): boolean {
  return txnTimeoutMs > 0 && txnTimeoutMs <= config.transactionMaxTimeoutMs;
}

// ── AddPartitionsToTxn / AddOffsetsToTxn / verification ─────────────────────────────────

/** facts §1.3 (explicit and TV2 implicit adds) and §1.7 (verify-only requests). */
export function handleAddPartitionsToTxn(cache: TransactionStateCache, request: AddPartitionsToTxnParams, ctx: TxnCoordinatorContext): TxnDecision {
  if (request.verifyOnly) return { kind: "reply", reply: verifyPartitionsInTransaction(cache, request) };
  return addPartitions(cache, request, request.partitions, "AddPartitionsToTxn", ctx);
}

/** AddOffsetsToTxn: the group's `__consumer_offsets` partition joins the transaction. */
export function handleAddOffsetsToTxn(cache: TransactionStateCache, request: AddOffsetsToTxnParams, ctx: TxnCoordinatorContext): TxnDecision {
  const offsetsPartition = { topic: GROUP_METADATA_TOPIC, partition: partitionFor(request.groupId, ctx.config.offsetsTopicPartitions) };
  return addPartitions(cache, request, [offsetsPartition], "AddOffsetsToTxn", ctx);
}

function addPartitions(
  cache: TransactionStateCache,
  request: Omit<AddPartitionsToTxnParams, "verifyOnly" | "partitions">,
  rawPartitions: readonly TopicPartition[],
  api: "AddPartitionsToTxn" | "AddOffsetsToTxn",
  ctx: TxnCoordinatorContext,
): TxnDecision {
  const partitions = normalizePartitions(rawPartitions);
  const reply = (error: TxnError): TxnDecision => ({ kind: "reply", reply: addPartitionsReply(api, partitions, error) });
  if (request.transactionalId === null || request.transactionalId === "") return reply("INVALID_REQUEST");
  const lookup = cache.get(request.transactionalId);
  if (!lookup.ok) return reply(lookup.error);
  const metadata = lookup.metadata;
  if (metadata === undefined) return reply("INVALID_PRODUCER_ID_MAPPING");
  // Pending first (KAFKA-18660): over a TV2 overflow the producer may already use the new id.
  if (metadata.pendingTransitionInProgress) return reply("CONCURRENT_TRANSACTIONS");
  if (metadata.producerId !== request.producerId) return reply("INVALID_PRODUCER_ID_MAPPING");
  if (metadata.producerEpoch !== request.producerEpoch) return reply("PRODUCER_FENCED");
  if (metadata.state === "PrepareCommit" || metadata.state === "PrepareAbort") return reply("CONCURRENT_TRANSACTIONS");
  // Already in the transaction: answer at once, without a log write.
  if (metadata.state === "Ongoing" && containsAll(metadata.topicPartitions, partitions)) return reply("NONE");
  const transit = metadata.prepareAddPartitions(partitions, ctx.nowMs, request.transactionVersion);
  return appendDecision(request.transactionalId, lookup.coordinatorEpoch, transit, { kind: "add-partitions", api, partitions }, cache, ctx);
}

/**
 * KIP-890 part 1: a partition leader asks whether the partitions of a first transactional
 * append are in the transaction. Pending transitions are not checked (the append re-validates).
 */
function verifyPartitionsInTransaction(cache: TransactionStateCache, request: AddPartitionsToTxnParams): TxnReply {
  const partitions = normalizePartitions(request.partitions);
  const all = (error: TxnError): TxnReply => addPartitionsReply("AddPartitionsToTxn", partitions, error);
  if (request.transactionalId === null || request.transactionalId === "") return all("INVALID_REQUEST");
  const lookup = cache.get(request.transactionalId);
  if (!lookup.ok) return all(lookup.error);
  const metadata = lookup.metadata;
  if (metadata === undefined || metadata.producerId !== request.producerId) return all("INVALID_PRODUCER_ID_MAPPING");
  if (metadata.producerEpoch !== request.producerEpoch) return all("PRODUCER_FENCED");
  if (metadata.state === "PrepareCommit" || metadata.state === "PrepareAbort") return all("CONCURRENT_TRANSACTIONS");
  return {
    api: "AddPartitionsToTxn",
    results: partitions.map((p) => ({ ...p, error: containsAll(metadata.topicPartitions, [p]) ? "NONE" : "TRANSACTION_ABORTABLE" })),
  };
}

function addPartitionsReply(api: "AddPartitionsToTxn" | "AddOffsetsToTxn", partitions: readonly TopicPartition[], error: TxnError): TxnReply {
  return api === "AddOffsetsToTxn" ? { api, error } : { api, results: partitions.map((p) => ({ topic: p.topic, partition: p.partition, error })) };
}

// ── EndTxn ─────────────────────────────────────────────────────────────────────────────

/** facts §1.3 (TV1) and §1.7 (TV2: epoch bump per transaction, retries by epoch). */
export function handleEndTxn(cache: TransactionStateCache, request: EndTxnParams, ctx: TxnCoordinatorContext): TxnDecision {
  return endTransaction(cache, { ...request, isFromClient: true, replyTo: "EndTxn", suppressEpochBump: false }, ctx);
}

interface EndTransactionArgs {
  readonly transactionalId: string | null;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly result: TransactionResult;
  readonly isFromClient: boolean;
  readonly transactionVersion: TransactionVersion;
  readonly replyTo: "EndTxn" | "InitProducerId" | "none";
  /** `no-fence-on-timeout`: the timeout abort keeps the epoch, even under TV2. */
  readonly suppressEpochBump: boolean;
}

function endTransaction(cache: TransactionStateCache, args: EndTransactionArgs, ctx: TxnCoordinatorContext): TxnDecision {
  const v2 = supportsEpochBump(args.transactionVersion);
  const reply = (error: TxnError, producerId = NO_PRODUCER_ID, producerEpoch = NO_PRODUCER_EPOCH): TxnDecision => ({
    kind: "reply",
    reply: args.replyTo === "InitProducerId" ? { api: "InitProducerId", error, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH } : { api: "EndTxn", error, producerId, producerEpoch },
  });
  if (args.transactionalId === null || args.transactionalId === "") return reply("INVALID_REQUEST");
  const lookup = cache.get(args.transactionalId);
  if (!lookup.ok) return reply(lookup.error);
  const metadata = lookup.metadata;
  if (metadata === undefined) return reply("INVALID_PRODUCER_ID_MAPPING");

  const noBumpPerTxn = ctx.bugs.has(TXN_BUGS.noEpochBumpPerTxn);
  // Under `no-epoch-bump-per-txn` a fence still fences, the TV1 way (its epoch written in place).
  const useTv1 = !v2 || (noBumpPerTxn && metadata.pendingState === "PrepareEpochFence");
  const outcome = useTv1 ? endTransactionTv1(metadata, args, ctx) : endTransactionTv2(metadata, args, noBumpPerTxn, ctx);
  if (outcome.kind === "reply") {
    // A retry answered from the state: TV2 hands back the current id and epoch (not under
    // `no-epoch-bump-per-txn`, which answers like EndTxn v4 so the client keeps its sequences).
    return outcome.error === "NONE" && !useTv1 && !noBumpPerTxn ? reply("NONE", metadata.producerId, metadata.producerEpoch) : reply(outcome.error);
  }
  return appendDecision(
    args.transactionalId,
    lookup.coordinatorEpoch,
    outcome.transit,
    {
      kind: "end-txn",
      result: args.result,
      producerId: args.producerId,
      producerEpoch: args.producerEpoch,
      isEpochFence: outcome.isEpochFence,
      path: useTv1 ? "tv1" : "tv2",
      replyTo: args.replyTo,
      suppressedEpochBump: outcome.suppressedEpochBump,
    },
    cache,
    ctx,
  );
}

type EndTxnOutcome =
  | { readonly kind: "reply"; readonly error: TxnError }
  | { readonly kind: "append"; readonly transit: TxnTransitMetadata; readonly isEpochFence: boolean; readonly suppressedEpochBump: boolean };

/** Kafka's endTransactionWithTV1: strict epoch equality for clients (KAFKA-9600), no bump. */
function endTransactionTv1(metadata: TransactionMetadata, args: EndTransactionArgs, ctx: TxnCoordinatorContext): EndTxnOutcome {
  const error = (e: TxnError): EndTxnOutcome => ({ kind: "reply", error: e });
  if (metadata.producerId !== args.producerId) return error("INVALID_PRODUCER_ID_MAPPING");
  if ((args.isFromClient && args.producerEpoch !== metadata.producerEpoch) || args.producerEpoch < metadata.producerEpoch) return error("PRODUCER_FENCED");
  if (metadata.pendingTransitionInProgress && metadata.pendingState !== "PrepareEpochFence") return error("CONCURRENT_TRANSACTIONS");
  const commit = args.result === "COMMIT";
  switch (metadata.state) {
    case "Ongoing": {
      const nextState = commit ? "PrepareCommit" : "PrepareAbort";
      const isEpochFence = nextState === "PrepareAbort" && metadata.pendingState === "PrepareEpochFence";
      // The fence epoch goes straight into the metadata (it stays there if the append fails).
      if (isEpochFence) metadata.applyFenceEpochInPlace(args.producerEpoch);
      const transit = metadata.prepareAbortOrCommit(nextState, 0, NO_PRODUCER_ID, ctx.nowMs, false);
      return { kind: "append", transit, isEpochFence, suppressedEpochBump: false };
    }
    case "CompleteCommit":
      return error(commit ? "NONE" : "INVALID_TXN_STATE");
    case "CompleteAbort":
      return error(commit ? "INVALID_TXN_STATE" : "NONE");
    case "PrepareCommit":
      return error(commit ? "CONCURRENT_TRANSACTIONS" : "INVALID_TXN_STATE");
    case "PrepareAbort":
      return error(commit ? "INVALID_TXN_STATE" : "CONCURRENT_TRANSACTIONS");
    case "Empty":
      return error("INVALID_TXN_STATE");
    case "Dead":
    case "PrepareEpochFence":
      throw new IllegalTxnStateError(`Found transactionalId ${metadata.transactionalId} with state ${metadata.state}. This is illegal as we should never have transitioned to this state.`);
  }
}

/**
 * Kafka's TV2 endTransaction. Each Prepare* bumps the epoch, so a retry is recognised by
 * `stored == request + 1` (or, across a producer-id rotation, by `previousProducerId`), and a
 * request at the stored epoch is the next transaction's. Retry table for Empty / Complete*:
 *
 *   |                | Abort: retry | Abort: current | Commit: retry | Commit: current |
 *   | Empty          | FENCED       | bump           | FENCED        | INVALID_TXN_STATE |
 *   | CompleteAbort  | NONE         | bump           | FENCED (KAFKA-20785) | INVALID_TXN_STATE |
 *   | CompleteCommit | INVALID_TXN_STATE | bump      | NONE          | INVALID_TXN_STATE |
 *
 * With `no-epoch-bump-per-txn` nothing is bumped, so retries cannot be told from the next
 * transaction: any request must carry the stored epoch, and Complete* with the same result is
 * taken for a retry (the TV1 rule).
 */
function endTransactionTv2(metadata: TransactionMetadata, args: EndTransactionArgs, noBumpPerTxn: boolean, ctx: TxnCoordinatorContext): EndTxnOutcome {
  const error = (e: TxnError): EndTxnOutcome => ({ kind: "reply", error: e });
  const commit = args.result === "COMMIT";
  const isEpochFence = metadata.pendingState === "PrepareEpochFence";
  const suppressBump = noBumpPerTxn || args.suppressEpochBump;

  let retryOnOverflow = false;
  let retryOnEpochBump = false;
  let isValidEpoch: boolean;
  if (isEpochFence) {
    isValidEpoch = (!args.isFromClient || args.producerEpoch === metadata.producerEpoch) && args.producerEpoch >= metadata.producerEpoch;
  } else if (noBumpPerTxn) {
    isValidEpoch = args.producerEpoch === metadata.producerEpoch;
  } else {
    retryOnOverflow = metadata.previousProducerId === args.producerId && args.producerEpoch === metadata.maxProducerEpoch - 1 && metadata.producerEpoch === 0;
    retryOnEpochBump = metadata.producerEpoch === args.producerEpoch + 1;
    switch (metadata.state) {
      case "Ongoing":
      case "Empty":
      case "Dead":
      case "PrepareEpochFence":
        isValidEpoch = args.producerEpoch === metadata.producerEpoch;
        break;
      case "PrepareCommit":
      case "PrepareAbort":
        isValidEpoch = retryOnEpochBump;
        break;
      case "CompleteCommit":
      case "CompleteAbort":
        isValidEpoch = retryOnEpochBump || retryOnOverflow || args.producerEpoch === metadata.producerEpoch;
        break;
    }
  }
  const isRetry = noBumpPerTxn
    ? (metadata.state === "CompleteCommit" && commit) || (metadata.state === "CompleteAbort" && !commit)
    : retryOnEpochBump || retryOnOverflow;

  const prepare = (nextState: "PrepareCommit" | "PrepareAbort", noPartitionAdded: boolean): EndTxnOutcome => {
    // An exhausted epoch: the Prepare* takes the last epoch and names the id Complete* switches
    // to (since KAFKA-20090 also on the fence path).
    let nextProducerId = NO_PRODUCER_ID;
    let allocationFailed = false;
    if (metadata.isProducerEpochExhausted && !suppressBump) {
      const generated = ctx.producerIds.generateProducerId();
      if (generated === undefined) allocationFailed = true;
      else nextProducerId = generated;
    }
    // The fence's pending state makes way for PrepareAbort. Under TV2 the epoch is not raised in
    // place: the abort's own bump is the fence (KAFKA-19367: no double bump).
    if (nextState === "PrepareAbort" && isEpochFence) metadata.clearPendingState();
    if (allocationFailed) return error("COORDINATOR_LOAD_IN_PROGRESS");
    const transit = metadata.prepareAbortOrCommit(nextState, args.transactionVersion, nextProducerId, ctx.nowMs, noPartitionAdded, suppressBump);
    return { kind: "append", transit, isEpochFence, suppressedEpochBump: suppressBump };
  };

  if (metadata.producerId !== args.producerId && !retryOnOverflow) return error("INVALID_PRODUCER_ID_MAPPING");
  // Pending before the epoch (KAFKA-18464): a new transaction's abort must not fence itself
  // while the previous one completes.
  if (metadata.pendingTransitionInProgress && metadata.pendingState !== "PrepareEpochFence") return error("CONCURRENT_TRANSACTIONS");
  if (!isValidEpoch) return error("PRODUCER_FENCED");
  switch (metadata.state) {
    case "Ongoing":
      return prepare(commit ? "PrepareCommit" : "PrepareAbort", false);
    case "CompleteCommit":
      if (commit) return error(isRetry ? "NONE" : "INVALID_TXN_STATE");
      return isRetry ? error("INVALID_TXN_STATE") : prepare("PrepareAbort", true);
    case "CompleteAbort":
      if (!commit) return isRetry ? error("NONE") : prepare("PrepareAbort", true);
      // KAFKA-20785: a commit at a retry epoch met a coordinator-side abort: fenced, not fatal.
      return error(isRetry && !noBumpPerTxn && !ctx.bugs.has(TXN_BUGS.fatalCommitAfterTimeout) ? "PRODUCER_FENCED" : "INVALID_TXN_STATE");
    case "PrepareCommit":
      return error(commit ? "CONCURRENT_TRANSACTIONS" : "INVALID_TXN_STATE");
    case "PrepareAbort":
      return error(commit ? "INVALID_TXN_STATE" : "CONCURRENT_TRANSACTIONS");
    case "Empty":
      return commit ? error("INVALID_TXN_STATE") : prepare("PrepareAbort", true);
    case "Dead":
    case "PrepareEpochFence":
      throw new IllegalTxnStateError(`Found transactionalId ${metadata.transactionalId} with state ${metadata.state}. This is illegal as we should never have transitioned to this state.`);
  }
}

// ── Completing an append ───────────────────────────────────────────────────────────────

/**
 * The append of `append.record` returned `appendError` (NONE on success): Kafka's
 * appendTransactionToLog callback, then the handler's own callback. On success the transition
 * is installed — unless the coordinator moved meanwhile (NOT_COORDINATOR). On failure the
 * pending state is cleared (a Complete* append that may be retried keeps it).
 */
export function onAppendCompleted(cache: TransactionStateCache, append: TxnLogAppend, appendError: TxnError, ctx: TxnCoordinatorContext): AppendCompletion {
  let error = appendError === "NONE" ? "NONE" : coordinatorErrorForAppend(appendError);
  const retryOnError = append.then.kind === "complete-txn" && error === "COORDINATOR_NOT_AVAILABLE";
  const lookup = cache.get(append.transactionalId);
  if (error === "NONE") {
    if (!lookup.ok) error = lookup.error;
    else if (lookup.metadata === undefined || lookup.coordinatorEpoch !== append.coordinatorEpoch) error = "NOT_COORDINATOR";
    else lookup.metadata.completeTransitionTo(append.transit);
  } else if (lookup.ok && lookup.metadata !== undefined && lookup.coordinatorEpoch === append.coordinatorEpoch && !retryOnError) {
    lookup.metadata.clearPendingState();
  }

  const then = append.then;
  switch (then.kind) {
    case "init-producer-id":
      return error === "NONE" ? { error, reply: initReply("NONE", append.transit.producerId, append.transit.producerEpoch).reply } : { error, reply: initReply(error).reply };
    case "add-partitions":
      return { error, reply: addPartitionsReply(then.api, then.partitions, error) };
    case "end-txn":
      return afterEndTxnAppend(cache, append, then, error, ctx);
    case "complete-txn":
      if (error === "NONE" || error === "NOT_COORDINATOR" || error === "COORDINATOR_LOAD_IN_PROGRESS") return { error };
      if (error === "COORDINATOR_NOT_AVAILABLE") return { error, retry: append };
      throw new IllegalTxnStateError(`Unexpected error ${error} while appending to transaction log for ${append.transactionalId}`);
  }
}

/** Kafka's sendTxnMarkersCallback: answer the client as soon as Prepare* is durable, then send markers. */
function afterEndTxnAppend(
  cache: TransactionStateCache,
  append: TxnLogAppend,
  then: Extract<AfterAppend, { kind: "end-txn" }>,
  appendOutcome: TxnError,
  ctx: TxnCoordinatorContext,
): AppendCompletion {
  const replyWith = (error: TxnError, producerId = NO_PRODUCER_ID, producerEpoch = NO_PRODUCER_EPOCH): TxnReply | undefined => {
    switch (then.replyTo) {
      case "EndTxn":
        return { api: "EndTxn", error, producerId, producerEpoch };
      case "InitProducerId":
        // The fenced-and-aborted case: the new producer retries (CONCURRENT_TRANSACTIONS).
        return { api: "InitProducerId", error: error === "NONE" ? "CONCURRENT_TRANSACTIONS" : error, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH };
      case "none":
        return undefined;
    }
  };
  const lookup = cache.get(append.transactionalId);
  if (appendOutcome !== "NONE") {
    // KAFKA-9666: a TV1 fence raised the epoch in memory before the append; remember not to raise it again.
    if (then.isEpochFence && then.path === "tv1" && lookup.ok && lookup.metadata !== undefined && lookup.coordinatorEpoch === append.coordinatorEpoch) {
      lookup.metadata.markFailedEpochFence();
    }
    return { error: appendOutcome, reply: replyWith(appendOutcome) };
  }

  const failed = (error: TxnError): AppendCompletion => ({ error, reply: replyWith(error) });
  if (!lookup.ok) return failed(lookup.error);
  const metadata = lookup.metadata;
  if (metadata === undefined) {
    throw new IllegalTxnStateError(`The coordinator still owns the transaction partition for ${append.transactionalId}, but there is no metadata in the cache; this is not expected`);
  }
  if (lookup.coordinatorEpoch !== append.coordinatorEpoch) return failed("NOT_COORDINATOR");
  if (metadata.producerId !== then.producerId) return failed("INVALID_PRODUCER_ID_MAPPING");
  const epochOk = then.path === "tv1" ? metadata.producerEpoch === then.producerEpoch : metadata.producerEpoch === then.producerEpoch || metadata.producerEpoch === then.producerEpoch + 1;
  if (!epochOk) return failed("PRODUCER_FENCED");
  if (metadata.pendingTransitionInProgress) return failed("CONCURRENT_TRANSACTIONS");
  const expectedState = then.result === "COMMIT" ? "PrepareCommit" : "PrepareAbort";
  if (metadata.state === "Dead" || metadata.state === "PrepareEpochFence") {
    throw new IllegalTxnStateError(`Found transactionalId ${metadata.transactionalId} with state ${metadata.state}. This is illegal as we should never have transitioned to this state.`);
  }
  if (metadata.state !== expectedState) return failed("INVALID_TXN_STATE");

  const complete = metadata.prepareComplete(ctx.nowMs);
  const markerVersion: TransactionVersion = then.suppressedEpochBump ? 1 : metadata.clientTransactionVersion;
  const markers = markerWorkFor(append.transactionalId, append.coordinatorEpoch, then.result, metadata, complete, markerVersion);
  // TV2 (EndTxn v5): the response names the id and epoch the producer continues with. Under
  // `no-epoch-bump-per-txn` there is no new epoch to name: the answer is EndTxn v4's, without
  // them, so the client keeps its epoch and sequences (KAFKA-17754's setting).
  const reply = then.path === "tv2" && !ctx.bugs.has(TXN_BUGS.noEpochBumpPerTxn) ? replyWith("NONE", complete.producerId, complete.producerEpoch) : replyWith("NONE");
  return { error: "NONE", reply, markers };
}

// ── Markers ────────────────────────────────────────────────────────────────────────────

export type MarkerProgress =
  /** Markers for other partitions are still outstanding. */
  | { readonly kind: "waiting" }
  /** Send these partitions' markers again. */
  | { readonly kind: "resend"; readonly partitions: readonly TopicPartition[] }
  /** Stop: fenced, or this coordinator no longer owns the transaction at that epoch. */
  | { readonly kind: "abandon"; readonly reason: string }
  /** Every marker is written: append Complete*. */
  | { readonly kind: "append"; readonly append: TxnLogAppend };

/**
 * A WriteTxnMarkers response for some of the transaction's partitions (Kafka's
 * TransactionMarkerRequestCompletionHandler): acknowledged partitions leave the metadata; once
 * none is left, the Complete* prepared with the markers is appended.
 */
export function onMarkersWritten(cache: TransactionStateCache, work: TxnMarkerWork, results: readonly MarkerPartitionResult[], ctx: TxnCoordinatorContext): MarkerProgress {
  const lookup = cache.get(work.transactionalId);
  if (!lookup.ok) return { kind: "abandon", reason: lookup.error };
  const metadata = lookup.metadata;
  if (metadata === undefined) throw new IllegalTxnStateError(`The coordinator still owns the transaction partition for ${work.transactionalId}, but there is no metadata in the cache`);
  if (lookup.coordinatorEpoch !== work.coordinatorEpoch) return { kind: "abandon", reason: "coordinator epoch changed" };
  const resend: TopicPartition[] = [];
  let abandon: string | undefined;
  for (const { partition, error } of results) {
    switch (markerErrorAction(error)) {
      case "written":
      case "drop":
        metadata.removePartition(partition);
        break;
      case "retry":
        resend.push(partition);
        break;
      case "abandon":
        abandon = error;
        break;
      case "illegal":
        throw new IllegalTxnStateError(`Received fatal error ${error} while sending txn marker for ${work.transactionalId}`);
    }
  }
  if (abandon !== undefined) return { kind: "abandon", reason: abandon };
  if (resend.length > 0) return { kind: "resend", partitions: normalizePartitions(resend) };
  return maybeWriteTxnCompletion(cache, work, ctx);
}

/** Complete* once the metadata holds no partition (immediately for a TV2 abort of an empty transaction). */
export function maybeWriteTxnCompletion(cache: TransactionStateCache, work: TxnMarkerWork, ctx: TxnCoordinatorContext): MarkerProgress {
  const lookup = cache.get(work.transactionalId);
  if (!lookup.ok) return { kind: "abandon", reason: lookup.error };
  if (lookup.metadata === undefined || lookup.coordinatorEpoch !== work.coordinatorEpoch) return { kind: "abandon", reason: "coordinator epoch changed" };
  if (lookup.metadata.topicPartitions.length > 0) return { kind: "waiting" };
  return { kind: "append", append: appendFor(work.transactionalId, work.coordinatorEpoch, work.complete, { kind: "complete-txn", work }, cache, ctx) };
}

// ── Loading a partition ──────────────────────────────────────────────────────────────

/**
 * A new leader of a `__transaction_state` partition replayed it: install the cache (if the load
 * is still current) and, for every PrepareCommit / PrepareAbort, prepare Complete* and return the
 * markers to send again. Ongoing transactions are left to the timeout scan.
 */
export function onPartitionLoaded(
  cache: TransactionStateCache,
  partition: number,
  coordinatorEpoch: number,
  records: readonly TransactionLogRecord[],
  ctx: TxnCoordinatorContext,
): TxnMarkerWork[] | undefined {
  const loaded = loadPartition(records, ctx.config);
  if (!cache.finishLoading(partition, coordinatorEpoch, loaded)) return undefined;
  return loaded.toComplete.map(({ transactionalId, result }) => {
    const metadata = loaded.transactions.get(transactionalId) as TransactionMetadata;
    return markerWorkFor(transactionalId, coordinatorEpoch, result, metadata, metadata.prepareComplete(ctx.nowMs));
  });
}

// ── Timeouts ──────────────────────────────────────────────────────────────────────────

export interface TimeoutAbort {
  readonly transactionalId: string;
  /** An append to perform, or a reply nobody waits for (the abort was refused, e.g. a newer epoch). */
  readonly decision: TxnDecision;
}

/**
 * The periodic scan (abortTimedOutTransactions): every expired Ongoing transaction with no
 * pending transition is fenced (PrepareEpochFence: the epoch + 1, KAFKA-6119's fix) and aborted
 * with that epoch. With `no-fence-on-timeout` it is aborted at the producer's own epoch.
 */
export function abortTimedOutTransactions(cache: TransactionStateCache, ctx: TxnCoordinatorContext): TimeoutAbort[] {
  const out: TimeoutAbort[] = [];
  const noFence = ctx.bugs.has(TXN_BUGS.noFenceOnTimeout);
  for (const expired of cache.timedOutTransactions(ctx.nowMs)) {
    const lookup = cache.get(expired.transactionalId);
    if (!lookup.ok || lookup.metadata === undefined) continue;
    const metadata = lookup.metadata;
    if (metadata.producerId !== expired.producerId || metadata.pendingTransitionInProgress) continue;
    const epoch = noFence ? metadata.producerEpoch : metadata.prepareFenceProducerEpoch().producerEpoch;
    const decision = endTransaction(
      cache,
      {
        transactionalId: metadata.transactionalId,
        producerId: metadata.producerId,
        producerEpoch: epoch,
        result: "ABORT",
        isFromClient: false,
        transactionVersion: ctx.config.transactionVersion,
        replyTo: "none",
        suppressEpochBump: noFence,
      },
      ctx,
    );
    out.push({ transactionalId: expired.transactionalId, decision });
  }
  return out;
}

// ── transactional.id expiry ─────────────────────────────────────────────────────────────

/** The tombstones for one `__transaction_state` partition, appended as one batch. */
export interface TxnIdExpiration {
  readonly partition: number;
  readonly coordinatorEpoch: number;
  readonly tombstones: readonly { readonly transactionalId: string; readonly transit: TxnTransitMetadata; readonly record: TransactionLogRecord }[];
}

/**
 * Ids resting in Empty / Complete* with no pending transition whose last update is at least
 * `transactionalIdExpirationMs` old: each is prepared Dead and gets a tombstone.
 */
export function expireTransactionalIds(cache: TransactionStateCache, ctx: TxnCoordinatorContext): TxnIdExpiration[] {
  const byPartition = new Map<number, { coordinatorEpoch: number; tombstones: TxnIdExpiration["tombstones"][number][] }>();
  for (const { partition, coordinatorEpoch, metadata } of cache.all()) {
    if (metadata.pendingTransitionInProgress) continue;
    if (!isExpirationAllowed(metadata) || metadata.txnLastUpdateTimestamp > ctx.nowMs - ctx.config.transactionalIdExpirationMs) continue;
    const transit = metadata.prepareDead();
    const group = byPartition.get(partition) ?? { coordinatorEpoch, tombstones: [] };
    group.tombstones.push({ transactionalId: metadata.transactionalId, transit, record: transactionLogTombstone(metadata.transactionalId) });
    byPartition.set(partition, group);
  }
  return [...byPartition].map(([partition, group]) => ({ partition, ...group }));
}

function isExpirationAllowed(metadata: TransactionMetadata): boolean {
  return metadata.state === "Empty" || metadata.state === "CompleteCommit" || metadata.state === "CompleteAbort";
}

/**
 * The tombstone batch returned: on success each id still pending Dead at the same coordinator
 * epoch and producer epoch leaves the cache; otherwise its pending state is cleared.
 */
export function onTombstonesAppended(cache: TransactionStateCache, expiration: TxnIdExpiration, appendError: TxnError): void {
  const sameEpoch = cache.coordinatorEpochOf(expiration.partition) === expiration.coordinatorEpoch;
  for (const { transactionalId, transit } of expiration.tombstones) {
    const lookup = cache.get(transactionalId);
    if (!lookup.ok || lookup.metadata === undefined) continue;
    const metadata = lookup.metadata;
    if (appendError === "NONE" && sameEpoch && metadata.pendingState === "Dead" && metadata.producerEpoch === transit.producerEpoch) cache.remove(transactionalId);
    // Kafka clears whatever is pending here; the model only clears its own Dead, so that a
    // reloaded coordinator's unrelated transition is not cut short.
    else if (metadata.pendingState === "Dead") metadata.clearPendingState();
  }
}

// ── Helpers ───────────────────────────────────────────────────────────────────────────

function initReply(error: TxnError, producerId = NO_PRODUCER_ID, producerEpoch = NO_PRODUCER_EPOCH): { kind: "reply"; reply: TxnReply } {
  return { kind: "reply", reply: { api: "InitProducerId", error, producerId, producerEpoch } };
}

function appendFor(transactionalId: string, coordinatorEpoch: number, transit: TxnTransitMetadata, then: AfterAppend, cache: TransactionStateCache, ctx: TxnCoordinatorContext): TxnLogAppend {
  return {
    transactionalId,
    partition: cache.partitionFor(transactionalId),
    coordinatorEpoch,
    transit,
    record: transactionLogRecord(transactionalId, transit, ctx.config.transactionVersion),
    timeoutMs: transit.txnTimeoutMs,
    then,
  };
}

function appendDecision(transactionalId: string, coordinatorEpoch: number, transit: TxnTransitMetadata, then: AfterAppend, cache: TransactionStateCache, ctx: TxnCoordinatorContext): TxnDecision {
  return { kind: "append", append: appendFor(transactionalId, coordinatorEpoch, transit, then, cache, ctx) };
}
