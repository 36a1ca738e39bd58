import { describe, expect, it } from 'vitest';
import { fakeClient } from '../testing/fakeClient';
import { createAppStore } from './store';
import { addLayer, flattenSpec, moveLayer, removeLayer, updateLayer } from './specEdit';

const validation = { ok: true, layers: [], outputShape: [64, 10], specError: null };

describe('store', () => {
  it('validates the spec through the host on every edit', async () => {
    const f = fakeClient({ 'stack.validate': () => validation });
    const store = createAppStore(f.client);
    await store.getState().addLayer('ReLU');
    expect(f.calls.at(-1)![0]).toBe('stack.validate');
    expect((f.calls.at(-1)![1] as { spec: { layers: unknown[] } }).spec.layers).toHaveLength(5);
    expect(store.getState().validation).toEqual(validation);
  });

  it('records an error in the slice where it happened and clears it on success', async () => {
    let fail = true;
    const f = fakeClient({
      'step.train': () => {
        if (fail)
          throw Object.assign(
            new Error('Expected more than 1 value per channel when training, got input size torch.Size([1, 3])'),
            { name: 'ValueError' },
          );
        return { step: 1, mode: 'train', kind: 'train', loss: 0.5, layers: [], elapsedMs: 1 };
      },
    });
    const store = createAppStore(f.client);
    await store.getState().trainStep();
    expect(store.getState().steppingError).toBe(
      'ValueError: Expected more than 1 value per channel when training, got input size torch.Size([1, 3])',
    );
    expect(store.getState().stackError).toBeNull();
    fail = false;
    await store.getState().trainStep();
    expect(store.getState().steppingError).toBeNull();
    expect(store.getState().losses).toEqual([0.5]);
  });

  it('runs N steps as a job: progress events fill the job, cancel sends job.cancel with the same id', async () => {
    let release: () => void = () => undefined;
    const f = fakeClient({
      'step.run': () =>
        new Promise(
          (r) =>
            (release = () =>
              r({ stepsDone: 3, cancelled: true, last: null, losses: new Float64Array(3), stepsPerSecond: 42 })),
        ),
      'job.cancel': () => ({ cancelled: true }),
      'step.state': () => ({ built: true, step: 3, training: true, input: null, snapshots: 0, lastLoss: null }),
    });
    const store = createAppStore(f.client);
    const running = store.getState().runN();
    const jobId = store.getState().runJob!;
    expect(jobId).toMatch(/^run-/);
    f.emit('progress', { jobId, done: 2, total: 100, label: 'step 2' });
    expect(store.getState().jobs[jobId]).toEqual({ done: 2, total: 100, label: 'step 2' });
    await store.getState().cancelRun();
    expect(f.calls.find(([m]) => m === 'job.cancel')![1]).toEqual({ jobId });
    release();
    await running;
    expect(store.getState().runJob).toBeNull();
    expect(store.getState().jobs[jobId]).toBeUndefined();
    expect(store.getState().lastRun).toEqual({ steps: 3, stepsPerSecond: 42, cancelled: true });
  });

  it('live step events update the charts; an open event switches to the checkpoint browser', async () => {
    const f = fakeClient({
      'checkpoint.open': () => ({
        id: 'ck1',
        path: '/x.pt',
        format: 'torch-zip',
        tree: { path: '', label: 'x', kind: 'dict', detail: '', children: [] },
        tensorCount: 0,
        stateDicts: [],
        batchNorm: [],
        warnings: [],
        refusedGlobals: [],
      }),
      'checkpoint.tensors': () => ({ total: 0, rows: [] }),
    });
    const store = createAppStore(f.client);
    f.emit('step', { step: 7, mode: 'train', kind: 'train', loss: 1.25, layers: [], elapsedMs: 2 });
    expect(store.getState().lastStep?.step).toBe(7);
    expect(store.getState().losses).toEqual([1.25]);
    f.emit('open', { path: '/x.pt' });
    expect(store.getState().workspace).toBe('checkpoints');
    await new Promise((r) => setTimeout(r, 0));
    await new Promise((r) => setTimeout(r, 0));
    expect(store.getState().checkpoint?.id).toBe('ck1');
    expect(f.calls.find(([m]) => m === 'checkpoint.open')![1]).toMatchObject({ path: '/x.pt', tensorsOnly: false });
  });
});

describe('spec edits', () => {
  const spec = {
    layers: [
      { type: 'Linear' as const, inFeatures: 2, outFeatures: 3 },
      { type: 'Sequential' as const, layers: [{ type: 'ReLU' as const }] },
    ],
  };
  it('add, nest, move, update and remove by module path without mutating the input', () => {
    const a = addLayer(spec, { type: 'Flatten' }, '1');
    expect(flattenSpec(a).map((r) => `${r.path}:${r.layer.type}`)).toEqual([
      '0:Linear',
      '1:Sequential',
      '1.0:ReLU',
      '1.1:Flatten',
    ]);
    expect(spec.layers[1]!.layers).toHaveLength(1);
    const m = moveLayer(a, '1.1', -1);
    expect(flattenSpec(m).map((r) => r.layer.type)).toEqual(['Linear', 'Sequential', 'Flatten', 'ReLU']);
    expect(moveLayer(a, '0', -1)).toBe(a);
    expect(updateLayer(a, '0', { outFeatures: 5 }).layers[0]).toMatchObject({ outFeatures: 5 });
    expect(flattenSpec(removeLayer(a, '1')).map((r) => r.path)).toEqual(['0']);
  });
});
