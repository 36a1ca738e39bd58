/**
 * functional.batchNorm's device path (same math as batchNorm.ts, on device buffers): the input,
 * output, saved statistics and gradients stay on the device; running statistics are updated there
 * in place. Per-channel statistics (mean, invstd, Σdy, Σ(x−mean)·dy) are float64 device buffers, as
 * the kernels keep them in double.
 */
import { attachGrad, Tensor } from '../../tensor/tensor.js';
import { buf, channelBuf, optBuf, writeBuf, type DeviceOps, type FloatDType } from '../../tensor/device.js';
import type { DeviceBuffer } from '../../tensor/storage.js';
import type { NCS } from '../../backend/backend.js';

export function trainForwardOnDevice(
  dev: DeviceOps,
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
  momentum: number,
  eps: number,
  { n, c, s }: NCS,
): Tensor {
  const dt = input.dtype as FloatDType;
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
      return [dx, ...paramGradsOnDevice(dev, weight, bias, sumDy, sumDyXmu, invstd, c)];
    },
  });
}

export function evalForwardOnDevice(
  dev: DeviceOps,
  input: Tensor,
  runningMean: Tensor,
  runningVar: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  eps: number,
  { n, c, s }: NCS,
): Tensor {
  const dt = input.dtype as FloatDType;
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
      return [dx, ...paramGradsOnDevice(dev, weight, bias, sumDy, sumDyXmu, invstd, c)];
    },
  });
}

/** dw = Σ(x−mean)·dy·invstd, db = Σdy, in the parameters' dtype (as batchNorm.ts's paramGrads). */
export function paramGradsOnDevice(
  dev: DeviceOps,
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
