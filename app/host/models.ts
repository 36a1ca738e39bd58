/**
 * The Models workspace's host side: one imported network (an .onnx from torch.onnx.export, the engine's
 * GraphModule) with optional checkpoint weights, a batch per graph input (./modelInputs.ts), train/eval passes, the Layer inspector
 * on any of its BatchNorm layers, train-vs-eval divergence per node, recalibration (precise BatchNorm),
 * SGD training (./modelTraining.ts) and export of the whole state dict. The engine does the work
 * (engine/model); this keeps the state a person steps through and shapes the answers for the window. Nothing from a file is executed: the
 * ONNX reader and the checkpoint reader refuse what they do not know, with budgets.
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import {
  applyWeights,
  checkpointMetadata,
  loadCheckpoint,
  loadOnnxFile,
  modelStateDict,
  noGrad,
  outputSummaries,
  recalibrate,
  saveSafetensors,
  saveTorch,
  StateCopy,
  Tensor,
  type GraphModule,
  type LocalMetadata,
} from '../../engine/index.js';
import type {
  CompareResult,
  LayerInspection,
  ModelBatchNormRow,
  ModelLayerRow,
  ModelRecalibration,
  ModelStepResult,
  ModelTraining,
  ModelTrainRequest,
  ModelView,
  ModelWeightsReport,
} from '../shared/contract.js';
import { CancelledError, NotAvailableError } from './errors.js';
import { inspectLayer, type Timeline } from './inspect.js';
import { fromFile, generated, type Fed } from './modelInputs.js';
import { trainModel, type TrainHooks } from './modelTraining.js';
import { PendingTimelines, recordTimelines, timelinePoints } from './modelTimelines.js';
import { summarize } from './summary.js';
import type { LayerRecord } from './trace.js';

type OnnxNode = GraphModule['nodes'][number];
/** Outputs that differ by more than this (relative to max(1, |eval|)) count as parted. */
export const DIVERGENCE_TOLERANCE = 1e-6;

interface Open {
  path: string;
  model: GraphModule;
  weights: ModelWeightsReport | null;
  metadata: Map<string, LocalMetadata> | null;
  /** The batch fed to each graph input, by name (set for every input when the model opens). */
  input: Map<string, Fed>;
  step: number;
  notes: string[];
  /** The last pass's BatchNorm records (input and output of each layer), for the inspector. */
  records: Map<string, LayerRecord>;
  timelines: Map<string, Timeline>;
}

/** Copies of a model's buffers, put back after a pass that must not change them (the comparison). */
export class ModelStore {
  private open: Open | null = null;

  private need(): Open {
    if (!this.open) throw new NotAvailableError('no model is open: open an .onnx file in the Models workspace');
    return this.open;
  }

  /** Opens the file (read, checked and imported whole before it replaces the open model). */
  openFile(path: string): ModelView {
    const model = loadOnnxFile(path);
    model.setDropout(false);
    // Every input generated (batch 2, input k from seed k) before the model replaces the open one.
    const input = new Map(model.graphInputs.map((info, k) => [info.name, generated(model, info, 2, k)]));
    this.open = {
      path,
      model,
      weights: null,
      metadata: null,
      input,
      step: 0,
      notes: [],
      records: new Map(),
      timelines: new Map(),
    };
    return this.view();
  }

  /** Applies a checkpoint's weights; a checkpoint that does not fit throws (WeightsError) and changes nothing. */
  applyWeightsFile(path: string): ModelView {
    const o = this.need();
    const ck = loadCheckpoint(path);
    try {
      const r = applyWeights(o.model, ck);
      o.weights = {
        file: path,
        missingKeys: r.missingKeys,
        unexpectedKeys: r.unexpectedKeys,
        shapeMismatch: r.shapeMismatch,
        strippedPrefix: r.strippedPrefix,
        sourcePath: r.sourcePath,
        applied: r.applied,
      };
      o.metadata = checkpointMetadata(ck, r);
      o.notes = ck.warnings.map((w) => `${basename(path)}: ${w}`);
      o.records.clear();
    } finally {
      ck.close();
    }
    return this.view();
  }

  /**
   * One graph input's batch (`name`; null: the model's only input): a float .npy matching the declared
   * shape (dimension 0 may differ), or generated. Refused (naming the input), nothing changes.
   */
  setInput(name: string | null, path: string | null, batch: number, seed: number): ModelView {
    const o = this.need();
    const inputs = o.model.graphInputs;
    const names = inputs.map((i) => i.name).join(', ');
    if (name === null && inputs.length !== 1)
      throw new RangeError(`the model has ${inputs.length} inputs (${names}): name the input to set`);
    const info = name === null ? inputs[0]! : inputs.find((i) => i.name === name);
    if (!info) throw new RangeError(`the model has no input '${name}' (its inputs: ${names})`);
    const fed = path === null ? generated(o.model, info, batch, seed) : fromFile(o.model, info, path);
    o.input.set(info.name, fed);
    o.records.clear();
    return this.view();
  }

  /** One pass without gradients with every BatchNorm in `mode`; records each BatchNorm's input and output. */
  step(mode: 'train' | 'eval'): ModelStepResult {
    const o = this.need();
    const xs = this.inputsOf(o);
    const t0 = performance.now();
    o.model.setBatchNormMode(mode);
    const bnByName = new Map(o.model.batchNormLayers().map((l) => [l.name, l.module]));
    // The values feeding BatchNorm nodes, kept as they are produced (their batch statistics are the inspector's).
    const feeds = new Set<string>();
    for (const n of o.model.nodes) if (n.opType === 'BatchNormalization' && n.inputs[0]) feeds.add(n.inputs[0]);
    const values = new Map<string, Tensor>(o.model.graphInputs.map((g, k) => [g.name, xs[k]!]));
    const records = new Map<string, LayerRecord>();
    const outs = noGrad(() =>
      o.model.forwardGraph(xs, {
        observe: (node, outputs) => {
          node.outputs.forEach((name, k) => {
            const t = outputs[k];
            if (feeds.has(name) && t) values.set(name, t);
          });
          if (node.opType !== 'BatchNormalization') return;
          const name = o.model.layerOf(node);
          const m = name === null ? undefined : bnByName.get(name);
          const out = outputs[0];
          if (!m || !out || name === null) return;
          records.set(name, {
            path: name,
            module: m,
            output: out,
            input: values.get(node.inputs[0] ?? '') ?? null,
            training: m.training,
            factorUsed: null,
          });
        },
      }),
    );
    o.records = records;
    o.step++;
    recordTimelines(o.timelines, timelinePoints(o.model, o.step));
    return {
      step: o.step,
      mode,
      outputs: outputSummaries(o.model, outs),
      batchNorm: this.batchNormRows(o),
      elapsedMs: performance.now() - t0,
    };
  }

  /** Train vs eval output of every node on the same batch; buffers and modes are put back. */
  compare(): CompareResult {
    const o = this.need();
    const xs = this.inputsOf(o);
    const modes = o.model.batchNormLayers().map(({ module: m }) => m.training);
    const buffers = StateCopy.of(o.model, 'buffers');
    // Eval first (it changes no buffer) keeping its outputs; the train pass is compared node by node as it
    // runs, so only one pass's activations are held at a time.
    const ev: Tensor[] = [];
    const rows: CompareResult['rows'] = [];
    try {
      o.model.setBatchNormMode('eval');
      noGrad(() =>
        o.model.forwardGraph(xs, {
          observe: (_node, outputs) => {
            if (outputs[0]) ev.push(outputs[0]);
          },
        }),
      );
      o.model.setBatchNormMode('train');
      noGrad(() =>
        o.model.forwardGraph(xs, {
          observe: (node, outputs) => {
            const out = outputs[0];
            if (!out) return;
            const e = ev[rows.length]!;
            let maxAbsDiff = out.numel() === e.numel() ? 0 : Infinity;
            for (let k = 0; k < Math.min(out.numel(), e.numel()); k++)
              maxAbsDiff = Math.max(maxAbsDiff, Math.abs(out.getFlat(k) - e.getFlat(k)));
            rows.push({
              path: nodeName(o.model, node),
              type: node.opType,
              train: summarize(out),
              eval: summarize(e),
              maxAbsDiff,
            });
            ev[rows.length - 1] = undefined as never; // this eval output is no longer needed
          },
        }),
      );
      const first = rows.find((r) => !(r.maxAbsDiff <= DIVERGENCE_TOLERANCE * Math.max(1, absMax(r.eval))));
      return { rows, firstDivergent: first ? first.path : null };
    } finally {
      buffers.restore();
      o.model.batchNormLayers().forEach(({ module: m }, i) => (m.training = modes[i]!));
    }
  }

  inspect(path: string): LayerInspection {
    const o = this.need();
    const layer = o.model.batchNormLayers().find((l) => l.name === path);
    if (!layer) throw new RangeError(`no BatchNorm layer at ${JSON.stringify(path)}`);
    return inspectLayer(path, layer.module, o.records.get(path) ?? null, o.timelines.get(path) ?? null, null);
  }

  /** Precise BatchNorm over the input batch; cancelled or failed, the engine puts every layer back. */
  recalibrate(
    batchSize: number,
    progress: (done: number, total: number) => void,
    cancelled: () => boolean,
  ): ModelRecalibration {
    const o = this.need();
    const xs = this.inputsOf(o);
    const signal = {
      get aborted() {
        return cancelled();
      },
      reason: new CancelledError('recalibration was cancelled: the running statistics are as they were'),
    };
    try {
      const r = recalibrate(o.model, xs, { batchSize, onProgress: progress, signal });
      o.records.clear();
      const batchNorm = this.batchNormRows(o);
      return { samples: r.samples, batches: r.batches, batchSize, layers: r.layers, cancelled: false, batchNorm };
    } catch (e) {
      if (e instanceof CancelledError)
        return { samples: 0, batches: 0, batchSize, layers: [], cancelled: true, batchNorm: this.batchNormRows(o) };
      throw e;
    }
  }

  /**
   * SGD training on the input batch (./modelTraining.ts runs the engine's trainSteps). Each step is a
   * point of the BatchNorm timelines, kept only when training finishes; cancelled, nothing changes.
   */
  train(req: ModelTrainRequest, targetPath: string | null, hooks: TrainHooks): ModelTraining {
    const o = this.need();
    const xs = this.inputsOf(o);
    const pending = new PendingTimelines();
    const { training, applied } = trainModel(o.model, xs, req, targetPath, {
      ...hooks,
      afterStep: (i) => pending.add(timelinePoints(o.model, o.step + i)),
    });
    if (applied) {
      o.step += training.losses.length;
      recordTimelines(o.timelines, pending.points());
      o.records.clear(); // the last pass's batch statistics are of weights that no longer exist
    }
    return { ...training, step: o.step, batchNorm: this.batchNormRows(o) };
  }

  /** The whole state dict (checkpoint metadata kept, BatchNorm prefixes at version 2), as .pt or .safetensors. */
  exportTo(path: string, format: 'pt' | 'safetensors'): { path: string; bytes: number } {
    const o = this.need();
    const want = format === 'pt' ? /\.(pt|pth)$/i : /\.safetensors$/i;
    if (!want.test(path))
      throw new RangeError(
        `a ${format} export needs a file name ending in ${format === 'pt' ? '.pt or .pth' : '.safetensors'}`,
      );
    const sd = modelStateDict(o.model, o.metadata);
    if (format === 'pt') saveTorch(path, sd);
    else saveSafetensors(path, sd);
    return { path, bytes: statSync(path).size };
  }

  view(): ModelView {
    const o = this.need();
    const m = o.model;
    return {
      path: o.path,
      opset: m.opsetVersion,
      inputs: m.graphInputs.map(({ name, shape, dtype }) => ({ name, shape: [...shape], dtype })),
      outputs: m.graphOutputs.map(({ name, shape, dtype }) => ({ name, shape: [...shape], dtype })),
      parameters: m.parameters().reduce((n, p) => n + p.numel(), 0),
      nodes: m.nodes.length,
      layers: layerRows(m, o.input),
      batchNorm: this.batchNormRows(o),
      weights: o.weights,
      input: m.graphInputs.flatMap((g) => o.input.get(g.name)?.info ?? []),
      step: o.step,
      notes: o.notes,
    };
  }

  private batchNormRows(o: Open): ModelBatchNormRow[] {
    return o.model.batchNormLayers().map(({ name, module: m }) => ({
      name,
      numFeatures: m.numFeatures,
      eps: m.eps,
      momentum: m.momentum,
      training: m.training,
      numBatchesTracked: m.numBatchesTracked ? m.numBatchesTracked.item() : null,
    }));
  }

  /** The fed batches in graph-input order; every input must be fed, all with the same batch size. */
  private inputsOf(o: Open): Tensor[] {
    const fed = o.model.graphInputs.map((g) => {
      const f = o.input.get(g.name);
      if (!f) throw new NotAvailableError(`no batch for input '${g.name}': choose an .npy file or generate one`);
      return f;
    });
    const first = fed[0];
    const odd = fed.find((f) => f.info.shape[0] !== first?.info.shape[0]);
    if (first && odd)
      throw new RangeError(
        `input '${odd.info.name}' has batch ${odd.info.shape[0]} but '${first.info.name}' has ${first.info.shape[0]}: every input needs the same batch size (dimension 0)`,
      );
    return fed.map((f) => f.tensor);
  }
}

function absMax(s: { min: number | null; max: number | null }): number {
  return Math.max(Math.abs(s.min ?? 0), Math.abs(s.max ?? 0));
}

/** A node as the divergence table names it: its layer's state-dict path, else its name, else its op. */
function nodeName(model: GraphModule, node: OnnxNode): string {
  return model.layerOf(node) || node.name || node.opType;
}

/**
 * The layer tree: consecutive nodes of one state-dict path form a layer; parameter-free nodes stand
 * alone. Output shapes are those the plan infers at the current input shape (declared when none).
 */
function layerRows(model: GraphModule, input: ReadonlyMap<string, Fed>): ModelLayerRow[] {
  let shapes: ReadonlyMap<string, number[]> | null = null;
  try {
    shapes = model.valueShapes(new Map([...input].map(([name, f]) => [name, f.info.shape])));
  } catch {
    shapes = null; // a graph that runs only at its export shapes: shapes stay unknown
  }
  const params = new Map<string, number>();
  for (const [k, p] of model.namedParameters()) {
    const dot = k.lastIndexOf('.');
    const owner = dot > 0 ? k.slice(0, dot) : '';
    params.set(owner, (params.get(owner) ?? 0) + p.numel());
  }
  const bn = new Set(model.batchNormLayers().map((l) => l.name));
  const rows: ModelLayerRow[] = [];
  for (const node of model.nodes) {
    if (node.opType === 'Constant') continue;
    const layer = model.layerOf(node);
    const name = layer ?? (node.name || node.opType);
    const out = node.outputs[0];
    const shape = out && shapes ? (shapes.get(out) ?? null) : null;
    const last = rows[rows.length - 1];
    if (layer !== null && last && last.name === layer) {
      last.ops.push(node.opType);
      last.outputShape = shape;
      continue;
    }
    rows.push({
      name,
      ops: [node.opType],
      outputShape: shape ? [...shape] : null,
      parameters: layer !== null ? (params.get(layer) ?? 0) : 0,
      batchNorm: layer !== null && bn.has(layer),
    });
  }
  return rows;
}
