/**
 * SyncBatchNorm's local halves with simulated gathers: each "rank" runs the real module forward and
 * backward against a ProcessGroup that answers with the rows and sums the other ranks would send,
 * and the result must equal BatchNorm over the concatenated batch.
 */
import { describe, expect, it } from 'vitest';
import {
  BatchNorm2d,
  SyncBatchNorm,
  Tensor,
  cat0,
  convertSyncBatchnorm,
  destroyProcessGroup,
  initProcessGroup,
  manualSeed,
  randn,
  Sequential,
  BatchNorm1d,
  ReLU,
  type ProcessGroup,
} from '../index.js';
import { combineGathered, localStatsRow } from './syncBatchNormFunction.js';
import { ncs } from '../nn/functional/batchNorm.js';
import { getBackend } from '../backend/registry.js';

class SimulatedGroup implements ProcessGroup {
  readonly backend = 'ipc' as const;
  readonly ranks: number[];
  constructor(
    readonly rank: number,
    readonly size: number,
    private gathered: Float64Array,
    private reduced: Float64Array | null,
  ) {
    this.ranks = Array.from({ length: size }, (_, i) => i);
  }
  allGather(data: Float64Array): Float64Array {
    const row = data.length;
    expect(Array.from(this.gathered.slice(this.rank * row, (this.rank + 1) * row))).toEqual(Array.from(data));
    return this.gathered;
  }
  allReduceSum(): Float64Array {
    return this.reduced!;
  }
  broadcast(data: Float64Array): Float64Array {
    return data;
  }
  barrier(): void {}
}

function close(a: number[], b: number[], tol: number): void {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i]!))));
}

function runCase(shards: number[], momentum: number | null): void {
  const C = 3;
  manualSeed(shards.length * 17 + shards[0]!);
  const xs = shards.map((n) => randn([n, C, 2, 2], { dtype: 'float64' }));
  const dys = shards.map((n) => randn([n, C, 2, 2], { dtype: 'float64' }));
  const eps = 1e-5;
  // Phase 1: every rank's 2C+1 row, as the all-gather would assemble them.
  const rows = xs.map((x) => localStatsRow(x.floatData(), ncs(x), eps).row);
  const gathered = new Float64Array(rows.length * (2 * C + 1));
  rows.forEach((r, i) => gathered.set(r, i * (2 * C + 1)));
  const combined = getBackend().gatherStatsWithCounts(gathered, rows.length, C, eps);
  // The backward all-reduce of [Σdy, Σ(x−mean)·dy] over ranks.
  const reduced = new Float64Array(2 * C);
  xs.forEach((x, i) => {
    if (x.numel() === 0) return;
    const r = getBackend().backwardReduce({ dy: dys[i]!.floatData(), x: x.floatData(), dims: ncs(x), mean: combined.mean });
    for (let c = 0; c < C; c++) {
      reduced[c]! += r.sumDy[c]!;
      reduced[C + c]! += r.sumDyXmu[c]!;
    }
  });

  const outs: Tensor[] = [];
  const grads: Tensor[] = [];
  const wGrad = new Float64Array(C);
  const bGrad = new Float64Array(C);
  let first: SyncBatchNorm | null = null;
  xs.forEach((x, rank) => {
    const m = new SyncBatchNorm(C, { momentum, dtype: 'float64' });
    first ??= m;
    initProcessGroup(new SimulatedGroup(rank, xs.length, gathered, reduced));
    try {
      const xi = new Tensor(x.data, x.shape, x.dtype, true);
      const y = m.forward(xi);
      y.backward(dys[rank]!);
      outs.push(y);
      grads.push(xi.grad!);
      m.weight!.grad!.toArray().forEach((v, c) => (wGrad[c]! += v));
      m.bias!.grad!.toArray().forEach((v, c) => (bGrad[c]! += v));
      // Every rank ends with identical running stats.
      if (first !== m) close(m.runningVar!.toArray(), first!.runningVar!.toArray(), 1e-12);
    } finally {
      destroyProcessGroup();
    }
  });

  const ref = new BatchNorm2d(C, { momentum, dtype: 'float64' });
  const xAll = new Tensor(cat0(xs).data, cat0(xs).shape, 'float64', true);
  const yAll = ref.forward(xAll);
  yAll.backward(cat0(dys));
  close(cat0(outs).toArray(), yAll.toArray(), 1e-9);
  close(cat0(grads).toArray(), xAll.grad!.toArray(), 1e-9);
  close(Array.from(wGrad), ref.weight!.grad!.toArray(), 1e-9);
  close(Array.from(bGrad), ref.bias!.grad!.toArray(), 1e-9);
  close(first!.runningMean!.toArray(), ref.runningMean!.toArray(), 1e-12);
  close(first!.runningVar!.toArray(), ref.runningVar!.toArray(), 1e-12);
  expect(first!.numBatchesTracked!.item()).toBe(1);
}

describe('SyncBatchNorm with simulated gathers equals BatchNorm on the concatenation', () => {
  for (const shards of [[4, 4], [5, 1, 3], [2, 0, 6, 1], [1, 1, 1, 1, 1, 1, 1, 1]]) {
    for (const momentum of [0.1, null]) {
      it(`shards ${shards.join(',')} momentum ${momentum}`, () => runCase(shards, momentum));
    }
  }

  it('masks empty ranks and combines with the total count', () => {
    const C = 2;
    const row = (m: number[], inv: number[], n: number) => [...m, ...inv, n];
    const g = new Float64Array([...row([1, 2], [1, 1], 4), ...row([0, 0], [0, 0], 0), ...row([3, 2], [0.5, 1], 4)]);
    const rm = new Float64Array([0, 0]);
    const rv = new Float64Array([1, 1]);
    const st = combineGathered(g, 3, C, 0, 1.0, rm, rv);
    expect(st.count).toBe(8);
    expect(Array.from(st.mean)).toEqual([2, 2]);
    // channel 0: var_j = 1 and 4, M2 = 4·1 + 4·4 + (1−3)²·4·4/8 = 28 → unbiased 28/7 = 4
    expect(rv[0]).toBeCloseTo(4, 12);
    expect(rm[0]).toBe(2);
  });

  it('falls back to plain batch norm with world size 1 or no group, and in eval', () => {
    manualSeed(1);
    const x = randn([4, 2, 3]);
    const plain = new BatchNorm1d(2).forward(x).toArray();
    expect(new SyncBatchNorm(2).forward(x).toArray()).toEqual(plain);
    initProcessGroup(new SimulatedGroup(0, 1, new Float64Array(0), null));
    try {
      expect(new SyncBatchNorm(2).forward(x).toArray()).toEqual(plain);
    } finally {
      destroyProcessGroup();
    }
  });

  it('strict device parity restores the seed error when a sync would happen', () => {
    SyncBatchNorm.strictDeviceParity = true;
    initProcessGroup(new SimulatedGroup(0, 2, new Float64Array(0), null));
    try {
      expect(() => new SyncBatchNorm(2).forward(randn([4, 2]))).toThrow(
        'SyncBatchNorm expected input tensor to be on GPU or privateuseone',
      );
    } finally {
      SyncBatchNorm.strictDeviceParity = false;
      destroyProcessGroup();
    }
  });

  it('input checks use PyTorch texts', () => {
    const m = new SyncBatchNorm(2);
    expect(() => m.forward(randn([3]))).toThrow('expected at least 2D input (got 1D input)');
    expect(() => m.forward(randn([3, 0]))).toThrow('SyncBatchNorm number of input channels should be non-zero');
  });

  it('convertSyncBatchnorm shares tensors and keeps training and qconfig', () => {
    const bn = new BatchNorm1d(4);
    bn.qconfig = { name: 'fbgemm' };
    const net = new Sequential(bn, new ReLU());
    net.eval();
    const out = convertSyncBatchnorm(net);
    expect(out).toBe(net);
    const sync = net.at(0) as SyncBatchNorm;
    expect(sync).toBeInstanceOf(SyncBatchNorm);
    expect(sync.weight).toBe(bn.weight);
    expect(sync.runningMean).toBe(bn.runningMean);
    expect(sync.numBatchesTracked).toBe(bn.numBatchesTracked);
    expect(sync.training).toBe(false);
    expect(sync.qconfig).toEqual({ name: 'fbgemm' });
    const root = new BatchNorm2d(3);
    const converted = convertSyncBatchnorm(root);
    expect(converted).not.toBe(root);
    expect(converted).toBeInstanceOf(SyncBatchNorm);
  });
});
