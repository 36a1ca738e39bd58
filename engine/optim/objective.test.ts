import { describe, expect, it } from 'vitest';
import { Linear, manualSeed, randn, tensor } from '../index.js';
import { DEFAULT_LR, objectiveBackward, objectiveTarget, stepOptimizer } from './objective.js';

describe('the shared training step', () => {
  it('L = ½·mean(y²) and dL/dy = y/n', () => {
    const y = tensor(new Float64Array([1, -2, 3, 0.5]), { shape: [2, 2], requiresGrad: true });
    const loss = objectiveBackward(y);
    expect(loss).toBeCloseTo(0.5 * ((1 + 4 + 9 + 0.25) / 4), 12);
    expect([...(y.grad!.toArray() as number[])]).toEqual([1 / 4, -2 / 4, 3 / 4, 0.5 / 4]);
  });

  it('an empty output runs its backward with an empty gradient (a rank with no samples)', () => {
    const y = tensor(new Float32Array(0), { shape: [0, 3], requiresGrad: true });
    expect(objectiveBackward(y)).toBeNaN();
    expect(y.grad!.shape).toEqual([0, 3]);
  });

  it('one SGD step at the default rate moves a Linear layer by lr·x·(y/n)', () => {
    manualSeed(1);
    const lin = new Linear(3, 1, { bias: false, dtype: 'float64' });
    const w0 = [...(lin.weight.toArray() as number[])];
    const x = randn([4, 3], { dtype: 'float64' });
    const y = lin.forward(x);
    objectiveBackward(y, objectiveTarget(y));
    stepOptimizer(lin.parameters()).step();
    const xs = x.toArray() as number[];
    const ys = y.toArray() as number[];
    const w1 = lin.weight.toArray() as number[];
    w0.forEach((w, j) => {
      const g = ys.reduce((s, yi, i) => s + xs[i * 3 + j]! * (yi / 4), 0);
      expect(w1[j]).toBeCloseTo(w - DEFAULT_LR * g, 12);
    });
  });
});
