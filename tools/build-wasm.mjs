#!/usr/bin/env node
// Builds the WebAssembly fallback of the CPU kernels: the same C++ as the native addon
// (native/kernels/cpu_kernels.cc, gather_stats.cc, ns_error.cc behind normscope_kernels.h's C ABI) plus
// native/wasm/runtime.cc (allocator, memcpy, one-thread pool), compiled with Debian's clang
// (--target=wasm32, SIMD128) and linked with wasm-ld into native/wasm/normscope_kernels.wasm.
//
// The .wasm is committed: it is the fallback for machines that cannot build the addon (no compiler,
// unknown platform), so it must not need a compiler itself. Next to it, normscope_kernels.wasm.json
// records the hash of the sources and flags it was built from; this script rebuilds only when that hash
// changes, and with --check exits non-zero when the committed module is stale (CI runs the build).
// Without clang/wasm-ld it says so and leaves the committed module as it is (exit 0, or 1 in CI when
// the module is stale). Environment: CLANG, WASM_LD pick the tools.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'native', 'wasm', 'normscope_kernels.wasm');
const stampPath = `${out}.json`;
const inCI = !!process.env.CI && process.env.CI !== 'false';
const checkOnly = process.argv.includes('--check');

const SOURCES = [
  'native/kernels/cpu_kernels.cc',
  'native/kernels/cpu_elementwise.cc',
  'native/kernels/cpu_kernels_impl.inc',
  'native/kernels/cpu_sums.inc',
  'native/kernels/cpu_row_sums.inc',
  'native/kernels/gather_stats.cc',
  'native/kernels/ns_error.cc',
  'native/kernels/ns_error.h',
  'native/kernels/normscope_abi.h',
  'native/kernels/normscope_kernels.h',
  'native/kernels/thread_pool.h',
  'native/wasm/runtime.cc',
  'native/wasm/elementwise_stream.cc',
  'native/wasm/include/cmath',
  'native/wasm/include/cstdint',
  'native/wasm/include/cstdlib',
  'native/wasm/include/cstring',
  'native/wasm/include/new',
  'native/wasm/include/vector',
];
const UNITS = [
  'native/kernels/cpu_kernels.cc',
  'native/kernels/cpu_elementwise.cc',
  'native/kernels/gather_stats.cc',
  'native/kernels/ns_error.cc',
  'native/wasm/runtime.cc',
  'native/wasm/elementwise_stream.cc',
];
const CFLAGS = [
  '--target=wasm32',
  '-std=c++17',
  '-O3',
  '-msimd128',
  '-mbulk-memory',
  '-ffreestanding',
  '-nostdlib',
  '-nostdinc++',
  // try/catch in the kernels compile to nothing (operator new traps instead of throwing).
  '-fexceptions',
  '-fignore-exceptions',
  '-fno-rtti',
  '-fno-threadsafe-statics',
  '-fno-math-errno',
  // One thread: ns_error.cc's thread_local is a plain global here (wasm TLS needs the atomics feature).
  '-Dthread_local=',
  '-isystem',
  'native/wasm/include',
];
const LDFLAGS = [
  '--no-entry',
  '--export-dynamic',
  '--initial-memory=2097152',
  '--max-memory=4294967296',
  '--stack-first',
  '-z',
  'stack-size=1048576',
  '-O2',
];

function log(msg) {
  console.log(`build-wasm: ${msg}`);
}

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function sourceHash() {
  const h = createHash('sha256');
  for (const f of SOURCES)
    h.update(f)
      .update('\0')
      .update(readFileSync(join(root, f)))
      .update('\0');
  h.update(JSON.stringify({ CFLAGS, LDFLAGS, UNITS }));
  return h.digest('hex');
}

function readStamp() {
  try {
    return JSON.parse(readFileSync(stampPath, 'utf8'));
  } catch {
    return null;
  }
}

const hash = sourceHash();
const stamp = readStamp();
const fresh = existsSync(out) && stamp?.hash === hash;
if (fresh) {
  log('native/wasm/normscope_kernels.wasm is up to date');
  process.exit(0);
}
if (checkOnly) {
  console.error('build-wasm: native/wasm/normscope_kernels.wasm is stale or missing (run `node tools/build-wasm.mjs`)');
  process.exit(1);
}

const clang = process.env.CLANG || which('clang++') || which('clang');
const wasmLd = process.env.WASM_LD || which('wasm-ld');
if (!clang || !wasmLd) {
  const why = `${!clang ? 'clang' : 'wasm-ld'} not found (Debian: apt-get install clang lld)`;
  if (existsSync(out)) {
    log(`${why}; keeping the committed module, which was built from other sources`);
    process.exit(inCI ? 1 : 0);
  }
  console.error(`build-wasm: ${why}; no WebAssembly kernels (the engine falls back to TypeScript)`);
  process.exit(inCI ? 1 : 0);
}

const tmp = mkdtempSync(join(tmpdir(), 'normscope-wasm-'));
try {
  const objs = [];
  for (const unit of UNITS) {
    const obj = join(tmp, `${unit.replace(/[/.]/g, '_')}.o`);
    const r = spawnSync(clang, [...CFLAGS, '-c', unit, '-o', obj], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) {
      console.error(`build-wasm: compiling ${unit} failed:\n${r.stderr || r.error?.message}`);
      process.exit(1);
    }
    objs.push(obj);
  }
  const r = spawnSync(wasmLd, [...LDFLAGS, ...objs, '-o', out], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`build-wasm: linking failed:\n${r.stderr || r.error?.message}`);
    process.exit(1);
  }
  // Checks the module compiles here and exports what the loader binds.
  const mod = new WebAssembly.Module(readFileSync(out));
  const names = new Set(WebAssembly.Module.exports(mod).map((e) => e.name));
  for (const need of [
    'memory',
    'ns_wasm_alloc',
    'ns_wasm_reset',
    'ns_cpu_forward_train_f32',
    'ns_cpu_relu_f32',
    'ns_wasm_sum_from_f64',
    'ns_last_error',
  ]) {
    if (!names.has(need)) {
      console.error(`build-wasm: the module does not export ${need}`);
      process.exit(1);
    }
  }
  const version = spawnSync(clang, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
  writeFileSync(
    stampPath,
    `${JSON.stringify({ hash, compiler: version, bytes: readFileSync(out).length }, null, 2)}\n`,
  );
  log(`built native/wasm/normscope_kernels.wasm (${readFileSync(out).length} bytes, ${version})`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
