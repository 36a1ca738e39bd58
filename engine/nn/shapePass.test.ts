import { describe, expect, it } from 'vitest';
import { buildStack, EngineError, manualSeed, randn, validateStack, type LayerSpec } from '../index.js';

/** What a real forward of the built stack says: its output shape, or the first error's text. */
function realForward(layers: LayerSpec[], shape: number[], training: boolean): { out: number[] } | { error: string } {
  manualSeed(0);
  const m = buildStack({ layers });
  m.train(training);
  try {
    return { out: [...m.forward(randn(shape)).shape] };
  } catch (e) {
    if (!(e instanceof EngineError)) throw e;
    return { error: e.message };
  }
}

/** The same through the dry pass (no data). */
function dry(layers: LayerSpec[], shape: number[], training: boolean): { out: number[] } | { error: string } {
  const v = validateStack({ layers }, shape, training);
  expect(v.specError).toBeNull();
  const bad = v.layers.find((l) => l.error);
  return bad ? { error: bad.error! } : { out: v.outputShape! };
}

const bn = (type: string, extra: object = {}): LayerSpec => ({ type, ...extra }) as LayerSpec;

// [what, layers, input shape, training]
const CASES: [string, LayerSpec[], number[], boolean][] = [
  [
    'conv, norm, flatten, linear',
    [
      { type: 'Conv2d', inChannels: 3, outChannels: 8, kernelSize: 3, padding: 1 },
      bn('BatchNorm2d', { numFeatures: 8 }),
      { type: 'ReLU' },
      { type: 'Flatten' },
      { type: 'Linear', inFeatures: 512, outFeatures: 10 },
    ],
    [4, 3, 8, 8],
    true,
  ],
  ['num_features mismatch (running_mean first)', [bn('BatchNorm1d', { numFeatures: 9 })], [4, 10], true],
  [
    'mismatch without buffers (weight)',
    [bn('BatchNorm1d', { numFeatures: 9, trackRunningStats: false })],
    [4, 10],
    true,
  ],
  [
    'mismatch checked by nothing',
    [bn('BatchNorm1d', { numFeatures: 9, trackRunningStats: false, affine: false })],
    [4, 10],
    true,
  ],
  ['BatchNorm2d on 3-D input', [bn('BatchNorm2d', { numFeatures: 10 })], [4, 10, 3], true],
  ['BatchNorm3d on 4-D input', [bn('BatchNorm3d', { numFeatures: 2 })], [4, 2, 3, 3], true],
  ['BatchNorm1d on 4-D input', [bn('BatchNorm1d', { numFeatures: 2 })], [4, 2, 3, 3], false],
  ['one value per channel in training', [bn('BatchNorm1d', { numFeatures: 10 })], [1, 10, 1], true],
  ['one value per channel in eval', [bn('BatchNorm1d', { numFeatures: 10 })], [1, 10], false],
  [
    'eval without buffers uses batch stats',
    [bn('BatchNorm1d', { numFeatures: 10, trackRunningStats: false })],
    [1, 10],
    false,
  ],
  ['empty batch', [bn('BatchNorm1d', { numFeatures: 3 })], [0, 3], true],
  ['lazy on 1-D input', [bn('LazyBatchNorm1d')], [5], true],
  ['lazy on the wrong rank', [bn('LazyBatchNorm2d')], [4, 3, 5], true],
  ['lazy infers', [bn('LazyBatchNorm2d')], [4, 3, 5, 5], true],
  ['SyncBatchNorm on 1-D input', [bn('SyncBatchNorm', { numFeatures: 3 })], [3], true],
  ['SyncBatchNorm with zero channels', [bn('SyncBatchNorm', { numFeatures: 3 })], [4, 0, 2], true],
  ['SyncBatchNorm on 5-D input', [bn('SyncBatchNorm', { numFeatures: 3 })], [2, 3, 2, 2, 2], true],
  ['linear mismatch', [{ type: 'Linear', inFeatures: 16, outFeatures: 32 }], [256, 10], true],
  ['linear on 3-D input', [{ type: 'Linear', inFeatures: 4, outFeatures: 2 }], [2, 3, 4], true],
  [
    'conv channel mismatch',
    [{ type: 'Conv2d', inChannels: 4, outChannels: 2, kernelSize: [3, 2] }],
    [1, 3, 5, 5],
    true,
  ],
  [
    'conv kernel too big',
    [{ type: 'Conv2d', inChannels: 3, outChannels: 2, kernelSize: 7, padding: 1 }],
    [1, 3, 4, 4],
    true,
  ],
  ['conv on 3-D input', [{ type: 'Conv2d', inChannels: 3, outChannels: 2, kernelSize: 1 }], [3, 4, 4], true],
  [
    'conv stride',
    [{ type: 'Conv2d', inChannels: 1, outChannels: 1, kernelSize: 3, stride: [2, 1] }],
    [1, 1, 9, 9],
    true,
  ],
  ['flatten out of range', [{ type: 'Flatten', startDim: 3 }], [2, 3], true],
  ['flatten start after end', [{ type: 'Flatten', startDim: 2, endDim: 1 }], [2, 3, 4], true],
  [
    'nested: the error stops the flow',
    [
      {
        type: 'Sequential',
        layers: [{ type: 'Linear', inFeatures: 4, outFeatures: 3 }, bn('BatchNorm1d', { numFeatures: 4 })],
      },
      { type: 'ReLU' },
    ],
    [2, 4],
    true,
  ],
];

describe('the shape pass says what a forward would', () => {
  it.each(CASES)('%s', (_what, layers, shape, training) => {
    expect(dry(layers, shape, training)).toEqual(realForward(layers, shape, training));
  });

  it("gives PyTorch's texts (the engine's, which the parity suites hold to PyTorch)", () => {
    const err = (layers: LayerSpec[], shape: number[], training = true) =>
      (dry(layers, shape, training) as { error: string }).error;
    expect(err([bn('BatchNorm1d', { numFeatures: 9 })], [4, 10])).toBe('running_mean should contain 10 elements not 9');
    expect(err([bn('BatchNorm2d', { numFeatures: 10 })], [4, 10, 3])).toBe('expected 4D input (got 3D input)');
    expect(err([bn('BatchNorm1d', { numFeatures: 10 })], [1, 10, 1])).toBe(
      'Expected more than 1 value per channel when training, got input size torch.Size([1, 10, 1])',
    );
    expect(err([{ type: 'Linear', inFeatures: 16, outFeatures: 32 }], [256, 10])).toBe(
      'mat1 and mat2 shapes cannot be multiplied (256x10 and 16x32)',
    );
  });

  it('nests paths, stops after the first error, warns where no error is raised', () => {
    const v = validateStack(
      {
        layers: [
          {
            type: 'Sequential',
            layers: [bn('BatchNorm1d', { numFeatures: 4, momentum: null }), bn('LazyBatchNorm1d')],
          },
        ],
      },
      [2, 4],
    );
    expect(v.ok).toBe(true);
    expect(v.layers.map((l) => [l.path, l.outShape])).toEqual([
      ['0', [2, 4]],
      ['0.0', [2, 4]],
      ['0.1', [2, 4]],
    ]);
    expect(v.layers[1]!.warnings).toEqual(['momentum=None: running stats are a cumulative average (factor 1/n)']);
    expect(v.layers[2]!.warnings).toEqual(['num_features will be inferred as 4 on the first forward']);
    const bad = validateStack(
      { layers: [{ type: 'Linear', inFeatures: 3, outFeatures: 2 }, { type: 'ReLU' }] },
      [2, 4],
    );
    expect(bad.ok).toBe(false);
    expect(bad.layers.map((l) => l.path)).toEqual(['0']);
  });

  it('reports a malformed spec or input shape without running anything', () => {
    expect(validateStack({ layers: [{ type: 'Linear', inFeatures: 0, outFeatures: 2 }] }, [2, 4]).specError).toBe(
      'layers[0].inFeatures must be ≥ 1',
    );
    expect(validateStack({ layers: [{ type: 'Bogus' }] }, [2]).specError).toMatch(
      /^layers\[0\]\.type "Bogus" is not one of Linear/,
    );
    expect(validateStack({ layers: [] }, [2, -1]).specError).toBe(
      'input shape must be non-negative integers (got [2, -1])',
    );
    // No allocation: a stack far beyond memory is checked in microseconds.
    const huge = validateStack({ layers: [{ type: 'Linear', inFeatures: 65536, outFeatures: 65536 }] }, [
      1 << 20,
      65536,
    ]);
    expect(huge.outputShape).toEqual([1 << 20, 65536]);
  });
});
