import { describe, expect, it } from 'vitest';
import { METHOD_NAMES } from '../shared/contract.js';
import { dispatch } from './dispatch.js';
import { createHandlers } from './handlers.js';
import { PAYLOAD_CHECKS } from './validate.js';
import { testHostContext } from './testing/testHost.js';

const ctx = testHostContext;

const mlp = {
  layers: [
    { type: 'Linear' as const, inFeatures: 4, outFeatures: 3 },
    { type: 'BatchNorm1d' as const, numFeatures: 3 },
    { type: 'ReLU' as const },
  ],
};

describe('host handlers', () => {
  it('has a handler and a payload check for every contract method', async () => {
    const h = await createHandlers(ctx());
    expect(Object.keys(h).sort()).toEqual([...METHOD_NAMES].sort());
    expect(Object.keys(PAYLOAD_CHECKS).sort()).toEqual([...METHOD_NAMES].sort());
  });

  it('refuses unknown methods and malformed payloads with a PayloadError', async () => {
    const h = await createHandlers(ctx());
    expect(await dispatch(h, 'fs.readFile', {})).toMatchObject({ ok: false, error: { name: 'PayloadError' } });
    expect(await dispatch(h, 'step.train', { lr: 'fast' })).toMatchObject({
      ok: false,
      error: { name: 'PayloadError', message: 'step.train: lr must be a finite number' },
    });
    expect(
      await dispatch(h, 'stack.validate', { spec: { layers: [{ type: 'Evil' }] }, inputShape: [2, 4] }),
    ).toMatchObject({ ok: false, error: { name: 'PayloadError' } });
    expect(await dispatch(h, 'app.info', { extra: 1 })).toMatchObject({ ok: false });
  });

  it('builds a stack, steps it in train mode and updates running stats like the seed', async () => {
    const h = await createHandlers(ctx());
    const summary = await h['stack.build']({ spec: mlp, inputShape: [8, 4], seed: 1 });
    expect(summary.normLayers).toEqual(['1']);
    expect(summary.repr).toContain('BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)');
    const r = await h['step.train']({ lr: 0.1 });
    expect(r.loss).toBeGreaterThan(0);
    const bn = r.layers.find((l) => l.path === '1')!;
    expect(bn.numBatchesTracked).toBe(1);
    const insp = await h['inspect.layer']({ path: '1' });
    // running_mean after one step from zeros with momentum 0.1 = 0.1 × batch mean.
    for (let c = 0; c < 3; c++) expect(insp.runningMean![c]).toBeCloseTo(0.1 * insp.batchMean![c]!, 5);
    expect(insp.why.bnTraining).toBe(true);
    expect(insp.why.factorUsed).toBe(0.1);
    expect(insp.why.truthTable).toHaveLength(8);
  });

  it('eval leaves running stats alone; compare finds the first divergent layer', async () => {
    const h = await createHandlers(ctx());
    await h['stack.build']({ spec: mlp, inputShape: [8, 4], seed: 1 });
    await h['step.setInput']({ shape: [8, 4], distribution: 'normal', mean: 3, std: 2, channelShift: 0, seed: 5 });
    await h['step.setMode']({ training: false });
    const r = await h['step.forward']({});
    expect(r.layers.find((l) => l.path === '1')!.numBatchesTracked).toBe(0);
    const cmp = await h['step.compare']({});
    expect(cmp.firstDivergent).toBe('1');
    expect((await h['inspect.layer']({ path: '1' })).numBatchesTracked).toBe(0);
  });

  it('snapshot and rollback restore buffers and the step count', async () => {
    const h = await createHandlers(ctx());
    await h['stack.build']({ spec: mlp, inputShape: [8, 4], seed: 1 });
    await h['step.train']({ lr: 0.1 });
    await h['step.snapshot']({});
    const before = (await h['inspect.layer']({ path: '1' })).runningMean!;
    await h['step.train']({ lr: 0.1 });
    await h['step.train']({ lr: 0.1 });
    const st = await h['step.rollback']({});
    expect(st.step).toBe(1);
    expect(Array.from((await h['inspect.layer']({ path: '1' })).runningMean!)).toEqual(Array.from(before));
  });

  it('runs N steps with progress events and stops when cancelled', async () => {
    const c = ctx();
    const h = await createHandlers(c);
    await h['stack.build']({ spec: mlp, inputShape: [8, 4], seed: 1 });
    const done = await h['step.run']({ jobId: 'a', steps: 20, lr: 0.01, train: true });
    expect(done.stepsDone).toBe(20);
    expect(c.events.some(([e]) => e === 'progress')).toBe(true);
    await h['job.cancel']({ jobId: 'b' });
    const cancelled = await h['step.run']({ jobId: 'b', steps: 20, lr: 0.01, train: true });
    expect(cancelled).toMatchObject({ cancelled: true, stepsDone: 0 });
  });

  it('reports engine errors with PyTorch type and text', async () => {
    const h = await createHandlers(ctx());
    await h['stack.build']({ spec: mlp, inputShape: [1, 4], seed: 1 });
    const out = await dispatch(h, 'step.train', { lr: 0.1 });
    expect(out).toEqual({
      ok: false,
      error: {
        name: 'ValueError',
        message: 'Expected more than 1 value per channel when training, got input size torch.Size([1, 3])',
      },
    });
  });
});
