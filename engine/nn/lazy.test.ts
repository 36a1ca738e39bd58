import { describe, expect, it } from 'vitest';
import {
  BatchNorm2d,
  LazyBatchNorm1d,
  LazyBatchNorm2d,
  LazyBatchNorm3d,
  BatchNorm3d,
  SGD,
  randn,
  manualSeed,
  RuntimeError,
  ValueError,
} from '../index.js';

describe('LazyBatchNorm', () => {
  it('starts uninitialized with a counter, then materializes and becomes the concrete class', () => {
    const m = new LazyBatchNorm2d({ momentum: 0.3 });
    expect(m.numFeatures).toBe(0);
    expect(m.weight!.isUninitialized()).toBe(true);
    expect(m.numBatchesTracked!.item()).toBe(0);
    manualSeed(3);
    const x = randn([4, 5, 3, 3]);
    const y = m.forward(x);
    expect(m).toBeInstanceOf(BatchNorm2d);
    expect(m.getName()).toBe('BatchNorm2d');
    expect(m.numFeatures).toBe(5);
    expect(m.weight!.shape).toEqual([5]);
    expect(m.numBatchesTracked!.item()).toBe(1);
    // Same output and running stats as an eager module.
    const eager = new BatchNorm2d(5, { momentum: 0.3 });
    const ye = eager.forward(x);
    expect(y.toArray()).toEqual(ye.toArray());
    expect(m.runningVar!.toArray()).toEqual(eager.runningVar!.toArray());
  });

  it('materializes from an eager state dict and loads it', () => {
    const eager = new BatchNorm3d(4);
    eager.runningMean!.fill_(2);
    const lazy = new LazyBatchNorm3d();
    lazy.loadStateDict(eager.stateDict());
    expect(lazy.runningMean!.toArray()).toEqual([2, 2, 2, 2]);
    expect(lazy.weight!.isUninitialized()).toBe(false);
  });

  it('refuses to load an uninitialized state into an eager module with PyTorch text', () => {
    const lazy = new LazyBatchNorm1d();
    expect(() => new BatchNorm2d(3).loadStateDict(lazy.stateDict())).toThrow(RuntimeError);
    expect(() => new BatchNorm2d(3).loadStateDict(lazy.stateDict())).toThrow(/shape of an uninitialized/);
  });

  it('optimizers refuse uninitialized parameters with a clear error', () => {
    const lazy = new LazyBatchNorm1d();
    expect(() => new SGD(lazy.parameters(), { lr: 0.1 })).toThrow(ValueError);
    expect(() => new SGD(lazy.parameters(), { lr: 0.1 })).toThrow(/uninitialized parameter in SGD/);
  });

  it('non-affine, non-tracking lazy modules materialize nothing but still infer C', () => {
    const m = new LazyBatchNorm1d({ affine: false, trackRunningStats: false });
    expect(m.hasUninitializedParams()).toBe(false);
    const y = m.forward(randn([3, 2]));
    expect(y.shape).toEqual([3, 2]);
    expect(m.weight).toBeNull();
  });
});
