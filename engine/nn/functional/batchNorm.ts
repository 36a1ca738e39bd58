/**
 * functional.batchNorm: PyTorch's F.batch_norm — checks, forward and backward, train and eval.
 *
 *   training: mean = Σx/n, var = Σ(x−mean)²/n (biased), y = (x−mean)/√(var+eps)·w + b,
 *             running stats (when given) ← (1−f)·r + f·stat with the unbiased variance var·n/(n−1).
 *   eval:     y = (x−running_mean)/√(running_var+eps)·w + b, buffers unchanged.
 *
 * n = numel / C. On a backend with a device (CUDA) the tensors stay on it (batchNormDevice.ts).
 * Checks run in PyTorch's order: the one-value-per-channel rule (training only, in
 * Python), then — unless the input is empty — running_mean, running_var, weight, bias sizes.
 * The kernels come from the active Backend.
 */
import { attachGrad, Tensor } from '../../tensor/tensor.js';
import { allocate, allocateUninit, type FloatArray } from '../../tensor/dtype.js';
import { RuntimeError, ValueError } from '../../errors.js';
import { getBackend } from '../../backend/registry.js';
import type { NCS } from '../../backend/backend.js';
import { assertInitialized } from '../parameter.js';
import { deviceFor } from '../../tensor/device.js';
import { evalForwardOnDevice, trainForwardOnDevice } from './batchNormDevice.js';
import { checkFeatures as checkFeatureCount, verifyBatchSize as verifyBatchSizeOf } from '../shapeRules.js';

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}

/** (N, C, S) of an input with at least two dims. */
export function ncs(input: Tensor): NCS {
  const [n, c] = input.shape as number[];
  let s = 1;
  for (let i = 2; i < input.shape.length; i++) s *= input.shape[i]!;
  return { n: n!, c: c!, s };
}

/** F.batch_norm's `_verify_batch_size`. */
export function verifyBatchSize(input: Tensor): void {
  verifyBatchSizeOf(input.shape);
}

function checkFeatures(name: string, t: Tensor | null, c: number): void {
  checkFeatureCount(name, t ? t.numel() : null, c);
}

/**
 * PyTorch 1.13's CPU kernel refuses parameters or buffers whose dtype differs from the input's
 * (only bfloat16 input with float32 parameters is a supported mix, and the engine does not compute
 * in bfloat16).
 */
function checkMixedDtype(input: Tensor, params: (Tensor | null)[]): void {
  if (!params.some((p) => p && p.dtype !== input.dtype)) return;
  if (input.dtype === 'float32') throw new RuntimeError('mixed dtype (CPU): expect parameter to have scalar type of Float');
  throw new RuntimeError('mixed dtype (CPU): expect input to have scalar type of BFloat16');
}

function fa(t: Tensor | null | undefined): FloatArray | null {
  return t ? t.floatData() : null;
}

export function batchNorm(
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  opts: BatchNormOptions = {},
): Tensor {
  const weight = opts.weight ?? null;
  const bias = opts.bias ?? null;
  const training = opts.training ?? false;
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  for (const t of [input, weight, bias, runningMean, runningVar]) if (t) assertInitialized(t, 'batch_norm');
  if (training && input.dim() >= 1) verifyBatchSize(input);
  if (input.dim() >= 2 && input.numel() === 0) return emptyBatchNorm(input, weight, bias);
  // PyTorch reads C as input.size(1); a 1-D input yields 0 there, so its size checks fail on C = 0.
  const c = input.dim() >= 2 ? input.shape[1]! : 0;
  checkFeatures('running_mean', runningMean, c);
  if (!runningMean && !training) throw new RuntimeError('running_mean must be defined in evaluation mode');
  checkFeatures('running_var', runningVar, c);
  if (!runningVar && !training) throw new RuntimeError('running_var must be defined in evaluation mode');
  checkFeatures('weight', weight, c);
  checkFeatures('bias', bias, c);
  if (input.dim() < 2) {
    throw new ValueError(`batch_norm expected at least 2D input (got ${input.dim()}D input)`);
  }
  checkMixedDtype(input, [weight, bias, runningMean, runningVar]);
  const dims = ncs(input);
  const dev = deviceFor(input, weight, bias, runningMean, runningVar);
  if (dev) {
    return training
      ? trainForwardOnDevice(dev, input, runningMean, runningVar, weight, bias, momentum, eps, dims)
      : evalForwardOnDevice(dev, input, runningMean!, runningVar!, weight, bias, eps, dims);
  }
  return training
    ? trainForward(input, runningMean, runningVar, weight, bias, momentum, eps, dims)
    : evalForward(input, runningMean!, runningVar!, weight, bias, eps, dims);
}

function trainForward(
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
  momentum: number,
  eps: number,
  dims: NCS,
): Tensor {
  const backend = getBackend();
  const x = input.floatData();
  const out = new Tensor(allocateUninit(input.dtype, input.numel()), input.shape, input.dtype);
  const { mean, invstd } = backend.forwardTrain({
    x,
    y: out.data as FloatArray,
    dims,
    weight: fa(weight),
    bias: fa(bias),
    runningMean: fa(runningMean),
    runningVar: fa(runningVar),
    momentum,
    eps,
  });
  return attachGrad(out, {
    name: 'NativeBatchNormBackward0',
    inputs: [input, weight, bias],
    backward: (g) => {
      const dy = g.floatData();
      const { sumDy, sumDyXmu } = backend.backwardReduce({ dy, x, dims, mean });
      let dx: Tensor | null = null;
      if (input.requiresGrad) {
        dx = new Tensor(allocateUninit(input.dtype, input.numel()), input.shape, input.dtype);
        backend.backwardElemt({
          dy,
          x,
          dx: dx.data as FloatArray,
          dims,
          mean,
          invstd,
          weight: fa(weight),
          sumDy,
          sumDyXmu,
          count: dims.n * dims.s,
        });
      }
      return [dx, ...paramGrads(weight, bias, sumDy, sumDyXmu, invstd)];
    },
  });
}

function evalForward(
  input: Tensor,
  runningMean: Tensor,
  runningVar: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  eps: number,
  dims: NCS,
): Tensor {
  const backend = getBackend();
  const x = input.floatData();
  const rm = runningMean.floatData();
  const rv = runningVar.floatData();
  const invstd = new Float64Array(dims.c);
  for (let c = 0; c < dims.c; c++) invstd[c] = 1 / Math.sqrt(rv[c]! + eps);
  const mean = Float64Array.from(rm);
  const out = new Tensor(allocateUninit(input.dtype, input.numel()), input.shape, input.dtype);
  backend.forwardEval({ x, y: out.data as FloatArray, dims, weight: fa(weight), bias: fa(bias), mean, invstd });
  return attachGrad(out, {
    name: 'NativeBatchNormBackward0',
    inputs: [input, weight, bias],
    backward: (g) => {
      const dy = g.floatData();
      let dx: Tensor | null = null;
      if (input.requiresGrad) {
        dx = new Tensor(allocateUninit(input.dtype, input.numel()), input.shape, input.dtype);
        backend.backwardEvalElemt({ dy, dx: dx.data as FloatArray, dims, invstd, weight: fa(weight) });
      }
      const needParams = (weight && weight.requiresGrad) || (bias && bias.requiresGrad);
      if (!needParams) return [dx, null, null];
      const { sumDy, sumDyXmu } = backend.backwardReduce({ dy, x, dims, mean });
      return [dx, ...paramGrads(weight, bias, sumDy, sumDyXmu, invstd)];
    },
  });
}

/** dw = Σ(x−mean)·dy·invstd, db = Σdy, in the parameters' dtype. */
export function paramGrads(
  weight: Tensor | null,
  bias: Tensor | null,
  sumDy: Float64Array,
  sumDyXmu: Float64Array,
  invstd: ArrayLike<number>,
): [Tensor | null, Tensor | null] {
  let dw: Tensor | null = null;
  let db: Tensor | null = null;
  if (weight) {
    dw = new Tensor(allocate(weight.dtype, weight.numel()), weight.shape, weight.dtype);
    const d = dw.data as FloatArray;
    for (let c = 0; c < d.length; c++) d[c] = sumDyXmu[c]! * invstd[c]!;
  }
  if (bias) {
    db = new Tensor(allocate(bias.dtype, bias.numel()), bias.shape, bias.dtype);
    (db.data as FloatArray).set(sumDy);
  }
  return [dw, db];
}

/** PyTorch's empty-input path: an empty output, buffers untouched, zero weight/bias grads. */
function emptyBatchNorm(input: Tensor, weight: Tensor | null, bias: Tensor | null): Tensor {
  const out = new Tensor(allocate(input.dtype, 0), input.shape, input.dtype);
  return attachGrad(out, {
    name: 'NativeBatchNormBackward0',
    inputs: [input, weight, bias],
    backward: () => [
      input.requiresGrad ? new Tensor(allocate(input.dtype, 0), input.shape, input.dtype) : null,
      weight ? new Tensor(allocate(weight.dtype, weight.numel()), weight.shape, weight.dtype) : null,
      bias ? new Tensor(allocate(bias.dtype, bias.numel()), bias.shape, bias.dtype) : null,
    ],
  });
}
