// How the page runs a WASI 0.2 command component that jco transpiled (in node, on the host: sync
// instantiation mode), with preview2-shim's browser build as its WASI 0.2 and wasiport-v8's
// command.mjs running it (how it ended, read-only preopens, the run's exit). runner.mjs loads
// this module with the first component, so that a page without the shim still runs modules.
//
// What the page gives the guest in place of the shim's own:
// - arguments and environment: the run's (the shim's are a page's globals);
// - standard streams: stdin from the run's bytes, stdout and stderr captured by the page (the
//   shim's go to the console, line by line);
// - preopens: the host's directories, loaded into the shim's in-memory file system, in order;
//   what the guest left in a read-write one is the host's to write back after the run;
// - waiting: the shim's pollables wait on promises, which a component instantiated in sync mode
//   cannot await (its poll would get a promise where it expects a list). The page's pollables
//   of the monotonic clock are ready by the clock, and `block`/`poll` spin until one is ready
//   (as browser_wasi_shim's poll_oneoff does for modules); the run's timeout still stops them.
import { WASIShim } from './p2/common/instantiation.js';
import * as p2 from './p2/browser/index.js';
import { guardDescriptors, readOnly, runCommand, withRunCli } from './command.mjs';

// The in-memory file system gives every descriptor every flag: the guard keeps those it was opened with.
guardDescriptors(p2.filesystem.types.Descriptor, { enforceFlags: true });

const { inputStreamCreate, outputStreamCreate, pollableCreate } = p2.io;
const { Pollable } = p2.io.poll;

/** Nanoseconds on the page's monotonic clock. */
const now = () => BigInt(Math.floor(performance.now() * 1e6));

/** A pollable ready once the monotonic clock reaches `instant`. */
function readyAt(instant) {
  return pollableCreate({ ready: () => now() >= instant, wait: () => new Promise(() => {}) });
}

/** Waits (spinning) until `pollable` is ready. */
function block(pollable) {
  while (!pollable.ready()) {
    // spin: nothing else runs in a sync run
  }
}

const monotonicClock = {
  ...p2.clocks.monotonicClock,
  now,
  subscribeInstant: (instant) => readyAt(instant),
  subscribeDuration: (duration) => readyAt(now() + duration),
};

const poll = {
  Pollable,
  poll(list) {
    if (list.length === 0) throw new Error('poll: an empty list of pollables');
    for (;;) {
      const ready = [];
      for (let i = 0; i < list.length; i++) if (list[i].ready()) ready.push(i);
      if (ready.length > 0) return new Uint32Array(ready);
    }
  },
};
Pollable.prototype.block = function () {
  block(this);
};

/** The shim's in-memory directory of a host tree (`{name: {file} | {dir: tree} | {link}}`). */
function directory(tree, bytes) {
  const dir = {};
  for (const [name, entry] of Object.entries(tree)) {
    if (entry.dir !== undefined) dir[name] = directory(entry.dir, bytes);
    else if (entry.link !== undefined) dir[name] = { symlink: entry.link };
    else dir[name] = { source: bytes(entry.file) };
  }
  return { dir };
}

/** A host tree of what the guest left in the shim's in-memory `directory`. */
function tree(directory, base64) {
  const out = {};
  for (const [name, entry] of Object.entries(directory.dir)) {
    if (entry.dir !== undefined) out[name] = { dir: tree(entry, base64) };
    else if (entry.symlink !== undefined) out[name] = { link: entry.symlink };
    else if (entry.source !== undefined) {
      const source = typeof entry.source === 'string' ? new TextEncoder().encode(entry.source) : entry.source;
      out[name] = { file: base64([source]) };
    }
  }
  return out;
}

/** The component whose glue module's source is `glue`, with its core modules (bytes by name) compiled. */
export async function load(glue, cores) {
  const url = URL.createObjectURL(new Blob([glue], { type: 'text/javascript' }));
  let module;
  try {
    module = await import(url);
  } finally {
    URL.revokeObjectURL(url);
  }
  const compiled = {};
  for (const [name, wasm] of Object.entries(cores)) compiled[name] = await WebAssembly.compile(wasm);
  return { component: { glue: module, cores: compiled } };
}

/**
 * Runs `component` for `job`, its output into `run.stdout` and `run.stderr` (each with a
 * `write(bytes)`), and its preopens noted in `run.preopens` (each with a `save()` of what the
 * guest left), whose shapes are runner.mjs's: how it ended.
 */
export function runComponent({ glue, cores }, job, run, { bytes, base64 }) {
  return runCommand(glue, cores, () => {
    const imports = new WASIShim().getImportObject();
    const adapter = new p2.filesystem.InMemoryFilesystemAdapter();
    const preopens = job.preopens.map((p) => {
      const data = directory(p.tree, bytes);
      const [[descriptor]] = p2.filesystem.createFilesystem({ adapter, preopens: { [p.guest]: data } }).preopens.getDirectories();
      run.preopens.push({ read_only: p.read_only, save: () => tree(data, base64) });
      return [p.read_only ? readOnly(descriptor) : descriptor, p.guest];
    });
    let input = job.stdin.kind === 'bytes' ? bytes(job.stdin.data) : new Uint8Array();
    const stdin = inputStreamCreate({
      blockingRead(len) {
        if (input.length === 0) throw { tag: 'closed' };
        const n = Math.min(input.length, Number(len));
        const chunk = input.slice(0, n);
        input = input.subarray(n);
        return chunk;
      },
      subscribe: () => pollableCreate(),
    });
    const output = (stream) => outputStreamCreate({ write: (data) => stream.write(data), blockingFlush() {} });
    const [stdout, stderr] = [output(run.stdout), output(run.stderr)];
    imports['wasi:clocks/monotonic-clock'] = monotonicClock;
    imports['wasi:io/poll'] = poll;
    return withRunCli(imports, job, { stdin, stdout, stderr }, preopens);
  }, job.fuel);
}
