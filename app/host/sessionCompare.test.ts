import { describe, expect, it } from 'vitest';
import { buildStack, manualSeed, randn, type Module } from '../../engine/index.js';
import { compareTrainEval } from './sessionCompare.js';

const values = (m: Module) => [...m.stateDict()].map(([k, t]) => [k, t.toArray()] as const);

describe('stepping train-vs-eval comparison', () => {
  it('finds the first BatchNorm as the divergent layer and changes no state or mode', () => {
    manualSeed(1);
    const model = buildStack({
      layers: [
        { type: 'Linear', inFeatures: 3, outFeatures: 4 },
        { type: 'BatchNorm1d', numFeatures: 4 },
        { type: 'ReLU' },
      ],
    });
    model.train(false);
    const before = values(model);
    const r = compareTrainEval(model, randn([16, 3]));
    expect(r.rows.map((row) => [row.path, row.type])).toEqual([
      ['0', 'Linear'],
      ['1', 'BatchNorm1d'],
      ['2', 'ReLU'],
    ]);
    expect(r.rows[0]!.maxAbsDiff).toBe(0);
    expect(r.rows[1]!.maxAbsDiff).toBeGreaterThan(1e-3);
    expect(r.firstDivergent).toBe('1');
    expect(values(model)).toEqual(before); // running stats and num_batches_tracked
    expect(model.training).toBe(false);
  });

  it('a stack without BatchNorm does not diverge; train mode stays on', () => {
    manualSeed(2);
    const model = buildStack({ layers: [{ type: 'Linear', inFeatures: 3, outFeatures: 2 }, { type: 'ReLU' }] });
    model.train(true);
    const r = compareTrainEval(model, randn([4, 3]));
    expect(r.firstDivergent).toBeNull();
    expect(model.training).toBe(true);
  });

  it('a NaN output counts as divergent', () => {
    manualSeed(3);
    const model = buildStack({ layers: [{ type: 'Linear', inFeatures: 2, outFeatures: 2 }] });
    const x = randn([3, 2]);
    x.fill_(NaN);
    expect(compareTrainEval(model, x).firstDivergent).toBe('0');
  });
});
