/**
 * A layer y = f(x; w, b) by its three Device kernels (forward, input gradient, parameter gradients):
 * functional.linear and functional.conv run through it, on whichever device deviceFor chose. Outputs
 * and gradients come from that device (on the host: the caching allocator, so tidy() can release them).
 * Arguments arrive checked by the callers.
 */
import { attachGrad, Tensor } from '../../tensor/tensor.js';
import { buf, optBuf, type Device } from '../../tensor/device.js';
import type { DeviceBuffer } from '../../tensor/storage.js';

type B = DeviceBuffer;

export interface WeightedKernels {
  /** The autograd node's name (PyTorch's). */
  name: string;
  forward(x: B, w: B, b: B | null, y: B): void;
  gradInput(dy: B, w: B, dx: B): void;
  gradWeight(dy: B, x: B, dw: B | null, db: B | null): void;
}

export function weightedLayer(
  dev: Device,
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
