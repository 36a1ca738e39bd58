import { describe, expect, it } from 'vitest';
import { validateStack } from './shapeFlow.js';
import { previewSync, pyFloat, treeRepr } from './specTree.js';

describe('shape flow', () => {
  it('follows shapes through conv, norm, flatten and linear', () => {
    const v = validateStack(
      {
        layers: [
          { type: 'Conv2d', inChannels: 3, outChannels: 8, kernelSize: 3, padding: 1 },
          { type: 'BatchNorm2d', numFeatures: 8 },
          { type: 'Flatten' },
          { type: 'Linear', inFeatures: 512, outFeatures: 10 },
        ],
      },
      [4, 3, 8, 8],
    );
    expect(v.ok).toBe(true);
    expect(v.outputShape).toEqual([4, 10]);
  });

  it("gives PyTorch's texts for num_features mismatches, wrong rank and one value per channel", () => {
    const bad = (layers: object[], shape: number[]) =>
      validateStack({ layers } as never, shape).layers.find((l) => l.error)?.error;
    expect(bad([{ type: 'BatchNorm1d', numFeatures: 9 }], [4, 10])).toBe(
      'running_mean should contain 10 elements not 9',
    );
    expect(bad([{ type: 'BatchNorm1d', numFeatures: 9, trackRunningStats: false }], [4, 10])).toBe(
      'weight should contain 10 elements not 9',
    );
    expect(bad([{ type: 'BatchNorm2d', numFeatures: 10 }], [4, 10, 3])).toBe('expected 4D input (got 3D input)');
    expect(bad([{ type: 'BatchNorm1d', numFeatures: 10 }], [1, 10, 1])).toBe(
      'Expected more than 1 value per channel when training, got input size torch.Size([1, 10, 1])',
    );
    expect(bad([{ type: 'Linear', inFeatures: 16, outFeatures: 32 }], [256, 10])).toBe(
      'mat1 and mat2 shapes cannot be multiplied (256x10 and 16x32)',
    );
  });

  it('nests Sequential paths and previews the SyncBatchNorm conversion', () => {
    const spec = {
      layers: [
        { type: 'Sequential' as const, layers: [{ type: 'BatchNorm1d' as const, numFeatures: 4, momentum: null }] },
      ],
    };
    const v = validateStack(spec, [2, 4]);
    expect(v.layers.map((l) => l.path)).toEqual(['0', '0.0']);
    const p = previewSync(spec);
    expect(p.converted).toEqual(['0.0']);
    expect(treeRepr(p.after)).toBe(
      'Sequential(\n  (0): Sequential(\n    (0): SyncBatchNorm(4, eps=1e-05, momentum=None, affine=True, track_running_stats=True)\n  )\n)',
    );
    expect([pyFloat(1e-5), pyFloat(0.1), pyFloat(1), pyFloat(1e-3)]).toEqual(['1e-05', '0.1', '1.0', '0.001']);
  });
});
