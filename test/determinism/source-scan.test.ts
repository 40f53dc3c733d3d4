import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";
import { FORBIDDEN_CONSTRUCTS, maskNonCode, scanSource, scanTree } from "../helpers/source-scan.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Directories holding simulation code, and the files in them allowed to touch real time. */
const SCANNED_DIRS = ["sim", "src"];
const ALLOWED = ["src/cli/", "src/run/wall-clock.ts"];

const constructs = (source: string): string[] => scanSource(source).map((use) => use.construct);

describe("source scanner", () => {
  it("flags each forbidden construct", () => {
    const fixture = [
      "const a = Math.random();",
      "const b = Date.now();",
      "const c = performance.now();",
      "const d = new Date(0);",
      "const e = Date();",
      "setTimeout(() => {}, 1);",
      "setInterval(() => {}, 1);",
      "setImmediate(() => {});",
      "queueMicrotask(() => {});",
    ].join("\n");
    const uses = scanSource(fixture);
    expect(uses.map((use) => use.construct)).toEqual([...FORBIDDEN_CONSTRUCTS]);
    expect(uses.map((use) => use.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(uses[0]).toMatchObject({ column: 11, text: "const a = Math.random();" });
  });

  it("flags spaced, optional-chained and globalThis forms", () => {
    expect(constructs("x = Math . random();")).toEqual(["Math.random"]);
    expect(constructs("x = Date?.now();")).toEqual(["Date.now"]);
    expect(constructs("x = globalThis.performance.now();")).toEqual(["performance.now"]);
    expect(constructs("globalThis.setTimeout(f, 0);")).toEqual(["setTimeout"]);
    expect(constructs("x = new globalThis.Date();")).toEqual(["new Date("]);
    expect(constructs("x = new Date;")).toEqual(["new Date("]);
    expect(constructs("const t = `at ${Date.now()}`;")).toEqual(["Date.now"]);
  });

  it("does not flag look-alikes, comments, strings or regexes", () => {
    const fixture = [
      "const a = myDate.now;",
      "const b = rng.random();",
      "const c = this.clock.setTimeout(5);",
      "const d = sim.performance.now;",
      "const e = new DateFormat();",
      "const f = toDate(1); const g = isDate(x);",
      "const h: Date | undefined = undefined;",
      "const i = Date.UTC(2020, 0);",
      "// Math.random() and Date.now() in a line comment",
      "/* setTimeout(f, 1); new Date() */",
      "/**",
      " * performance.now() in a doc comment",
      " */",
      "const j = 'Math.random()';",
      'const k = "queueMicrotask(f)";',
      "const l = `setInterval ${n} Date.now()`;",
      "const m = /Date\\.now\\(\\)|'/.test(s);",
      "const n = a / b / Math.max(1, 2);",
    ].join("\n");
    expect(scanSource(fixture)).toEqual([]);
  });

  it("masks without moving offsets or lines", () => {
    const source = "a // x\nb /* y\nz */ c 'q' `t${d}u` e";
    const masked = maskNonCode(source);
    expect(masked.length).toBe(source.length);
    expect(masked.split("\n").length).toBe(source.split("\n").length);
    expect(masked.replace(/\s+/g, "")).toBe("abc''`${d}`e");
  });

  it("finds nothing in sim/ and src/ (outside the allowlist)", () => {
    const findings = scanTree(ROOT, SCANNED_DIRS, ALLOWED);
    expect(findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.construct}: ${f.text}`)).toEqual([]);
  });

  it("the allowlisted wall clock does read real time (so the allowlist is needed and used)", () => {
    const findings = scanTree(ROOT, ["src/run"], []).filter((f) => f.file === "src/run/wall-clock.ts");
    expect(findings.map((f) => f.construct)).toEqual(["performance.now"]);
  });
});

describe("ESLint determinism rules", () => {
  const eslint = new ESLint({ cwd: ROOT });
  const fixture = [
    "export function bad(): number {",
    "  const t = Date.now();",
    "  setTimeout(() => undefined, 1);",
    "  return Math.random() + t + new Date().getTime();",
    "}",
    "",
  ].join("\n");

  const lint = async (filePath: string) => {
    const [result] = await eslint.lintText(fixture, { filePath: join(ROOT, filePath) });
    if (result === undefined) throw new Error("no lint result");
    return result.messages.map((m) => ({ rule: m.ruleId, line: m.line, message: m.message }));
  };

  it("fires on simulation code under sim/", async () => {
    const messages = await lint("sim/__fixture__.ts");
    expect(messages).toEqual([
      { rule: "no-restricted-properties", line: 2, message: expect.stringMatching(/Date\.now.*breaks determinism.*simulated clock/) },
      { rule: "no-restricted-globals", line: 3, message: expect.stringMatching(/setTimeout.*breaks determinism.*simulated timers/) },
      { rule: "no-restricted-properties", line: 4, message: expect.stringMatching(/Math\.random.*breaks determinism.*seeded Rng/) },
      { rule: "no-restricted-syntax", line: 4, message: expect.stringMatching(/^new Date\(\.\.\.\) reads the real clock.*breaks determinism/) },
    ]);
  });

  it("fires under src/ too, but not in src/cli/, the wall clock or tests", async () => {
    expect((await lint("src/__fixture__.ts")).length).toBe(4);
    expect(await lint("src/cli/__fixture__.ts")).toEqual([]);
    expect(await lint("src/run/wall-clock.ts")).toEqual([]);
    expect(await lint("test/__fixture__.ts")).toEqual([]);
  });

  it("fires on importing timers or perf_hooks, which would bypass the globals rule", async () => {
    const text = 'import { setTimeout } from "node:timers";\nimport { performance } from "perf_hooks";\nexport { setTimeout, performance };\n';
    const [result] = await eslint.lintText(text, { filePath: join(ROOT, "sim/__fixture__.ts") });
    expect(result?.messages.map((m) => m.ruleId)).toEqual(["no-restricted-imports", "no-restricted-imports"]);
  });
});
