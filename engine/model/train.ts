/**
 * SGD steps on an imported model (torch.optim.SGD: a learning rate, and optionally momentum and weight
 * decay, plain SGD without them): each step runs
 * the next batch of (X, Y) in order (the whole of X without a batch size; batches wrap around when
 * there are more steps than batches), takes the loss of graph output 0 against Y (mean squared error,
 * or cross-entropy with class indices), backpropagates and updates every parameter.
 *
 * BatchNorm runs in train mode (batch statistics, running statistics updated) and dropout is off:
 * the engine's random stream is not PyTorch's, so dropout masks could never match, and parity is the
 * point. Cancelled or failed mid-way, every parameter and buffer is put back as it was before step 1.
 */
import { ValueError } from '../errors.js';
import { crossEntropy, mseLoss } from '../nn/functional/losses.js';
import { SGD } from '../optim/sgd.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  batchOf,
  batchRanges,
  checkBatchSize,
  rows,
  sampleCount,
  throwIfCancelled,
  type CancelSignal,
  type ModelInputs,
} from './batches.js';
import type { GraphModule } from './graphModule.js';
import { StateCopy } from '../nn/stateCopy.js';

export type LossName = 'mse' | 'cross-entropy';
export const LOSSES: readonly LossName[] = ['mse', 'cross-entropy'];

export interface TrainOptions {
  loss: LossName;
  lr: number;
  /** torch.optim.SGD's momentum and weight_decay (0 when absent: plain SGD). */
  momentum?: number;
  weightDecay?: number;
  steps: number;
  /** Samples per step; all of X when absent. */
  batchSize?: number;
  /** After each step: step number (from 1), steps in all, that step's loss. */
  onProgress?: (step: number, steps: number, loss: number) => void;
  signal?: CancelSignal;
}

export interface TrainResult {
  /** The loss of each step, computed before that step's update (what torch's loop records). */
  losses: number[];
  batchSize: number;
}

export function trainSteps(model: GraphModule, x: ModelInputs, y: Tensor, opts: TrainOptions): TrainResult {
  if (!LOSSES.includes(opts.loss)) throw new ValueError(`unknown loss '${String(opts.loss)}' (mse or cross-entropy)`);
  if (!Number.isSafeInteger(opts.steps) || opts.steps <= 0) {
    throw new ValueError(`steps should be a positive integer, but got steps=${opts.steps}`);
  }
  const n = sampleCount(x);
  if (n === 0) throw new ValueError('training needs at least one sample (X has 0 along dimension 0)');
  if (y.dim() === 0 || y.shape[0] !== n) {
    throw new ValueError(
      `X has ${n} samples but Y has ${y.dim() === 0 ? 'none (a scalar)' : y.shape[0]} along dimension 0`,
    );
  }
  const batchSize = opts.batchSize ?? n;
  checkBatchSize(batchSize);
  const ranges = batchRanges(n, batchSize);
  const params = model.parameters();
  // Absent options are left out (an explicit undefined would replace SGD's default of 0).
  const optimizer = new SGD(params, {
    lr: opts.lr,
    ...(opts.momentum !== undefined && { momentum: opts.momentum }),
    ...(opts.weightDecay !== undefined && { weightDecay: opts.weightDecay }),
  });
  const lossFn = opts.loss === 'mse' ? mseLoss : crossEntropy;
  const before = StateCopy.of(model);
  const losses: number[] = [];
  let ok = false;
  try {
    model.setBatchNormMode('train');
    model.setDropout(false);
    for (let step = 0; step < opts.steps; step++) {
      throwIfCancelled(opts.signal, 'training');
      const [s, e] = ranges[step % ranges.length]!;
      optimizer.zeroGrad();
      const out = model.forwardGraph(batchOf(x, s, e))[0]!;
      const loss = lossFn(out, rows(y, s, e));
      loss.backward();
      optimizer.step();
      losses.push(loss.item());
      opts.onProgress?.(step + 1, opts.steps, losses[step]!);
    }
    ok = true;
  } finally {
    if (!ok) {
      before.restore();
      optimizer.zeroGrad();
    }
  }
  return { losses, batchSize };
}
