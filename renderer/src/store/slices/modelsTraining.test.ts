/** The Models slice's training: settings, live losses from `modelTrain` events, the result's effect on the views. */
import { describe, expect, it } from 'vitest';
import type { LayerInspection, ModelTraining, ModelTrainRequest, ModelView } from '../../../../app/shared/contract';
import { fakeClient, type FakeHost } from '../../testing/fakeClient';
import { batchNormRow, modelView } from '../../testing/modelViews';
import { createAppStore } from '../store';
import { DEFAULT_TRAIN_SETTINGS, withTrainLosses } from './models';

const bn = batchNormRow;
const view = (): ModelView =>
  modelView({
    batchNorm: [bn(0, false)],
    input: [{ name: 'x', shape: [4, 3], source: 'generated (seed 0)' }],
  });

const result = (req: ModelTrainRequest, over: Partial<ModelTraining> = {}): ModelTraining => ({
  loss: req.loss,
  target: req.target ?? 'generated (seed 0)',
  steps: req.steps,
  lr: req.lr,
  momentum: req.momentum,
  weightDecay: req.weightDecay,
  batchSize: req.batchSize ?? 4,
  losses: [3, 2, 1],
  cancelled: false,
  elapsedMs: 5,
  changes: [{ layer: 'fc', parameters: 10, maxAbsDelta: 0.5, relativeChange: 0.1 }],
  step: 3,
  batchNorm: [bn(3, true)],
  ...over,
});

/** A host whose model.train emits the losses as events (two of them, the second placed by `from`) first. */
function host(over: Partial<ModelTraining> = {}): FakeHost {
  const f: FakeHost = fakeClient({
    'model.open': () => view(),
    'model.step': () => ({ step: 1, mode: 'eval', outputs: [], batchNorm: [bn(0, false)], elapsedMs: 1 }),
    'model.inspect': (p) => ({ path: p.path, numBatchesTracked: 3 }) as Partial<LayerInspection> as LayerInspection,
    'model.train': (req) => {
      f.emit('modelTrain', { jobId: 'someone-else', from: 0, steps: 9, losses: [99] });
      f.emit('modelTrain', { jobId: req.jobId, from: 0, steps: req.steps, losses: [3] });
      f.emit('modelTrain', { jobId: req.jobId, from: 1, steps: req.steps, losses: [2, 1] });
      return result(req, over);
    },
  });
  return f;
}

describe('models slice: training', () => {
  it('sends the settings and the target with a fresh job id; the result updates every dependent view', async () => {
    const f = host();
    const store = createAppStore(f.client);
    await store.getState().openModel('/m.onnx');
    await store.getState().stepModel('eval');
    await store.getState().inspectModelLayer('bn1');
    store.getState().setModelTrainSettings({ steps: 3, lr: 0.01, momentum: 0.9, batchSize: 2 });
    store.getState().setModelTarget('/data/y.npy');
    const seen: Array<number[] | undefined> = [];
    const stop = store.subscribe((s) => seen.push(s.modelTrainLive?.losses));
    const run = store.getState().trainModel();
    const jobId = store.getState().modelTrainJob;
    expect(jobId).toMatch(/^train-/);
    await run;
    stop();
    const sent = f.calls.find(([m]) => m === 'model.train')![1];
    expect(sent).toEqual({
      ...DEFAULT_TRAIN_SETTINGS,
      steps: 3,
      lr: 0.01,
      momentum: 0.9,
      batchSize: 2,
      jobId,
      target: '/data/y.npy',
    });
    // Live: the events of this job only, in order.
    expect(seen).toContainEqual([3]);
    expect(seen).toContainEqual([3, 2, 1]);
    expect(seen.some((l) => l?.includes(99))).toBe(false);
    const s = store.getState();
    expect(s.modelTrainJob).toBeNull();
    expect(s.jobs[jobId!]).toBeUndefined();
    expect(s.modelTraining?.losses).toEqual([3, 2, 1]);
    expect(s.model?.batchNorm).toEqual([bn(3, true)]);
    expect(s.model?.step).toBe(3);
    expect(s.modelStep).toBeNull(); // the last pass described the old weights
    expect(f.calls.filter(([m]) => m === 'model.inspect')).toHaveLength(2); // the inspector is refetched
    expect(s.modelTrainError).toBeNull();
  });

  it('a field that does not parse blocks Train with its error; nothing is sent', async () => {
    const f = host();
    const store = createAppStore(f.client);
    await store.getState().openModel('/m.onnx');
    store.getState().setFieldError('modelTrain:lr', 'lr: "fast" is not a number');
    await store.getState().trainModel();
    expect(store.getState().modelTrainError).toBe('fix the marked field first: lr: "fast" is not a number');
    expect(f.calls.map(([m]) => m)).toEqual(['model.open']);
    store.getState().setFieldError('modelTrain:lr', null);
    await store.getState().trainModel();
    expect(f.calls.map(([m]) => m)).toEqual(['model.open', 'model.train']);
  });

  it('a cancelled run leaves the views as they were; a refusal shows in the panel', async () => {
    const f = host({ cancelled: true, losses: [3], changes: [], step: 0, batchNorm: [bn(0, false)] });
    const store = createAppStore(f.client);
    await store.getState().openModel('/m.onnx');
    await store.getState().stepModel('eval');
    await store.getState().trainModel();
    const s = store.getState();
    expect(s.modelTraining?.cancelled).toBe(true);
    expect(s.modelTrainLive?.losses).toEqual([3]);
    expect(s.modelStep?.step).toBe(1);
    expect(s.model?.batchNorm).toEqual([bn(0, false)]);

    const refusing = fakeClient({
      'model.open': () => view(),
      'model.train': () => {
        throw Object.assign(new Error('X has 4 samples but Y has 3 along dimension 0'), { name: 'ValueError' });
      },
    });
    const store2 = createAppStore(refusing.client);
    await store2.getState().openModel('/m.onnx');
    await store2.getState().trainModel();
    expect(store2.getState().modelTrainError).toBe('ValueError: X has 4 samples but Y has 3 along dimension 0');
    expect(store2.getState().modelTrainJob).toBeNull();
    expect(store2.getState().modelTraining).toBeNull();
  });

  it('places live losses by their first step', () => {
    expect(withTrainLosses([], 0, [1, 2])).toEqual([1, 2]);
    expect(withTrainLosses([1, 2], 2, [3])).toEqual([1, 2, 3]);
    expect(withTrainLosses([1, 2, 9], 2, [3])).toEqual([1, 2, 3]);
  });
});
