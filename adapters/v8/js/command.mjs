// How the V8 backends run a WASI 0.2 command component that jco transpiled (sync instantiation
// mode), whichever preview2-shim build (node's or the browser's) gives it its WASI 0.2.
//
// `runCommand(glue, cores, imports, fuel)` instantiates the component and calls its
// `wasi:cli/run#run`, and says how it ended: `{termination, fuel_left}`, as guest.mjs's `start`
// does for a module. Core modules metered with a shared counter get the run's, set to `fuel`.
// `imports()` builds the run's import object once this run's state is fresh; its `wasi:cli/exit`
// is replaced by one that throws back here with the code (the shims' own end the thread, or
// throw a class of their own).
//
// Read-only preopens: neither shim has any. `guardDescriptors(Descriptor)` wraps the shim's
// descriptor class once: every descriptor opened under a read-only one (`readOnly(d)`) is
// read-only too, its flags have no `write` or `mutate-directory`, and every call through one
// that would change a file or the tree is refused with `read-only`, what the WIT says of a
// descriptor without `mutate-directory` (wasmtime answers `not-permitted`). With
// `{enforceFlags: true}` (for a shim that ignores the flags a descriptor is opened with, as the
// browser's in-memory file system does) every descriptor keeps the flags it was opened with:
// `get-flags` answers them, reading without `read` and writing without `write` are
// `bad-descriptor` (as wasmtime answers), changing the tree without `mutate-directory` is
// `read-only`. This is a filter in JavaScript over the shim, not a sandbox.
import { describe, trapped } from './guest.mjs';

/** Thrown by the guest's `wasi:cli/exit`: the code it exits with. */
class ComponentExit extends Error {
  constructor(code) {
    super(`exit with code ${code}`);
    this.code = code;
  }
}

/** The run's `wasi:cli/exit`: both functions throw back to `runCommand` with their code. */
export const exit = {
  exit(status) {
    throw new ComponentExit(status.tag === 'err' ? 1 : 0);
  },
  exitWithCode(code) {
    throw new ComponentExit(code);
  },
};

/**
 * Descriptor methods that change something, refused through a read-only descriptor, each with
 * the flag it needs (`enforceFlags`): `write` for a file's contents, `mutate-directory` for the
 * tree (and a directory's times), none for a sync.
 */
const CHANGING = {
  write: 'write',
  writeViaStream: 'write',
  appendViaStream: 'write',
  setSize: 'write',
  setTimes: 'write-or-mutate',
  syncData: null,
  createDirectoryAt: 'mutateDirectory',
  setTimesAt: 'mutateDirectory',
  removeDirectoryAt: 'mutateDirectory',
  symlinkAt: 'mutateDirectory',
  unlinkFileAt: 'mutateDirectory',
  linkAt: 'mutateDirectory',
  renameAt: 'mutateDirectory',
};
/** Descriptor methods that read a file: they need `read` (`enforceFlags`). */
const READING = ['read', 'readViaStream'];

/** Descriptors (preopens and what was opened under them) that change nothing, this run. */
let readOnlySet = new WeakSet();
/** With `enforceFlags`: each descriptor's flags, as opened (a preopen's are `preopenFlags`). */
let flagsOf = new WeakMap();
/** Resources the run opened: closed after it, whether the guest dropped them or not. */
let openedList = [];

/** Marks `descriptor` (a preopen of this run) read-only; returns it. */
export function readOnly(descriptor) {
  readOnlySet.add(descriptor);
  return descriptor;
}

/** A preopened directory's flags, read-only or not (wasmtime's: `read`, `mutate-directory`). */
const preopenFlags = (ro) => ({ read: true, mutateDirectory: !ro });

/** Notes `resource` as this run's, to be closed when the run ends; returns it. */
export function opened(resource) {
  openedList.push(resource);
  return resource;
}

/** The flags `descriptor` has: as opened (`enforceFlags`), less what a read-only one lacks. */
function flags(descriptor, shims) {
  const ro = readOnlySet.has(descriptor);
  const had = flagsOf.get(descriptor) ?? (shims ? preopenFlags(ro) : null);
  return had === null ? null : ro ? { ...had, write: false, mutateDirectory: false } : had;
}

/** Wraps the shim's `Descriptor` class once: read-only descriptors stay read-only. */
export function guardDescriptors(Descriptor, { enforceFlags = false } = {}) {
  const proto = Descriptor.prototype;
  if (proto.wasiportGuarded) return;
  // Whether `descriptor` lacks the flag `needed` (a write to a file without `write` is
  // `bad-descriptor`, a change to a directory without `mutate-directory` is `read-only`).
  const lacks = (descriptor, needed) => {
    if (!enforceFlags || needed === null) return null;
    const has = flags(descriptor, true);
    if (needed === 'write-or-mutate') needed = descriptor.getType() === 'directory' ? 'mutateDirectory' : 'write';
    if (has[needed]) return null;
    return needed === 'mutateDirectory' ? 'read-only' : 'bad-descriptor';
  };
  for (const [name, needed] of Object.entries(CHANGING)) {
    const call = proto[name];
    // A link or rename changes the tree on both sides.
    const twoSided = name === 'linkAt' || name === 'renameAt';
    proto[name] = function (...args) {
      const other = twoSided ? args.find((a) => a instanceof Descriptor) : undefined;
      if (readOnlySet.has(this) || (other !== undefined && readOnlySet.has(other))) throw 'read-only';
      const refused = lacks(this, needed) ?? (other === undefined ? null : lacks(other, needed));
      if (refused !== null) throw refused;
      return call.apply(this, args);
    };
  }
  for (const name of enforceFlags ? READING : []) {
    const call = proto[name];
    proto[name] = function (...args) {
      if (!flags(this, true).read) throw 'bad-descriptor';
      return call.apply(this, args);
    };
  }
  const getFlags = proto.getFlags;
  proto.getFlags = function () {
    const had = flags(this, enforceFlags);
    if (had !== null) return { ...had };
    const own = getFlags.call(this);
    return readOnlySet.has(this) ? { ...own, write: false, mutateDirectory: false } : own;
  };
  // A path with a NUL byte names nothing on any host (wasmtime: `invalid`); the shims would
  // make such a name in memory (the browser's) or throw a TypeError (node's fs).
  for (const name of Object.getOwnPropertyNames(proto).filter((n) => n.endsWith('At'))) {
    const call = proto[name];
    if (typeof call !== 'function') continue;
    proto[name] = function (...args) {
      if (args.some((a) => typeof a === 'string' && a.includes('\0'))) throw 'invalid';
      return call.apply(this, args);
    };
  }
  const openAt = proto.openAt;
  proto.openAt = function (pathFlags, path, openFlags, descriptorFlags) {
    const ro = readOnlySet.has(this);
    const changes = openFlags.create || openFlags.truncate || descriptorFlags.write || descriptorFlags.mutateDirectory;
    if (changes && (ro || (enforceFlags && !flags(this, true).mutateDirectory))) throw 'read-only';
    const descriptor = opened(openAt.call(this, pathFlags, path, openFlags, descriptorFlags));
    if (ro) readOnlySet.add(descriptor);
    if (enforceFlags) {
      // A directory has no contents to write (wasmtime: `is-directory`).
      if (descriptorFlags.write && descriptor.getType() === 'directory') throw 'is-directory';
      flagsOf.set(descriptor, { ...descriptorFlags });
    }
    return descriptor;
  };
  proto.wasiportGuarded = true;
}

/**
 * `imports` (a shim's import object) with the run's own `wasi:cli` — its arguments and
 * environment in order, no initial directory, the standard streams given — and its preopens
 * (`[descriptor, guest path]`, in order); returns it.
 */
export function withRunCli(imports, job, { stdin, stdout, stderr }, preopens) {
  const env = job.env.map(([k, v]) => [k, v]);
  imports['wasi:cli/environment'] = {
    getEnvironment: () => env,
    getArguments: () => job.args,
    initialCwd: () => undefined,
  };
  imports['wasi:cli/stdin'] = { getStdin: () => stdin };
  imports['wasi:cli/stdout'] = { getStdout: () => stdout };
  imports['wasi:cli/stderr'] = { getStderr: () => stderr };
  imports['wasi:filesystem/preopens'] = { getDirectories: () => [...preopens] };
  return imports;
}

/** The import that metered core modules count their fuel in (`wasiport::rewrite::FUEL_IMPORT`). */
const FUEL_IMPORT = ['wasiport', 'fuel'];

/**
 * How jco's glue instantiates each core module: with the run's fuel `counter` (a
 * `WebAssembly.Global`, or null) among its imports, so that the core modules metered with one
 * shared counter (`wasiport::rewrite::meter_sharing`) all draw on the run's one budget.
 */
function instantiateCore(counter) {
  const [module, name] = FUEL_IMPORT;
  return (core, importObject = {}) =>
    new WebAssembly.Instance(core, counter === null ? importObject : { ...importObject, [module]: { [name]: counter } });
}

/**
 * Runs the component whose glue module is `glue` and whose core modules are `cores` (compiled,
 * by file name), with `imports()` as its imports, and with `fuel` (a decimal string, or null) in
 * the counter its metered core modules share: how it ended (`exited` with the code of its exit,
 * 0 when `run` returned ok and 1 when it returned an error; a trap; or an error before it
 * started), and what was left of the fuel (`fuel_left`, a decimal string: below zero, it ran
 * out; or null).
 */
export function runCommand(glue, cores, imports, fuel = null) {
  openedList = [];
  readOnlySet = new WeakSet();
  flagsOf = new WeakMap();
  // Set before the core modules are instantiated: their start functions count too.
  const counter = fuel == null ? null : new WebAssembly.Global({ value: 'i64', mutable: true }, BigInt(fuel));
  const fuelLeft = () => (counter === null ? null : counter.value.toString());
  try {
    let run;
    try {
      const component = glue.instantiate((name) => cores[name], { ...imports(), 'wasi:cli/exit': exit }, instantiateCore(counter));
      run = component.run ?? component['wasi:cli/run@0.2.0'];
      if (run === undefined) throw new Error('the component exports no wasi:cli/run');
    } catch (e) {
      // A core module's start function that did not return leaves no instance: the run never
      // starts. Anything else here is the host's.
      if (e instanceof WebAssembly.RuntimeError || e instanceof ComponentExit) {
        const ended = e instanceof ComponentExit ? { kind: 'exited', code: e.code } : trapped(e);
        return { termination: { kind: 'instantiation', ended }, fuel_left: fuelLeft() };
      }
      return { termination: { kind: 'error', message: describe(e) }, fuel_left: null };
    }
    let termination;
    try {
      run.run();
      termination = { kind: 'exited', code: 0 };
    } catch (e) {
      if (e instanceof ComponentExit) termination = { kind: 'exited', code: e.code };
      // jco throws a ComponentError for `run`'s `err`: the command failed, as exit(err) does.
      else if (e?.constructor?.name === 'ComponentError') termination = { kind: 'exited', code: 1 };
      else termination = trapped(e);
    }
    return { termination, fuel_left: fuelLeft() };
  } finally {
    // What the run opened is closed now, not when JavaScript collects it; a stream the guest
    // left with a live pollable refuses to close, and is the shim's to finalize.
    for (const resource of openedList.reverse()) {
      try {
        resource[Symbol.dispose]?.();
      } catch (e) {
        // (the pollable's own finalizer closes it later)
      }
    }
    openedList = [];
  }
}
