/**
 * The Models workspace's training: SGD steps on the open network's input batch, run by the engine's
 * trainSteps (the code `normscope model train` runs, with the same losses, optimizer and rollback), on
 * the engine worker. Progress goes out as the host's `progress` event (step i of N) and the losses as
 * `modelTrain` events, both at most every PROGRESS_MS and after the last step; cancel is the host's job
 * flag, read between steps. Cancelled or failed, the engine puts every parameter and buffer back.
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { Generator, Tensor, trainSteps, zeros, type GraphModule, type LossName } from '../../engine/index.js';
import type {
  ModelLossName,
  ModelParameterChange,
  ModelTraining,
  ModelTrainProgress,
  ModelTrainRequest,
} from '../shared/contract.js';
import { readTarget } from '../cli/modelInputs.js';
import { CancelledError } from './errors.js';

// The contract restates the engine's loss names (app/shared cannot import engine/model): they must agree.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const LOSS_NAMES_AGREE: Same<ModelLossName, LossName> = true;

/** Budget: a target .npy read whole into memory (the same as an input file's). */
export const MAX_TARGET_BYTES = 512 * 1024 * 1024;
/** Events at most this often (a tiny model steps in microseconds; the window needs ~20 updates a second). */
export const PROGRESS_MS = 50;

export interface TrainHooks {
  /** Step i of N, as every long job reports it. */
  progress(done: number, total: number, label: string): void;
  losses(p: Omit<ModelTrainProgress, 'jobId'>): void;
  cancelled(): boolean;
  /** After each step (BatchNorm timelines): the step number from 1. */
  afterStep?(step: number): void;
}

export interface TrainOutcome {
  training: Omit<ModelTraining, 'step' | 'batchNorm'>;
  /** Whether the model changed (false: cancelled, nothing applied). */
  applied: boolean;
}

/** Y for the request: the .npy (read as the CLI reads --target) or a generated one for the model's output 0. */
function targetOf(model: GraphModule, xs: Tensor[], req: ModelTrainRequest, path: string | null): Tensor {
  if (path !== null) {
    const size = statSync(path).size;
    if (size > MAX_TARGET_BYTES)
      throw new RangeError(`${basename(path)} is ${size} bytes: target files are limited to ${MAX_TARGET_BYTES} bytes`);
    return readTarget(path, req.loss);
  }
  const out = model.graphOutputs[0]!;
  let shape: number[] | undefined;
  try {
    shape = model.valueShapes(new Map(model.graphInputs.map((g, k) => [g.name, [...xs[k]!.shape]]))).get(out.name);
  } catch (e) {
    throw new RangeError(`cannot generate a target: ${(e as Error).message} (choose a target .npy instead)`);
  }
  if (!shape) throw new RangeError(`cannot generate a target: the shape of output '${out.name}' is unknown`);
  if (req.loss === 'mse') return zeros(shape, { dtype: out.dtype === 'float64' ? 'float64' : 'float32' });
  if (shape.length !== 2)
    throw new RangeError(
      `cannot generate class indices for output '${out.name}' of shape [${shape.join(', ')}]: cross-entropy takes (N, C) logits`,
    );
  const [n, classes] = shape as [number, number];
  const g = new Generator(req.seed);
  const labels = new BigInt64Array(n);
  for (let i = 0; i < n; i++) labels[i] = BigInt(Math.min(classes - 1, Math.floor(g.uniform() * classes)));
  return new Tensor(labels, [n], 'int64');
}

/** The layer (state-dict path) a parameter key belongs to: `layer1.0.conv1.weight` → `layer1.0.conv1`. */
const ownerOf = (key: string): string => {
  const dot = key.lastIndexOf('.');
  return dot > 0 ? key.slice(0, dot) : '';
};

/** How far each layer's parameters moved from `before` (host copies taken before training). */
function parameterChanges(
  model: GraphModule,
  before: Map<string, Float32Array | Float64Array>,
): ModelParameterChange[] {
  const byLayer = new Map<string, { parameters: number; maxAbsDelta: number; delta2: number; norm2: number }>();
  for (const [key, p] of model.namedParameters()) {
    const old = before.get(key);
    if (!old) continue;
    const now = p.hostView() as Float32Array | Float64Array;
    const layer = ownerOf(key);
    const acc = byLayer.get(layer) ?? { parameters: 0, maxAbsDelta: 0, delta2: 0, norm2: 0 };
    for (let i = 0; i < old.length; i++) {
      const d = now[i]! - old[i]!;
      acc.maxAbsDelta = Math.max(acc.maxAbsDelta, Math.abs(d));
      acc.delta2 += d * d;
      acc.norm2 += old[i]! * old[i]!;
    }
    acc.parameters += old.length;
    byLayer.set(layer, acc);
  }
  return [...byLayer].map(([layer, a]) => ({
    layer,
    parameters: a.parameters,
    maxAbsDelta: a.maxAbsDelta,
    relativeChange: a.norm2 > 0 ? Math.sqrt(a.delta2 / a.norm2) : null,
  }));
}

/**
 * Runs `req.steps` SGD steps on `xs` (one batch per graph input, in graph order; in batches of
 * req.batchSize, all samples when null). `targetPath` is
 * the host's path of req.target (resolved by the caller). Refusals (a target that does not fit, a
 * wrong loss for the output) throw before any step and change nothing.
 */
export function trainModel(
  model: GraphModule,
  xs: Tensor[],
  req: ModelTrainRequest,
  targetPath: string | null,
  hooks: TrainHooks,
): TrainOutcome {
  const y = targetOf(model, xs, req, targetPath);
  const before = new Map<string, Float32Array | Float64Array>();
  for (const [key, p] of model.namedParameters())
    before.set(key, (p.hostView() as Float32Array | Float64Array).slice());
  const losses: number[] = [];
  let sent = 0;
  let lastEmit = -Infinity;
  const flush = (steps: number) => {
    if (sent === losses.length) return;
    hooks.progress(losses.length, steps, 'training');
    hooks.losses({ from: sent, steps, losses: losses.slice(sent) });
    sent = losses.length;
    lastEmit = performance.now();
  };
  const signal = {
    get aborted() {
      return hooks.cancelled();
    },
    reason: new CancelledError('training was cancelled: the parameters and running statistics are as they were'),
  };
  const t0 = performance.now();
  let cancelled = false;
  let batchSize = req.batchSize ?? xs[0]!.shape[0]!;
  try {
    const r = trainSteps(model, xs, y, {
      loss: req.loss,
      lr: req.lr,
      momentum: req.momentum,
      weightDecay: req.weightDecay,
      steps: req.steps,
      batchSize: req.batchSize ?? undefined,
      signal,
      onProgress: (step, steps, loss) => {
        losses.push(loss);
        hooks.afterStep?.(step);
        if (step === steps || performance.now() - lastEmit >= PROGRESS_MS) flush(steps);
      },
    });
    batchSize = r.batchSize;
  } catch (e) {
    if (!(e instanceof CancelledError)) throw e;
    cancelled = true;
    flush(req.steps);
  }
  return {
    applied: !cancelled,
    training: {
      loss: req.loss,
      target: targetPath ?? (req.loss === 'mse' ? 'generated (zeros)' : `generated (seed ${req.seed})`),
      steps: req.steps,
      lr: req.lr,
      momentum: req.momentum,
      weightDecay: req.weightDecay,
      batchSize,
      losses,
      cancelled,
      elapsedMs: performance.now() - t0,
      changes: cancelled ? [] : parameterChanges(model, before),
    },
  };
}
