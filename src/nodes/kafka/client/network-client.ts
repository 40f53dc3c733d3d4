import type { Message, NodeContext } from "../../../../sim/actor.js";
import { msToUs, type SimTimeUs } from "../../../../sim/time.js";
import { brokerIdOf, brokerNode } from "../names.js";
import type { KafkaRequest, KafkaResponse } from "../protocol.js";
import { clientNowUs, Wakeup } from "./wakeup.js";

/** A request as a client builds it: the network client stamps the correlation id. */
export type RequestBody = DistributiveOmit<KafkaRequest, "correlationId">;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The response type Kafka sends back for each request type. */
type ResponseOf<T extends KafkaRequest["type"]> = Extract<KafkaResponse, { type: `${T}Response` }>;

/**
 * How a request ended: with its response, or without one because the connection was lost
 * (`timedOut`: the client gave up after request.timeout.ms and dropped the connection, as
 * Java's NetworkClient does). Without a response the server may or may not have acted.
 */
export type ClientResponse<R extends KafkaResponse = KafkaResponse> =
  | { readonly kind: "response"; readonly response: R }
  | { readonly kind: "disconnected"; readonly timedOut: boolean };

export interface NetworkClientConfig {
  /** request.timeout.ms: how long a request may wait for its response. */
  readonly requestTimeoutMs: number;
  /** max.in.flight.requests.per.connection. */
  readonly maxInFlightRequestsPerConnection: number;
  /** reconnect.backoff.ms: how long a broker is not used after its connection was lost. */
  readonly reconnectBackoffMs: number;
}

/**
 * Correlation ids of one application. Clients sharing a node share its connections to the
 * brokers, so their ids must not collide: give them one allocator.
 */
export class CorrelationIds {
  private nextId = 0;
  take(): number {
    return this.nextId++;
  }
}

interface InFlightRequest {
  readonly correlationId: number;
  readonly brokerId: number;
  readonly responseType: string;
  readonly deadlineUs: SimTimeUs;
  readonly handler: (result: ClientResponse) => void;
}

interface Connection {
  /** In send order: Kafka connections answer in order. */
  readonly inFlight: InFlightRequest[];
  /** After a disconnect the broker is not used until then (wall clock). */
  blackoutUntilUs: SimTimeUs;
}

/**
 * Per-broker request tracking for one client (Java's NetworkClient + InFlightRequests):
 * correlation ids, at most max.in.flight requests per connection, request.timeout.ms, and the
 * rule that a lost connection fails every request in flight on it. A request that times out
 * makes the client drop the whole connection (every request on it fails as disconnected) and
 * forget it, so a late response is ignored. The sim's connection is not actually reset: the
 * broker may still act on those requests, as a real broker may have read them before the close.
 */
export class NetworkClient {
  private readonly connections = new Map<number, Connection>();
  private readonly byCorrelation = new Map<number, InFlightRequest>();
  private readonly timeouts: Wakeup;
  private readonly requestTimeoutUs: SimTimeUs;

  constructor(
    private readonly ctx: NodeContext,
    private readonly config: NetworkClientConfig,
    private readonly correlationIds: CorrelationIds = new CorrelationIds(),
    /** Trace label of the owning client, e.g. `producer`. */
    private readonly owner = "client",
  ) {
    this.requestTimeoutUs = msToUs(config.requestTimeoutMs);
    this.timeouts = new Wakeup(ctx, `${owner}/request-timeout`, () => this.expireRequests());
  }

  /** Whether a new request may go to the broker now (capacity and reconnect backoff). */
  isReady(brokerId: number): boolean {
    const connection = this.connections.get(brokerId);
    if (connection === undefined) return true;
    return connection.inFlight.length < this.config.maxInFlightRequestsPerConnection && clientNowUs(this.ctx) >= connection.blackoutUntilUs;
  }

  /** When a broker in reconnect backoff becomes usable again, or undefined if it is not backing off. */
  readyAtUs(brokerId: number): SimTimeUs | undefined {
    const until = this.connections.get(brokerId)?.blackoutUntilUs;
    return until !== undefined && until > clientNowUs(this.ctx) ? until : undefined;
  }

  inFlightCount(brokerId: number): number {
    return this.connections.get(brokerId)?.inFlight.length ?? 0;
  }

  get totalInFlight(): number {
    return this.byCorrelation.size;
  }

  /**
   * Sends `body` to broker `brokerId` and returns its correlation id. `handler` runs once: with
   * the response, or when the request times out or the connection is lost. With
   * `expectResponse: false` (acks=0) nothing is tracked and the handler is never called.
   */
  send<T extends KafkaRequest["type"]>(
    brokerId: number,
    body: Extract<RequestBody, { type: T }>,
    handler: (result: ClientResponse<ResponseOf<T>>) => void,
    options: { readonly expectResponse?: boolean } = {},
  ): number {
    const correlationId = this.correlationIds.take();
    const request = { ...body, correlationId } as KafkaRequest;
    if (options.expectResponse === false) {
      this.ctx.send(brokerNode(brokerId), request);
      return correlationId;
    }
    const connection = this.connection(brokerId);
    const entry: InFlightRequest = {
      correlationId,
      brokerId,
      responseType: `${body.type}Response`,
      deadlineUs: clientNowUs(this.ctx) + this.requestTimeoutUs,
      handler: handler as (result: ClientResponse) => void,
    };
    connection.inFlight.push(entry);
    this.byCorrelation.set(correlationId, entry);
    this.ctx.send(brokerNode(brokerId), request);
    this.armTimeouts();
    return correlationId;
  }

  /** Routes a message: returns true if it was the response to one of this client's requests. */
  handle(from: string, message: Message): boolean {
    const correlationId = (message as { correlationId?: unknown }).correlationId;
    if (typeof correlationId !== "number") return false;
    const entry = this.byCorrelation.get(correlationId);
    if (entry === undefined || entry.responseType !== message.type || brokerIdOf(from) !== entry.brokerId) return false;
    this.byCorrelation.delete(correlationId);
    const inFlight = this.connection(entry.brokerId).inFlight;
    const index = inFlight.indexOf(entry);
    if (index >= 0) inFlight.splice(index, 1);
    this.armTimeouts();
    entry.handler({ kind: "response", response: message as KafkaResponse });
    return true;
  }

  /** The transport lost the connection to `peer`: every request in flight on it fails. */
  onDisconnect(peer: string): void {
    const brokerId = brokerIdOf(peer);
    if (brokerId !== undefined) this.disconnect(brokerId, false);
  }

  /**
   * Java's leastLoadedNode: among `candidates` not in reconnect backoff and with room for a
   * request, the one with the fewest requests in flight; ties go to the earliest in the given
   * order (callers rotate it). Undefined if none can take a request now.
   */
  leastLoadedNode(candidates: readonly number[]): number | undefined {
    let best: number | undefined;
    let bestLoad = Number.POSITIVE_INFINITY;
    for (const id of candidates) {
      if (!this.isReady(id)) continue;
      const load = this.inFlightCount(id);
      if (load < bestLoad) {
        best = id;
        bestLoad = load;
      }
    }
    return best;
  }

  /** Fails every request in flight to `brokerId` as disconnected and starts the reconnect backoff. */
  disconnect(brokerId: number, timedOut: boolean): void {
    const connection = this.connections.get(brokerId);
    if (connection === undefined) return;
    connection.blackoutUntilUs = clientNowUs(this.ctx) + msToUs(this.config.reconnectBackoffMs);
    const failed = connection.inFlight.splice(0);
    if (failed.length > 0) this.ctx.trace("client.disconnect", { owner: this.owner, broker: brokerId, timedOut, failed: failed.length });
    for (const entry of failed) this.byCorrelation.delete(entry.correlationId);
    this.armTimeouts();
    for (const entry of failed) entry.handler({ kind: "disconnected", timedOut });
  }

  private expireRequests(): void {
    const now = clientNowUs(this.ctx);
    const expired: number[] = [];
    for (const [brokerId, connection] of this.connections) {
      if (connection.inFlight.some((entry) => entry.deadlineUs <= now)) expired.push(brokerId);
    }
    for (const brokerId of expired) this.disconnect(brokerId, true);
    this.armTimeouts();
  }

  private armTimeouts(): void {
    let next = Number.POSITIVE_INFINITY;
    for (const entry of this.byCorrelation.values()) if (entry.deadlineUs < next) next = entry.deadlineUs;
    this.timeouts.set(next);
  }

  private connection(brokerId: number): Connection {
    let connection = this.connections.get(brokerId);
    if (connection === undefined) {
      connection = { inFlight: [], blackoutUntilUs: 0 };
      this.connections.set(brokerId, connection);
    }
    return connection;
  }
}
