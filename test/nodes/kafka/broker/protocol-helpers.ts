import { expect } from "vitest";
import type { Acks, PartitionState, ProducePartitionResponse } from "../../../../src/nodes/kafka/protocol.js";
import { batchOf, KafkaHarness, type HarnessOptions } from "../../../../src/systems/kafka/harness.js";

/** Protocol-test helpers over KafkaHarness: one scripted request, one assertion-friendly answer. */

export const TOPIC = "events";

export interface ProduceOptions {
  readonly acks?: Acks;
  readonly timeoutMs?: number;
  readonly producerId?: number;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
  readonly topic?: string;
  readonly partition?: number;
  /** How long to wait for the answer (simulated ms). */
  readonly waitMs?: number;
}

/** A harness whose cluster has elected every leader; fails the test if it cannot. */
export function startedHarness(options: HarnessOptions = {}): KafkaHarness {
  const h = new KafkaHarness(options);
  expect(h.waitForLeaders(), "every partition should get a leader").toBe(true);
  return h;
}

/** Sends one Produce for one batch to `to`; the partition's answer, or undefined if none came within waitMs. */
export function produce(h: KafkaHarness, to: string, values: readonly string[], options: ProduceOptions = {}): ProducePartitionResponse | undefined {
  const topic = options.topic ?? TOPIC;
  const partition = options.partition ?? 0;
  const batch = batchOf(values, { producerId: options.producerId, producerEpoch: options.producerEpoch, baseSequence: options.baseSequence });
  const response = h.call<"ProduceResponse">(
    to,
    { type: "Produce", acks: options.acks ?? -1, timeoutMs: options.timeoutMs ?? 30_000, transactionalId: null, topicData: [{ topic, partition, batch }] },
    options.waitMs ?? 5000,
  );
  return response?.responses[0];
}

/** Produce to the current leader of the partition. */
export function produceToLeader(h: KafkaHarness, values: readonly string[], options: ProduceOptions = {}): ProducePartitionResponse | undefined {
  return produce(h, h.leaderNode(options.topic ?? TOPIC, options.partition ?? 0), values, options);
}

/** Sends one InitProducerId with a null transactional.id. */
export function callInitProducerId(h: KafkaHarness, to: string) {
  return h.call<"InitProducerIdResponse">(to, { type: "InitProducerId", transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
}

/**
 * An idempotent producer id from InitProducerId, retried as a client retries the retriable
 * COORDINATOR_LOAD_IN_PROGRESS a broker answers until its first producer-id block arrives.
 */
export function initProducerId(h: KafkaHarness, to = "b1"): { producerId: number; producerEpoch: number } {
  for (let attempt = 0; attempt < 20; attempt++) {
    const response = callInitProducerId(h, to);
    if (response?.error === "COORDINATOR_LOAD_IN_PROGRESS") {
      h.runFor(100);
      continue;
    }
    expect(response?.error).toBe("NONE");
    return { producerId: response?.producerId ?? -1, producerEpoch: response?.producerEpoch ?? -1 };
  }
  throw new Error(`${to} never handed out a producer id`);
}

/** The record values in a broker's log, in offset order. */
export function logValues(h: KafkaHarness, broker: number, topic = TOPIC, partition = 0): string[] {
  return (h.replica(broker, topic, partition)?.log.allBatches ?? []).flatMap((b) => b.records.map((r) => r.value));
}

export function logEndOffset(h: KafkaHarness, broker: number, topic = TOPIC, partition = 0): number {
  return h.replica(broker, topic, partition)?.log.logEndOffset ?? -1;
}

export function highWatermark(h: KafkaHarness, broker: number, topic = TOPIC, partition = 0): number {
  return h.replica(broker, topic, partition)?.highWatermark ?? -1;
}

/** The controller's view of a partition (leader, epoch, ISR). */
export function controllerState(h: KafkaHarness, topic = TOPIC, partition = 0): PartitionState {
  const state = h.controller()?.partitions.find((p) => p.topic === topic && p.partition === partition);
  if (state === undefined) throw new Error(`controller does not know ${topic}-${partition}`);
  return state;
}

export function isrOf(h: KafkaHarness, topic = TOPIC, partition = 0): number[] {
  return [...controllerState(h, topic, partition).isr].sort((a, b) => a - b);
}

/** Runs until the ISR is exactly `isr` (any order) at the controller and at the leader, if there is one. */
export function waitForIsr(h: KafkaHarness, isr: readonly number[], maxMs = 60_000, topic = TOPIC, partition = 0): boolean {
  const want = [...isr].sort((a, b) => a - b).join(",");
  const sorted = (ids: readonly number[]) => [...ids].sort((a, b) => a - b).join(",");
  return h.runUntil(() => {
    if (sorted(isrOf(h, topic, partition)) !== want) return false;
    const leader = h.leaderOf(topic, partition);
    return leader === undefined || sorted(h.replica(leader, topic, partition)?.isr ?? []) === want;
  }, maxMs);
}

/** Runs until `broker` leads the partition by its own account. */
export function waitForLeader(h: KafkaHarness, broker: number, maxMs = 60_000, topic = TOPIC, partition = 0): boolean {
  return h.runUntil(() => h.leaderOf(topic, partition) === broker, maxMs);
}

/** Names of the online invariants that failed in the run so far. */
export function failedInvariants(h: KafkaHarness): string[] {
  return [...new Set(h.sim.assert.failures.map((f) => f.name))];
}
