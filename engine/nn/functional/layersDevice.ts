/**
 * The device paths of functional.linear and functional.conv2d (same math as linear.ts and
 * conv2d.ts; the kernels accumulate in double): outputs and gradients are device tensors.
 * Arguments arrive checked by the host functions.
 */
import { attachGrad, Tensor } from '../../tensor/tensor.js';
import { buf, optBuf, type DeviceOps, type FloatDType } from '../../tensor/device.js';
import type { DeviceBuffer } from '../../tensor/storage.js';

type B = DeviceBuffer;

/** A layer y = f(x; w, b) by its three kernels: forward, the input gradient, the parameter gradients. */
interface WeightedKernels {
  name: string;
  forward(x: B, w: B, b: B | null, y: B): void;
  gradInput(dy: B, w: B, dx: B): void;
  gradWeight(dy: B, x: B, dw: B | null, db: B | null): void;
}

function weightedOnDevice(
  dev: DeviceOps,
  k: WeightedKernels,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  outShape: readonly number[],
): Tensor {
  const x = buf(dev, input);
  const out = Tensor.onDevice(dev, outShape, input.dtype);
  k.forward(x, buf(dev, weight), optBuf(dev, bias), buf(dev, out));
  return attachGrad(out, {
    name: k.name,
    inputs: [input, weight, bias],
    backward: (g) => {
      const dy = buf(dev, g);
      let dx: Tensor | null = null;
      if (input.requiresGrad) {
        dx = Tensor.onDevice(dev, input.shape, input.dtype);
        k.gradInput(dy, buf(dev, weight), buf(dev, dx));
      }
      const dw = weight.requiresGrad ? Tensor.onDevice(dev, weight.shape, weight.dtype) : null;
      const db = bias && bias.requiresGrad ? Tensor.onDevice(dev, bias.shape, bias.dtype) : null;
      if (dw || db) k.gradWeight(dy, x, optBuf(dev, dw), optBuf(dev, db));
      return [dx, dw, db];
    },
  });
}

/** y = x·Wᵀ + b over the last dimension; `rows` = numel / inF. */
export function linearOnDevice(dev: DeviceOps, input: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const dt = input.dtype as FloatDType;
  const [outF, inF] = weight.shape as [number, number];
  const rows = input.numel() / inF;
  const kernels: WeightedKernels = {
    name: 'AddmmBackward0',
    forward: (x, w, b, y) => dev.linearForward(dt, x, w, b, y, rows, inF, outF),
    gradInput: (dy, w, dx) => dev.linearGradInput(dt, dy, w, dx, rows, inF, outF),
    gradWeight: (dy, x, dw, db) => dev.linearGradWeight(dt, dy, x, dw, db, rows, inF, outF),
  };
  return weightedOnDevice(dev, kernels, input, weight, bias, [...input.shape.slice(0, -1), outF]);
}

/** Conv2d (groups 1): dims = [n, c, h, w, o, kh, kw, sh, sw, ph, pw, oh, ow]. */
export function conv2dOnDevice(
  dev: DeviceOps,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  dims: number[],
): Tensor {
  const dt = input.dtype as FloatDType;
  const kernels: WeightedKernels = {
    name: 'ConvolutionBackward0',
    forward: (x, w, b, y) => dev.conv2dForward(dt, x, w, b, y, dims),
    gradInput: (dy, w, dx) => dev.conv2dGradInput(dt, dy, w, dx, dims),
    gradWeight: (dy, x, dw, db) => dev.conv2dGradWeight(dt, dy, x, dw, db, dims),
  };
  return weightedOnDevice(dev, kernels, input, weight, bias, [dims[0]!, dims[4]!, dims[11]!, dims[12]!]);
}
