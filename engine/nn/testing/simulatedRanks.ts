/**
 * Simulated ranks for SyncBatchNorm tests in one process: each rank runs the engine's real
 * SyncBatchNorm against a ProcessGroup whose peers are PyTorch's recorded per-rank numbers (from
 * BatchNorm on the concatenation, tools/parity_fixtures/sync_cases.concat_run). Used by the
 * committed-fixture test and the live differential test.
 */
import { destroyProcessGroup, initProcessGroup, SyncBatchNorm, type ProcessGroup } from '../../index.js';
import { captureEngine, toTensor, type EncTensor } from './fixtures.js';
import { compareError, compareTensor, compareValues, toleranceFor } from './compare.js';
import { compareState, type ModuleStateRecord } from './scenario.js';

export interface RankRecord {
  input: EncTensor;
  gradOut: EncTensor;
  count: number;
  localMean: EncTensor;
  localInvstd: EncTensor;
  output: EncTensor;
  gradInput: EncTensor;
  sumDy: EncTensor;
  sumDyXmu: EncTensor;
  gradWeight: EncTensor | null;
  gradBias: EncTensor | null;
}

export interface ConcatCase {
  name: string;
  numFeatures: number;
  eps: number;
  momentum: number | null;
  dtype: 'float32' | 'float64';
  perRankBatch: number[];
  spatial: number[];
  /** Default true. */
  affine?: boolean;
  /** Default true. */
  trackRunningStats?: boolean;
  init: { weight: EncTensor; bias: EncTensor };
  steps: {
    ranks: RankRecord[];
    expect: {
      mean: EncTensor;
      invstd: EncTensor;
      count: number;
      sumDy: EncTensor;
      sumDyXmu: EncTensor;
      gradWeight: EncTensor;
      gradBias: EncTensor;
      state: ModuleStateRecord;
    };
  }[];
}

/**
 * A ProcessGroup for rank `rank` whose peers are PyTorch: allGather returns every rank's recorded
 * row with this rank's slot taken from what the engine actually sent; allReduceSum returns the
 * recorded global sums with this rank's recorded part replaced by the engine's. What the engine sent
 * is kept for comparison with PyTorch's per-rank numbers.
 */
export function simulatedGroup(rank: number, ranks: RankRecord[], c: number) {
  const sent: { gathered: Float64Array | null; reduced: Float64Array | null } = { gathered: null, reduced: null };
  const rowOf = (r: RankRecord): number[] => [...r.localMean.data, ...r.localInvstd.data, r.count];
  const group: ProcessGroup = {
    rank,
    size: ranks.length,
    backend: 'ipc',
    ranks: ranks.map((_, i) => i),
    allGather(data) {
      sent.gathered = data.slice();
      const out = new Float64Array(ranks.length * data.length);
      ranks.forEach((r, i) => out.set(i === rank ? data : rowOf(r), i * data.length));
      return out;
    },
    allReduceSum(data) {
      sent.reduced = data.slice();
      const out = new Float64Array(2 * c);
      ranks.forEach((r, i) => {
        const part = i === rank ? [...data] : [...r.sumDy.data, ...r.sumDyXmu.data];
        for (let k = 0; k < 2 * c; k++) out[k]! += part[k]!;
      });
      return out;
    },
    broadcast(data) {
      return data;
    },
    barrier() {},
  };
  return { group, sent };
}

export function runConcat(c: ConcatCase): string[] {
  const p: string[] = [];
  const C = c.numFeatures;
  const world = c.perRankBatch.length;
  const modules = c.perRankBatch.map(() => {
    const affine = c.affine ?? true;
    const m = new SyncBatchNorm(C, {
      eps: c.eps,
      momentum: c.momentum,
      affine,
      trackRunningStats: c.trackRunningStats ?? true,
      dtype: c.dtype,
    });
    if (affine) {
      m.weight!.copy_(toTensor(c.init.weight));
      m.bias!.copy_(toTensor(c.init.bias));
    }
    return m;
  });
  c.steps.forEach((step, s) => {
    for (let r = 0; r < world; r++) {
      const rec = step.ranks[r]!;
      const label = `step ${s} rank ${r}`;
      const { group, sent } = simulatedGroup(r, step.ranks, C);
      const m = modules[r]!;
      m.processGroup = group;
      initProcessGroup(group);
      m.zeroGrad();
      const x = toTensor(rec.input, true);
      const y = captureEngine(() => m.forward(x));
      compareError(p, `${label} forward`, y.error, null);
      if (!y.value) continue;
      const back = captureEngine(() => y.value!.backward(toTensor(rec.gradOut)));
      destroyProcessGroup();
      compareError(p, `${label} backward`, back.error, null);
      compareTensor(p, `${label} output`, y.value, rec.output);
      compareTensor(p, `${label} gradInput`, x.grad, rec.gradInput);
      compareTensor(p, `${label} local gradWeight`, m.weight?.grad ?? null, rec.gradWeight);
      compareTensor(p, `${label} local gradBias`, m.bias?.grad ?? null, rec.gradBias);
      compareState(p, `${label} state`, m, step.expect.state);
      if (world > 1) {
        // This rank's own contributions to the collectives, against PyTorch's per-rank numbers.
        const tol = toleranceFor('float64') * (c.dtype === 'float32' ? 10 : 1);
        const row = [...rec.localMean.data, ...rec.localInvstd.data, rec.count];
        if (sent.gathered) compareValues(p, `${label} all-gather row`, sent.gathered, row, tol);
        else p.push(`${label}: no all-gather`);
        if (sent.reduced)
          compareValues(p, `${label} all-reduce sums`, sent.reduced, [...rec.sumDy.data, ...rec.sumDyXmu.data], tol);
        else p.push(`${label}: no all-reduce`);
      }
    }
  });
  return p;
}
