import { describe, expect, it } from 'vitest';
import { buildStack } from '../../engine/index.js';
import { stateDictView } from './sessionStateDict.js';

describe('stepping state-dict view', () => {
  it('lists keys in order with shape, dtype and kind, and each module’s version', () => {
    const model = buildStack({
      layers: [
        { type: 'Linear', inFeatures: 3, outFeatures: 4 },
        { type: 'BatchNorm1d', numFeatures: 4 },
      ],
    });
    const v = stateDictView(model);
    expect(v.entries).toEqual([
      { key: '0.weight', shape: [4, 3], dtype: 'float32', kind: 'parameter' },
      { key: '0.bias', shape: [4], dtype: 'float32', kind: 'parameter' },
      { key: '1.weight', shape: [4], dtype: 'float32', kind: 'parameter' },
      { key: '1.bias', shape: [4], dtype: 'float32', kind: 'parameter' },
      { key: '1.running_mean', shape: [4], dtype: 'float32', kind: 'buffer' },
      { key: '1.running_var', shape: [4], dtype: 'float32', kind: 'buffer' },
      { key: '1.num_batches_tracked', shape: [], dtype: 'int64', kind: 'buffer' },
    ]);
    expect(v.metadata).toContainEqual({ prefix: '1', version: 2 });
    expect(v.metadata).toContainEqual({ prefix: '0', version: 1 });
  });
});
