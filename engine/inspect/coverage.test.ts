// Load coverage on engine modules built from a stack spec, loading state dicts PyTorch wrote.
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../io/checkpoint.js';
import { corpusFile, close, manifest, sums } from '../io/testUtil.js';
import { buildStack } from '../nn/stackSpec.js';
import { StateDict } from '../nn/stateDict.js';
import { loadWithCoverage, previewLoad } from './coverage.js';

const SPEC = {
  layers: [
    { type: 'Linear', inFeatures: 4, outFeatures: 8 },
    { type: 'BatchNorm1d', numFeatures: 8 },
    { type: 'ReLU' },
    { type: 'Linear', inFeatures: 8, outFeatures: 3 },
    { type: 'BatchNorm1d', numFeatures: 3, momentum: null },
  ],
};
const sdOf = (f: string) => {
  const ck = loadCheckpoint(corpusFile(f));
  const sd = ck.stateDict();
  ck.close();
  return sd;
};

describe('load coverage', () => {
  it('a full state dict covers every key, and the module holds the file values', () => {
    const m = buildStack(SPEC);
    const cov = loadWithCoverage(m, sdOf('mlp_bn.pt'));
    expect(cov.coverage).toBe(1);
    expect(cov.keptInitial).toEqual([]);
    expect(cov.injected).toEqual([]);
    const want = manifest()['mlp_bn.pt']!.tensors;
    for (const [k, t] of m.stateDict()) expect(close(sums(t).sum, Number(want[k]!.sum)), k).toBe(true);
  });
  it('version-1 state: counters are injected by the migration (the module keeps its own), not loaded', () => {
    const m = buildStack(SPEC);
    const cov = loadWithCoverage(m, sdOf('mlp_bn_v1.pt'));
    expect(cov.injected).toEqual(['1.num_batches_tracked', '4.num_batches_tracked']);
    expect(cov.missingKeys).toEqual([]);
    expect(cov.coverage).toBeCloseTo(12 / 14);
  });
  it('a partial load reports which keys kept their initial values (strict=False)', () => {
    const sd = sdOf('mlp_bn.pt');
    const partial = new StateDict(
      [...sd].filter(([k]) => !k.startsWith('3.')),
      sd.metadata,
    );
    const m = buildStack(SPEC);
    const cov = loadWithCoverage(m, partial, { strict: false });
    expect(cov.keptInitial).toEqual(['3.weight', '3.bias']);
    expect(cov.missingKeys).toEqual(['3.weight', '3.bias']);
  });
  it("previewLoad's strict error text equals the engine's own (missing, unexpected, size mismatch)", () => {
    const sd = sdOf('mlp_bn.pt');
    const bad = new StateDict(
      [...sd].filter(([k]) => k !== '0.bias'),
      sd.metadata,
    );
    bad.set('9.extra', sd.get('0.bias')!);
    const spec = { layers: [...SPEC.layers] };
    spec.layers[3] = { type: 'Linear', inFeatures: 8, outFeatures: 5 };
    const preview = previewLoad(buildStack(spec), bad);
    let actual = '';
    try {
      buildStack(spec).loadStateDict(bad, { strict: true });
    } catch (e) {
      actual = (e as Error).message;
    }
    expect(actual).toContain('Missing key(s)');
    expect(preview.strictError).toBe(actual);
    expect(preview.rows.find((r) => r.key === '3.weight')!.status).toBe('shape-mismatch');
    expect(previewLoad(buildStack(SPEC), sd).strictError).toBeNull();
  });
});
