/**
 * Models: an imported network (an .onnx from torch.onnx.export) with optional checkpoint weights, its
 * layer tree, train/eval steps, per-layer train-vs-eval divergence, recalibration and export.
 * Part of the contract: ../contract.ts re-exports every type of this file.
 * The shapes follow engine/model/summary.ts (what `normscope model --json` prints); they are restated
 * here because app/shared may not import that engine module (the window loads this folder).
 */

/** A graph input or output as the file declares it (symbolic dimensions stay names). */
export interface ModelValueInfo {
  name: string;
  shape: (number | string)[];
  dtype: string;
}

/** One layer of the tree: a state-dict path (`layer1.0.conv1`) or a parameter-free node. */
export interface ModelLayerRow {
  /** The layer's state-dict path, or the node's name for nodes without parameters (Relu, Add). */
  name: string;
  /** Op types of the graph nodes that make up this layer, in graph order. */
  ops: string[];
  /** Shape of the layer's last node's first output at the current input shapes (null: unknown). */
  outputShape: number[] | null;
  /** Parameters held at this path (weights and biases; buffers not counted). */
  parameters: number;
  /** Whether this layer is a BatchNorm (the inspector opens on it). */
  batchNorm: boolean;
}

export interface ModelBatchNormRow {
  name: string;
  numFeatures: number;
  eps: number;
  /** PyTorch's momentum (ONNX stores 1 − it); null for a cumulative average. */
  momentum: number | null;
  /** Whether the layer normalizes with batch statistics now (train) or running statistics (eval). */
  training: boolean;
  numBatchesTracked: number | null;
}

/** The strict report of applying a checkpoint's weights (engine/model/weights.ts WeightsReport). */
export interface ModelWeightsReport {
  file: string;
  missingKeys: string[];
  unexpectedKeys: string[];
  shapeMismatch: { key: string; expected: number[]; got: number[] }[];
  strippedPrefix: string | null;
  sourcePath: string | null;
  applied: number;
}

/** The batch fed to one graph input. */
export interface ModelInputInfo {
  /** The graph input's name (ModelView.inputs). */
  name: string;
  shape: number[];
  /** The .npy file it was read from, or `generated (seed N)`. */
  source: string;
}

export interface ModelView {
  path: string;
  opset: number;
  inputs: ModelValueInfo[];
  outputs: ModelValueInfo[];
  parameters: number;
  nodes: number;
  layers: ModelLayerRow[];
  batchNorm: ModelBatchNormRow[];
  weights: ModelWeightsReport | null;
  /** The batch fed to each graph input, in graph order (every input shares dimension 0, the batch). */
  input: ModelInputInfo[];
  step: number;
  notes: string[];
}

export interface ModelOutputSummary {
  name: string;
  shape: number[];
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
}

export interface ModelStepResult {
  step: number;
  mode: 'train' | 'eval';
  outputs: ModelOutputSummary[];
  batchNorm: ModelBatchNormRow[];
  elapsedMs: number;
}

export interface ModelRecalibration {
  samples: number;
  batches: number;
  batchSize: number;
  layers: string[];
  cancelled: boolean;
  /** The BatchNorm rows afterwards (as they were when cancelled). */
  batchNorm: ModelBatchNormRow[];
}

/** The training losses (engine/model/train.ts LOSSES): mean squared error, or cross-entropy on class indices. */
export type ModelLossName = 'mse' | 'cross-entropy';

/** SGD training of the open model on its input batch (the engine's trainSteps, as `normscope model train`). */
export interface ModelTrainRequest {
  jobId: string;
  loss: ModelLossName;
  /**
   * Y: an .npy on the host (class indices for cross-entropy, floats of output 0's shape for mse), or
   * null for a generated one: seeded uniform class indices (cross-entropy), zeros (mse).
   */
  target: string | null;
  seed: number;
  steps: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  /** Samples per step; null: the whole input batch. */
  batchSize: number | null;
}

/** How far training moved one layer's parameters. */
export interface ModelParameterChange {
  /** The layer's state-dict path (`layer1.0.conv1`). */
  layer: string;
  parameters: number;
  /** max |w_after − w_before| over the layer's parameters. */
  maxAbsDelta: number;
  /** ‖w_after − w_before‖ / ‖w_before‖ (null when ‖w_before‖ is 0). */
  relativeChange: number | null;
}

export interface ModelTraining {
  loss: ModelLossName;
  /** Where Y came from: the .npy path, or `generated (seed N)`. */
  target: string;
  steps: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  batchSize: number;
  /** The loss of each step done, before that step's update (what torch's loop records). */
  losses: number[];
  /** Cancelled or failed, the engine put every parameter and buffer back: nothing changed. */
  cancelled: boolean;
  elapsedMs: number;
  /** Per layer with parameters, in graph order (empty when cancelled). */
  changes: ModelParameterChange[];
  /** The step counter of the workspace's running-statistics timeline after training. */
  step: number;
  batchNorm: ModelBatchNormRow[];
}

/** Live training progress: the losses of steps `from + 1 … from + losses.length` (of `steps`). */
export interface ModelTrainProgress {
  jobId: string;
  from: number;
  steps: number;
  losses: number[];
}
