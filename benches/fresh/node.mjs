// The `cold_start/fresh_process/node` baseline: a whole `node` process per run, as a host
// without a warm runner starts one — node:wasi runs the module named by the first argument,
// and the process exits with the guest's exit code.
import fs from 'node:fs';
import { WASI } from 'node:wasi';

const wasi = new WASI({ version: 'preview1', args: ['hello'], env: {}, returnOnExit: true });
const module = new WebAssembly.Module(fs.readFileSync(process.argv[2]));
const instance = new WebAssembly.Instance(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
