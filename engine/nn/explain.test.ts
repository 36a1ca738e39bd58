import { describe, expect, it } from 'vitest';
import { BatchNorm1d, randn } from '../index.js';
import { decide, explainBatchNorm } from './explain.js';

describe('explainBatchNorm', () => {
  it('follows the seed: eval with buffers normalizes with running stats and updates nothing', () => {
    expect(decide(false, true, true)).toMatchObject({
      bnTraining: false,
      normalizesWith: 'running statistics',
      updatesRunningStats: false,
    });
    expect(decide(true, true, true)).toMatchObject({ counterIncrements: true, updatesRunningStats: true });
    // Buffers present but tracking flipped off after construction: batch stats, no update in training…
    expect(decide(true, false, true)).toMatchObject({
      bnTraining: true,
      buffersPassed: false,
      updatesRunningStats: false,
    });
    // …and the buffers are used in eval.
    expect(decide(false, false, true)).toMatchObject({ normalizesWith: 'running statistics' });
    expect(decide(false, false, false)).toMatchObject({
      normalizesWith: 'batch statistics',
      updatesRunningStats: false,
    });
  });

  it('predicts the next factor for momentum None (1/n) and its Keras equivalent', () => {
    const bn = new BatchNorm1d(3, { momentum: null });
    expect(explainBatchNorm(bn).nextFactor).toBe(1);
    bn.forward(randn([4, 3]));
    bn.forward(randn([4, 3]));
    const e = explainBatchNorm(bn);
    expect(e.nextFactor).toBeCloseTo(1 / 3);
    expect(e.kerasMomentum).toBeCloseTo(2 / 3);
    expect(e.truthTable.filter((r) => r.current)).toHaveLength(1);
    bn.eval();
    expect(explainBatchNorm(bn).nextFactor).toBe(0);
    expect(explainBatchNorm(bn).kerasMomentum).toBeCloseTo(2 / 3);
  });

  it('reports the configured Keras momentum in eval, where nothing updates', () => {
    const bn = new BatchNorm1d(3, { momentum: 0.1 }).eval();
    expect(explainBatchNorm(bn).nextFactor).toBe(0);
    expect(explainBatchNorm(bn).kerasMomentum).toBeCloseTo(0.9);
  });

  it('lists channels where eps dominates the running variance', () => {
    const bn = new BatchNorm1d(3, { eps: 1e-3 });
    (bn.runningVar!.data as Float32Array).set([1, 5e-3, 1e-9]);
    expect(explainBatchNorm(bn).epsDominatedChannels).toEqual([1, 2]);
  });
});

describe('forward obeys decide()', () => {
  const combos: [boolean, boolean, boolean][] = [];
  for (const training of [true, false])
    for (const track of [true, false]) for (const present of [true, false]) combos.push([training, track, present]);

  it.each(combos)('training=%s tracking=%s buffers=%s', (training, track, present) => {
    const bn = new BatchNorm1d(3, { momentum: 0.5 });
    (bn.runningMean!.data as Float32Array).fill(5);
    (bn.runningVar!.data as Float32Array).fill(4);
    if (!present) {
      bn.runningMean = null;
      bn.runningVar = null;
    }
    bn.trackRunningStats = track;
    bn.train(training);
    const d = decide(training, track, present, true);
    expect(bn.decision()).toEqual(d);
    const x = randn([8, 3]);
    const counter0 = bn.numBatchesTracked!.item();
    const rm0 = present ? [...(bn.runningMean!.data as Float32Array)] : null;
    const y = bn.forward(x).toArray() as number[];
    // What the forward did, observed from the outside:
    expect(bn.numBatchesTracked!.item() - counter0).toBe(d.counterIncrements ? 1 : 0);
    if (rm0)
      expect([...(bn.runningMean!.data as Float32Array)].some((v, i) => v !== rm0[i])).toBe(d.updatesRunningStats);
    const xs = x.toArray() as number[];
    const channel0 = [0, 1, 2, 3, 4, 5, 6, 7].map((r) => y[r * 3]!);
    if (d.normalizesWith === 'running statistics') {
      const eps = bn.eps;
      xs.forEach((v, i) => expect(y[i]).toBeCloseTo((v - 5) / Math.sqrt(4 + eps), 4));
    } else {
      expect(channel0.reduce((a, b) => a + b, 0) / 8).toBeCloseTo(0, 5);
    }
    expect(bn.lastForward).toEqual({ decision: d, factorUsed: d.updatesRunningStats ? 0.5 : null });
  });

  it('counts on num_batches_tracked, not on the buffers (PyTorch increments with buffers set to None)', () => {
    const bn = new BatchNorm1d(2, { momentum: null });
    bn.runningMean = null;
    bn.runningVar = null;
    bn.forward(randn([4, 2]));
    expect(bn.numBatchesTracked!.item()).toBe(1);
    expect(bn.lastForward!.decision).toMatchObject({ counterIncrements: true, updatesRunningStats: false });
  });
});
