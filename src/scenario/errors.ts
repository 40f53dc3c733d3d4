import type { z } from "zod";

/**
 * Bad input, said in one line: which file, which field, what was expected, what was found.
 * The CLI prints the message and exits 2; it never shows a stack trace for this.
 */
export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly path: string,
    readonly expected: string,
    readonly found: string | undefined,
  ) {
    super(`${file}: ${path || "(top level)"}: expected ${expected}${found === undefined ? "" : `, found ${found}`}`);
    this.name = "ScenarioError";
  }
}

/** `faults[2].node`, the way people write paths. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** A short, printable rendering of a found value. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing (the field is missing)";
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? value.slice(0, 57) + "..." : value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  return "an object";
}

/** Turns the first zod issue into a ScenarioError; later issues are counted in the message. */
export function scenarioErrorFromZod(file: string, error: z.ZodError): ScenarioError {
  const issues = error.issues;
  const issue = issues[0] as z.core.$ZodIssue;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? "s" : ""})` : "";
  const { path, expected, found } = explainIssue(issue);
  return new ScenarioError(file, path, expected + (found === undefined ? more : ""), found === undefined ? undefined : found + more);
}

function explainIssue(issue: z.core.$ZodIssue): { path: string; expected: string; found: string | undefined } {
  const path = formatPath(issue.path);
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case "invalid_type":
      return { path, expected: article(issue.expected), found: describeValue(input) };
    case "unrecognized_keys": {
      const keys = issue.keys.map((k) => JSON.stringify(k)).join(", ");
      return { path, expected: "only known keys", found: `unknown key${issue.keys.length > 1 ? "s" : ""} ${keys}` };
    }
    case "invalid_union": {
      const options = (issue as { options?: unknown[] }).options;
      const discriminator = (issue as { discriminator?: string }).discriminator;
      if (options !== undefined && discriminator !== undefined) {
        const found = (input as Record<string, unknown> | undefined)?.[discriminator];
        return { path, expected: `one of ${options.map(String).join(", ")}`, found: describeValue(found) };
      }
      return { path, expected: "one of the allowed forms", found: describeValue(input) };
    }
    case "invalid_value":
      return { path, expected: `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`, found: describeValue(input) };
    case "too_small":
      return { path, expected: bound(issue.origin, issue.inclusive ? "at least" : "more than", issue.minimum), found: describeValue(input) };
    case "too_big":
      return { path, expected: bound(issue.origin, issue.inclusive ? "at most" : "less than", issue.maximum), found: describeValue(input) };
    case "invalid_format":
      return { path, expected: issue.message, found: describeValue(input) };
    default:
      return { path, expected: issue.message, found: describeValue(input) };
  }
}

function bound(origin: string, relation: string, limit: number | bigint): string {
  if (origin === "array") return `${relation} ${limit} item${Number(limit) === 1 ? "" : "s"}`;
  if (origin === "string") return `${relation} ${limit} character${Number(limit) === 1 ? "" : "s"}`;
  return `a number ${relation} ${limit}`;
}

function article(type: string): string {
  if (type === "int") return "an integer";
  if (type === "array") return "a list";
  if (type === "object") return "a mapping";
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
