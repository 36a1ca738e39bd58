/** What the host's Models calls return, built for store tests: a small open model and its BatchNorm rows. */
import type { ModelBatchNormRow, ModelView } from '../../../app/shared/contract';

/** One BatchNorm row of a model's layer table. */
export const batchNormRow = (numBatchesTracked: number, training: boolean): ModelBatchNormRow => ({
  name: 'bn1',
  numFeatures: 4,
  eps: 1e-5,
  momentum: 0.1,
  training,
  numBatchesTracked,
});

/** `model.open`'s view of a one-input model, with `over` replacing fields. */
export const modelView = (over: Partial<ModelView> = {}): ModelView => ({
  path: '/m.onnx',
  opset: 13,
  inputs: [],
  outputs: [],
  parameters: 10,
  nodes: 3,
  layers: [],
  batchNorm: [],
  weights: null,
  input: [{ name: 'x', shape: [2, 3], source: 'generated (seed 0)' }],
  step: 0,
  notes: [],
  ...over,
});
