#!/usr/bin/env node
// Builds the CUDA kernels for the CPU emulator (native/cuda-emu) into native/build/cuda-emu/:
//   emu_selftest    the emulator's own tests (barriers, shuffles, deadlocks, launch limits, memory)
//   cuda_harness    native/gpu-check/cuda_harness.cc: every CUDA kernel against the CPU kernels
//   device_ops_harness
//                   native/gpu-check/device_ops_harness.cc: the device-resident ops (normscope_device.h)
//                   against a C++ reference
//   Release/normscope.node + build-info.json
//                   the addon with its `cuda` backend on the emulator (load it with NORMSCOPE_ADDON=…),
//                   so the engine's CUDA path runs end to end without a GPU
// No nvcc and no GPU needed: g++ compiles the translated .cu. Objects are reused while their sources,
// headers and flags are unchanged. Concurrent runs (test files that each build in beforeAll) take turns
// through a lock file, so none reads a translated source or object another is writing.
// Usage: node tools/build-cuda-emu.mjs [--no-addon]
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { translateDir } from '../native/cuda-emu/translate.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const native = join(root, 'native');
const out = join(native, 'build', 'cuda-emu');
const objDir = join(out, 'obj');
const cxx = process.env.CXX || 'g++';
const withAddon = !process.argv.includes('--no-addon');

const log = (m) => console.log(`build-cuda-emu: ${m}`);

function nodeInclude() {
  const d = join(resolve(dirname(process.execPath), '..'), 'include', 'node');
  return existsSync(join(d, 'node_api.h')) ? d : null;
}

// Every header the sources may include: a change to any of them recompiles everything.
function headersHash() {
  const h = createHash('sha256');
  for (const dir of [
    join(native, 'kernels'),
    join(native, 'addon'),
    join(native, 'cuda-emu'),
    join(native, 'cuda-emu', 'include'),
    join(native, 'gpu-check'),
  ]) {
    for (const f of readdirSync(dir).sort()) {
      if (/\.(h|inc|cuh)$/.test(f)) h.update(f).update(readFileSync(join(dir, f)));
    }
  }
  return h.digest('hex');
}

function compile(src, flags, hdr) {
  const key = createHash('sha256')
    .update(readFileSync(src))
    .update(JSON.stringify(flags))
    .update(hdr)
    .update(src)
    .digest('hex')
    .slice(0, 16);
  const obj = join(objDir, `${relative(root, src).replace(/[/\\]/g, '_')}.${key}.o`);
  if (existsSync(obj)) return Promise.resolve(obj);
  return exec(cxx, [...flags, '-c', src, '-o', obj]).then(() => obj);
}

function exec(cmd, args) {
  return new Promise((ok, fail) => {
    const p = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('error', fail);
    p.on('close', (code) => (code === 0 ? ok() : fail(new Error(`${cmd} ${args.join(' ')}\n${err}`))));
  });
}

// Runs jobs two at a time (this machine has two cores).
async function pool(jobs, width = 2) {
  const results = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

async function main() {
  mkdirSync(objDir, { recursive: true });
  // A failed build must not leave the previous addon for `npm test`'s emulated stage to pick up.
  if (withAddon) rmSync(join(out, 'Release', 'normscope.node'), { force: true });
  const translated = translateDir(join(native, 'kernels'), join(out, 'src'), 'native/kernels');
  const hdr = headersHash();
  const base = [
    '-std=c++17',
    '-O2',
    '-fPIC',
    '-pthread',
    '-Wno-psabi',
    '-msse4.2',
    '-mpopcnt',
    '-fno-math-errno',
    '-fvisibility=hidden',
  ];
  const inc = [
    '-I',
    join(native, 'cuda-emu', 'include'),
    '-I',
    join(native, 'cuda-emu'),
    '-I',
    join(native, 'kernels'),
  ];
  const kernelSrc = ['cpu_kernels.cc', 'cpu_elementwise.cc', 'thread_pool.cc', 'ns_error.cc', 'gather_stats.cc'].map(
    (f) => join(native, 'kernels', f),
  );
  const emuSrc = ['fiber.cc', 'scheduler.cc', 'runtime.cc'].map((f) => join(native, 'cuda-emu', f));
  const shared = [...kernelSrc, ...emuSrc, ...translated];
  const t0 = Date.now();
  const sharedObjs = await pool(shared.map((s) => () => compile(s, [...base, ...inc], hdr)));
  const [selftestObj, harnessObj, deviceOpsObj] = await pool([
    () => compile(join(native, 'cuda-emu', 'emu_selftest.cc'), [...base, ...inc], hdr),
    () => compile(join(native, 'gpu-check', 'cuda_harness.cc'), [...base, ...inc], hdr),
    () => compile(join(native, 'gpu-check', 'device_ops_harness.cc'), [...base, ...inc], hdr),
  ]);
  const emuObjs = sharedObjs.slice(kernelSrc.length, kernelSrc.length + emuSrc.length);
  await exec(cxx, ['-pthread', selftestObj, ...emuObjs, '-o', join(out, 'emu_selftest')]);
  await exec(cxx, ['-pthread', harnessObj, ...sharedObjs, '-o', join(out, 'cuda_harness')]);
  await exec(cxx, ['-pthread', deviceOpsObj, ...sharedObjs, '-o', join(out, 'device_ops_harness')]);
  log(`emu_selftest, cuda_harness and device_ops_harness built (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  if (!withAddon) return;
  const nodeInc = nodeInclude();
  if (!nodeInc) {
    log(`no Node headers next to ${process.execPath}; the emulated addon is not built`);
    return;
  }
  const napiInc = createRequire(import.meta.url)('node-addon-api').include_dir.replace(/"/g, '');
  const addonFlags = [
    ...base,
    ...inc,
    '-I',
    nodeInc,
    '-I',
    resolve(root, napiInc),
    '-DNAPI_VERSION=8',
    '-DNAPI_CPP_EXCEPTIONS',
    '-DNS_WITH_CUDA=1',
    '-fexceptions',
  ];
  const addonObjs = await pool(
    ['addon.cc', 'file_read.cc', 'huge_pages.cc', 'elementwise_binding.cc', 'cuda_device.cc', 'cuda_device_ops.cc'].map(
      (f) => () => compile(join(native, 'addon', f), addonFlags, hdr),
    ),
  );
  const release = join(out, 'Release');
  mkdirSync(release, { recursive: true });
  await exec(cxx, ['-shared', '-pthread', ...addonObjs, ...sharedObjs, '-o', join(release, 'normscope.node')]);
  writeFileSync(
    join(out, 'build-info.json'),
    `${JSON.stringify({ cpu: true, cuda: true, reason: null, cudaReason: null, emulated: true }, null, 2)}\n`,
  );
  log(`emulated addon built: ${relative(root, join(release, 'normscope.node'))}`);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

// One build at a time in this output folder; a lock left by a process that died is taken over.
async function withLock(fn) {
  mkdirSync(out, { recursive: true });
  const lock = join(out, '.build.lock');
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let pid = 0;
      try {
        pid = Number(readFileSync(lock, 'utf8'));
      } catch {
        // removed meanwhile: retry
      }
      if (pid > 0 && !alive(pid)) rmSync(lock, { force: true });
      else await new Promise((ok) => setTimeout(ok, 200));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

withLock(main).catch((e) => {
  console.error(`build-cuda-emu: ${e.message}`);
  process.exit(1);
});
