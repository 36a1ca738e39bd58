#!/usr/bin/env node
// Builds the native addon: native/build/Release/normscope.node (CPU kernels always; CUDA kernels when
// nvcc is found) and records what it built and why in native/build/build-info.json:
//   { cpu: true|false, cuda: true|false, reason, cudaReason, ... }
// engine/backend/nativeLoader.ts reads that record to say why a backend is unavailable.
//
// CUDA: nvcc compiles native/kernels/cuda_kernels.cu (BatchNorm kernels) and cuda_device.cu (the
// device-resident ops of normscope_device.h) into a static archive, linked into the addon with
// the CUDA runtime linked statically (-lcudart_static), so the addon loads on machines without a driver.
// OpenBLAS (the model runner's GEMM, native/kernels/normscope_gemm.h): built in when libopenblas.so.0
// is found (Debian: libopenblas0 / libopenblas-dev), opened with dlopen at run time; without it the
// addon builds without cpu.gemm and the engine multiplies in TypeScript. NORMSCOPE_NO_OPENBLAS=1 skips it.
// Environment: NORMSCOPE_NO_CUDA=1 skips CUDA; NORMSCOPE_CUDA_ARCHS="80,90" picks GPU architectures
// (default: machine code for 80 and 90, PTX for 75 that newer GPUs compile at load); NVCC / CUDA_HOME.
//
// Exits non-zero, with a clear message, when the CPU addon cannot be built (the engine then runs on
// TypeScript); a CUDA failure alone only drops CUDA. Skips work when sources and options are unchanged.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const native = join(root, 'native');
const buildDir = join(native, 'build');
const addonPath = join(buildDir, 'Release', 'normscope.node');
const infoPath = join(buildDir, 'build-info.json');
const t0 = Date.now();

function log(msg) {
  console.log(`build-native: ${msg}`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: root, maxBuffer: 64 << 20, ...opts });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  const why = r.error ? r.error.message : `${cmd} exited with status ${r.status ?? r.signal}`;
  return { ok: r.status === 0, out: r.status === 0 || out ? out : why, error: r.error };
}

function lastLines(text, n = 15) {
  return text.trim().split('\n').slice(-n).join('\n');
}

function writeInfo(info) {
  mkdirSync(buildDir, { recursive: true });
  writeFileSync(
    infoPath,
    `${JSON.stringify({ ...info, seconds: (Date.now() - t0) / 1000, date: new Date().toISOString() }, null, 2)}\n`,
  );
}

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function findNvcc() {
  if (process.env.NVCC && existsSync(process.env.NVCC)) return process.env.NVCC;
  const onPath = which('nvcc');
  if (onPath) return onPath;
  for (const home of [process.env.CUDA_HOME, process.env.CUDA_PATH, '/usr/local/cuda'].filter(Boolean)) {
    const p = join(home, 'bin', 'nvcc');
    if (existsSync(p)) return p;
  }
  return null;
}

function findCudartStatic(nvcc) {
  const homes = [resolve(dirname(realpathSync(nvcc)), '..'), process.env.CUDA_HOME, '/usr/local/cuda'].filter(Boolean);
  const dirs = homes.flatMap((h) => [join(h, 'lib64'), join(h, 'targets', 'x86_64-linux', 'lib'), join(h, 'lib')]);
  for (const d of [...dirs, '/usr/lib/x86_64-linux-gnu']) {
    if (existsSync(join(d, 'libcudart_static.a'))) return d;
  }
  return null;
}

// Node headers without a download: the running node's own include/node, else whatever node-gyp finds.
function nodeDir() {
  const d = resolve(dirname(process.execPath), '..');
  return existsSync(join(d, 'include', 'node', 'node_api.h')) ? d : null;
}

// Whether the dynamic loader can find libopenblas.so.0 (cpu_gemm.cc dlopens it; no header needed).
function findOpenblas() {
  if (process.env.NORMSCOPE_NO_OPENBLAS)
    return { ok: false, reason: 'OpenBLAS disabled at build (NORMSCOPE_NO_OPENBLAS)' };
  if (process.platform !== 'linux') return { ok: false, reason: 'OpenBLAS GEMM is built on Linux only' };
  const ld = spawnSync('sh', ['-c', 'ldconfig -p 2>/dev/null || /sbin/ldconfig -p'], { encoding: 'utf8' });
  if (/\blibopenblas\.so\.0\b/.test(ld.stdout ?? '')) return { ok: true, reason: null };
  return { ok: false, reason: 'libopenblas.so.0 not found at build (apt-get install libopenblas0)' };
}

function sourceHash(extra) {
  const h = createHash('sha256');
  for (const sub of ['kernels', 'addon']) {
    const dir = join(native, sub);
    for (const f of readdirSync(dir).sort()) h.update(f).update(readFileSync(join(dir, f)));
  }
  h.update(readFileSync(join(native, 'binding.gyp')));
  h.update(readFileSync(fileURLToPath(import.meta.url)));
  h.update(JSON.stringify(extra));
  return h.digest('hex').slice(0, 16);
}

// ---- what to build
const archs = (process.env.NORMSCOPE_CUDA_ARCHS ?? '80,90')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const wantCuda = !process.env.NORMSCOPE_NO_CUDA;
const nvcc = wantCuda ? findNvcc() : null;
const openblas = findOpenblas();
const hash = sourceHash({ archs, nvcc, node: process.version, openblas: openblas.ok });

if (existsSync(addonPath) && existsSync(infoPath)) {
  try {
    const prev = JSON.parse(readFileSync(infoPath, 'utf8'));
    if (prev.hash === hash && prev.cpu) {
      log(`up to date (cpu: ${prev.cpu}, cuda: ${prev.cuda}${prev.cudaReason ? `, ${prev.cudaReason}` : ''})`);
      process.exit(0);
    }
  } catch {
    // rebuild
  }
}

const gypJs = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
if (!existsSync(gypJs)) {
  const reason = 'node-gyp is not installed (run npm install)';
  writeInfo({ cpu: false, cuda: false, reason, cudaReason: reason, hash: null });
  console.error(`build-native: cannot build the native addon: ${reason}`);
  process.exit(1);
}
const cxx = process.env.CXX || which('c++') || which('g++') || which('clang++');
if (!cxx) {
  const reason = 'no C++ compiler found (install g++ or clang, e.g. apt-get install build-essential)';
  writeInfo({ cpu: false, cuda: false, reason, cudaReason: reason, hash: null });
  console.error(`build-native: cannot build the native addon: ${reason}`);
  process.exit(1);
}

const gypBase = [gypJs];
const nd = nodeDir();
const gypOpts = nd ? [`--nodedir=${nd}`] : [];

// configure + build (not `rebuild`, which deletes native/build and with it the cached CUDA archive);
// make rebuilds what changed, including on changed command lines.
mkdirSync(join(buildDir, 'cuda'), { recursive: true });

let cuda = false;
let cudaReason = null;
let cudaDefs = [];
if (!wantCuda) {
  cudaReason = 'CUDA disabled at build (NORMSCOPE_NO_CUDA)';
} else if (!nvcc) {
  cudaReason = 'nvcc not found at build';
} else {
  const libdir = findCudartStatic(nvcc);
  if (!libdir) {
    cudaReason = `CUDA build failed: libcudart_static.a not found next to ${nvcc}`;
  } else {
    const cudaUnits = ['cuda_kernels', 'cuda_device'];
    const archive = join(buildDir, 'cuda', 'libnormscope_cuda.a');
    const gencode = archs.flatMap((a) => ['-gencode', `arch=compute_${a},code=sm_${a}`]);
    gencode.push('-gencode', 'arch=compute_75,code=compute_75');
    // nvcc is slow: reuse the archive when the CUDA sources, architectures and nvcc are unchanged.
    const stampPath = join(buildDir, 'cuda', 'stamp');
    const ch = createHash('sha256').update(JSON.stringify({ archs, nvcc }));
    // every .cu, .cuh and header in native/kernels (the CUDA units include several of them)
    const cudaSources = readdirSync(join(native, 'kernels')).filter((f) => /\.(cu|cuh|h)$/.test(f));
    for (const f of cudaSources.sort()) ch.update(f).update(readFileSync(join(native, 'kernels', f)));
    const cudaHash = ch.digest('hex').slice(0, 16);
    const cached = existsSync(archive) && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === cudaHash;
    let ar = { ok: true, out: '' };
    if (cached) {
      log('CUDA kernels unchanged; reusing the archive');
    } else {
      log(`compiling CUDA kernels with ${nvcc} (sm_${archs.join(', sm_')} + PTX 7.5)…`);
      const objs = [];
      let r = { ok: true, out: '' };
      for (const unit of cudaUnits) {
        const obj = join(buildDir, 'cuda', `${unit}.o`);
        r = run(nvcc, [
          '-O3',
          '-std=c++17',
          '-Xcompiler',
          '-fPIC,-fvisibility=hidden',
          ...gencode,
          '-c',
          join(native, 'kernels', `${unit}.cu`),
          '-o',
          obj,
        ]);
        if (!r.ok) break;
        objs.push(obj);
      }
      rmSync(archive, { force: true }); // no stale members
      ar = r.ok ? run('ar', ['rcs', archive, ...objs]) : r;
      if (ar.ok) writeFileSync(stampPath, cudaHash);
    }
    if (!ar.ok) {
      cudaReason = `CUDA build failed: ${lastLines(ar.out, 5)}`;
      log(cudaReason);
    } else {
      cuda = true;
      cudaDefs = ['-Dns_cuda=1', `-Dns_cuda_archive=${archive}`, `-Dns_cuda_libdir=${libdir}`];
    }
  }
}
if (!cuda) log(`building without CUDA: ${cudaReason}`);

function gyp(defs) {
  const conf = run(process.execPath, [...gypBase, 'configure', '--directory', native, ...gypOpts, '--', ...defs]);
  if (!conf.ok) return conf;
  return run(process.execPath, [...gypBase, 'build', '--directory', native, '--jobs', '2']);
}

const blasDefs = openblas.ok ? ['-Dns_openblas=1'] : [];
if (!openblas.ok) log(`building without the OpenBLAS GEMM: ${openblas.reason}`);
let r = gyp([...cudaDefs, ...blasDefs]);
if (!r.ok && cuda) {
  cudaReason = `CUDA link failed: ${lastLines(r.out, 5)}`;
  log(`${cudaReason}; retrying without CUDA`);
  cuda = false;
  r = gyp(blasDefs);
}
if (!r.ok || !existsSync(addonPath)) {
  const reason = `addon compile failed: ${lastLines(r.out, 20)}`;
  writeInfo({ cpu: false, cuda: false, reason, cudaReason: cudaReason ?? reason, hash: null });
  console.error(`build-native: cannot build the native addon; the engine will use the TypeScript backend.\n${reason}`);
  process.exit(1);
}

// Load it once in a child process: a build that links but cannot load counts as a failed build.
const probe = run(process.execPath, [
  '-e',
  `const a=require(${JSON.stringify(addonPath)});console.log(JSON.stringify(a.info()))`,
]);
if (!probe.ok) {
  const reason = `addon built but failed to load: ${lastLines(probe.out, 10)}`;
  writeInfo({ cpu: false, cuda: false, reason, cudaReason: cudaReason ?? reason, hash: null });
  console.error(`build-native: ${reason}`);
  process.exit(1);
}
writeInfo({
  cpu: true,
  cuda,
  reason: null,
  cudaReason,
  openblas: openblas.ok,
  openblasReason: openblas.reason,
  hash,
  archs: cuda ? archs : [],
  probe: JSON.parse(probe.out.trim()),
});
log(
  `built ${addonPath} in ${((Date.now() - t0) / 1000).toFixed(1)}s (cpu: true, cuda: ${cuda}${cudaReason ? `, ${cudaReason}` : ''})`,
);
