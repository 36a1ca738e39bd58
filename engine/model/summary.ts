/**
 * What `normscope model` reports and writes about an imported model, in DESIGN.md's shapes (the host
 * uses the same functions for the window): the graph's inputs, outputs, op counts, parameter count and
 * BatchNorm layers (`inspect`); output summaries and running statistics after a run (`run`); and the
 * state dict a recalibration or training run saves.
 */
import type { LocalMetadata } from '../nn/stateDict.js';
import { StateDict } from '../nn/stateDict.js';
import type { Tensor } from '../tensor/tensor.js';
import { summarize } from '../inspect/summary.js';
import type { ValueInfo } from '../io/onnx.js';
import type { Checkpoint } from '../io/checkpoint.js';
import { mapMetadata } from '../inspect/align.js';
import type { GraphModule } from './graphModule.js';
import type { WeightsReport } from './index.js';

export interface BatchNormInfo {
  name: string;
  numFeatures: number;
  eps: number;
  /** PyTorch's momentum (ONNX stores 1 − it); null for a cumulative average. */
  momentum: number | null;
  /** The node's training_mode (opset ≥ 14), or whether it was exported with training outputs (≤ 13). */
  trainingMode: boolean;
}

export interface ModelSummary {
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  ops: Record<string, number>;
  parameters: number;
  batchNorm: BatchNormInfo[];
}

export function modelSummary(model: GraphModule): ModelSummary {
  return {
    inputs: model.graphInputs.map(({ name, shape, dtype }) => ({ name, shape, dtype })),
    outputs: model.graphOutputs.map(({ name, shape, dtype }) => ({ name, shape, dtype })),
    ops: model.opCounts(),
    parameters: model.parameters().reduce((n, p) => n + p.numel(), 0),
    batchNorm: batchNormInfo(model),
  };
}

/**
 * Each BatchNorm layer's settings. The node's training_mode is what `setBatchNormMode('as-exported')`
 * applies: read it that way, then put every layer's current mode back.
 */
function batchNormInfo(model: GraphModule): BatchNormInfo[] {
  const layers = model.batchNormLayers();
  const current = layers.map(({ module: m }) => m.training);
  model.setBatchNormMode('as-exported');
  const info = layers.map(({ name, module: m }) => ({
    name,
    numFeatures: m.numFeatures,
    eps: m.eps,
    momentum: m.momentum,
    trainingMode: m.training,
  }));
  layers.forEach(({ module: m }, i) => (m.training = current[i]!));
  return info;
}

export interface OutputSummary {
  name: string;
  shape: number[];
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
}

/** DESIGN.md's `outputs` of `model run`: name, shape and statistics of each graph output. */
export function outputSummaries(model: GraphModule, outputs: readonly Tensor[]): OutputSummary[] {
  return outputs.map((t, i) => {
    const s = summarize(t);
    return {
      name: model.graphOutputs[i]?.name ?? `output_${i}`,
      shape: [...t.shape],
      mean: s.mean,
      std: s.std,
      min: s.min,
      max: s.max,
    };
  });
}

export interface BatchNormStats {
  name: string;
  runningMean: number[] | null;
  runningVar: number[] | null;
  numBatchesTracked: number | null;
}

/** Every BatchNorm layer's running statistics and counter, as `ranks --json` prints them. */
export function batchNormStats(model: GraphModule): BatchNormStats[] {
  return model.batchNormLayers().map(({ name, module: m }) => ({
    name,
    runningMean: m.runningMean ? m.runningMean.toArray() : null,
    runningVar: m.runningVar ? m.runningVar.toArray() : null,
    numBatchesTracked: m.numBatchesTracked ? m.numBatchesTracked.item() : null,
  }));
}

/**
 * The whole state dict to save after recalibration or training, loadable with strict=True into the
 * original PyTorch module: the model's keys and tensors; `_metadata` from the checkpoint the weights
 * came from (torchvision's MNASNet, for one, refuses a state dict without its root version), else the
 * model's own; every BatchNorm prefix at version 2 (the file has num_batches_tracked).
 */
export function modelStateDict(model: GraphModule, checkpointMetadata: Map<string, LocalMetadata> | null): StateDict {
  const own = model.stateDict();
  const metadata = new Map<string, LocalMetadata>(own.metadata);
  for (const [prefix, local] of checkpointMetadata ?? []) metadata.set(prefix, { ...local });
  for (const { name } of model.batchNormLayers()) metadata.set(name, { ...metadata.get(name), version: 2 });
  return new StateDict(own, metadata);
}

/** The `_metadata` of the state dict applyWeights used, with the wrapper prefix it stripped removed. */
export function checkpointMetadata(ck: Checkpoint, report: WeightsReport): Map<string, LocalMetadata> | null {
  const md = ck.found(report.sourcePath ?? '').metadata;
  return md ? mapMetadata(md, { strip: report.strippedPrefix ?? '', add: '' }) : null;
}
