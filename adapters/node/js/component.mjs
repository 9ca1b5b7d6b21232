// How the node runner runs a WASI 0.2 command component that jco transpiled (wasiport-v8's
// transpile.mjs), with node's preview2-shim as its WASI 0.2 and wasiport-v8's command.mjs
// running it (how it ended, read-only preopens, the run's exit).
//
// The shim's own `wasi:cli` is replaced: its exit ends the whole thread (`process.exit`), its
// arguments and environment are the process's, and its stdout is the thread's, which node
// forwards later or never. Here the guest's arguments and environment are the run's, and its
// standard streams files of the run's own (opened through the shim's filesystem, so that they
// are the shim's own stream resources).
//
// The network: none unless the run grants loopback (`job.network`). Then TCP and UDP reach
// loopback addresses only (a bind may also take the unspecified address), name lookups are
// refused, and the rest is `access-denied`, as wasiport-wasmtime's address check does.
import path from 'node:path';
import { guardDescriptors, opened, readOnly, runCommand, withRunCli } from './command.mjs';

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
  guardDescriptors(filesystem.types.Descriptor);
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
  // shown to the guest, or 'inherit' (the guarded openAt notes each file as the run's).
  const file = (at, flags) => create(path.dirname(at)).openAt({ symlinkFollow: false }, path.basename(at), {}, flags);
  const { stdin, stdout: out, stderr: err } = job.streams;
  const input = stdin === 'inherit' ? cli.stdin.getStdin() : opened(file(stdin, { read: true }).readViaStream(0n));
  const output = (at, inherited) => (at === 'inherit' ? inherited : opened(file(at, { write: true }).writeViaStream(0n)));
  const stdout = output(out, cli.stdout.getStdout());
  const stderr = output(err, cli.stderr.getStderr());
  const preopens = job.preopens.map((p) => {
    const d = create(p.host);
    return [p.read_only ? readOnly(d) : d, p.guest];
  });
  return withRunCli(imports, job, { stdin: input, stdout, stderr }, preopens);
}

/** Runs the component whose glue is `glue` (its core modules in `job.component.cores`) with the shim. */
export function runComponent(shim, glue, job) {
  return runCommand(glue, job.component.cores, () => imports(shim, job), job.fuel);
}
