import { describe, expect, it } from 'vitest';
import type { LayerInspection, ModelView } from '../../../../app/shared/contract';
import { modelFileKind } from '../../components/OpenFile';
import { fakeClient } from '../../testing/fakeClient';
import { createAppStore } from '../store';

const view = (over: Partial<ModelView> = {}): ModelView => ({
  path: '/m.onnx',
  opset: 13,
  inputs: [],
  outputs: [],
  parameters: 10,
  nodes: 3,
  layers: [],
  batchNorm: [],
  weights: null,
  input: { shape: [2, 3], source: 'generated (seed 0)' },
  step: 0,
  notes: [],
  ...over,
});

describe('models slice', () => {
  it('a refused checkpoint shows its error and keeps the open model and its views', async () => {
    const f = fakeClient({
      'model.open': () => view(),
      'model.step': () => ({ step: 1, mode: 'eval', outputs: [], batchNorm: [], elapsedMs: 1 }),
      'model.weights': () => {
        throw Object.assign(new Error('the checkpoint does not fit the model, nothing was applied: 1 missing key(s)'), {
          name: 'WeightsError',
        });
      },
    });
    const store = createAppStore(f.client);
    await store.getState().openModel('/m.onnx');
    await store.getState().stepModel('eval');
    await store.getState().applyModelWeights('/bad.pt');
    const s = store.getState();
    expect(s.modelError).toBe(
      'WeightsError: the checkpoint does not fit the model, nothing was applied: 1 missing key(s)',
    );
    expect(s.model?.path).toBe('/m.onnx');
    expect(s.modelStep?.step).toBe(1);
    expect(f.calls.map(([m]) => m)).toEqual(['model.open', 'model.step', 'model.weights']);
  });

  it('recalibration runs as a job with its own id, cleared when it ends; the inspected layer is refetched', async () => {
    const f = fakeClient({
      'model.open': () => view(),
      'model.inspect': (p) => ({ path: p.path }) as Partial<LayerInspection> as LayerInspection, // only the path is read
      'model.recalibrate': () => ({
        samples: 4,
        batches: 2,
        batchSize: 2,
        layers: ['bn1'],
        cancelled: false,
        batchNorm: [],
      }),
    });
    const store = createAppStore(f.client);
    await store.getState().openModel('/m.onnx');
    await store.getState().inspectModelLayer('bn1');
    const run = store.getState().recalibrateModel(2);
    const jobId = store.getState().modelJob;
    expect(jobId).toMatch(/^recalibrate-/);
    await run;
    expect(store.getState().modelJob).toBeNull();
    expect(store.getState().modelRecal?.batches).toBe(2);
    expect(f.calls.filter(([m]) => m === 'model.inspect')).toHaveLength(2);
    expect(f.calls.find(([m]) => m === 'model.recalibrate')![1]).toEqual({ jobId, batchSize: 2 });
  });

  it('remembers models opened by path, not the host’s copies of uploads', async () => {
    const f = fakeClient({ 'model.open': () => view() });
    const uploader = {
      upload: async () => ({ path: '/tmp/upload-1-m.onnx', bytes: 10 }),
      discard: async () => undefined,
    };
    const store = createAppStore(f.client, { uploader });
    await store.getState().openModel('/a.onnx');
    await store.getState().openModel('/b.onnx');
    await store.getState().openModel('/a.onnx');
    await store.getState().uploadModelFile(new File(['x'], 'm.onnx'), 'model');
    expect(f.calls.at(-1)![1]).toMatchObject({ path: '/tmp/upload-1-m.onnx' });
    expect(store.getState().modelRecent).toEqual(['/a.onnx', '/b.onnx']);
  });

  it('a file dropped on Models is the model, its input or its weights by name', () => {
    expect(modelFileKind('ResNet.ONNX')).toBe('model');
    expect(modelFileKind('x.npy')).toBe('input');
    expect(modelFileKind('ckpt.pth')).toBe('weights');
  });
});
