/**
 * The device paths of functional.linear and functional.conv2d (same math as linear.ts and
 * conv2d.ts; the kernels accumulate in double): outputs and gradients are device tensors.
 * Arguments arrive checked by the host functions.
 */
import { attachGrad, Tensor } from '../../tensor/tensor.js';
import { buf, optBuf, type DeviceOps, type FloatDType } from '../../tensor/device.js';

/** y = x·Wᵀ + b over the last dimension; `rows` = numel / inF. */
export function linearOnDevice(dev: DeviceOps, input: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const dt = input.dtype as FloatDType;
  const [outF, inF] = weight.shape as [number, number];
  const rows = input.numel() / inF;
  const x = buf(dev, input);
  const out = Tensor.onDevice(dev, [...input.shape.slice(0, -1), outF], dt);
  dev.linearForward(dt, x, buf(dev, weight), optBuf(dev, bias), buf(dev, out), rows, inF, outF);
  return attachGrad(out, {
    name: 'AddmmBackward0',
    inputs: [input, weight, bias],
    backward: (g) => {
      const dy = buf(dev, g);
      let dx: Tensor | null = null;
      if (input.requiresGrad) {
        dx = Tensor.onDevice(dev, input.shape, dt);
        dev.linearGradInput(dt, dy, buf(dev, weight), buf(dev, dx), rows, inF, outF);
      }
      const dw = weight.requiresGrad ? Tensor.onDevice(dev, weight.shape, weight.dtype) : null;
      const db = bias && bias.requiresGrad ? Tensor.onDevice(dev, bias.shape, bias.dtype) : null;
      if (dw || db) dev.linearGradWeight(dt, dy, x, optBuf(dev, dw), optBuf(dev, db), rows, inF, outF);
      return [dx, dw, db];
    },
  });
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
  const [n, , , , o, , , , , , , oh, ow] = dims as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const x = buf(dev, input);
  const out = Tensor.onDevice(dev, [n, o, oh, ow], dt);
  dev.conv2dForward(dt, x, buf(dev, weight), optBuf(dev, bias), buf(dev, out), dims);
  return attachGrad(out, {
    name: 'ConvolutionBackward0',
    inputs: [input, weight, bias],
    backward: (g) => {
      const dy = buf(dev, g);
      let dx: Tensor | null = null;
      if (input.requiresGrad) {
        dx = Tensor.onDevice(dev, input.shape, dt);
        dev.conv2dGradInput(dt, dy, buf(dev, weight), buf(dev, dx), dims);
      }
      const dw = weight.requiresGrad ? Tensor.onDevice(dev, weight.shape, weight.dtype) : null;
      const db = bias && bias.requiresGrad ? Tensor.onDevice(dev, bias.shape, bias.dtype) : null;
      if (dw || db) dev.conv2dGradWeight(dt, dy, x, optBuf(dev, dw), optBuf(dev, db), dims);
      return [dx, dw, db];
    },
  });
}
