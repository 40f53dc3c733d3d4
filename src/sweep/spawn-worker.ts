/**
 * Starts a sweep worker (`worker.ts`, compiled to `worker.js`) as a child process or a worker
 * thread, from the build and from source alike, behind one small interface. This is the only
 * place that knows how:
 *
 * - From the build (`node bin/eosim.js`, `import … from "eosim"`), this module is
 *   `dist/src/sweep/spawn-worker.js` and the worker is the plain `worker.js` beside it.
 * - From source (vitest, `node --import tsx src/cli/bin.ts`, `tsx bench/…`), this module is a
 *   `.ts` file and so is the worker; Node cannot load TypeScript by itself. A child process
 *   starts with tsx's loader (`--import <tsx>`, resolved from here, so the working directory does
 *   not matter). A worker thread ignores `--import tsx` for its entry module on Node 20 (tested:
 *   "Unknown file extension .ts"), so it starts from a tiny bootstrap script that registers tsx's
 *   ESM loader in the thread (tsx/esm/api `register()`), then imports `worker.ts`. tsx is a dev
 *   dependency: only source checkouts take this path.
 */
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { FromWorker, ToWorker, WorkerIsolation } from "./protocol.js";

const FROM_SOURCE = import.meta.url.endsWith(".ts");
const WORKER_URL = new URL(FROM_SOURCE ? "./worker.ts" : "./worker.js", import.meta.url);

/** A started worker, whatever it is. */
export interface SweepWorker {
  send(message: ToWorker): void;
  onMessage(listener: (message: FromWorker) => void): void;
  /** It could not start, or it crashed. */
  onError(listener: (error: Error) => void): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  /** Stops it (now) and resolves once it is gone. */
  terminate(): Promise<void>;
}

export interface SpawnOptions {
  readonly isolation: WorkerIsolation;
  /** V8 flags for a child process (`--max-semi-space-size=…`); a worker thread shares its process's flags. */
  readonly v8Flags: readonly string[];
}

export function spawnSweepWorker(options: SpawnOptions): SweepWorker {
  switch (options.isolation) {
    case "process":
      return childProcessWorker(options.v8Flags);
    case "thread":
      return threadWorker();
  }
}

function childProcessWorker(v8Flags: readonly string[]): SweepWorker {
  // execArgv is set, not inherited: the sweep's own flags (vitest's, the inspector's) are not the worker's business.
  const execArgv = [...v8Flags, ...(FROM_SOURCE ? ["--import", import.meta.resolve("tsx")] : [])];
  const child: ChildProcess = fork(fileURLToPath(WORKER_URL), [], { execArgv, serialization: "advanced", stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    send: (message) => {
      if (child.connected) child.send(message);
    },
    onMessage: (listener) => child.on("message", (message) => listener(message as FromWorker)),
    onError: (listener) => child.on("error", listener),
    onExit: (listener) => child.on("exit", listener),
    terminate: async () => {
      if (gone()) return;
      const exited = once(child, "exit");
      child.kill();
      await exited;
    },
  };
}

function threadWorker(): SweepWorker {
  const worker = FROM_SOURCE ? new Worker(tsxBootstrap(), { eval: true }) : new Worker(WORKER_URL);
  return {
    send: (message) => worker.postMessage(message, message.type === "run" && message.task.compareTo ? [message.task.compareTo.buffer as ArrayBuffer] : []),
    onMessage: (listener) => worker.on("message", listener),
    onError: (listener) => worker.on("error", listener),
    onExit: (listener) => worker.on("exit", (code) => listener(code, null)),
    terminate: async () => {
      await worker.terminate();
    },
  };
}

function tsxBootstrap(): string {
  const tsxApiUrl = import.meta.resolve("tsx/esm/api");
  return `import(${JSON.stringify(tsxApiUrl)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
}
