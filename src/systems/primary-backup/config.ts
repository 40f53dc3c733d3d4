import { z } from "zod";

/** `cluster:` for the primary-backup log. */
export const pbClusterSchema = z.strictObject({
  kind: z.literal("primary-backup"),
  /** Replicas r1..rN; r1 is the primary. */
  replicas: z.int().min(1).max(9).default(3),
  /** How often the primary re-sends to backups that are behind. */
  replicateRetryMs: z.int().min(1).max(60_000).default(100),
});

export const pbWriterSchema = z.strictObject({
  kind: z.literal("pb-writer"),
  count: z.int().min(1).max(100).default(1),
  opsPerSec: z.number().gt(0).max(10_000).default(20),
  requestTimeoutMs: z.int().min(1).max(600_000).default(500),
  retries: z.int().min(0).max(1000).default(5),
  retryBackoffMs: z.int().min(0).max(60_000).default(100),
});

export const pbReaderSchema = z.strictObject({
  kind: z.literal("pb-reader"),
  count: z.int().min(1).max(100).default(1),
  readIntervalMs: z.int().min(1).max(600_000).default(1000),
  requestTimeoutMs: z.int().min(1).max(600_000).default(500),
});

export type PbCluster = z.infer<typeof pbClusterSchema>;
export type PbWriterConfig = z.infer<typeof pbWriterSchema>;
export type PbReaderConfig = z.infer<typeof pbReaderSchema>;
export type PbClient = PbWriterConfig | PbReaderConfig;
