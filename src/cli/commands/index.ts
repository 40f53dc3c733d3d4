/** The commands beyond `run` and `list`, each in its own file. */
import type { Command } from "commander";
import type { CliIo } from "../main.js";
import { registerCheckDeterminism } from "./check-determinism.js";
import { registerReplay } from "./replay.js";
import { registerShrink } from "./shrink.js";
import { registerSweep } from "./sweep.js";

export function registerCommands(program: Command, io: CliIo, setExit: (code: number) => void): void {
  registerSweep(program, io, setExit);
  registerReplay(program, io, setExit);
  registerCheckDeterminism(program, io, setExit);
  registerShrink(program, io, setExit);
}
