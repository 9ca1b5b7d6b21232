// How the node runner runs a WASI 0.2 command component that jco transpiled
// (`transpile` below, in sync instantiation mode), with preview2-shim as its WASI 0.2.
//
// `runComponent(shim, job)` instantiates the component and calls its `wasi:cli/run#run`, and
// says how it ended: `{termination, fuel_left}`, as guest.mjs's `start` does for a module. The
// shim's own `wasi:cli` is replaced: its exit ends the whole thread (`process.exit`), its
// arguments and environment are the process's, and its stdout is the thread's, which node
// forwards later or never. Here the guest's arguments and environment are the run's, its
// standard streams files of the run's own (opened through the shim's filesystem, so that they
// are the shim's own stream resources), and an exit throws back to this code with its code.
//
// Read-only preopens: the shim has none. Every descriptor opened under a read-only preopen is
// read-only too, and every call through one that would change a file or the tree is refused
// with `read-only`, what the WIT says of a descriptor without `mutate-directory` (wasmtime
// answers `not-permitted`). This is a filter in JavaScript over the shim, not a sandbox.
//
// The network: none unless the run grants loopback (`job.network`). Then TCP and UDP reach
// loopback addresses only (a bind may also take the unspecified address), name lookups are
// refused, and the rest is `access-denied`, as wasiport-wasmtime's address check does.
import path from 'node:path';
import { describe, trapped } from './guest.mjs';

/** Thrown by the guest's `wasi:cli/exit`: the code it exits with. */
class ComponentExit extends Error {
  constructor(code) {
    super(`exit with code ${code}`);
    this.code = code;
  }
}

/** Descriptor methods that change a file or the tree, refused through a read-only descriptor. */
const MUTATING = ['write', 'writeViaStream', 'appendViaStream', 'setSize', 'setTimes', 'syncData', 'createDirectoryAt',
  'setTimesAt', 'removeDirectoryAt', 'symlinkAt', 'unlinkFileAt'];

/** Descriptors (preopens and what was opened under them) that change nothing. */
let readOnly = new WeakSet();
/** Descriptors the guest opened in this run: closed after it, whether it dropped them or not. */
let opened = [];

/** Wraps the shim's `Descriptor` once: read-only descriptors stay read-only, opened ones noted. */
function guard(Descriptor) {
  const proto = Descriptor.prototype;
  if (proto.wasiportGuarded) return;
  for (const name of MUTATING) {
    const call = proto[name];
    proto[name] = function (...args) {
      if (readOnly.has(this)) throw 'read-only';
      return call.apply(this, args);
    };
  }
  const twoSided = (call) =>
    function (...args) {
      if (readOnly.has(this) || args.some((a) => a instanceof Descriptor && readOnly.has(a))) throw 'read-only';
      return call.apply(this, args);
    };
  proto.linkAt = twoSided(proto.linkAt);
  proto.renameAt = twoSided(proto.renameAt);
  const openAt = proto.openAt;
  proto.openAt = function (pathFlags, path, openFlags, descriptorFlags) {
    const ro = readOnly.has(this);
    if (ro && (openFlags.create || openFlags.truncate || descriptorFlags.write || descriptorFlags.mutateDirectory)) {
      throw 'read-only';
    }
    const descriptor = openAt.call(this, pathFlags, path, openFlags, descriptorFlags);
    opened.push(descriptor);
    if (ro) readOnly.add(descriptor);
    return descriptor;
  };
  proto.wasiportGuarded = true;
}

/** Whether this run's sockets may reach only loopback (a run granted `loopback`). */
let loopbackOnly = false;

/** Whether a `wasi:sockets` address is a loopback address (or, with `unspecified`, that too). */
function allowed(address, unspecified) {
  if (address == null) return true;
  const a = address.val.address;
  if (address.tag === 'ipv4') return a[0] === 127 || (unspecified && a.every((x) => x === 0));
  const zeros = a.slice(0, 7).every((x) => x === 0);
  return (zeros && a[7] === 1) || (unspecified && zeros && a[7] === 0);
}

/** Wraps the shim's sockets once: a loopback-only run reaches nothing else. */
function guardSockets({ TcpSocket }, { UdpSocket, OutgoingDatagramStream }) {
  if (TcpSocket.prototype.wasiportGuarded) return;
  const check = (proto, name, address) => {
    const call = proto[name];
    proto[name] = function (...args) {
      if (loopbackOnly && !address(args)) throw 'access-denied';
      return call.apply(this, args);
    };
  };
  check(TcpSocket.prototype, 'startBind', ([, local]) => allowed(local, true));
  check(TcpSocket.prototype, 'startConnect', ([, remote]) => allowed(remote, false));
  check(UdpSocket.prototype, 'startBind', ([, local]) => allowed(local, true));
  check(UdpSocket.prototype, 'stream', ([remote]) => allowed(remote, false));
  check(OutgoingDatagramStream.prototype, 'send', ([datagrams]) => datagrams.every((d) => allowed(d.remoteAddress, false)));
  TcpSocket.prototype.wasiportGuarded = true;
}

/** The shim's modules, loaded once per thread from the package's directory. */
async function loadShim(dir) {
  const url = (file) => new URL(`file://${dir}/@bytecodealliance/preview2-shim/dist/${file}`).href;
  const [{ WASIShim }, filesystem, cli, sockets] = await Promise.all([
    import(url('common/instantiation.js')),
    import(url('nodejs/filesystem.js')),
    import(url('nodejs/cli.js')),
    import(url('nodejs/sockets.js')),
  ]);
  guard(filesystem.types.Descriptor);
  guardSockets(sockets.tcp, sockets.udp);
  return { WASIShim, filesystem, cli, sockets };
}

let shimLoaded;
/** The shim in the package directory `dir` (the same for every run of a thread). */
export function shim(dir) {
  shimLoaded ??= loadShim(dir);
  return shimLoaded;
}

/** The imports of one run: the shim's, with the run's `wasi:cli` and preopens. */
function imports(shim, job) {
  const { WASIShim, filesystem, cli, sockets } = shim;
  const loopback = job.network === 'loopback';
  const imports = new WASIShim({ sandbox: { preopens: {}, enableNetwork: loopback } }).getImportObject();
  if (loopback) sockets._denyDnsLookup(imports['wasi:sockets/instance-network'].instanceNetwork());
  loopbackOnly = loopback;
  const create = filesystem._createPreopenDescriptor;
  // The run's standard streams: files (absolute paths) the host reads after the run, never
  // shown to the guest, or 'inherit'.
  const file = (at, flags) => {
    const d = create(path.dirname(at)).openAt({ symlinkFollow: false }, path.basename(at), {}, flags);
    opened.push(d);
    return d;
  };
  const { stdin, stdout: out, stderr: err } = job.streams;
  const stream = (s) => (opened.push(s), s);
  const input = stdin === 'inherit' ? cli.stdin.getStdin() : stream(file(stdin, { read: true }).readViaStream(0n));
  const output = (at, inherited) => (at === 'inherit' ? inherited : stream(file(at, { write: true }).writeViaStream(0n)));
  const stdout = output(out, cli.stdout.getStdout());
  const stderr = output(err, cli.stderr.getStderr());
  const preopens = job.preopens.map((p) => {
    const d = create(p.host);
    if (p.read_only) readOnly.add(d);
    return [d, p.guest];
  });
  const env = job.env.map(([k, v]) => [k, v]);
  imports['wasi:cli/environment'] = {
    getEnvironment: () => env,
    getArguments: () => job.args,
    initialCwd: () => undefined,
  };
  imports['wasi:cli/exit'] = {
    exit(status) {
      throw new ComponentExit(status.tag === 'err' ? 1 : 0);
    },
    exitWithCode(code) {
      throw new ComponentExit(code);
    },
  };
  imports['wasi:cli/stdin'] = { getStdin: () => input };
  imports['wasi:cli/stdout'] = { getStdout: () => stdout };
  imports['wasi:cli/stderr'] = { getStderr: () => stderr };
  imports['wasi:filesystem/preopens'] = { getDirectories: () => [...preopens] };
  return imports;
}

/**
 * Runs the component whose glue is `glue` (its core modules in `job.component.cores`, by file
 * name) with the shim: how it ended (`exited` with the code of its exit, 0 when `run` returned
 * ok and 1 when it returned an error, a trap, or an error before it started).
 */
export function runComponent(shim, glue, job) {
  opened = [];
  readOnly = new WeakSet();
  try {
    let run;
    try {
      const component = glue.instantiate((name) => job.component.cores[name], imports(shim, job));
      run = component.run ?? component['wasi:cli/run@0.2.0'];
      if (run === undefined) throw new Error('the component exports no wasi:cli/run');
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) return { termination: trapped(e), fuel_left: null };
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
    return { termination, fuel_left: null };
  } finally {
    // What the run opened is closed now, not when JavaScript collects it; a stream the guest
    // left with a live pollable refuses to close, and is the shim's to finalize.
    for (const resource of opened.reverse()) {
      try {
        resource[Symbol.dispose]?.();
      } catch (e) {
        // (the pollable's own finalizer closes it later)
      }
    }
    opened = [];
  }
}

/**
 * Transpiles `wasm` (a component) with jco-transpile from the package directory `dir` into the
 * directory `out`: `component.mjs` (the glue, sync instantiation) and its core modules; returns
 * the core modules' file names.
 */
export async function transpile(dir, wasm, out, fs) {
  const { transpileBytes } = await import(new URL(`file://${dir}/@bytecodealliance/jco-transpile/dist/index.js`).href);
  const result = await transpileBytes(wasm, { name: 'component', instantiation: 'sync', noTypescript: true });
  const cores = [];
  for (const [name, data] of Object.entries(result.files)) {
    if (name.endsWith('.d.ts')) continue;
    if (name === 'component.js') {
      fs.writeFileSync(path.join(out, 'component.mjs'), data);
    } else if (name.endsWith('.wasm')) {
      fs.writeFileSync(path.join(out, name), data);
      cores.push(name);
    }
  }
  return cores;
}
