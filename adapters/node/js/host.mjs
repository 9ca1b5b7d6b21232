// Host functions for a guest in a worker of the node runner: each import the host provides is a
// JavaScript function that writes the call to a named pipe and reads the host's answers from
// another, synchronously, until the call ends (the protocol is in the crate's src/host.rs).
// The host reads and writes the guest's memory through the same pipes while it works.
import fs from 'node:fs';
import { HostExit } from './guest.mjs';

/** A host function's error, which traps the guest with its message. */
class HostError extends Error {
  constructor(message) {
    super(message);
    this.name = 'HostError';
  }
}

const view = new DataView(new ArrayBuffer(8));

/** A value as the decimal of its 64-bit pattern (wasiport's `HostValue::to_bits`). */
function toBits(type, value) {
  switch (type) {
    case 'i32':
      return String(value >>> 0);
    case 'i64':
      return BigInt.asUintN(64, value).toString();
    case 'f32':
      view.setFloat32(0, value, true);
      return String(view.getUint32(0, true));
    default:
      view.setFloat64(0, value, true);
      return view.getBigUint64(0, true).toString();
  }
}

function fromBits(type, bits) {
  const b = BigInt(bits);
  switch (type) {
    case 'i32':
      return Number(BigInt.asIntN(32, b));
    case 'i64':
      return BigInt.asIntN(64, b);
    case 'f32':
      view.setUint32(0, Number(b), true);
      return view.getFloat32(0, true);
    default:
      view.setBigUint64(0, b, true);
      return view.getFloat64(0, true);
  }
}

/**
 * Opens the pipes of `host` (the job's `host`) and makes its imports: `{imports, close}`, the
 * import object's modules and a function that closes the pipes. `memory()` is the guest's.
 */
export function hostImports(host, memory) {
  // The host opens them in the same order: each open waits for the other end.
  const out = fs.openSync(host.to_host, 'w');
  const input = fs.openSync(host.to_guest, 'r');
  let pending = Buffer.alloc(0);
  const chunk = Buffer.alloc(1 << 16);
  const receive = () => {
    for (;;) {
      const newline = pending.indexOf(10);
      if (newline >= 0) {
        const line = pending.subarray(0, newline).toString();
        pending = pending.subarray(newline + 1);
        return JSON.parse(line);
      }
      const n = fs.readSync(input, chunk, 0, chunk.length, null);
      if (n === 0) throw new HostError('the host closed its end of the call');
      pending = Buffer.concat([pending, chunk.subarray(0, n)]);
    }
  };
  const send = (message) => fs.writeSync(out, JSON.stringify(message) + '\n');
  const imports = {};
  host.imports.forEach((f, index) => {
    imports[f.module] ??= {};
    imports[f.module][f.name] = (...args) => {
      send({ call: index, args: args.map((v, i) => toBits(f.params[i], v)), size: memory().buffer.byteLength });
      for (;;) {
        const m = receive();
        if (m.read !== undefined) {
          const [offset, len] = m.read;
          send({ data: Buffer.from(memory().buffer, offset, len).toString('base64') });
        } else if (m.write !== undefined) {
          const [offset, data] = m.write;
          new Uint8Array(memory().buffer).set(Buffer.from(data, 'base64'), offset);
          send({ done: true });
        } else if (m.exit !== undefined) {
          throw new HostExit(m.exit);
        } else if (m.trap !== undefined) {
          throw new HostError(m.trap);
        } else {
          const results = m.return.map((bits, i) => fromBits(f.results[i], bits));
          return results.length === 0 ? undefined : results.length === 1 ? results[0] : results;
        }
      }
    };
  });
  return {
    imports,
    close: () => {
      fs.closeSync(out);
      fs.closeSync(input);
    },
  };
}
