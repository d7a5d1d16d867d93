// Runs the gate controller firmware in MicroPython (WebAssembly) with a simulated `machine`.
//
//   node board.mjs FIRMWARE_DIR FILES_JSON
//
// FIRMWARE_DIR: the .py files that go on the Pico; FILES_JSON: {"name": "text"} of extra
// files for the board's flash (scbk.hex, config.json). Requests come one JSON per line on
// stdin and are answered one JSON per line on stdout (see simboard.py); the firmware's own
// prints go to stderr.
import { randomBytes } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { createInterface } from "node:readline";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";

const here = dirname(fileURLToPath(import.meta.url));
const [firmwareDir, filesJson] = process.argv.slice(2);
const err = (s) => process.stderr.write(s + "\n");
// os.urandom for the firmware: the WebAssembly build has none, and a fixed seed would make
// every run of the simulator answer a recorded session the same way.
globalThis.simRandomHex = (n) => randomBytes(n).toString("hex");
const mp = await loadMicroPython({ stdout: err, stderr: err, linebuffer: true });

mp.FS.mkdir("/flash");
for (const name of readdirSync(firmwareDir)) {
  if (name.endsWith(".py")) {
    mp.FS.writeFile(join("/flash", name), readFileSync(join(firmwareDir, name)));
  }
}
for (const [name, text] of Object.entries(JSON.parse(filesJson || "{}"))) {
  mp.FS.writeFile(join("/flash", name), text);
}
try { mp.FS.mkdir("/lib"); } catch { /* already there */ }
for (const name of ["machine.py", "simboard.py"]) {
  mp.FS.writeFile(join("/lib", name), readFileSync(join(here, name)));
}
mp.runPython("import os, sys\nos.chdir('/flash')\nsys.path.insert(0, '/flash')\nimport simboard");
const handle = mp.pyimport("simboard").handle;

const lines = createInterface({ input: process.stdin, terminal: false });
for await (const line of lines) {
  if (line.trim()) {
    process.stdout.write(handle(line) + "\n");
  }
}
