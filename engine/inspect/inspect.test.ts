// engine/inspect on the PyTorch-made corpus: summaries against torch's sums, the health scan on a file
// with planted problems, prefix detection and alignment (metadata included), migration and diff.
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../io/checkpoint.js';
import { refStateDict } from '../io/tree.js';
import { close, corpusFile, manifest } from '../io/testUtil.js';
import { findBatchNormLayers } from './batchnorm.js';
import { alignKeys, applyMapping, detectPrefix } from './align.js';
import { applyMigration, planMigration } from './migrate.js';
import { diffStateDicts, hasDifferences } from './diff.js';
import { inspectCheckpoint } from './report.js';
import { histogram, summarize } from './summary.js';

const files = manifest();
const load = (f: string) => loadCheckpoint(corpusFile(f));
const sdOf = (f: string, path?: string) => {
  const ck = load(f);
  const sd = ck.stateDict(path);
  ck.close();
  return sd;
};
const metaObj = (m: Map<string, unknown>) => Object.fromEntries(m);

describe('summaries', () => {
  it('mean and std agree with the sums torch computed', () => {
    const ck = load('shufflenet_v2_x0_5.pt');
    for (const { key, ref } of ck.tensors()) {
      const want = files['shufflenet_v2_x0_5.pt']!.tensors[key]!;
      const n = ref.numel();
      const s = summarize(ref.materialize());
      const sum = Number(want.sum);
      const sumsq = Number(want.sumsq);
      expect(close(s.mean! * n, sum, 1e-7) || Math.abs(s.mean! * n - sum) < 1e-9 * Math.sqrt(sumsq) * n, key).toBe(
        true,
      );
      if (n > 1) {
        const variance = (sumsq - (sum * sum) / n) / (n - 1);
        expect(
          close(s.std! ** 2, Math.max(variance, 0), 1e-6) || Math.abs(s.std! ** 2 - variance) < 1e-9 * (sumsq / n),
          key,
        ).toBe(true);
      }
    }
    ck.close();
  });
  it('histogram counts every finite value once', () => {
    const sd = sdOf('tiny_state_dict.pt');
    const w = sd.get('conv.weight')!;
    const h = histogram(w, 10);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(w.numel());
    expect(h.edges.length).toBe(11);
  });
});

describe('BatchNorm detection and health', () => {
  it('finds every BatchNorm layer of TinyNet with features, versions and counters', () => {
    const ck = load('tiny_state_dict.pt');
    const r = refStateDict(ck.found());
    const layers = findBatchNormLayers(r.tensors, r.metadata);
    expect(
      layers.map((l) => [l.prefix, l.numFeatures, l.version, l.hasNumBatchesTracked, l.numBatchesTracked, l.affine]),
    ).toEqual([
      ['bn', 8, 2, true, 3, true],
      ['block.1', 8, 2, true, 3, true],
      ['bn1d', 16, 2, true, 3, true],
      ['bn_noaffine', 16, 2, true, 3, false],
    ]);
    expect(layers.every((l) => l.health.length === 0)).toBe(true);
    ck.close();
  });
  it('reports every planted problem', () => {
    const report = inspectCheckpoint(load('health_problems.pt'));
    const h = Object.fromEntries(report.batchNorm.map((l) => [l.prefix, l.health.join(' | ')]));
    expect(h['bn']).toContain('running_mean has 1 NaN/inf value');
    expect(h['bn']).toContain('running_var has 1 negative value');
    expect(h['bn']).toContain('near zero');
    expect(h['bn']).toContain('num_batches_tracked is 0');
    expect(h['bn1d']).toContain('running_var has values past the float16 range');
    expect(h['bn1d']).toContain('running_mean has 1 NaN/inf value');
    expect(h['bn1d']).not.toContain('num_batches_tracked is 0');
    expect(h['block.1']).toContain('never updated');
    expect(report.warnings.some((w) => w.startsWith('bn.running_mean: 1 NaN'))).toBe(true);
  });
  it('version-1 files are flagged for migration', () => {
    const report = inspectCheckpoint(load('tiny_v1.pt'));
    expect(report.batchNorm.every((l) => !l.hasNumBatchesTracked && l.version === 1)).toBe(true);
    expect(report.batchNorm[0]!.health.join()).toContain('migrate adds the counter');
  });
});

describe('key alignment', () => {
  it('detects wrapper prefixes, nested ones too', () => {
    const cases: [string, string, string | undefined][] = [
      ['tiny_dataparallel.pt', 'module.', undefined],
      ['tiny_compiled.pt', '_orig_mod.', undefined],
      ['tiny_dp_compiled.pt', 'module._orig_mod.', undefined],
      ['tiny_lightning.ckpt', 'model.', 'state_dict'],
      ['tiny_state_dict.pt', '', undefined],
    ];
    for (const [f, want, path] of cases) expect(detectPrefix(sdOf(f, path).keys()), f).toBe(want);
  });
  it('stripping reproduces the plain state dict, metadata included', () => {
    const plain = sdOf('tiny_state_dict.pt');
    for (const [f, path] of [
      ['tiny_dataparallel.pt'],
      ['tiny_dp_compiled.pt'],
      ['tiny_lightning.ckpt', 'state_dict'],
    ] as [string, string?][]) {
      const sd = sdOf(f, path);
      const preview = alignKeys(sd.keys(), plain.keys());
      expect(preview.matched, f).toBe(plain.size);
      expect(preview.unmatchedSource).toEqual([]);
      const fixed = applyMapping(sd, preview.mapping);
      expect([...fixed.keys()]).toEqual([...plain.keys()]);
      expect(metaObj(fixed.metadata)).toEqual(metaObj(plain.metadata));
      expect(fixed.get('bn.running_var')).toBe(sd.get(`${preview.mapping.strip}bn.running_var`));
    }
  });
  it('adding a prefix maps a plain state dict onto a DataParallel one', () => {
    const plain = sdOf('tiny_state_dict.pt');
    const dp = sdOf('tiny_dataparallel.pt');
    const preview = alignKeys(plain.keys(), dp.keys());
    expect(preview.mapping).toEqual({ strip: '', add: 'module.' });
    expect(metaObj(applyMapping(plain, preview.mapping).metadata)).toEqual(metaObj(dp.metadata));
  });
});

describe('migration', () => {
  it('version 1 → 2 injects 0 counters after running_var and sets versions, reproducing the v2 layout', () => {
    const v1 = sdOf('tiny_v1.pt');
    const v2 = sdOf('tiny_state_dict.pt');
    const plan = planMigration(v1);
    expect(plan.steps.map((s) => s.prefix)).toEqual(['bn', 'block.1', 'bn1d', 'bn_noaffine']);
    expect(plan.steps.every((s) => s.value === 0 && s.reason.includes('0 int64 scalar'))).toBe(true);
    const out = applyMigration(v1, plan);
    expect([...out.keys()]).toEqual([...v2.keys()]);
    expect(metaObj(out.metadata)).toEqual(metaObj(v2.metadata));
    const c = out.get('bn.num_batches_tracked')!;
    expect([c.dtype, c.shape, c.item()]).toEqual(['int64', [], 0]);
    expect(planMigration(out).steps).toEqual([]);
  });
  it('keeps the module counter when one is given (seed behaviour)', () => {
    const plan = planMigration(sdOf('tiny_v1.pt'), { moduleCounters: new Map([['bn', 17]]) });
    expect(plan.steps[0]!.value).toBe(17);
    expect(plan.steps[0]!.reason).toContain("module's own counter (17)");
    expect(plan.steps[1]!.value).toBe(0);
  });
  it('drop-counters is the reverse', () => {
    const v2 = sdOf('tiny_state_dict.pt');
    const dropped = applyMigration(v2, planMigration(v2, { direction: 'drop-counters' }));
    const v1 = sdOf('tiny_v1.pt');
    expect([...dropped.keys()]).toEqual([...v1.keys()]);
    expect(metaObj(dropped.metadata)).toEqual(metaObj(v1.metadata));
  });
});

describe('diff', () => {
  it('finds changed, unchanged and frozen tensors between two training steps', () => {
    const a = sdOf('tiny_state_dict.pt');
    const b = sdOf('tiny_state_dict_next.pt');
    const d = diffStateDicts(a, b);
    expect(d.added).toEqual([]);
    expect(d.removed).toEqual([]);
    expect(d.unchangedKeys).toEqual(expect.arrayContaining(['bn.weight', 'bn.bias']));
    expect(d.changed.map((c) => c.key)).toEqual(
      expect.arrayContaining(['bn.running_mean', 'conv.weight', 'bn.num_batches_tracked']),
    );
    const c = d.changed.find((x) => x.key === 'bn.num_batches_tracked')!;
    expect(c.maxAbsDiff).toBe(1);
    const rv = d.changed.find((x) => x.key === 'bn.running_var')!;
    expect(rv.cosine!).toBeGreaterThan(0.9);
    expect(rv.relDiff!).toBeGreaterThan(0);
    expect(d.channels.find((x) => x.key === 'bn.running_mean')!.absDiff.length).toBe(8);
    expect(hasDifferences(d)).toBe(true);
  });
  it('aligns prefixes before comparing: DataParallel vs plain is identical', () => {
    const d = diffStateDicts(sdOf('tiny_dataparallel.pt'), sdOf('tiny_state_dict.pt'));
    expect(d.prefixes).toEqual({ a: 'module.', b: '' });
    expect(hasDifferences(d)).toBe(false);
    expect(d.frozen).toEqual(['bn', 'block.1', 'bn1d', 'bn_noaffine']);
  });
  it('reports added/removed keys and dtype changes', () => {
    const d = diffStateDicts(sdOf('tiny_v1.pt'), sdOf('tiny_float16.pt'));
    expect(d.added).toContain('bn.num_batches_tracked');
    const w = d.changed.find((x) => x.key === 'conv.weight')!;
    expect([w.dtypeA, w.dtypeB]).toEqual(['float32', 'float16']);
    expect(w.maxAbsDiff!).toBeLessThan(1e-2);
  });
});

describe('tree view', () => {
  it('shows the training checkpoint as nested nodes with the state dict marked', async () => {
    const { treeView } = await import('./treeView.js');
    const ck = load('tiny_training_checkpoint.pt');
    const t = treeView(ck.root);
    const byLabel = Object.fromEntries(t.children.map((c) => [c.label, c]));
    expect(byLabel['epoch']).toMatchObject({ kind: 'scalar', detail: '3' });
    expect(byLabel['best_acc']).toMatchObject({ kind: 'scalar', detail: '0.75' });
    expect(byLabel['state_dict']!.kind).toBe('stateDict');
    expect(byLabel['state_dict']!.children.find((c) => c.label === 'bn.running_var')!.detail).toBe('float32 [8]');
    expect(byLabel['optimizer']!.kind).toBe('dict');
    ck.close();
  });
});
