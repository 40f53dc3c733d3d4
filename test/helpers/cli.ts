/**
 * Runs the eosim CLI two ways: in-process through `main(argv, io)` (fast, for most tests) and as
 * a real child process (for exit codes, stderr as a user sees it, and cross-process determinism).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../../src/cli/main.js";

/** The project root: children run with it as their working directory. */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export const BUNDLED_SCENARIO = "scenarios/primary-backup.yaml";
export const FIXTURES = join(ROOT, "test", "fixtures", "scenarios");

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `main(argv)` with a capturing, colourless io. */
export async function runMain(argv: readonly string[]): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
    color: false,
  });
  return { code, stdout, stderr };
}

/** `node --import tsx src/cli/bin.ts ...args` in the project root with NO_COLOR=1. */
export function runCli(args: readonly string[], timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/bin.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`eosim ${args.join(" ")} took longer than ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === null) reject(new Error(`eosim ${args.join(" ")} was killed by ${signal}`));
      else resolve({ code, stdout, stderr });
    });
  });
}

/** A fresh temporary folder and a function that removes it. */
export function tempDir(prefix = "eosim-test-"): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * What every bad-input message must look like: one line on stderr, no stack trace, no
 * `Error:` dump. Returns the line.
 */
export function singleErrorLine(stderr: string): string {
  if (!stderr.endsWith("\n")) throw new Error(`stderr does not end with a newline: ${JSON.stringify(stderr)}`);
  const text = stderr.slice(0, -1);
  if (text.includes("\n")) throw new Error(`stderr has more than one line:\n${stderr}`);
  if (/^\s+at /m.test(stderr)) throw new Error(`stderr has a stack trace:\n${stderr}`);
  if (/\b(?:\w*Error|error):/.test(text.replace(/^error: /, ""))) throw new Error(`stderr dumps an Error:\n${stderr}`);
  return text;
}
