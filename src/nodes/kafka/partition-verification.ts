import type { NodeContext, Timer } from "../../../sim/actor.js";
import { msToUs } from "../../../sim/time.js";
import type { KafkaError } from "./errors.js";
import { partitionKey, type GroupAndTxnResponse, type KafkaMessage, type TopicPartition } from "./protocol.js";
import type { TransactionVersion } from "./txn/protocol.js";

/**
 * KIP-890 on the partition leader (Kafka's AddPartitionsToTxnManager): before the first
 * transactional batch of a producer starts a transaction on a partition, the leader asks the
 * transaction coordinator. Transaction version 1 only verifies (`verifyOnly`: is the partition
 * in the transaction?); version 2 adds the partition itself (KIP-890 part 2). The answer is
 * turned into the error the Produce gets, as ReplicaManager does.
 */

export interface VerificationTarget {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly partitions: readonly TopicPartition[];
  readonly transactionVersion: TransactionVersion;
}

/** The produce error per partition key; a partition not in the map is verified. */
export type VerificationErrors = ReadonlyMap<string, KafkaError>;

export interface VerificationDeps {
  readonly ctx: NodeContext;
  readonly timeoutMs: number;
  /** The node of the coordinator for a transactional id, undefined when none is known. */
  coordinatorFor(transactionalId: string): string | undefined;
  nextCorrelationId(): number;
}

interface InFlight {
  readonly to: string;
  readonly target: VerificationTarget;
  readonly callback: (errors: VerificationErrors) => void;
  readonly timer: Timer;
}

export class AddPartitionsToTxnManager {
  private readonly inFlight = new Map<number, InFlight>();

  constructor(private readonly deps: VerificationDeps) {}

  verify(target: VerificationTarget, callback: (errors: VerificationErrors) => void): void {
    const to = this.deps.coordinatorFor(target.transactionalId);
    if (to === undefined) return callback(allFailed(target, produceErrorForVerification("COORDINATOR_NOT_AVAILABLE", target.transactionVersion)));
    const correlationId = this.deps.nextCorrelationId();
    const timer = this.deps.ctx.after(msToUs(this.deps.timeoutMs), "txn-verification-timeout", () => this.fail(correlationId, "NETWORK_EXCEPTION"));
    this.inFlight.set(correlationId, { to, target, callback, timer });
    const verifyOnly = target.transactionVersion < 2;
    this.deps.ctx.trace("txn.verify", { to, transactionalId: target.transactionalId, producerId: target.producerId, producerEpoch: target.producerEpoch, verifyOnly });
    const request: KafkaMessage = {
      type: "AddPartitionsToTxn",
      correlationId,
      transactionalId: target.transactionalId,
      producerId: target.producerId,
      producerEpoch: target.producerEpoch,
      partitions: target.partitions,
      verifyOnly,
      transactionVersion: target.transactionVersion,
    };
    this.deps.ctx.send(to, request);
  }

  /** True when the response answers one of this manager's requests. */
  onResponse(from: string, response: GroupAndTxnResponse): boolean {
    if (response.type !== "AddPartitionsToTxnResponse") return false;
    const pending = this.inFlight.get(response.correlationId);
    if (pending === undefined || pending.to !== from) return false;
    this.inFlight.delete(response.correlationId);
    pending.timer.cancel();
    const errors = new Map<string, KafkaError>();
    for (const result of response.results) {
      if (result.error !== "NONE") errors.set(partitionKey(result.topic, result.partition), produceErrorForVerification(result.error, pending.target.transactionVersion));
    }
    this.deps.ctx.trace("txn.verified", { transactionalId: pending.target.transactionalId, producerId: pending.target.producerId, errors: [...errors.values()].join(",") });
    pending.callback(errors);
    return true;
  }

  /** The connection to a coordinator broke: its verifications fail as Kafka's do on a disconnect. */
  onDisconnect(peer: string): void {
    for (const [correlationId, pending] of [...this.inFlight]) if (pending.to === peer) this.fail(correlationId, "NETWORK_EXCEPTION");
  }

  private fail(correlationId: number, error: KafkaError): void {
    const pending = this.inFlight.get(correlationId);
    if (pending === undefined) return;
    this.inFlight.delete(correlationId);
    pending.timer.cancel();
    pending.callback(allFailed(pending.target, produceErrorForVerification(error, pending.target.transactionVersion)));
  }
}

function allFailed(target: VerificationTarget, error: KafkaError): VerificationErrors {
  return new Map(target.partitions.map((p) => [partitionKey(p.topic, p.partition), error]));
}

/**
 * What a Produce gets for a coordinator's verification error. AddPartitionsToTxnManager:
 * PRODUCER_FENCED becomes INVALID_PRODUCER_EPOCH (producers handle that on produce), and
 * TRANSACTION_ABORTABLE goes only to clients that know it (modelled as transaction version 2;
 * older ones get INVALID_TXN_STATE). ReplicaManager: retriable coordinator trouble becomes
 * NOT_ENOUGH_REPLICAS, which every client retries without a metadata refresh.
 */
export function produceErrorForVerification(error: KafkaError, transactionVersion: TransactionVersion): KafkaError {
  switch (error) {
    case "PRODUCER_FENCED":
      return "INVALID_PRODUCER_EPOCH";
    case "TRANSACTION_ABORTABLE":
      return transactionVersion >= 2 ? "TRANSACTION_ABORTABLE" : "INVALID_TXN_STATE";
    case "CONCURRENT_TRANSACTIONS":
    case "NETWORK_EXCEPTION":
    case "COORDINATOR_LOAD_IN_PROGRESS":
    case "COORDINATOR_NOT_AVAILABLE":
    case "NOT_COORDINATOR":
      return "NOT_ENOUGH_REPLICAS";
    default:
      return error;
  }
}
