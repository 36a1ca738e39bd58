/**
 * The native backends (cpu here; cuda where a GPU is present) against the TypeScript reference
 * kernels, kernel by kernel, on shapes that exercise every work split of the CPU kernels (plane and
 * row plans, channel- and batch-parallel, single-threaded small tensors, empty tensors), float32 and
 * float64, with and without affine parameters and running statistics.
 * Tolerances: |a−b| ≤ atol + rtol·|b| with rtol 1e-6 (float64) / 1e-5 (float32).
 */
import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { tsBackend } from './tsKernels.js';
import { loadAddon, loadNativeBackends, setNativeThreads } from './nativeLoader.js';
import { loadWasmBackend } from './wasmLoader.js';
import type { Backend, NCS } from './backend.js';
import type { FloatArray } from '../tensor/dtype.js';
import { RuntimeError } from '../errors.js';

const native = { ...loadNativeBackends(), wasm: loadWasmBackend() }; // wasm: the same kernels compiled to WebAssembly
const only = process.env.NORMSCOPE_TEST_BACKENDS?.split(',');
const available = (['cpu', 'cuda', 'wasm'] as const).filter((n) => native[n].backend && (!only || only.includes(n)));
if (!native.cpu.backend) console.log(`native backend tests skipped: ${native.cpu.reason}`);

/** Deterministic normal samples (xorshift + Box–Muller). */
function randn(n: number, seed: number, scale = 1, offset = 0): number[] {
  let s = seed >>> 0 || 1;
  const u = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(offset + scale * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
  return out;
}

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;

function close(what: string, got: ArrayLike<number>, want: ArrayLike<number>, f32: boolean): void {
  const rtol = f32 ? 1e-5 : 1e-6;
  const atol = f32 ? 1e-5 : 1e-9;
  expect(got.length, `${what} length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(w) && Number.isNaN(g)) continue;
    if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w))) {
      expect.fail(`${what}[${i}]: got ${g}, want ${w}`);
    }
  }
}

const SHAPES: NCS[] = [
  { n: 4, c: 3, s: 1 },
  { n: 256, c: 64, s: 1 },
  { n: 5, c: 7, s: 9 },
  { n: 8, c: 16, s: 49 },
  { n: 2, c: 3, s: 4100 },
  { n: 64, c: 1, s: 700 },
  { n: 3, c: 2, s: 0 },
  { n: 0, c: 4, s: 5 },
  { n: 2, c: 1, s: 1 },
  // ≥ 2^19 elements: the CPU kernels' parallel plans
  { n: 3, c: 2, s: 100_000 },
  { n: 2048, c: 300, s: 1 },
];

function checkBackend(b: Backend, dims: NCS, Arr: Ctor, affine: boolean, track: boolean): void {
  const f32 = Arr === Float32Array;
  const { n, c, s } = dims;
  const total = n * c * s;
  const x = Arr.from(randn(total, 7 + total, 2, 3));
  const dy = Arr.from(randn(total, 11 + total));
  const weight = affine ? Arr.from(randn(c, 3, 0.5, 1)) : null;
  const bias = affine ? Arr.from(randn(c, 5, 0.5)) : null;
  const mk = (): [FloatArray | null, FloatArray | null] =>
    track ? [Arr.from(randn(c, 13, 0.1)), Arr.from(randn(c, 17, 0.1, 1).map(Math.abs))] : [null, null];
  const [rmA, rvA] = mk();
  const [rmB, rvB] = mk();
  const tag = `${b.name} ${f32 ? 'f32' : 'f64'} (${n},${c},${s}) affine=${affine} track=${track}`;

  const stA = b.batchStats(x, dims);
  const stB = tsBackend.batchStats(x, dims);
  close(`${tag} batch mean`, stA.mean, stB.mean, false);
  close(`${tag} batch var`, stA.varBiased, stB.varBiased, false);
  expect(stA.count).toBe(stB.count);

  const yA = new Arr(total);
  const yB = new Arr(total);
  const common = { x, dims, weight, bias, momentum: 0.1, eps: 1e-5 };
  const trA = b.forwardTrain({ ...common, y: yA, runningMean: rmA, runningVar: rvA });
  const trB = tsBackend.forwardTrain({ ...common, y: yB, runningMean: rmB, runningVar: rvB });
  close(`${tag} saved mean`, trA.mean, trB.mean, false);
  close(`${tag} saved invstd`, trA.invstd, trB.invstd, false);
  close(`${tag} y`, yA, yB, f32);
  if (track) {
    close(`${tag} running mean`, rmA!, rmB!, f32);
    close(`${tag} running var`, rvA!, rvB!, f32);
  }

  const evA = new Arr(total);
  const evB = new Arr(total);
  const runInv = Float64Array.from(trB.invstd, (v) => v * 0.9);
  b.forwardEval({ x, y: evA, dims, weight, bias, mean: trB.mean, invstd: runInv });
  tsBackend.forwardEval({ x, y: evB, dims, weight, bias, mean: trB.mean, invstd: runInv });
  close(`${tag} eval y`, evA, evB, f32);

  const rA = b.backwardReduce({ dy, x, dims, mean: trB.mean });
  const rB = tsBackend.backwardReduce({ dy, x, dims, mean: trB.mean });
  close(`${tag} sumDy`, rA.sumDy, rB.sumDy, f32);
  close(`${tag} sumDyXmu`, rA.sumDyXmu, rB.sumDyXmu, f32);

  if (n * s > 0) {
    const dxA = new Arr(total);
    const dxB = new Arr(total);
    const args = {
      dy,
      x,
      dims,
      mean: trB.mean,
      invstd: trB.invstd,
      weight,
      sumDy: rB.sumDy,
      sumDyXmu: rB.sumDyXmu,
      count: n * s,
    };
    b.backwardElemt({ ...args, dx: dxA });
    tsBackend.backwardElemt({ ...args, dx: dxB });
    close(`${tag} dx`, dxA, dxB, f32);
  }
  const deA = new Arr(total);
  const deB = new Arr(total);
  b.backwardEvalElemt({ dy, dx: deA, dims, invstd: runInv, weight });
  tsBackend.backwardEvalElemt({ dy, dx: deB, dims, invstd: runInv, weight });
  close(`${tag} eval dx`, deA, deB, f32);
}

describe.skipIf(available.length === 0).each(available)('native %s backend matches the TypeScript kernels', (name) => {
  const b = native[name].backend!;
  for (const Arr of [Float32Array, Float64Array] as Ctor[]) {
    it(`${Arr === Float32Array ? 'float32' : 'float64'}: every kernel on every shape`, () => {
      for (const dims of SHAPES) {
        for (const affine of [true, false])
          for (const track of [true, false]) checkBackend(b, dims, Arr, affine, track);
      }
    });
  }

  it('gatherStatsWithCounts combines ranks exactly as the reference (empty ranks masked)', () => {
    const c = 3;
    const rows = [
      [0.5, -1, 2, 1.2, 0.8, 2.5, 6],
      [0, 0, 0, 0, 0, 0, 0],
      [1.5, 0, 1, 0.9, 1.1, 0.7, 10],
    ];
    const g = Float64Array.from(rows.flat());
    const a = b.gatherStatsWithCounts(g, 3, c, 1e-5);
    const r = tsBackend.gatherStatsWithCounts(g, 3, c, 1e-5);
    close('gather mean', a.mean, r.mean, false);
    close('gather invstd', a.invstd, r.invstd, false);
    close('gather var', a.varBiased, r.varBiased, false);
    expect(a.count).toBe(16);
  });

  it('rejects mismatched arrays with an engine RuntimeError, not a crash', () => {
    const dims = { n: 2, c: 2, s: 3 };
    const x = new Float32Array(12);
    expect(() =>
      b.forwardTrain({
        x,
        y: new Float64Array(12),
        dims,
        weight: null,
        bias: null,
        runningMean: null,
        runningVar: null,
        momentum: 0.1,
        eps: 1e-5,
      }),
    ).toThrow(RuntimeError);
    expect(() =>
      b.forwardEval({
        x,
        y: new Float32Array(5),
        dims,
        weight: null,
        bias: null,
        mean: new Float64Array(2),
        invstd: new Float64Array(2),
      }),
    ).toThrow(RuntimeError);
    expect(() =>
      b.forwardEval({
        x,
        y: new Float32Array(12),
        dims,
        weight: new Float32Array(1),
        bias: null,
        mean: new Float64Array(2),
        invstd: new Float64Array(2),
      }),
    ).toThrow(/shorter than the channel count/);
    expect(() => b.batchStats(new Float32Array(11), dims)).toThrow(RuntimeError);
  });
});

describe.skipIf(!native.cpu.backend)('native cpu thread pool', () => {
  it('gives the same answers with 1, 2 and 3 threads', () => {
    const b = native.cpu.backend!;
    const dims = { n: 6, c: 5, s: 3000 };
    const x = Float64Array.from(randn(dims.n * dims.c * dims.s, 99, 3, -2));
    const results: Float64Array[] = [];
    const before = native.cpu.status.threads ?? 0;
    try {
      for (const t of [1, 2, 3]) {
        expect(setNativeThreads(t)).toBe(t);
        const y = new Float64Array(x.length);
        const r = b.forwardTrain({
          x,
          y,
          dims,
          weight: null,
          bias: null,
          runningMean: null,
          runningVar: null,
          momentum: 0.1,
          eps: 1e-5,
        });
        results.push(Float64Array.from([...r.mean, ...r.invstd, y[0]!, y[x.length - 1]!]));
      }
    } finally {
      setNativeThreads(before);
    }
    close('1 vs 2 threads', results[1]!, results[0]!, false);
    close('1 vs 3 threads', results[2]!, results[0]!, false);
  });

  it('loads and runs in a worker thread (context-aware addon)', async () => {
    const path = loadAddon().path!;
    const src = `
      const { parentPort, workerData } = require('node:worker_threads');
      const a = require(workerData);
      const x = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]);
      const mean = new Float64Array(2), v = new Float64Array(2);
      a.cpu.batchStats(x, 2, 2, 2, mean, v);
      parentPort.postMessage(Array.from(mean).concat(Array.from(v)));`;
    const w = new Worker(src, { eval: true, workerData: path });
    const msg = await new Promise<number[]>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    await w.terminate();
    // channel 0: 1,2,5,6 → mean 3.5, var 4.25; channel 1: 3,4,7,8 → mean 5.5, var 4.25
    expect(msg).toEqual([3.5, 5.5, 4.25, 4.25]);
  });
});
