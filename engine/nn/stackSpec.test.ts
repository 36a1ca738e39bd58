import { describe, expect, it } from 'vitest';
import { buildStack, specOf, BatchNorm1d, Sequential, SyncBatchNorm, convertSyncBatchnorm, randn, ValueError } from '../index.js';

describe('stack specs', () => {
  const spec = {
    layers: [
      { type: 'Linear', inFeatures: 16, outFeatures: 32 },
      { type: 'BatchNorm1d', numFeatures: 32, momentum: null },
      { type: 'ReLU' },
      { type: 'Sequential', layers: [{ type: 'Linear', inFeatures: 32, outFeatures: 4, bias: false }, { type: 'LazyBatchNorm1d' }] },
    ],
  };

  it('builds the DESIGN.md example and runs it', () => {
    const m = buildStack(spec);
    expect(m).toBeInstanceOf(Sequential);
    expect((m.at(1) as BatchNorm1d).momentum).toBeNull();
    expect(m.forward(randn([8, 16])).shape).toEqual([8, 4]);
  });

  it('round-trips through specOf', () => {
    const back = specOf(buildStack(spec)) as { type: string; layers: unknown[] };
    expect(back.type).toBe('Sequential');
    expect(back.layers[1]).toEqual({ type: 'BatchNorm1d', numFeatures: 32, eps: 1e-5, momentum: null, affine: true, trackRunningStats: true });
    expect(buildStack({ layers: back.layers }).toString()).toBe(buildStack(spec).toString());
  });

  it('names the failing path', () => {
    expect(() => buildStack({ layers: [{ type: 'Linear', inFeatures: 0, outFeatures: 2 }] })).toThrow(
      'layers[0].inFeatures must be ≥ 1',
    );
    expect(() => buildStack({ layers: [{ type: 'Sequential', layers: [{ type: 'Bogus' }] }] })).toThrow(ValueError);
    expect(() => buildStack({ layers: [{ type: 'Sequential', layers: [{ type: 'Bogus' }] }] })).toThrow(/^layers\[0\]\.layers\[0\]\.type "Bogus"/);
    expect(() => buildStack({})).toThrow('stack spec must be an object with a "layers" array');
    expect(() => buildStack({ layers: [{ type: 'BatchNorm2d', numFeatures: 3, momentum: 'x' }] })).toThrow('layers[0].momentum must be a finite number');
  });

  it('converted stacks describe themselves with SyncBatchNorm', () => {
    const m = convertSyncBatchnorm(buildStack(spec)) as Sequential;
    expect(m.at(1)).toBeInstanceOf(SyncBatchNorm);
    expect((specOf(m) as { layers: { type: string }[] }).layers[1]!.type).toBe('SyncBatchNorm');
  });
});
