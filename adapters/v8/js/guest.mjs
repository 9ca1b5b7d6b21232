// What wasiport's backends on V8 share to run a guest over a JavaScript WASI preview 1.
//
// `start(module, imports, wasi, fuel, seen)` instantiates a guest and runs its `_start`, and
// says how it ended: `{termination, fuel_left}`.
//
// `trapped(e)` says how a guest ended that threw `e` (the node runner's components use it too).
//
// `guarded(imports, readOnly, opened, memory)` wraps a `wasi_snapshot_preview1` import object:
// files and directories opened under a read-only fd get no right that changes anything (rights
// only shrink, as in wasi-common), and every call that would change a file or the tree under
// one is refused with ENOTCAPABLE, the errno of a missing right. It also notes in `opened`
// every fd the guest holds, so that the host can close them after the run.
//
// It gives read-only preopens to a WASI that has none (node:wasi) or only per file
// (browser_wasi_shim). This is a filter in JavaScript over the engine's own WASI, not a sandbox.

/** The fuel counter's export (`wasiport::rewrite::FUEL_GLOBAL`). */
const FUEL_GLOBAL = 'wasiport:fuel';
const ENOTCAPABLE = 76;
/** Every fdflags bit of preview 1: append, dsync, nonblock, rsync, sync. */
const FDFLAGS_ALL = 0x1f;
const OFLAGS_CREAT = 1;
const OFLAGS_TRUNC = 8;
const right = (bit) => 1n << BigInt(bit);
/** The rights that change something (as wasiport's portable WASI counts them). */
const WRITING = [0, 3, 6, 8, 9, 10, 11, 12, 16, 17, 19, 20, 22, 23, 24, 25, 26]
  .map(right)
  .reduce((a, b) => a | b);

/** Thrown by a host function that ends the guest (`proc_exit` of a WASI the host provides). */
export class HostExit extends Error {
  constructor(code) {
    super(`exit with code ${code}`);
    this.code = code;
  }
}

/** `e` as one line: its class and message. */
export function describe(e) {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/**
 * How a guest ended that threw `e` from its `_start`: a trap V8 raised (a
 * `WebAssembly.RuntimeError`, or a `RangeError` for the call stack), an uncaught Wasm exception,
 * or whatever else the WASI threw under it (the shim throws strings), which is a trap too.
 */
export function trapped(e) {
  if (typeof WebAssembly.Exception === 'function' && e instanceof WebAssembly.Exception) {
    return { kind: 'trap', name: 'WebAssembly.Exception', message: 'uncaught Wasm exception', stack: '' };
  }
  if (e instanceof Error) {
    return { kind: 'trap', name: e.name, message: e.message, stack: String(e.stack) };
  }
  return { kind: 'trap', name: 'thrown', message: String(e), stack: '' };
}

/**
 * Sets the fuel counter of a module metered by wasiport (`wasiport::rewrite::meter`) to `fuel`
 * (a decimal string, or null for a run without a budget); `left()` is then what is left, as a
 * decimal string (below zero: the guest ran out), or null.
 */
function metered(instance, fuel) {
  const counter = fuel == null ? undefined : instance.exports[FUEL_GLOBAL];
  if (counter === undefined) return { left: () => null };
  counter.value = BigInt(fuel);
  return { left: () => counter.value.toString() };
}

/**
 * Instantiates `module` with `imports`, shows the instance to `seen` (the guard needs its
 * memory), sets its fuel counter when `fuel` is a budget, and runs `wasi.start` (or, with no
 * `wasi` object, a WASI the host provides, `_start` itself): how the guest ended
 * (`termination`: exited, a trap, or an error before it started) and what was left of its fuel
 * (`fuel_left`, a decimal string, or null).
 */
export function start(module, imports, wasi, fuel, seen) {
  let instance;
  try {
    instance = new WebAssembly.Instance(module, imports);
  } catch (e) {
    // A start function that did not return (a trap, an exit) leaves no instance: the run
    // never starts. A link error is the host's.
    if (e instanceof WebAssembly.LinkError || e instanceof TypeError) {
      return { termination: { kind: 'error', message: describe(e) }, fuel_left: null };
    }
    const ended = e instanceof HostExit ? { kind: 'exited', code: e.code } : trapped(e);
    return { termination: { kind: 'instantiation', ended }, fuel_left: null };
  }
  seen(instance);
  const counter = metered(instance, fuel);
  let termination;
  try {
    const code = wasi === null ? (instance.exports._start(), 0) : wasi.start(instance);
    termination = { kind: 'exited', code };
  } catch (e) {
    termination = e instanceof HostExit ? { kind: 'exited', code: e.code } : trapped(e);
  }
  return { termination, fuel_left: counter.left() };
}

/**
 * `wasi`'s imports, with the read-only preopens (fds in `readOnly`) enforced, and every fd the
 * guest opens noted in `opened`.
 */
export function guarded(wasi, readOnly, opened, memory) {
  const imports = { ...wasi };
  const refuse = (...fds) => fds.some((fd) => readOnly.has(fd));
  const openedFd = (ptr) => new DataView(memory().buffer).getUint32(ptr, true);

  imports.path_open = (fd, dirflags, path, len, oflags, base, inheriting, fdflags, out) => {
    const ro = readOnly.has(fd);
    if (ro && (oflags & (OFLAGS_CREAT | OFLAGS_TRUNC)) !== 0) return ENOTCAPABLE;
    // Rights only shrink under a read-only directory (wasi-common masks, uvwasi refuses).
    if (ro) {
      base &= ~WRITING;
      inheriting &= ~WRITING;
    }
    const errno = wasi.path_open(fd, dirflags, path, len, oflags, base, inheriting, fdflags, out);
    if (errno === 0) {
      const fresh = openedFd(out);
      opened.add(fresh);
      if (ro) readOnly.add(fresh);
      else readOnly.delete(fresh);
    }
    return errno;
  };
  imports.fd_close = (fd) => {
    const errno = wasi.fd_close(fd);
    if (errno === 0) {
      opened.delete(fd);
      readOnly.delete(fd);
    }
    return errno;
  };
  imports.fd_renumber = (from, to) => {
    const errno = wasi.fd_renumber(from, to);
    // Renumbering an fd onto itself changes nothing, its read-only mark included.
    if (errno === 0 && from !== to) {
      if (readOnly.has(from)) readOnly.add(to);
      else readOnly.delete(to);
      readOnly.delete(from);
      opened.delete(from);
      if (to > 2) opened.add(to);
    }
    return errno;
  };
  // uvwasi passes on the host's own open flags (Linux's O_LARGEFILE is 0x8000): only preview
  // 1's five fdflags are the guest's.
  imports.fd_fdstat_get = (fd, out) => {
    const errno = wasi.fd_fdstat_get(fd, out);
    if (errno === 0) {
      const view = new DataView(memory().buffer);
      view.setUint16(out + 2, view.getUint16(out + 2, true) & FDFLAGS_ALL, true);
    }
    return errno;
  };
  // Mutating calls on an fd under a read-only preopen.
  for (const name of ['fd_write', 'fd_pwrite', 'fd_allocate', 'fd_filestat_set_size', 'fd_filestat_set_times', 'fd_datasync', 'fd_fdstat_set_flags',
    'path_create_directory', 'path_remove_directory', 'path_unlink_file', 'path_filestat_set_times']) {
    const call = wasi[name];
    imports[name] = (fd, ...rest) => (refuse(fd) ? ENOTCAPABLE : call(fd, ...rest));
  }
  imports.path_rename = (fd, oldPath, oldLen, newFd, ...rest) =>
    refuse(fd, newFd) ? ENOTCAPABLE : wasi.path_rename(fd, oldPath, oldLen, newFd, ...rest);
  imports.path_link = (fd, flags, oldPath, oldLen, newFd, ...rest) =>
    refuse(fd, newFd) ? ENOTCAPABLE : wasi.path_link(fd, flags, oldPath, oldLen, newFd, ...rest);
  imports.path_symlink = (oldPath, oldLen, fd, ...rest) =>
    refuse(fd) ? ENOTCAPABLE : wasi.path_symlink(oldPath, oldLen, fd, ...rest);
  // A Wasm i32 reaches JavaScript signed; an fd is a u32 (node's WASI refuses a negative
  // number with `inval` where the fd is simply not open: `badf`).
  for (const [name, call] of Object.entries(imports)) {
    if (!/^(fd|path|sock)_/.test(name)) continue;
    const at = FD_ARGUMENTS[name] ?? [0];
    imports[name] = (...args) => {
      for (const i of at) args[i] >>>= 0;
      return call(...args);
    };
  }
  return imports;
}

/** Where the fds are among a function's arguments, where they are not just the first. */
const FD_ARGUMENTS = { fd_renumber: [0, 1], path_link: [0, 4], path_rename: [0, 3], path_symlink: [2] };
