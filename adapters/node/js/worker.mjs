// One worker of the node runner (runner.mjs): it runs one guest at a time, each with a fresh
// `node:wasi` WASI and a fresh instance of the module, and posts back how the guest ended.
//
// node:wasi has no read-only preopens: guest.mjs wraps the imports that could change one. That is
// a filter in JavaScript, not a sandbox: node's documentation warns that node:wasi does not
// provide the security guarantees a sandbox needs for untrusted code.
import { parentPort } from 'node:worker_threads';
import { WASI } from 'node:wasi';
import { pathToFileURL } from 'node:url';
import { describe, guarded, start } from './guest.mjs';
import { hostImports } from './host.mjs';
import { runComponent, shim } from './component.mjs';

const EINVAL = 28;
const ENOSYS = 52;

// preview2-shim drops a resource when JavaScript collects it, and a stream a finished guest left
// with a live pollable (a guest that exits drops nothing) throws from that finalizer, after the
// run: that is the shim's clean-up of a run that is over, not an error of this worker's run.
process.on('uncaughtException', (e) => {
  if (e instanceof Error && e.message.startsWith('wasi-io trap: Cannot drop ')) return;
  process.exitCode = 1;
  throw e;
});

/** Components whose glue this worker has loaded (an ES module stays loaded for good). */
const loaded = new Set();
/** After this many, the worker asks to be let go once its run is over. */
const MAX_LOADED = 32;

parentPort.on('message', (job) => {
  const failed = (e) => ({ termination: { kind: 'error', message: describe(e) }, fuel_left: null });
  if (job.component != null) {
    component(job)
      .catch(failed)
      .then((ended) => parentPort.postMessage({ ...ended, retire: loaded.size >= MAX_LOADED }));
    return;
  }
  let ended;
  try {
    ended = run(job);
  } catch (e) {
    ended = failed(e);
  }
  parentPort.postMessage(ended);
});

/** Runs `job.component` with preview2-shim as its WASI 0.2. */
async function component(job) {
  const [wasi, glue] = await Promise.all([shim(job.component.jco), import(pathToFileURL(job.component.glue).href)]);
  loaded.add(job.component.glue);
  return runComponent(wasi, glue, job);
}

function run(job) {
  let memory;
  const seen = (instance) => (memory = instance.exports.memory);
  // Host functions, the portable WASI's among them, are answered by the host over pipes.
  const host = job.host == null ? null : hostImports(job.host, () => memory);
  try {
    if (host !== null && job.host.portable_wasi) {
      // The host's portable WASI: node:wasi is not made at all.
      return start(job.module, host.imports, null, job.fuel, seen);
    }
    return withNodeWasi(job, host === null ? {} : host.imports, seen, () => memory);
  } finally {
    host?.close();
  }
}

/** Runs `job` with node:wasi as its WASI, and `others` as its other imports. */
function withNodeWasi(job, others, seen, memory) {
  const preopens = {};
  for (const p of job.preopens) preopens[p.guest] = p.host;
  const wasi = new WASI({
    version: 'preview1',
    args: job.args,
    env: Object.fromEntries(job.env),
    preopens,
    stdin: job.stdin,
    stdout: job.stdout,
    stderr: job.stderr,
    returnOnExit: true,
  });
  // Preopens are numbered from 3 in the order given.
  const readOnly = new Set(job.preopens.flatMap((p, i) => (p.read_only ? [3 + i] : [])));
  const opened = new Set(job.preopens.map((_, i) => 3 + i));
  const imports = guarded(wasi.wasiImport, readOnly, opened, memory);
  // uvwasi's proc_raise sends the signal to the process: the runner itself. SIGUSR1 there opens
  // node's inspector on 127.0.0.1:9229, which runs any code it is sent; SIGKILL ends every run.
  // No guest signals the host.
  imports.proc_raise = () => ENOSYS;
  // uvwasi's path_filestat_set_times, given a time and NOW for the same field, answers EINVAL
  // but leaves the directory's fd locked: the next call on that fd (the clean-up's fd_close)
  // waits forever, and the process aborts when the WASI is destroyed. Answer it here.
  const setTimes = imports.path_filestat_set_times;
  imports.path_filestat_set_times = (fd, flags, path, len, atim, mtim, fstflags) =>
    (fstflags & 3) === 3 || (fstflags & 12) === 12 ? EINVAL : setTimes(fd, flags, path, len, atim, mtim, fstflags);
  try {
    return start(job.module, { ...others, wasi_snapshot_preview1: imports }, wasi, job.fuel, seen);
  } finally {
    // node:wasi closes none of the host files it opened, not even when the worker ends: close
    // every fd the guest still holds, or each run would leak its preopens.
    for (const fd of opened) wasi.wasiImport.fd_close(fd);
  }
}
