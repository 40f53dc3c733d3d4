/**
 * The numbers a shrinker lowers: by default every client's `count` and `*PerSec` rate (from the
 * client schemas' minimums), plus whatever the system names with `shrinkCandidates` (cluster
 * sizes, say). A rate is never lowered below 1 per second when its minimum is exclusive (> 0).
 */
import { z } from "zod";
import { clientSchema } from "../scenario/schema.js";
import type { ScenarioConfig } from "../scenario/schema.js";
import { registeredSchemas, systemFor, type ShrinkKnob } from "../systems/index.js";

/** Client fields lowered by default: instance counts and rates. */
const GENERIC_CLIENT_FIELD = /^count$|PerSec$/;

export function shrinkKnobs(config: ScenarioConfig): ShrinkKnob[] {
  const options = [...clientSchema.options, ...registeredSchemas().clients] as readonly z.ZodObject[];
  const knobs: ShrinkKnob[] = [];
  config.clients.forEach((client, i) => {
    const option = options.find((o) => literalOf(o.shape["kind"]) === client.kind);
    if (option === undefined) return;
    for (const [field, schema] of Object.entries(option.shape)) {
      if (!GENERIC_CLIENT_FIELD.test(field)) continue;
      const bound = lowerBound(schema as z.ZodType);
      if (bound !== undefined) knobs.push({ path: ["clients", i, field], ...bound });
    }
  });
  const system = systemFor(config.cluster.kind);
  knobs.push(...(system.shrinkCandidates?.(config.cluster, config.clients) ?? []));
  return knobs;
}

function literalOf(schema: unknown): unknown {
  return schema instanceof z.ZodLiteral ? schema.value : undefined;
}

/** The smallest value a numeric schema accepts (whole numbers: an exclusive minimum m gives ⌊m⌋ + 1). */
function lowerBound(schema: z.ZodType): { min: number; integer: boolean } | undefined {
  let inner: unknown = schema;
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) inner = inner.unwrap();
  if (!(inner instanceof z.ZodNumber)) return undefined;
  const min = inner.minValue;
  if (min === null || !Number.isFinite(min)) return undefined;
  const inclusive = inner.safeParse(min).success;
  return { min: inclusive ? min : Math.floor(min) + 1, integer: inner.isInt };
}

/** The value at `path` in a plain object, if it is a number. */
export function numberAt(root: unknown, path: readonly (string | number)[]): number | undefined {
  let node: unknown = root;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return typeof node === "number" ? node : undefined;
}

/** A deep copy of `root` with `value` at `path` (creating objects on the way). */
export function withValueAt<T>(root: T, path: readonly (string | number)[], value: unknown): T {
  const copy = structuredClone(root);
  let node = copy as Record<string | number, unknown>;
  path.forEach((key, i) => {
    if (i === path.length - 1) {
      node[key] = value;
      return;
    }
    if (typeof node[key] !== "object" || node[key] === null) node[key] = {};
    node = node[key] as Record<string | number, unknown>;
  });
  return copy;
}

export function formatPath(path: readonly (string | number)[]): string {
  return path.map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? key : `.${key}`)).join("");
}
