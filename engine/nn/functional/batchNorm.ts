/**
 * functional.batchNorm: PyTorch's F.batch_norm — checks, forward and backward, train and eval.
 *
 *   training: mean = Σx/n, var = Σ(x−mean)²/n (biased), y = (x−mean)/√(var+eps)·w + b,
 *             running stats (when given) ← (1−f)·r + f·stat with the unbiased variance var·n/(n−1).
 *   eval:     y = (x−running_mean)/√(running_var+eps)·w + b, buffers unchanged.
 *
 * n = numel / C. Checks run in PyTorch's order: the one-value-per-channel rule (training only, in
 * Python), then — unless the input is empty — running_mean, running_var, weight, bias sizes. The
 * kernels run on the tensors' Device (engine/tensor/device.ts): the host device over the active
 * Backend's kernels, or CUDA, where input, output, saved statistics and gradients stay and running
 * statistics are updated in place. Per-channel statistics (mean, invstd, Σdy, Σ(x−mean)·dy) are float64
 * buffers, as the kernels keep them in double.
 */
import { attachGrad, Tensor } from '../../tensor/tensor.js';
import { allocate } from '../../tensor/dtype.js';
import { RuntimeError, ValueError } from '../../errors.js';
import type { NCS } from '../../backend/backend.js';
import { assertInitialized } from '../parameter.js';
import {
  buf,
  channelBuf,
  deviceFor,
  floatDType,
  optBuf,
  writeBuf,
  type Device,
  type FloatDType,
} from '../../tensor/device.js';
import type { DeviceBuffer } from '../../tensor/storage.js';
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
  if (input.dtype === 'float32')
    throw new RuntimeError('mixed dtype (CPU): expect parameter to have scalar type of Float');
  throw new RuntimeError('mixed dtype (CPU): expect input to have scalar type of BFloat16');
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
  return training
    ? trainForward(dev, input, runningMean, runningVar, weight, bias, momentum, eps, dims)
    : evalForward(dev, input, runningMean!, runningVar!, weight, bias, eps, dims);
}

/**
 * Statistics, normalisation and the running-stat update in one kernel; the backward reduces Σdy and
 * Σ(x−mean)·dy, then forms dx with the batch count.
 */
function trainForward(
  dev: Device,
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
  momentum: number,
  eps: number,
  { n, c, s }: NCS,
): Tensor {
  const dt = floatDType(input);
  const x = buf(dev, input);
  const out = Tensor.onDevice(dev, input.shape, dt);
  const mean = channelBuf(dev, c);
  const invstd = channelBuf(dev, c);
  dev.bnTrain(
    dt,
    x,
    buf(dev, out),
    n,
    c,
    s,
    optBuf(dev, weight),
    optBuf(dev, bias),
    writeBuf(dev, runningMean),
    writeBuf(dev, runningVar),
    momentum,
    eps,
    mean,
    invstd,
  );
  return attachGrad(out, {
    name: 'NativeBatchNormBackward0',
    inputs: [input, weight, bias],
    backward: (g) => {
      const dy = buf(dev, g);
      const sumDy = channelBuf(dev, c);
      const sumDyXmu = channelBuf(dev, c);
      dev.bnBackwardReduce(dt, dy, x, n, c, s, mean, sumDy, sumDyXmu);
      let dx: Tensor | null = null;
      if (input.requiresGrad) {
        dx = Tensor.onDevice(dev, input.shape, dt);
        const w = optBuf(dev, weight);
        dev.bnBackwardElemt(dt, dy, x, buf(dev, dx), n, c, s, mean, invstd, w, sumDy, sumDyXmu, n * s);
      }
      return [dx, ...paramGrads(dev, weight, bias, sumDy, sumDyXmu, invstd, c)];
    },
  });
}

/** Normalisation with the running statistics; the buffers are not changed. */
function evalForward(
  dev: Device,
  input: Tensor,
  runningMean: Tensor,
  runningVar: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  eps: number,
  { n, c, s }: NCS,
): Tensor {
  const dt = floatDType(input);
  const x = buf(dev, input);
  const mean = channelBuf(dev, c);
  const invstd = channelBuf(dev, c);
  dev.bnEvalStats(dt, buf(dev, runningMean), buf(dev, runningVar), eps, mean, invstd, c);
  const out = Tensor.onDevice(dev, input.shape, dt);
  dev.bnEval(dt, x, buf(dev, out), n, c, s, optBuf(dev, weight), optBuf(dev, bias), mean, invstd);
  return attachGrad(out, {
    name: 'NativeBatchNormBackward0',
    inputs: [input, weight, bias],
    backward: (g) => {
      const dy = buf(dev, g);
      let dx: Tensor | null = null;
      if (input.requiresGrad) {
        dx = Tensor.onDevice(dev, input.shape, dt);
        dev.bnBackwardEvalElemt(dt, dy, buf(dev, dx), n, c, s, invstd, optBuf(dev, weight));
      }
      const needParams = (weight && weight.requiresGrad) || (bias && bias.requiresGrad);
      if (!needParams) return [dx, null, null];
      const sumDy = channelBuf(dev, c);
      const sumDyXmu = channelBuf(dev, c);
      dev.bnBackwardReduce(dt, dy, x, n, c, s, mean, sumDy, sumDyXmu);
      return [dx, ...paramGrads(dev, weight, bias, sumDy, sumDyXmu, invstd, c)];
    },
  });
}

/** dw = Σ(x−mean)·dy·invstd, db = Σdy, in the parameters' dtype, from per-channel float64 buffers. */
export function paramGrads(
  dev: Device,
  weight: Tensor | null,
  bias: Tensor | null,
  sumDy: DeviceBuffer,
  sumDyXmu: DeviceBuffer,
  invstd: DeviceBuffer,
  c: number,
): [Tensor | null, Tensor | null] {
  const dw = weight ? Tensor.onDevice(dev, weight.shape, weight.dtype) : null;
  const db = bias ? Tensor.onDevice(dev, bias.shape, bias.dtype) : null;
  const dt = (weight ?? bias)?.dtype as FloatDType | undefined;
  if (dt) dev.bnParamGrads(dt, sumDy, sumDyXmu, invstd, optBuf(dev, dw), optBuf(dev, db), c);
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
