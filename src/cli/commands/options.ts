/** Option parsers shared by the sweep, replay, shrink and check-determinism commands. */
import { InvalidArgumentError } from "commander";
import { SEED_MAX } from "../../scenario/schema.js";
import { parseShard, seedFromCommit, SeedList, SeedSyntaxError } from "../../sweep/seeds.js";

export function parseSeedList(text: string): SeedList {
  try {
    return SeedList.parse(text);
  } catch (error) {
    if (error instanceof SeedSyntaxError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

export function parseShardOption(text: string): { index: number; count: number } {
  try {
    return parseShard(text);
  } catch (error) {
    if (error instanceof SeedSyntaxError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

/** A seed: a whole number, or a 40-hex commit hash (read as its first 13 hex digits). */
export function parseSeedOrCommit(text: string): number {
  if (/^[0-9a-fA-F]{40}$/.test(text)) return seedFromCommit(text);
  if (!/^\d+$/.test(text) || Number(text) > SEED_MAX) {
    throw new InvalidArgumentError(`expected a whole number from 0 to ${SEED_MAX} or a 40-hex commit hash, found ${JSON.stringify(text)}`);
  }
  return Number(text);
}

export function parseJobs(text: string): number {
  const jobs = Number(text);
  if (!/^\d+$/.test(text) || jobs < 1 || jobs > 1024) throw new InvalidArgumentError(`expected a number of workers from 1 to 1024, found ${JSON.stringify(text)}`);
  return jobs;
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
