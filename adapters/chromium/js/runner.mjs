// The page wasiport-chromium runs guests in: V8 in headless Chromium, with
// @bjorn3/browser_wasi_shim as WASI preview 1. The host drives it over the DevTools protocol
// (Runtime.evaluate of the functions below); every file it loads is served by the host itself.
//
// Each run gets a fresh WASI and a fresh instance; the page keeps compiled modules, and
// components that jco transpiled (their glue and compiled core modules: component.mjs runs
// them, with preview2-shim's browser build). A run past its timeout is stopped by the host
// (Runtime.terminateExecution), after which `interrupted()` gives what the run had written.
import { ConsoleStdout, Directory, File, OpenFile, PreopenDirectory, WASI } from './shim/index.js';
import { guarded, start } from './guest.mjs';

/** WASI preview 1's `badf`. */
const ERRNO_BADF = 8;

const modules = new Map();
/** The run in progress: its captured output and preopens survive a terminated execution. */
let current = null;

function bytes(base64) {
  const text = atob(base64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function base64(chunks) {
  let text = '';
  for (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i += 0x8000) {
      text += String.fromCharCode.apply(null, chunk.subarray(i, i + 0x8000));
    }
  }
  return btoa(text);
}

/** A captured stream (`write(bytes)`): at most `limit` bytes kept, and whether more came. */
function capture(mode) {
  const stream = { chunks: [], kept: 0, truncated: false };
  stream.write = (data) => {
    if (mode.kind !== 'capture') return;
    const room = mode.limit - stream.kept;
    if (data.length > room) stream.truncated = true;
    const keep = data.subarray(0, Math.max(0, room));
    if (keep.length > 0) {
      stream.chunks.push(keep.slice());
      stream.kept += keep.length;
    }
  };
  return stream;
}

/** The shim's in-memory tree of a preopen, from the host's `{name: {file} | {dir}}`. */
function load(tree, readonly) {
  const contents = new Map();
  for (const [name, entry] of Object.entries(tree)) {
    contents.set(name, entry.dir !== undefined ? new Directory(load(entry.dir, readonly)) : new File(bytes(entry.file), { readonly }));
  }
  return contents;
}

/** The tree as the guest left it, for the host to write back. */
function save(directory) {
  const tree = {};
  for (const [name, entry] of directory.contents) {
    if (entry instanceof Directory) tree[name] = { dir: save(entry) };
    else if (entry instanceof File) tree[name] = { file: base64([entry.data]) };
  }
  return tree;
}

function report(run, termination, fuel_left = null) {
  return {
    termination,
    fuel_left,
    elapsed_ms: performance.now() - run.started,
    stdout: { data: base64(run.stdout.chunks), truncated: run.stdout.truncated },
    stderr: { data: base64(run.stderr.chunks), truncated: run.stderr.truncated },
    trees: run.preopens.map((p) => (p.read_only ? null : p.save())),
  };
}

/** component.mjs, loaded with the first component (it needs preview2-shim's browser build). */
let components = null;

/** Runs a component that `compileComponent` loaded. */
function runComponent(component, job) {
  const run = { started: performance.now(), stdout: capture(job.stdout), stderr: capture(job.stderr), preopens: [] };
  current = run;
  const ended = components.runComponent(component, job, run, { bytes, base64 });
  current = null;
  return { result: report(run, ended.termination, ended.fuel_left) };
}

globalThis.wasiport = {
  async compile(id, wasm) {
    modules.set(id, await WebAssembly.compile(bytes(wasm)));
  },
  /** A component as jco transpiled it: its glue's source and its core modules (base64, by name). */
  async compileComponent(id, glue, cores) {
    components ??= await import('./component.mjs');
    const decoded = Object.fromEntries(Object.entries(cores).map(([name, wasm]) => [name, bytes(wasm)]));
    modules.set(id, await components.load(glue, decoded));
  },
  forget(id) {
    modules.delete(id);
  },
  run(id, job) {
    const module = modules.get(id);
    if (module === undefined) return { unknown_module: true };
    if (module.component !== undefined) return runComponent(module.component, job);
    const run = {
      started: performance.now(),
      stdout: capture(job.stdout),
      stderr: capture(job.stderr),
      preopens: job.preopens.map((p) => {
        const fd = new PreopenDirectory(p.guest, load(p.tree, p.read_only));
        return { read_only: p.read_only, fd, save: () => save(fd.dir) };
      }),
    };
    current = run;
    const stdin = new OpenFile(new File(job.stdin.kind === 'bytes' ? bytes(job.stdin.data) : []));
    const [stdout, stderr] = [new ConsoleStdout(run.stdout.write), new ConsoleStdout(run.stderr.write)];
    const fds = [stdin, stdout, stderr, ...run.preopens.map((p) => p.fd)];
    const env = job.env.map(([k, v]) => `${k}=${v}`);
    const wasi = new WASI(job.args, env, fds, { debug: false });
    // The shim's renumbering of an fd onto itself closes it; POSIX's dup2 and every other
    // runtime leave it as it is.
    const renumber = wasi.wasiImport.fd_renumber;
    wasi.wasiImport.fd_renumber = (from, to) =>
      from === to ? (wasi.fds[from] === undefined ? ERRNO_BADF : 0) : renumber(from, to);
    const readOnly = new Set(job.preopens.flatMap((p, i) => (p.read_only ? [3 + i] : [])));
    let memory;
    const imports = guarded(wasi.wasiImport, readOnly, new Set(), () => memory);
    const seen = (instance) => (memory = instance.exports.memory);
    const ended = start(module, { wasi_snapshot_preview1: imports }, wasi, job.fuel, seen);
    current = null;
    return { result: report(run, ended.termination, ended.fuel_left) };
  },
  /** What the run that was stopped had written, as a timed-out result. */
  interrupted() {
    const run = current;
    current = null;
    return run === null ? null : { result: report(run, { kind: 'timeout' }) };
  },
};
