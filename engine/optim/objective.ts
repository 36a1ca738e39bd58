/**
 * The training step every place that trains a stack shares — Stepping (app/host/session.ts), the rank
 * processes (app/ranks/rankTraining.ts, which `normscope ranks` and the Ranks workspace drive): the
 * objective, its backward, the default learning rate and the optimizer.
 *
 * The objective regresses the output to zero, L = ½·mean(y²), so dL/dy = y/n: a loss with no labels
 * that still moves every parameter and every BatchNorm buffer, which is all a BatchNorm debugger needs.
 */
import { mseLoss } from '../nn/functional/losses.js';
import type { Parameter } from '../nn/parameter.js';
import { allocate } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { DEFAULT_LR } from './defaults.js';
import { SGD } from './sgd.js';

export { DEFAULT_LR } from './defaults.js';

/** The objective's target for an output like `y`: zeros of its shape and dtype (keep it to reuse it). */
export function objectiveTarget(y: Tensor): Tensor {
  return new Tensor(allocate(y.dtype, y.numel()), y.shape, y.dtype);
}

/**
 * Runs the backward of L = ½·mean(y²) from `y` and returns L (NaN for an empty y). It goes through the
 * engine's mse_loss with a seed of ½, so on a device nothing but the seed and L cross. An empty y (a
 * rank with no samples) still runs its backward, so its collectives meet the other ranks'.
 */
export function objectiveBackward(y: Tensor, target: Tensor = objectiveTarget(y)): number {
  if (y.numel() === 0) {
    if (y.requiresGrad) y.backward(objectiveTarget(y));
    return NaN;
  }
  const mse = mseLoss(y, target);
  if (mse.requiresGrad) mse.backward(new Tensor(allocate(mse.dtype, 1), mse.shape, mse.dtype).fill_(0.5));
  return 0.5 * mse.item();
}

/** The optimizer of a training step: plain SGD (no momentum, no weight decay). */
export function stepOptimizer(params: Iterable<Parameter>, lr = DEFAULT_LR): SGD {
  return new SGD([...params], { lr });
}
