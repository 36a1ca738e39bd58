import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from './dispatch.js';
import { createHandlers } from './handlers.js';
import { testHostContext } from './testing/testHost.js';

const corpus = resolve('engine/io/fixtures/corpus');
const ctx = testHostContext;
/** A pickle that names os.system: the host must refuse it, never run it. */
const EVIL_PICKLE = Buffer.from(
  '\x80\x02}q\x00X\x01\x00\x00\x00aq\x01cos\nsystem\nq\x02X\x04\x00\x00\x00trueq\x03\x85q\x04Rq\x05s.',
  'latin1',
);

describe('checkpoint workspaces in the host', () => {
  it('opens a PyTorch training checkpoint: tree, tensors, BatchNorm health', async () => {
    const h = await createHandlers(ctx());
    const v = await h['checkpoint.open']({
      path: join(corpus, 'tiny_training_checkpoint.pt'),
      jobId: 'j',
      tensorsOnly: false,
    });
    expect(v.format).toBe('torch-zip');
    expect(v.tree.children.map((c) => c.label)).toContain('state_dict');
    expect(v.batchNorm.length).toBeGreaterThanOrEqual(3);
    const page = await h['checkpoint.tensors']({ id: v.id, offset: 0, limit: 5, filter: 'running_var' });
    expect(page.rows.length).toBeGreaterThan(0);
    expect(page.rows.every((r) => r.key.includes('running_var'))).toBe(true);
    // A scalar's std is undefined: the row carries null (shown as — like the CLI), never NaN.
    const counters = await h['checkpoint.tensors']({ id: v.id, offset: 0, limit: 5, filter: 'num_batches_tracked' });
    expect(counters.rows.length).toBeGreaterThan(0);
    for (const r of counters.rows) {
      expect(r.std).toBeNull();
      expect(r.min).toBe(r.max);
    }
  });

  it('refuses a pickle naming os.system and opens it tensors-only with the global kept inert', async () => {
    const h = await createHandlers(ctx());
    const dir = mkdtempSync(join(tmpdir(), 'ns-evil-'));
    const file = join(dir, 'evil.pt');
    writeFileSync(file, EVIL_PICKLE);
    const out = await dispatch(h, 'checkpoint.open', { path: file, jobId: 'j', tensorsOnly: false });
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.error.message).toContain("refused global 'os.system'");
    const v = await h['checkpoint.open']({ path: file, jobId: 'j', tensorsOnly: true });
    expect(v.refusedGlobals).toEqual(['os.system']);
  });

  it('previews a version-1 load (migration + strict text) and loads non-strict with coverage', async () => {
    const h = await createHandlers(ctx());
    await h['stack.build']({
      spec: {
        layers: [
          { type: 'Conv2d', inChannels: 3, outChannels: 8, kernelSize: 3, padding: 1, bias: false },
          { type: 'BatchNorm2d', numFeatures: 8 },
        ],
      },
      inputShape: [2, 3, 4, 4],
      seed: 0,
    });
    const v = await h['checkpoint.open']({ path: join(corpus, 'tiny_v1.pt'), jobId: 'j', tensorsOnly: false });
    const p = await h['stateDict.previewLoad']({ checkpointId: v.id, stateDictPath: '' });
    // No module of this stack consumes the file's `bn.*` keys, so nothing is injected (PyTorch injects
    // the counter inside the consuming module's _load_from_state_dict).
    expect(p.migration).toEqual([]);
    expect(p.rows.some((r) => r.key === 'bn.num_batches_tracked')).toBe(false);
    expect(p.strictError).toMatch(/^Error\(s\) in loading state_dict for Sequential:/);
    const r = await h['stateDict.load']({ checkpointId: v.id, stateDictPath: '', strict: false });
    expect(r.unexpectedKeys.length).toBeGreaterThan(0);
    expect(r.coverage).toBeGreaterThanOrEqual(0);
  });

  it("builds a stack from a checkpoint's BatchNorm layers with their statistics loaded", async () => {
    const h = await createHandlers(ctx());
    const v = await h['checkpoint.open']({ path: join(corpus, 'tiny_state_dict.pt'), jobId: 'j', tensorsOnly: false });
    const r = await h['checkpoint.buildStack']({ id: v.id });
    // bn(8), block.1(8), then a Linear(8, 16) adapter, bn1d(16), bn_noaffine(16)
    expect(r.spec.layers.map((l) => l.type)).toEqual([
      'BatchNorm1d',
      'BatchNorm1d',
      'Linear',
      'BatchNorm1d',
      'BatchNorm1d',
    ]);
    expect(r.notes.some((n) => n.includes('adapter'))).toBe(true);
    const first = await h['inspect.layer']({ path: '0' });
    const file = await h['checkpoint.tensors']({ id: v.id, offset: 0, limit: 1, filter: 'bn.running_mean' });
    expect(first.numBatchesTracked).toBeGreaterThan(0);
    expect(Math.min(...first.runningMean!)).toBeCloseTo(file.rows[0]!.min!, 6);
    expect((await h['inspect.layer']({ path: '4' })).weight).toBeNull(); // affine=False
  });

  it('diffs two state dicts made by PyTorch', async () => {
    const h = await createHandlers(ctx());
    const d = await h['diff.run']({
      a: join(corpus, 'tiny_state_dict.pt'),
      b: join(corpus, 'tiny_state_dict_next.pt'),
      stripPrefix: null,
      jobId: 'd',
    });
    expect(d.rows.some((r) => r.status === 'changed')).toBe(true);
    expect(d.overlays.length).toBeGreaterThan(0);
  });
});
