/**
 * Backends workspace: which backend runs, what the others lack, and a short benchmark of the
 * BatchNorm kernels on each available backend (train forward, eval forward, train backward) in one run.
 */
import { backendInfo, setBackend, getBackend, type BackendChoice } from '../../engine/index.js';
import type { Backend } from '../../engine/index.js';
import type { BackendsView, BenchRow } from '../shared/contract.js';
import { CancelledError } from './errors.js';

export function backendsView(): BackendsView {
  const info = backendInfo();
  const { bytesInUse, bytesCached, peakBytesInUse } = info.memory;
  return {
    active: info.active,
    requested: info.requested,
    backends: info.backends.map((b) => ({ ...b })),
    memory: { bytesInUse, bytesCached, peakBytesInUse },
  };
}

export function chooseBackend(name: string): BackendsView {
  setBackend(name as BackendChoice);
  return backendsView();
}

interface BenchCtx {
  progress(done: number, total: number, label: string): void;
  cancelled(): boolean;
  yieldNow(): Promise<void>;
}

function timeIt(fn: () => void, minMs = 150): number {
  fn(); // warm-up
  let iters = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    fn();
    iters++;
    t = performance.now();
  }
  return (t - t0) / iters;
}

/** Runs each available backend's kernels on the same (N, C, S) = (64, 64, 256) float32 batch. */
export async function runBench(ctx: BenchCtx): Promise<BenchRow[]> {
  const N = 64;
  const C = 64;
  const S = 256;
  const n = N * C * S;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sin(i * 0.37) * 2 + (i % C) * 0.01;
  const y = new Float32Array(n);
  const dy = new Float32Array(n).fill(0.5);
  const dx = new Float32Array(n);
  const w = new Float32Array(C).fill(1);
  const b = new Float32Array(C);
  const rm = new Float32Array(C);
  const rv = new Float32Array(C).fill(1);
  const dims = { n: N, c: C, s: S };
  const info = backendInfo();
  const names = info.backends.filter((s) => s.available).map((s) => s.name);
  const prev = info.requested;
  const rows: BenchRow[] = [];
  const total = names.length * 3;
  let done = 0;
  try {
    for (const name of names) {
      const be: Backend = setBackend(name);
      const fwd = be.forwardTrain({
        x,
        y,
        dims,
        weight: w,
        bias: b,
        runningMean: null,
        runningVar: null,
        momentum: 0.1,
        eps: 1e-5,
      });
      const cases: Array<[string, () => void, number]> = [
        [
          'train forward',
          () =>
            be.forwardTrain({
              x,
              y,
              dims,
              weight: w,
              bias: b,
              runningMean: rm,
              runningVar: rv,
              momentum: 0.1,
              eps: 1e-5,
            }),
          3,
        ],
        ['eval forward', () => be.forwardEval({ x, y, dims, weight: w, bias: b, mean: rm, invstd: fwd.invstd }), 2],
        [
          'train backward',
          () => {
            const red = be.backwardReduce({ x, dy, dims, mean: fwd.mean });
            be.backwardElemt({
              x,
              dy,
              dx,
              dims,
              mean: fwd.mean,
              invstd: fwd.invstd,
              weight: w,
              sumDy: red.sumDy,
              sumDyXmu: red.sumDyXmu,
              count: N * S,
            });
          },
          5,
        ],
      ];
      for (const [label, fn, floor] of cases) {
        if (ctx.cancelled()) throw new CancelledError('benchmark cancelled');
        ctx.progress(done, total, `${name}: ${label}`);
        await ctx.yieldNow();
        const ms = timeIt(fn);
        rows.push({ backend: name, case: label, msPerIter: ms, gbPerS: (floor * 4 * n) / (ms * 1e6) });
        done++;
      }
    }
  } finally {
    setBackend(prev);
    getBackend();
  }
  ctx.progress(total, total, 'done');
  return rows;
}
