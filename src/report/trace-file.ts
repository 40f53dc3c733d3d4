import { closeSync, openSync, writeSync } from "node:fs";
import type { TraceListener } from "../../sim/trace.js";
import { traceRecordToJson } from "../../sim/trace.js";

/** Streams trace records to a JSONL file in chunks, so memory stays bounded on long runs. */
export class TraceFileWriter {
  private readonly fd: number;
  private buffer: string[] = [];
  private bufferedChars = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, "w");
  }

  readonly listener: TraceListener = (record, hash) => {
    const line = traceRecordToJson(record, hash);
    this.buffer.push(line);
    this.bufferedChars += line.length + 1;
    if (this.bufferedChars > 1 << 20) this.flush();
  };

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    writeSync(this.fd, this.buffer.join("\n") + "\n");
    this.buffer = [];
    this.bufferedChars = 0;
  }
}
