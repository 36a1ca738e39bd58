import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildStack, StateDict, Tensor } from '../../engine/index.js';
import type { StackSpec } from '../shared/stackSpec.js';
import { createHandlers } from './handlers.js';
import { previewLoad } from './loadState.js';
import { testHostContext } from './testing/testHost.js';

const corpus = resolve('engine/io/fixtures/corpus');
const ctx = testHostContext;
const f32 = (n: number, v = 0) => new Tensor(new Float32Array(n).fill(v), [n]);

describe('load preview (issue 15 item 8)', () => {
  const spec: StackSpec = { layers: [{ type: 'BatchNorm1d', numFeatures: 4 }] };

  it('says that it strips a wrapper prefix and that PyTorch strict load of the file as saved would raise', () => {
    const model = buildStack(spec);
    const sd = new StateDict();
    for (const [k, t] of model.stateDict()) sd.set(`module.${k}`, t);
    sd.metadata.set('module.0', { version: 2 });
    const p = previewLoad(model, spec, sd);
    expect(p.renaming).toMatchObject({ strip: 'module.', add: '' });
    expect(p.renaming!.description).toContain("stripped 'module.'");
    expect(p.strictError).toMatch(
      /^Error\(s\) in loading state_dict for Sequential:\n\tMissing key\(s\) in state_dict: "0.weight"/,
    );
    expect(p.strictError).toContain('Unexpected key(s) in state_dict: "module.0.weight"');
    expect(p.strictErrorRenamed).toBeNull();
    expect(p.rows.every((r) => r.status === 'match')).toBe(true);
  });

  it('injects a version-1 counter only where a module consumes it (never an unexpected bn1.num_batches_tracked)', () => {
    const model = buildStack(spec);
    const sd = new StateDict();
    for (const s of ['weight', 'bias', 'running_mean', 'running_var']) {
      sd.set(`0.${s}`, f32(4, 1));
      sd.set(`bn1.${s}`, f32(4, 1)); // a version-1 layer this stack does not have
    }
    sd.metadata.set('0', { version: 1 });
    sd.metadata.set('bn1', { version: 1 });
    const p = previewLoad(model, spec, sd);
    expect(p.renaming).toBeNull();
    expect(p.migration).toEqual([
      { prefix: '0', fromVersion: 1, toVersion: 2, injected: [{ key: '0.num_batches_tracked', value: 0 }] },
    ]);
    const unexpected = p.rows.filter((r) => r.status === 'unexpected').map((r) => r.key);
    expect(unexpected).toEqual(['bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var']);
    expect(p.rows.find((r) => r.key === '0.num_batches_tracked')?.status).toBe('injected');
    // PyTorch's text lists exactly the bn1 keys as unexpected, no injected counter among them.
    expect(p.strictError).toBe(
      'Error(s) in loading state_dict for Sequential:\n\tUnexpected key(s) in state_dict: "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var". ',
    );
  });
});

describe('a stack built from a checkpoint loads its own file (issue 15 item 4)', () => {
  for (const file of ['tiny_dataparallel.pt', 'tiny_training_checkpoint.pt', 'tiny_v1.pt']) {
    it(file, async () => {
      const h = await createHandlers(ctx());
      const v = await h['checkpoint.open']({ path: join(corpus, file), jobId: 'j', tensorsOnly: false });
      const built = await h['checkpoint.buildStack']({ id: v.id });
      const norms = built.spec.layers.filter((l) => l.type === 'BatchNorm1d');
      expect(
        norms.every((l) => (l as { eps?: number }).eps === 1e-5 && (l as { momentum?: number }).momentum === 0.1),
      ).toBe(true);
      const sdPath = v.stateDicts[0]!.path;
      const p = await h['stateDict.previewLoad']({ checkpointId: v.id, stateDictPath: sdPath });
      expect(p.renaming?.description).toContain("built from this file's BatchNorm layers");
      const adapters = built.spec.layers.flatMap((l, i) => (l.type === 'Linear' ? [`${i}.weight`, `${i}.bias`] : []));
      // Every key the file has for these layers matches; only Linear adapters (not in the file) are missing.
      expect(p.rows.filter((r) => r.status !== 'match' && r.status !== 'injected').map((r) => r.key)).toEqual(adapters);
      if (adapters.length === 0) expect(p.strictErrorRenamed).toBeNull();
      const r = await h['stateDict.load']({ checkpointId: v.id, stateDictPath: sdPath, strict: adapters.length === 0 });
      expect(r.missingKeys).toEqual(adapters);
      expect(r.unexpectedKeys).toEqual([]);
      // Reopened (a new id), the same file still maps.
      const again = await h['checkpoint.open']({ path: join(corpus, file), jobId: 'j2', tensorsOnly: false });
      const p2 = await h['stateDict.previewLoad']({ checkpointId: again.id, stateDictPath: sdPath });
      expect(p2.renaming?.description).toContain("built from this file's BatchNorm layers");
    });
  }
});
