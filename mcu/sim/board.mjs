// Runs the gate controller firmware in MicroPython (WebAssembly) with a simulated `machine`.
//
//   node board.mjs FIRMWARE_DIR FILES_JSON
//
// FIRMWARE_DIR: the .py files that go on the Pico; FILES_JSON: {"name": "text"} of extra
// files for the board's flash (scbk.hex, config.json). Requests come one JSON per line on
// stdin and are answered one JSON per line on stdout (see simboard.py); the firmware's own
// prints go to stderr. The firmware's main() runs without returning, so MicroPython reads
// the requests itself, synchronously (simHost.next), whenever its clock waits for the host.
import { randomBytes } from "node:crypto";
import { openSync, readFileSync, readSync, readdirSync, writeSync } from "node:fs";
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
// A blocking descriptor of our own: Node may make fd 0 non-blocking.
const input = openSync("/dev/stdin", "r");
const chunk = Buffer.alloc(65536);
let buffered = Buffer.alloc(0);

function nextLine() {
  for (;;) {
    const nl = buffered.indexOf(10);
    if (nl >= 0) {
      const line = buffered.subarray(0, nl).toString().trim();
      buffered = buffered.subarray(nl + 1);
      if (line) return line;
      continue;
    }
    let n;
    try {
      n = readSync(input, chunk, 0, chunk.length, null);
    } catch (e) {
      if (e.code === "EAGAIN") continue;
      throw e;
    }
    if (n === 0) return null; // the host closed the line
    buffered = Buffer.concat([buffered, chunk.subarray(0, n)]);
  }
}

function answer(text) {
  const data = Buffer.from(text + "\n");
  for (let off = 0; off < data.length; ) {
    try {
      off += writeSync(1, data, off);
    } catch (e) {
      if (e.code !== "EAGAIN") throw e;
    }
  }
}

globalThis.simHost = { next: nextLine, answer };
mp.runPython("import os, sys\nos.chdir('/flash')\nsys.path.insert(0, '/flash')\nimport simboard\nsimboard.serve()");
