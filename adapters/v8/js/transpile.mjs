// How the V8 backends transpile a component with jco-transpile (in node): into a directory named
// after the component's bytes (wasiport-v8's `transpiled_dir`), once, for every host process.
//
// The node runner imports `transpiled`; the chromium backend runs this file in node with
// `main()` appended (`node --input-type=module -e ... JCO DIR`, the component on stdin).
import fs from 'node:fs';
import path from 'node:path';

/**
 * Transpiles `wasm` (a component) with jco-transpile from the package directory `jco` into the
 * directory `out`: `component.mjs` (the glue, sync instantiation) and its core modules; returns
 * the core modules' file names.
 */
async function transpile(jco, wasm, out) {
  const { transpileBytes } = await import(new URL(`file://${jco}/@bytecodealliance/jco-transpile/dist/index.js`).href);
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

/**
 * The component `wasm`, transpiled into `dir` (unless it already was: the directory is complete
 * once it has `cores.json`): the names of its core modules there, beside `component.mjs`.
 */
export async function transpiled(jco, wasm, dir) {
  const list = path.join(dir, 'cores.json');
  if (!fs.existsSync(list)) {
    const staging = fs.mkdtempSync(`${dir}.staging-`);
    try {
      const cores = await transpile(jco, wasm, staging);
      fs.writeFileSync(path.join(staging, 'cores.json'), JSON.stringify(cores));
      // Another process may have put the same files there first: theirs serve as well.
      try {
        fs.renameSync(staging, dir);
      } catch (e) {
        if (!fs.existsSync(list)) throw e;
      }
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }
  return JSON.parse(fs.readFileSync(list, 'utf8'));
}

/** `transpiled(JCO, stdin, DIR)` for the last two arguments; an error's message on stderr. */
export async function main() {
  const [jco, dir] = process.argv.slice(-2);
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  try {
    await transpiled(jco, Buffer.concat(chunks), dir);
  } catch (e) {
    process.stderr.write(String(e?.message ?? e));
    process.exitCode = 1;
  }
}
