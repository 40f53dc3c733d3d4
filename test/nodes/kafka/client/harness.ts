/**
 * An application node for client tests: it hosts a producer and/or a consumer, routes its
 * messages and disconnects to them, and lets the test drive them directly.
 */
import type { Actor, Message, NodeContext } from "../../../../sim/actor.js";
import { KafkaConsumer } from "../../../../src/nodes/kafka/client/consumer.js";
import type { ConsumerOptions } from "../../../../src/nodes/kafka/client/consumer-config.js";
import { CorrelationIds } from "../../../../src/nodes/kafka/client/network-client.js";
import { KafkaProducer, type ProducerRecord, type SendResult } from "../../../../src/nodes/kafka/client/producer.js";
import type { ProducerOptions } from "../../../../src/nodes/kafka/client/producer-config.js";
import type { FakeSystem } from "../../../helpers/kafka-fake-broker.js";

export class ClientHost implements Actor {
  readonly correlationIds = new CorrelationIds();
  producer: KafkaProducer | undefined;
  consumer: KafkaConsumer | undefined;

  constructor(readonly ctx: NodeContext) {}

  onMessage(from: string, message: Message): void {
    if (this.producer?.handle(from, message) === true) return;
    this.consumer?.handle(from, message);
  }

  onDisconnect(peer: string): void {
    this.producer?.onDisconnect(peer);
    this.consumer?.onDisconnect(peer);
  }
}

/** Adds and starts an application node `id`. */
export function addHost(sys: FakeSystem, id = "app"): ClientHost {
  let host: ClientHost | undefined;
  sys.sim.addNode(id, (ctx) => (host = new ClientHost(ctx)));
  sys.sim.node(id).start();
  return host as ClientHost;
}

export function addProducer(sys: FakeSystem, options: Partial<ProducerOptions> = {}, id = "app"): { host: ClientHost; producer: KafkaProducer } {
  const host = addHost(sys, id);
  const producer = new KafkaProducer(host.ctx, { bootstrapBrokers: sys.cluster.brokers, ...options }, host.correlationIds);
  host.producer = producer;
  return { host, producer };
}

export function addConsumer(sys: FakeSystem, options: Partial<ConsumerOptions> = {}, id = "app"): { host: ClientHost; consumer: KafkaConsumer } {
  const host = addHost(sys, id);
  const consumer = new KafkaConsumer(host.ctx, { bootstrapBrokers: sys.cluster.brokers, ...options }, host.correlationIds);
  host.consumer = consumer;
  return { host, consumer };
}

/** Sends `records` now; the returned array fills with results in send order. */
export function sendAll(producer: KafkaProducer, records: readonly ProducerRecord[]): (SendResult | undefined)[] {
  const results: (SendResult | undefined)[] = records.map(() => undefined);
  records.forEach((record, i) => producer.send(record, (result) => (results[i] = result)));
  return results;
}

export function values(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}

export function allDone(results: readonly (SendResult | undefined)[]): boolean {
  return results.every((r) => r !== undefined);
}
