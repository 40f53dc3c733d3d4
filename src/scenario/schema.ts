import { z } from "zod";
import { NEMESIS_KINDS } from "../faults/nemesis.js";
import { registeredSchemas } from "../systems/index.js";
import { kafkaCopierSchema, kafkaReaderSchema, kafkaTxnWriterSchema, kafkaWriterSchema } from "../systems/kafka/clients.js";
import { kafkaClusterSchema } from "../systems/kafka/config.js";
import { pbClusterSchema, pbReaderSchema, pbWriterSchema } from "../systems/primary-backup/config.js";

/** One simulated day: longer runs are almost certainly a unit mistake (ms versus µs). */
export const DURATION_MS_MAX = 86_400_000;
export const SEED_MAX = Number.MAX_SAFE_INTEGER;

const nodeName = z.string().min(1).max(64);
const ms = (max = DURATION_MS_MAX) => z.number().min(0).max(max);
const ratio = z.number().min(0).max(1);

export const latencySchema = z.discriminatedUnion("model", [
  z.strictObject({ model: z.literal("constant"), ms: ms(60_000) }),
  z.strictObject({ model: z.literal("uniform"), msMin: ms(60_000), msMax: ms(60_000) }),
  z.strictObject({ model: z.literal("normal"), meanMs: ms(60_000), stddevMs: ms(60_000) }),
  z.strictObject({ model: z.literal("exponential"), meanMs: z.number().gt(0).max(60_000) }),
  z.strictObject({ model: z.literal("long-tail"), medianMs: z.number().gt(0).max(60_000), p99Ms: z.number().gt(0).max(600_000) }),
]);

export const networkSchema = z.strictObject({
  mode: z.enum(["connection", "datagram"]).default("connection"),
  latency: latencySchema.default({ model: "uniform", msMin: 0.5, msMax: 2 }),
  links: z.array(z.strictObject({ from: nodeName, to: nodeName, latency: latencySchema })).default([]),
  lossRatio: ratio.default(0),
  duplicateRatio: ratio.default(0),
  reorderRatio: ratio.default(0),
  reorderMsMax: ms(60_000).default(10),
  brokenConnectionDetectMs: ms(600_000).default(1000),
});

const at = { atMs: ms() };
const partitionSchema = z.discriminatedUnion("shape", [
  z.strictObject({ ...at, kind: z.literal("partition"), shape: z.literal("groups"), groups: z.array(z.array(nodeName).min(1)).min(2) }),
  z.strictObject({ ...at, kind: z.literal("partition"), shape: z.literal("isolate"), node: nodeName }),
  z.strictObject({
    ...at,
    kind: z.literal("partition"),
    shape: z.literal("one-way"),
    from: z.array(nodeName).min(1),
    to: z.array(nodeName).min(1),
  }),
  z.strictObject({ ...at, kind: z.literal("partition"), shape: z.literal("halves") }),
  z.strictObject({ ...at, kind: z.literal("partition"), shape: z.literal("majorities-ring") }),
]);

export const faultSchema = z.discriminatedUnion("kind", [
  partitionSchema,
  z.strictObject({ ...at, kind: z.literal("heal") }),
  z.strictObject({ ...at, kind: z.literal("heal-all") }),
  z.strictObject({ ...at, kind: z.literal("crash"), node: nodeName, loseUnflushed: z.boolean().default(true) }),
  z.strictObject({ ...at, kind: z.literal("restart"), node: nodeName }),
  z.strictObject({ ...at, kind: z.literal("pause"), node: nodeName }),
  z.strictObject({ ...at, kind: z.literal("resume"), node: nodeName }),
  z.strictObject({ ...at, kind: z.literal("clock-offset"), node: nodeName, offsetMs: z.number().min(-DURATION_MS_MAX).max(DURATION_MS_MAX) }),
  z.strictObject({ ...at, kind: z.literal("clock-step"), node: nodeName, deltaMs: z.number().min(-DURATION_MS_MAX).max(DURATION_MS_MAX) }),
  z.strictObject({ ...at, kind: z.literal("clock-drift"), node: nodeName, driftPpm: z.int().min(-500_000).max(500_000) }),
  z.strictObject({ ...at, kind: z.literal("clock-reset"), node: nodeName }),
  z.strictObject({ ...at, kind: z.literal("clog"), from: nodeName, to: nodeName, durationMs: ms() }),
  z.strictObject({ ...at, kind: z.literal("reset"), nodes: z.tuple([nodeName, nodeName]) }),
  z.strictObject({
    ...at,
    kind: z.literal("hold"),
    type: z.string().min(1).optional(),
    from: nodeName.optional(),
    to: nodeName.optional(),
    durationMs: ms(),
    count: z.int().min(1).max(1_000_000).default(1),
  }),
]);

export const nemesisSchema = z.strictObject({
  kinds: z.array(z.enum(NEMESIS_KINDS)).min(1).default([...NEMESIS_KINDS]),
  swarm: z.boolean().default(false),
  startMs: ms().default(1000),
  intervalMsMin: z.number().min(1).max(DURATION_MS_MAX).default(2000),
  intervalMsMax: z.number().min(1).max(DURATION_MS_MAX).default(8000),
  faultMsMin: z.number().min(1).max(DURATION_MS_MAX).default(500),
  faultMsMax: z.number().min(1).max(DURATION_MS_MAX).default(5000),
  loseUnflushedRatio: ratio.default(0.5),
  clockOffsetMsMax: ms().default(60_000),
  clockDriftPpmMax: z.int().min(0).max(500_000).default(1000),
  targets: z.array(nodeName).min(1).optional(),
});

export const diskSchema = z.strictObject({
  /**
   * The OS writes dirty pages back after this long even without an fsync (Linux's
   * dirty_expire_centisecs, 30 s): a crash that loses the page cache loses only newer data.
   * null: nothing reaches the disk without an fsync.
   */
  writebackMs: z.int().min(0).max(DURATION_MS_MAX).nullable().default(30_000),
});

export const livenessSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Run this long after healing everything; the system must have converged by then. */
  durationMs: ms().default(10_000),
});

export const clusterSchema = z.discriminatedUnion("kind", [kafkaClusterSchema, pbClusterSchema]);
export const clientSchema = z.discriminatedUnion("kind", [kafkaWriterSchema, kafkaReaderSchema, kafkaTxnWriterSchema, kafkaCopierSchema, pbWriterSchema, pbReaderSchema]);

export const scenarioSchema = z
  .strictObject({
    $schema: z.string().optional(),
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "a lowercase name of letters, digits and dashes").max(80),
    description: z.string().default(""),
    seed: z.int().min(0).max(SEED_MAX).default(1),
    /** The workload and fault window. The liveness phase comes after it. */
    durationMs: z.int().min(1).max(DURATION_MS_MAX),
    shuffleTies: z.boolean().default(false),
    network: networkSchema.default(networkSchema.parse({})),
    disk: diskSchema.default(diskSchema.parse({})),
    faults: z.array(faultSchema).default([]),
    nemesis: nemesisSchema.optional(),
    liveness: livenessSchema.default(livenessSchema.parse({})),
    invariants: z.array(z.string().min(1)).optional(),
    bugs: z.array(z.string().min(1)).default([]),
    cluster: clusterSchema,
    clients: z.array(clientSchema).default([]),
  })
  .check((ctx) => {
    const nemesis = ctx.value.nemesis;
    if (nemesis && nemesis.intervalMsMax < nemesis.intervalMsMin) {
      ctx.issues.push({ code: "custom", path: ["nemesis", "intervalMsMax"], message: "a number at least intervalMsMin", input: nemesis.intervalMsMax });
    }
    if (nemesis && nemesis.faultMsMax < nemesis.faultMsMin) {
      ctx.issues.push({ code: "custom", path: ["nemesis", "faultMsMax"], message: "a number at least faultMsMin", input: nemesis.faultMsMax });
    }
  });

let active: { version: number; schema: typeof scenarioSchema } | undefined;

/**
 * The schema scenarios are validated with: `scenarioSchema`, widened with the cluster and client
 * schemas of systems registered at run time (`registerSystem`), rebuilt when one is registered.
 * Without registered systems it is `scenarioSchema` itself (which the JSON Schema is made from).
 */
export function activeScenarioSchema(): typeof scenarioSchema {
  const registered = registeredSchemas();
  if (registered.clusters.length === 0) return scenarioSchema;
  if (active?.version !== registered.version) {
    // Typed as the built-in unions: a registered system's entries reach only its own SystemModel.
    const cluster = z.discriminatedUnion("kind", [...clusterSchema.options, ...registered.clusters]) as unknown as typeof clusterSchema;
    const client = z.discriminatedUnion("kind", [...clientSchema.options, ...registered.clients]) as unknown as typeof clientSchema;
    active = { version: registered.version, schema: scenarioSchema.safeExtend({ cluster, clients: z.array(client).default([]) }) };
  }
  return active.schema;
}

export type ScenarioConfig = z.infer<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
