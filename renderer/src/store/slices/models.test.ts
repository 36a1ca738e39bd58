import { describe, expect, it } from 'vitest';
import type { LayerInspection } from '../../../../app/shared/contract';
import { modelFileKind } from '../../components/OpenFile';
import { fakeClient } from '../../testing/fakeClient';
import { modelView } from '../../testing/modelViews';
import { createAppStore } from '../store';

const view = modelView;

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

  it('feeds each input of a two-input model by name; a refusal naming the input keeps the model and its views', async () => {
    const two = view({
      inputs: [
        { name: 'a', shape: [2, 3], dtype: 'float32' },
        { name: 'b', shape: [2, 3], dtype: 'float32' },
      ],
      input: [
        { name: 'a', shape: [2, 3], source: 'generated (seed 0)' },
        { name: 'b', shape: [2, 3], source: 'generated (seed 1)' },
      ],
    });
    let current = two;
    const f = fakeClient({
      'model.open': () => two,
      'model.step': () => ({ step: 1, mode: 'eval', outputs: [], batchNorm: [], elapsedMs: 1 }),
      'model.setInput': (p) => {
        if (p.path === '/wrong.npy') throw new RangeError("wrong.npy has shape [4, 5] but input 'b' is [2, 3]");
        current = {
          ...current,
          input: current.input.map((i) =>
            i.name === p.input
              ? { name: i.name, shape: [p.batch, 3], source: p.path ?? `generated (seed ${p.seed})` }
              : i,
          ),
        };
        return current;
      },
    });
    const uploader = { upload: async () => ({ path: '/tmp/upload-b.npy', bytes: 10 }), discard: async () => undefined };
    const store = createAppStore(f.client, { uploader });
    await store.getState().openModel('/two.onnx');
    await store.getState().setModelInput('/a.npy', 2, 0, 'a');
    await store.getState().setModelInput(null, 2, 5, 'b');
    expect(store.getState().model?.input.map((i) => i.source)).toEqual(['/a.npy', 'generated (seed 5)']);
    await store.getState().stepModel('eval');
    await store.getState().setModelInput('/wrong.npy', 2, 0, 'b');
    const s = store.getState();
    expect(s.modelError).toBe("RangeError: wrong.npy has shape [4, 5] but input 'b' is [2, 3]");
    expect(s.model?.input.map((i) => i.source)).toEqual(['/a.npy', 'generated (seed 5)']);
    expect(s.modelStep?.step).toBe(1);
    // An uploaded .npy for input b goes to b, with b's batch size.
    await store.getState().uploadModelFile(new File(['x'], 'b.npy'), 'input', 'b');
    expect(f.calls.at(-1)).toEqual(['model.setInput', { path: '/tmp/upload-b.npy', batch: 2, seed: 0, input: 'b' }]);
    // A one-input model's request stays as it was (no input name).
    await store.getState().setModelInput(null, 3, 1);
    expect(f.calls.at(-1)).toEqual(['model.setInput', { path: null, batch: 3, seed: 1 }]);
  });

  it('a file dropped on Models is the model, its input or its weights by name', () => {
    expect(modelFileKind('ResNet.ONNX')).toBe('model');
    expect(modelFileKind('x.npy')).toBe('input');
    expect(modelFileKind('ckpt.pth')).toBe('weights');
  });
});
