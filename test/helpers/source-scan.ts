/**
 * A lexical scanner for non-deterministic constructs in simulation source. It is a second
 * line of defence beside the ESLint rules (eslint.config.js): it blanks out comments, string
 * and template text and regex literals, then matches the forbidden constructs in what is left.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";

export interface ForbiddenUse {
  /** Which construct, e.g. "Math.random". */
  readonly construct: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  /** The source line, trimmed. */
  readonly text: string;
}

/** Not a member of something else (`x.Date`, `rng.random` are not the globals). */
const NOT_MEMBER = String.raw`(?<![\w$.])(?<!\.\s+)`;
/** Optional `globalThis.` (or `global.`, `window.`, `self.`) in front of a global. */
const VIA_GLOBAL = String.raw`(?:(?:globalThis|global|window|self)\s*\??\.\s*)?`;
const GLOBAL = NOT_MEMBER + VIA_GLOBAL;
const DOT = String.raw`\s*\??\.\s*`;
const END = String.raw`(?![\w$])`;

const PATTERNS: readonly (readonly [construct: string, pattern: RegExp])[] = [
  ["Math.random", new RegExp(`${GLOBAL}Math${DOT}random${END}`, "g")],
  ["Date.now", new RegExp(`${GLOBAL}Date${DOT}now${END}`, "g")],
  ["performance.now", new RegExp(`${GLOBAL}performance${DOT}now${END}`, "g")],
  ["new Date(", new RegExp(`${NOT_MEMBER}new\\s+${VIA_GLOBAL}Date${END}`, "g")],
  ["Date()", new RegExp(`(?<!\\bnew\\s+${VIA_GLOBAL})${GLOBAL}Date\\s*(?:\\?\\.\\s*)?\\(`, "g")],
  ["setTimeout", new RegExp(`${GLOBAL}setTimeout${END}`, "g")],
  ["setInterval", new RegExp(`${GLOBAL}setInterval${END}`, "g")],
  ["setImmediate", new RegExp(`${GLOBAL}setImmediate${END}`, "g")],
  ["queueMicrotask", new RegExp(`${GLOBAL}queueMicrotask${END}`, "g")],
];

export const FORBIDDEN_CONSTRUCTS: readonly string[] = PATTERNS.map(([construct]) => construct);

/** Reports forbidden uses in `source`, ignoring comments, strings, template text and regex literals. */
export function scanSource(source: string): ForbiddenUse[] {
  const code = maskNonCode(source);
  const lines = source.split("\n");
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === "\n") lineStarts.push(i + 1);
  const found: ForbiddenUse[] = [];
  for (const [construct, pattern] of PATTERNS) {
    for (const match of code.matchAll(pattern)) {
      const offset = match.index;
      let line = 0;
      while (line + 1 < lineStarts.length && (lineStarts[line + 1] as number) <= offset) line++;
      found.push({
        construct,
        line: line + 1,
        column: offset - (lineStarts[line] as number) + 1,
        text: (lines[line] ?? "").trim(),
      });
    }
  }
  return found.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** Characters after which a `/` starts a regex literal rather than a division. */
const REGEX_AFTER = new Set("(,=:[!&|?{};+-*%<>~^".split(""));
const REGEX_AFTER_WORDS = new Set(["return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void", "throw", "yield", "await"]);

/**
 * Returns `source` with every comment, string literal, template text and regex literal replaced
 * by spaces (newlines kept), so offsets and line numbers are unchanged.
 */
export function maskNonCode(source: string): string {
  const out = source.split("");
  const n = source.length;
  /** One entry per open template: the brace depth of the `${` that leads back into it. */
  const templates: number[] = [];
  let braces = 0;
  let i = 0;
  const blank = (from: number, to: number): void => {
    for (let k = from; k < to && k < n; k++) if (out[k] !== "\n" && out[k] !== "\r") out[k] = " ";
  };
  const previousSignificant = (): { char: string; word: string } => {
    let k = i - 1;
    while (k >= 0 && /\s/.test(out[k] as string)) k--;
    if (k < 0) return { char: "", word: "" };
    let w = k;
    while (w >= 0 && /[\w$]/.test(out[w] as string)) w--;
    return { char: out[k] as string, word: out.slice(w + 1, k + 1).join("") };
  };
  // Scans template text from `i` (just after ` or }) to the closing ` or the next `${`.
  const templateText = (): void => {
    const start = i;
    while (i < n) {
      const c = source[i];
      if (c === "\\") {
        i += 2;
      } else if (c === "`") {
        blank(start, i);
        i++;
        templates.pop();
        return;
      } else if (c === "$" && source[i + 1] === "{") {
        blank(start, i);
        i += 2;
        braces++;
        return;
      } else {
        i++;
      }
    }
    blank(start, n);
  };

  while (i < n) {
    const c = source[i] as string;
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      const end = source.indexOf("\n", i);
      const stop = end < 0 ? n : end;
      blank(i, stop);
      i = stop;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end < 0 ? n : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === '"' || c === "'") {
      const start = i++;
      while (i < n && source[i] !== c && source[i] !== "\n") i += source[i] === "\\" ? 2 : 1;
      blank(start + 1, i);
      i++;
    } else if (c === "`") {
      templates.push(braces);
      i++;
      templateText();
    } else if (c === "{") {
      braces++;
      i++;
    } else if (c === "}") {
      braces--;
      i++;
      if (templates.length > 0 && templates[templates.length - 1] === braces) templateText();
    } else if (c === "/") {
      const prev = previousSignificant();
      const isRegex = prev.char === "" || REGEX_AFTER.has(prev.char) || REGEX_AFTER_WORDS.has(prev.word);
      if (!isRegex) {
        i++;
        continue;
      }
      const start = i++;
      let inClass = false;
      while (i < n && source[i] !== "\n") {
        const r = source[i];
        if (r === "\\") i++;
        else if (r === "[") inClass = true;
        else if (r === "]") inClass = false;
        else if (r === "/" && !inClass) break;
        i++;
      }
      blank(start + 1, i);
      i++;
    } else {
      i++;
    }
  }
  return out.join("");
}

/** Every `.ts` file under `dir` (recursively), skipping node_modules. */
export function listTsFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    if (entry === "node_modules") continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) files.push(...listTsFiles(path));
    else if (entry.endsWith(".ts")) files.push(path);
  }
  return files;
}

export interface FileFinding extends ForbiddenUse {
  /** Relative to the scanned root, with forward slashes. */
  readonly file: string;
}

/**
 * Scans every `.ts` file under `root/<dir>` for each of `dirs`, skipping paths (relative to
 * `root`, forward slashes) equal to or under an entry of `exclude`.
 */
export function scanTree(root: string, dirs: readonly string[], exclude: readonly string[]): FileFinding[] {
  const findings: FileFinding[] = [];
  for (const dir of dirs) {
    for (const path of listTsFiles(join(root, dir))) {
      const file = relative(root, path).split(sep).join("/");
      if (exclude.some((x) => file === x || file.startsWith(x.endsWith("/") ? x : `${x}/`))) continue;
      for (const use of scanSource(readFileSync(path, "utf8"))) findings.push({ file, ...use });
    }
  }
  return findings;
}
