// The warm node runner of wasiport-node: one node process that compiles modules once and runs
// them, many at a time, each run in a worker thread with a fresh WASI and a fresh instance.
//
// It talks to the Rust host over the Unix socket named by its one argument: one JSON object a
// line each way. Requests carry an `id`, and each gets exactly one reply with the same `id`:
//   {op: "compile", id, module, wasm}        -> {id, ok: true} | {id, error}
//   {op: "compile_component", id, module, wasm, dir, jco, cores?}
//                                            -> {id, ok: true} | {id, error}
//   {op: "forget", id, module}               -> {id, ok: true}
//   {op: "run", id, module, job}             -> {id, result} | {id, unknown_module: true} | {id, error}
// `wasm` and captured output are base64. The runner writes nothing to its own stdout or stderr:
// those belong to guests whose output is inherited.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe } from './guest.mjs';
import { transpiled as transpiledInto } from './transpile.mjs';

const WORKER = new URL('./worker.mjs', import.meta.url);
/** Idle workers kept for the next runs; more than this are stopped when they finish. */
const MAX_IDLE = 8;

const modules = new Map();
const idle = [];
const socket = net.connect(process.argv[2]);
socket.setEncoding('utf8');
socket.setNoDelay?.(true);
// The host went away (it exited or dropped the runner): so does the runner, guests and all.
socket.on('close', () => process.exit(0));
socket.on('error', () => process.exit(0));

let pending = '';
socket.on('data', (chunk) => {
  pending += chunk;
  let newline;
  while ((newline = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, newline);
    pending = pending.slice(newline + 1);
    let request;
    try {
      request = JSON.parse(line);
    } catch (e) {
      continue;
    }
    handle(request).catch((e) => reply({ id: request.id, error: describe(e) }));
  }
});

function reply(message) {
  socket.write(JSON.stringify(message) + '\n');
}

async function handle(request) {
  switch (request.op) {
    case 'compile': {
      try {
        modules.set(request.module, await WebAssembly.compile(Buffer.from(request.wasm, 'base64')));
        reply({ id: request.id, ok: true });
      } catch (e) {
        reply({ id: request.id, error: describe(e), invalid: true });
      }
      return;
    }
    case 'compile_component': {
      let component;
      try {
        component = await transpiled(request);
      } catch (e) {
        reply({ id: request.id, error: describe(e), invalid: true });
        return;
      }
      modules.set(request.module, { component });
      reply({ id: request.id, ok: true });
      return;
    }
    case 'forget':
      modules.delete(request.module);
      reply({ id: request.id, ok: true });
      return;
    case 'run': {
      const module = modules.get(request.module);
      if (module === undefined) {
        reply({ id: request.id, unknown_module: true });
        return;
      }
      reply({ id: request.id, result: await run(module, request.job) });
      return;
    }
    default:
      reply({ id: request.id, error: `unknown request ${request.op}` });
  }
}

/**
 * A component, transpiled by jco into `request.dir` (unless it already was: the directory is
 * named after the component's bytes, and is complete once it has `cores.json`), with its core
 * modules compiled — those jco made, or the host's rewrites of them (`request.cores`, base64 by
 * name: capped, or metered) — what a worker needs to run it.
 */
async function transpiled(request) {
  const { dir, jco } = request;
  const names = await transpiledInto(jco, Buffer.from(request.wasm, 'base64'), dir);
  const cores = {};
  for (const name of names) {
    const rewritten = request.cores?.[name];
    const wasm = rewritten === undefined ? fs.readFileSync(path.join(dir, name)) : Buffer.from(rewritten, 'base64');
    cores[name] = await WebAssembly.compile(wasm);
  }
  return { glue: path.join(dir, 'component.mjs'), cores, jco };
}

/** The guest's standard streams: files in a directory of the run's own, or the runner's own. */
function openStreams(job, dir) {
  const files = [];
  const open = (name, flags) => {
    const file = path.join(dir, name);
    const fd = fs.openSync(file, flags);
    files.push(fd);
    return { fd, file };
  };
  let stdin;
  switch (job.stdin.kind) {
    case 'inherit':
      stdin = { fd: 0 };
      break;
    case 'bytes':
      fs.writeFileSync(path.join(dir, 'stdin'), Buffer.from(job.stdin.data, 'base64'));
      stdin = open('stdin', 'r');
      break;
    default:
      stdin = open('empty', 'w+');
  }
  const output = (mode, inherited, name) => {
    switch (mode.kind) {
      case 'inherit':
        return { fd: inherited };
      case 'capture':
        return { ...open(name, 'w+'), limit: mode.limit };
      default:
        return { fd: fs.openSync('/dev/null', 'w'), file: '/dev/null', discard: true };
    }
  };
  const stdout = output(job.stdout, 1, 'stdout');
  const stderr = output(job.stderr, 2, 'stderr');
  for (const s of [stdout, stderr]) if (s.discard) files.push(s.fd);
  return { stdin, stdout, stderr, files };
}

/** The streams as a component's run opens them again: each a file's path, or 'inherit'. */
function paths(streams) {
  const at = (s) => s.file ?? 'inherit';
  return { stdin: at(streams.stdin), stdout: at(streams.stdout), stderr: at(streams.stderr) };
}

/** What a captured stream holds: at most `limit` bytes, and whether there were more. */
function captured(stream) {
  if (stream.file === undefined || stream.discard) return { data: '', truncated: false };
  const size = fs.fstatSync(stream.fd).size;
  const keep = Math.min(size, stream.limit);
  const buffer = Buffer.alloc(keep);
  let done = 0;
  while (done < keep) {
    const n = fs.readSync(stream.fd, buffer, done, keep - done, done);
    if (n === 0) break;
    done += n;
  }
  return { data: buffer.subarray(0, done).toString('base64'), truncated: size > keep };
}

function takeWorker() {
  const worker = idle.pop();
  if (worker !== undefined) return worker;
  const fresh = new Worker(WORKER);
  // A worker that fails or ends between runs (a guest's resources, finalized late, can throw)
  // leaves the pool; without a listener its error would end the runner.
  const drop = () => {
    const at = idle.indexOf(fresh);
    if (at >= 0) idle.splice(at, 1);
  };
  fresh.on('error', drop);
  fresh.on('exit', drop);
  return fresh;
}

function giveBack(worker) {
  if (idle.length < MAX_IDLE) idle.push(worker);
  else worker.terminate();
}

/** Runs one job on a worker; a run past its timeout has its worker terminated. */
async function run(module, job) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasiport-node-'));
  const streams = openStreams(job, dir);
  const started = performance.now();
  const worker = takeWorker();
  let timer;
  try {
    const ended = await new Promise((resolve) => {
      // A worker that has loaded many components' glue is let go, so that none grows forever.
      const onMessage = (m) => settle(m, !m.retire);
      const onError = (e) => settle({ termination: { kind: 'crash', message: describe(e) } }, false);
      const onExit = (code) => settle({ termination: { kind: 'crash', message: `the worker exited with code ${code}` } }, false);
      const settle = (ended, reusable) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (reusable) giveBack(worker);
        resolve(ended);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      if (job.timeout_ms != null) {
        timer = setTimeout(() => {
          worker.off('exit', onExit);
          // Output written before the timeout is kept: read it once the worker has stopped.
          worker.terminate().finally(() => settle({ termination: { kind: 'timeout' } }, false));
        }, job.timeout_ms);
      }
      worker.postMessage({
        module: module.component === undefined ? module : null,
        component: module.component,
        streams: paths(streams),
        network: job.network,
        args: job.args,
        env: job.env,
        preopens: job.preopens,
        stdin: streams.stdin.fd,
        stdout: streams.stdout.fd,
        stderr: streams.stderr.fd,
        fuel: job.fuel,
        host: job.host,
      });
    });
    const elapsed_ms = performance.now() - started;
    const stdout = captured(streams.stdout);
    const stderr = captured(streams.stderr);
    return { termination: ended.termination, fuel_left: ended.fuel_left ?? null, elapsed_ms, stdout, stderr };
  } finally {
    for (const fd of streams.files) fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
