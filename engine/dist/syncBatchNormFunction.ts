/**
 * SyncBatchNorm's autograd function across the ranks of a ProcessGroup (PyTorch's
 * torch.nn.modules._functions.SyncBatchNorm), in local halves that can be tested with simulated
 * gathers:
 *
 *   forward:  local mean/invstd/count → all-gather of [mean(C), invstd(C), count] (2C+1 values, zeros
 *             for an empty rank, which still joins) → Chan combine over ranks with count ≥ 1 → running
 *             stats updated with the unbiased M2/(n−1) over the total n → y = (x−mean)·invstd·w + b.
 *   backward: local Σdy, Σ(x−mean)·dy → one all-reduce(SUM) of the 2C values → dx with the global
 *             count; dw, db stay local (data-parallel training averages them afterwards).
 */
import { attachGrad, Tensor } from '../tensor/tensor.js';
import { allocate, type FloatArray } from '../tensor/dtype.js';
import { getBackend } from '../backend/registry.js';
import type { BatchStats, GatheredStats, NCS } from '../backend/backend.js';
import type { ProcessGroup } from './processGroup.js';
import { ncs } from '../nn/functional/batchNorm.js';
import { deviceFor } from '../tensor/device.js';
import { localKernels } from './syncBatchNormKernels.js';

/** What one SyncBatchNorm call saw, for telemetry (the app's Ranks workspace). */
export interface SyncEvent {
  tag: string;
  phase: 'forward' | 'backward';
  rank: number;
  localCount: number;
  localMean?: Float64Array;
  localVar?: Float64Array;
  combined?: GatheredStats;
  collectiveMs: number;
}

let observer: ((e: SyncEvent) => void) | null = null;

/** Receives every SyncBatchNorm forward/backward event in this process (null to stop). */
export function setSyncObserver(fn: ((e: SyncEvent) => void) | null): void {
  observer = fn;
}

/** Row of 2C+1 values this rank contributes: [mean, invstd, count], zeros when the batch is empty. */
export function localStatsRow(x: FloatArray, dims: NCS, eps: number): { row: Float64Array; varBiased: Float64Array } {
  return statsRow(dims, eps, () => getBackend().batchStats(x, dims));
}

function statsRow(
  dims: NCS,
  eps: number,
  stats: () => Pick<BatchStats, 'mean' | 'varBiased'>,
): { row: Float64Array; varBiased: Float64Array } {
  const { c } = dims;
  const row = new Float64Array(2 * c + 1);
  const count = dims.n * dims.s;
  if (count === 0) return { row, varBiased: new Float64Array(c) };
  const st = stats();
  for (let ch = 0; ch < c; ch++) {
    row[ch] = st.mean[ch]!;
    row[c + ch] = 1 / Math.sqrt(st.varBiased[ch]! + eps);
  }
  row[2 * c] = count;
  return { row, varBiased: st.varBiased };
}

/**
 * Combines gathered rows (W × (2C+1)) and updates the running stats in place:
 * r ← (1−f)·r + f·stat, with the unbiased variance M2/(n−1) over the total count n.
 */
export function combineGathered(
  gathered: Float64Array,
  worldSize: number,
  c: number,
  eps: number,
  momentum: number,
  runningMean: FloatArray | null,
  runningVar: FloatArray | null,
): GatheredStats {
  const st = getBackend().gatherStatsWithCounts(gathered, worldSize, c, eps);
  const n = st.count;
  if (runningMean) for (let ch = 0; ch < c; ch++) runningMean[ch] = momentum * st.mean[ch]! + (1 - momentum) * runningMean[ch]!;
  if (runningVar) {
    for (let ch = 0; ch < c; ch++) {
      const unbiased = (st.varBiased[ch]! * n) / (n - 1);
      runningVar[ch] = momentum * unbiased + (1 - momentum) * runningVar[ch]!;
    }
  }
  return st;
}

function now(): number {
  return globalThis.performance ? performance.now() : Date.now();
}

/** The synchronized forward; records the backward that all-reduces the 2C gradient sums. */
export function syncBatchNorm(
  input: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  eps: number,
  momentum: number,
  group: ProcessGroup,
  tag = 'SyncBatchNorm',
): Tensor {
  const dims = ncs(input);
  const k = localKernels(deviceFor(input, weight, bias), input, weight, bias, dims);
  const { row, varBiased } = statsRow(dims, eps, () => k.stats());
  const t0 = now();
  const gathered = group.allGather(row, { tag: `${tag}:forward` });
  const forwardMs = now() - t0;
  const st = combineGathered(
    gathered,
    group.size,
    dims.c,
    eps,
    momentum,
    runningMean ? runningMean.floatData() : null,
    runningVar ? runningVar.floatData() : null,
  );
  observer?.({
    tag,
    phase: 'forward',
    rank: group.rank,
    localCount: dims.n * dims.s,
    localMean: row.slice(0, dims.c),
    localVar: varBiased,
    combined: st,
    collectiveMs: forwardMs,
  });
  const empty = input.numel() === 0;
  const out = empty ? new Tensor(allocate(input.dtype, 0), input.shape, input.dtype) : k.normalize(st);
  return attachGrad(out, {
    name: 'SyncBatchNormBackward',
    inputs: [input, weight, bias],
    backward: (g) => {
      const local = empty ? { sumDy: new Float64Array(dims.c), sumDyXmu: new Float64Array(dims.c) } : k.reduce(g, st);
      const combined = new Float64Array(2 * dims.c);
      combined.set(local.sumDy, 0);
      combined.set(local.sumDyXmu, dims.c);
      const t1 = now();
      const reduced = group.allReduceSum(combined, { tag: `${tag}:backward` });
      observer?.({ tag, phase: 'backward', rank: group.rank, localCount: dims.n * dims.s, collectiveMs: now() - t1 });
      let dx: Tensor | null = null;
      if (input.requiresGrad) {
        dx = empty
          ? new Tensor(allocate(input.dtype, 0), input.shape, input.dtype)
          : k.gradInput(g, st, { sumDy: reduced.slice(0, dims.c), sumDyXmu: reduced.slice(dims.c) });
      }
      return [dx, ...k.paramGrads(st, local)];
    },
  });
}
