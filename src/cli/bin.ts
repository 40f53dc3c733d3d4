import { main } from "./main.js";

// A closed pipe (`eosim run … | head`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
const code = await main(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  color,
  tty: process.stderr.isTTY === true,
});
process.exitCode = code;
