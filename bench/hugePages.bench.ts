/**
 * First write into fresh host-allocator buffers with and without the transparent huge page advice
 * (engine/tensor/allocator.ts's fresh-buffer hook, installed from native/addon/huge_pages.cc by
 * engine/backend/nativeLoader.ts). Each sample takes a never-pooled buffer from takeBuffer (hook off)
 * and times takeBuffer + the advice (when on) + one full write (fill) of it; off and on alternate, so both see the same machine load.
 * Also times the advice call alone. Sizes straddle FRESH_HOOK_MIN_BYTES to show where advice pays.
 *
 *   npm run bench -- hugePages [--reps 9] [--sizes 2,4,8,16,100]   (MiB; default 1,2,3,4,6,8,16,100)
 *   (that is node --expose-gc --import tsx bench/hugePages.bench.ts: gc() before each sample, so buffers
 *   of earlier samples are not collected inside a timed one)
 */
import { performance } from 'node:perf_hooks';
import { loadAddon } from '../engine/backend/nativeLoader.js';
import { setFreshBufferHook, takeBuffer } from '../engine/tensor/allocator.js';
import { benchArgsOrExit, parseBenchArgs, positiveInt, positiveNumberList } from './args.js';

const a = benchArgsOrExit('hugePages', () => parseBenchArgs(process.argv.slice(2), { options: ['reps', 'sizes'] }));
const reps = benchArgsOrExit('hugePages', () => positiveInt(a, 'reps')) ?? 9;
const sizesMiB = benchArgsOrExit('hugePages', () => positiveNumberList(a, 'sizes')) ?? [1, 2, 3, 4, 6, 8, 16, 100];
const gc = (globalThis as { gc?: () => void }).gc;

const { addon, error } = loadAddon();
if (!addon?.adviseHugePages) {
  // Nothing to compare where the addon is missing or older (`npm run bench -- all` goes on).
  console.log(`hugePages: skipped, the addon has no adviseHugePages (${error ?? 'built before it'})`);
  process.exit(0);
}
const installed = setFreshBufferHook(null); // the loader's hook (Linux), or null
const advise = (b: ArrayBuffer): void => void addon.adviseHugePages!(b);
let adviseMs = 0;
let advised = 0;
const timedAdvise = (b: ArrayBuffer): void => {
  const t0 = performance.now();
  if (addon.adviseHugePages!(b)) advised++;
  adviseMs += performance.now() - t0;
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

// Distinct byte lengths per sample: the pool never hands a buffer back, every one is fresh.
let salt = 0;
// The advice is given here, not through the hook, so sizes below FRESH_HOOK_MIN_BYTES are measured too
// (above it the hook does exactly this, from inside takeBuffer).
function sample(bytes: number, adviceFn: ((b: ArrayBuffer) => void) | null): number {
  gc?.();
  const t0 = performance.now();
  const buf = takeBuffer(bytes + 4096 * ++salt, false, false);
  adviceFn?.(buf);
  new Float32Array(buf).fill(1);
  return performance.now() - t0;
}

console.log(
  `node ${process.version}, ${reps} reps, loader hook ${installed ? 'installed' : 'not installed'}, gc ${gc ? 'on' : 'off (run with --expose-gc)'}`,
);
console.log('size MiB | off best | off median | on best | on median | advise call median | advice taken');
for (const mib of sizesMiB) {
  const bytes = Math.round(mib * 1024 * 1024);
  const off: number[] = [];
  const on: number[] = [];
  const calls: number[] = [];
  advised = 0;
  sample(bytes, null); // warm-up (JIT)
  for (let r = 0; r < reps; r++) {
    off.push(sample(bytes, null));
    adviseMs = 0;
    on.push(sample(bytes, timedAdvise));
    calls.push(adviseMs);
  }
  const f = (x: number): string => x.toFixed(2).padStart(8);
  console.log(
    `${String(mib).padStart(8)} | ${f(Math.min(...off))} | ${f(median(off))}   | ${f(Math.min(...on))} | ${f(median(on))}  | ${f(median(calls))}          | ${advised}/${reps}`,
  );
}
setFreshBufferHook(installed ?? advise);
