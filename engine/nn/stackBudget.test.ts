import { describe, expect, it } from 'vitest';
import { buildStack, randn, ValueError, type Module, type Tensor } from '../index.js';
import { checkStackBudget, DEFAULT_STACK_BUDGET, stackCost } from './stackBudget.js';

/** The oracle: build the stack, run one forward, count parameters and every layer's output. */
function measured(spec: unknown, shape: number[]): { parameters: number; activationBytes: number } {
  const m = buildStack(spec);
  let elems = shape.reduce((a, b) => a * b, 1);
  const leaves: Module[] = [...m.namedModules()].map(([, x]) => x).filter((x) => x.children().length === 0);
  const dtype = (spec as { dtype?: 'float32' | 'float64' }).dtype ?? 'float32';
  // Sequential only chains its children: run the leaves in order and count each output.
  let x: Tensor = randn(shape, { dtype });
  for (const leaf of leaves) {
    x = leaf.call(x) as Tensor;
    elems += x.numel();
  }
  let parameters = 0;
  for (const p of m.parameters()) parameters += p.numel();
  const bytes = (spec as { dtype?: string }).dtype === 'float64' ? 8 : 4;
  return { parameters, activationBytes: elems * bytes };
}

describe('stackCost matches what the built stack holds', () => {
  const cases: [string, unknown, number[]][] = [
    [
      'linear + bn + nested lazy',
      {
        layers: [
          { type: 'Linear', inFeatures: 16, outFeatures: 32 },
          { type: 'BatchNorm1d', numFeatures: 32, momentum: null },
          { type: 'ReLU' },
          {
            type: 'Sequential',
            layers: [{ type: 'Linear', inFeatures: 32, outFeatures: 4, bias: false }, { type: 'LazyBatchNorm1d' }],
          },
        ],
      },
      [8, 16],
    ],
    [
      'conv, stride/padding, flatten, float64',
      {
        dtype: 'float64',
        layers: [
          { type: 'Conv2d', inChannels: 3, outChannels: 5, kernelSize: 3, stride: 2, padding: 1 },
          { type: 'BatchNorm2d', numFeatures: 5, affine: false },
          { type: 'LazyBatchNorm2d' },
          { type: 'Flatten' },
          { type: 'Linear', inFeatures: 5 * 4 * 4, outFeatures: 2 },
        ],
      },
      [2, 3, 7, 7],
    ],
  ];
  for (const [name, spec, shape] of cases) {
    it(name, () => expect(stackCost(spec, shape)).toEqual(measured(spec, shape)));
  }
});

describe('checkStackBudget', () => {
  const giant = {
    layers: [
      { type: 'Linear', inFeatures: 16384, outFeatures: 16384 },
      { type: 'Linear', inFeatures: 16384, outFeatures: 16384 },
    ],
  };

  it('refuses the issue-13 reproduction (two 16384×16384 Linear) before building, naming the budget', () => {
    expect(() => checkStackBudget(giant, [4, 16384])).toThrow(ValueError);
    expect(() => checkStackBudget(giant, [4, 16384])).toThrow(
      'the stack has 536,903,680 parameters, over the budget of 50,000,000 parameters',
    );
  });

  it('refuses the schema maximum (256 layers of 65536×65536) without overflow', () => {
    const max = {
      layers: Array.from({ length: 256 }, () => ({ type: 'Linear', inFeatures: 65536, outFeatures: 65536 })),
    };
    expect(() => checkStackBudget(max, [1, 65536])).toThrow(/over the budget of 50,000,000 parameters/);
  });

  it('refuses activations over the budget and names the flag', () => {
    const wide = { layers: [{ type: 'ReLU' }] };
    expect(() =>
      checkStackBudget(wide, [1 << 20, 1024], DEFAULT_STACK_BUDGET, { flagHint: 'raise it with --max-activation-mib' }),
    ).toThrow(
      'one forward of the stack keeps 8192 MiB of activations, over the budget of 1024 MiB (raise it with --max-activation-mib)',
    );
  });

  it('multiplies by the ranks on this machine', () => {
    const s = { layers: [{ type: 'Linear', inFeatures: 1000, outFeatures: 1000 }] };
    expect(() =>
      checkStackBudget(s, null, { maxParameters: 3_000_000, maxActivationBytes: 1 << 30 }, { copies: 4 }),
    ).toThrow('the stack has 1,001,000 parameters × 4 ranks, over the budget of 3,000,000 parameters');
    expect(
      checkStackBudget(s, null, { maxParameters: 3_000_000, maxActivationBytes: 1 << 30 }, { copies: 2 }).parameters,
    ).toBe(1_001_000);
  });

  it('refuses nesting deeper than it counts, and tolerates junk without throwing anything else', () => {
    let deep: unknown = { type: 'ReLU' };
    for (let i = 0; i < 100; i++) deep = { type: 'Sequential', layers: [deep] };
    expect(() => stackCost({ layers: [deep] }, [1, 1])).toThrow(/deeper than 64 levels/);
    for (const junk of [null, 1, 'x', {}, { layers: 3 }, { layers: [null, 7, { type: 'Conv2d', kernelSize: [1] }] }])
      expect(stackCost(junk, [2, 3])).toMatchObject({ parameters: expect.any(Number) });
  });
});
