import { describe, expect, it } from 'vitest';
import { BatchNorm1d, randn } from '../index.js';
import { decide, explainBatchNorm } from './explain.js';

describe('explainBatchNorm', () => {
  it('follows the seed: eval with buffers normalizes with running stats and updates nothing', () => {
    expect(decide(false, true, true)).toMatchObject({ bnTraining: false, normalizesWith: 'running statistics', updatesRunningStats: false });
    expect(decide(true, true, true)).toMatchObject({ counterIncrements: true, updatesRunningStats: true });
    // Buffers present but tracking flipped off after construction: batch stats, no update in training…
    expect(decide(true, false, true)).toMatchObject({ bnTraining: true, buffersPassed: false, updatesRunningStats: false });
    // …and the buffers are used in eval.
    expect(decide(false, false, true)).toMatchObject({ normalizesWith: 'running statistics' });
    expect(decide(false, false, false)).toMatchObject({ normalizesWith: 'batch statistics', updatesRunningStats: false });
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
  });

  it('lists channels where eps dominates the running variance', () => {
    const bn = new BatchNorm1d(3, { eps: 1e-3 });
    (bn.runningVar!.data as Float32Array).set([1, 5e-3, 1e-9]);
    expect(explainBatchNorm(bn).epsDominatedChannels).toEqual([1, 2]);
  });
});
