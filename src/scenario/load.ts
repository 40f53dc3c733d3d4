import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { isPair, isScalar, isSeq, parseDocument, visit, type Document } from "yaml";
import { nodesNamedBy } from "../faults/fault.js";
import { SYSTEMS, systemFor } from "../systems/index.js";
import { describeValue, formatPath, ScenarioError, scenarioErrorFromZod } from "./errors.js";
import { activeScenarioSchema, type ScenarioConfig } from "./schema.js";

/** A validated scenario and where it came from. */
export interface Scenario {
  readonly file: string;
  /** sha256 of the file's text: a result names the exact scenario it ran. */
  readonly contentHash: string;
  readonly source: string;
  readonly config: ScenarioConfig;
}

/** Reads, parses and validates a scenario file. Throws ScenarioError on any bad input. */
export function loadScenario(file: string): Scenario {
  let source: string;
  try {
    source = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const found = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a directory" : `an unreadable file (${code ?? "error"})`;
    throw new ScenarioError(file, "", "a readable scenario file", found);
  }
  return parseScenario(source, file);
}

/** Parses and validates scenario text; `file` names it in errors. */
export function parseScenario(source: string, file = "<scenario>"): Scenario {
  const document = parseDocument(source, { prettyErrors: true, uniqueKeys: true });
  const yamlError = document.errors[0];
  if (yamlError !== undefined) {
    const where = yamlError.linePos?.[0];
    const path = where ? `line ${where.line}, column ${where.col}` : "";
    const keyPath = yamlError.code === "DUPLICATE_KEY" ? keyPathAt(document, yamlError.pos[0]) : undefined;
    if (keyPath !== undefined) {
      const key = keyPath.slice(keyPath.search(/[^.\]]+$/));
      throw new ScenarioError(file, path ? `${keyPath} (${path})` : keyPath, "each key once", `a second ${JSON.stringify(key)}`);
    }
    throw new ScenarioError(file, path, "valid YAML", firstLine(yamlError.message).replace(/ at line \d+, column \d+:?$/, ""));
  }
  let raw: unknown;
  try {
    raw = document.toJS();
  } catch (error) {
    // An alias to a missing anchor, or too many aliases (a "billion laughs" file): the yaml package throws here.
    throw new ScenarioError(file, "", "valid YAML", firstLine(error instanceof Error ? error.message : String(error)));
  }
  if (raw === null || raw === undefined) throw new ScenarioError(file, "", "a mapping of scenario keys", "an empty file");
  if (typeof raw !== "object" || Array.isArray(raw)) throw new ScenarioError(file, "", "a mapping of scenario keys", describeValue(raw));
  return fromObject(raw, file, source);
}

/** Validates an already-parsed object (the library API and the shrinker build these). */
export function scenarioFromObject(raw: unknown, file = "<scenario>"): Scenario {
  return fromObject(raw, file, JSON.stringify(raw));
}

function fromObject(raw: unknown, file: string, source: string): Scenario {
  const parsed = activeScenarioSchema().safeParse(raw, { reportInput: true });
  if (!parsed.success) throw scenarioErrorFromZod(file, parsed.error);
  validateReferences(parsed.data, file);
  return { file, source, contentHash: sha256(source), config: parsed.data };
}

/** Checks what the schema alone cannot: names that must refer to nodes, bugs, invariants. */
export function validateReferences(config: ScenarioConfig, file: string, extraBugs: readonly string[] = []): void {
  const system = systemFor(config.cluster.kind);
  config.clients.forEach((client, i) => {
    if (!system.clientKinds.includes(client.kind)) {
      throw new ScenarioError(file, `clients[${i}].kind`, `a client of ${system.kind}: ${system.clientKinds.join(", ")}`, JSON.stringify(client.kind));
    }
  });
  const nodes = system.nodeIds(config.cluster, config.clients);
  const expectNode = (path: string, name: string) => {
    if (!nodes.includes(name)) throw new ScenarioError(file, path, `a node of this scenario (${nodes.join(", ")})`, JSON.stringify(name));
  };
  config.faults.forEach((fault, i) => {
    for (const name of nodesNamedBy(fault)) expectNode(`faults[${i}]${fieldNaming(fault, name)}`, name);
    if (fault.atMs > config.durationMs) {
      throw new ScenarioError(file, `faults[${i}].atMs`, `a time within durationMs (${config.durationMs})`, String(fault.atMs));
    }
  });
  config.nemesis?.targets?.forEach((name, i) => expectNode(`nemesis.targets[${i}]`, name));
  config.network.links.forEach((link, i) => {
    expectNode(`network.links[${i}].from`, link.from);
    expectNode(`network.links[${i}].to`, link.to);
  });
  const bugNames = system.bugs.map((b) => b.name);
  [...config.bugs, ...extraBugs].forEach((bug, i) => {
    if (bugNames.includes(bug)) return;
    const path = i < config.bugs.length ? `bugs[${i}]` : "--bug";
    const elsewhere = SYSTEMS.find((s) => s.bugs.some((b) => b.name === bug));
    const found = elsewhere ? `${JSON.stringify(bug)}, a bug switch of ${elsewhere.kind}` : JSON.stringify(bug);
    throw new ScenarioError(file, path, `a bug switch of ${system.kind}: ${bugNames.join(", ")}`, found);
  });
  const invariantNames = system.invariants.map((inv) => inv.name);
  config.invariants?.forEach((name, i) => {
    if (!invariantNames.includes(name)) {
      throw new ScenarioError(file, `invariants[${i}]`, `an invariant of ${system.kind}: ${invariantNames.join(", ")}`, JSON.stringify(name));
    }
  });
}

/** `.node`, `.groups[1][0]`: where in a fault the node name sits, or "" if nowhere. */
function fieldNaming(value: unknown, name: string): string {
  const search = (v: unknown, path: PropertyKey[]): PropertyKey[] | undefined => {
    if (v === name) return path;
    const entries: [PropertyKey, unknown][] = Array.isArray(v)
      ? v.map((child, i) => [i, child])
      : typeof v === "object" && v !== null
        ? Object.entries(v).filter(([key]) => key !== "kind" && key !== "shape")
        : [];
    for (const [key, child] of entries) {
      const found = search(child, [...path, key]);
      if (found) return found;
    }
    return undefined;
  };
  const path = search(value, []);
  if (path === undefined || path.length === 0) return "";
  const text = formatPath(path);
  return text.startsWith("[") ? text : `.${text}`;
}

/** The field path (`cluster.kind`) of the mapping key that starts at `offset`, if there is one. */
function keyPathAt(document: Document, offset: number): string | undefined {
  let found: string | undefined;
  visit(document, {
    Pair(_, pair, ancestors) {
      if (!isScalar(pair.key) || pair.key.range?.[0] !== offset) return undefined;
      const chain = [...ancestors, pair];
      const keys: PropertyKey[] = [];
      chain.forEach((node, i) => {
        if (isPair(node) && isScalar(node.key)) keys.push(String(node.key.value));
        else if (isSeq(node)) keys.push(node.items.indexOf(chain[i + 1]));
      });
      found = formatPath(keys);
      return visit.BREAK;
    },
  });
  return found;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}
