/**
 * The device paths of the losses in losses.ts (same math; sums in double on the device). The loss is
 * a one-element device tensor: reading it (`item()`) is the one value a training step downloads.
 */
import { attachGrad, Tensor } from '../../tensor/tensor.js';
import { buf, type DeviceOps, type FloatDType } from '../../tensor/device.js';

export function mseLossOnDevice(dev: DeviceOps, input: Tensor, target: Tensor): Tensor {
  const dt = input.dtype as FloatDType;
  const n = input.numel();
  const x = buf(dev, input);
  const t = buf(dev, target);
  const out = Tensor.onDevice(dev, [], dt);
  dev.mseForward(dt, x, t, buf(dev, out), n);
  return attachGrad(out, {
    name: 'MseLossBackward0',
    inputs: [input, target],
    backward: (g) => {
      const gi = Tensor.onDevice(dev, input.shape, dt);
      const gt = Tensor.onDevice(dev, target.shape, dt);
      dev.mseBackward(dt, x, t, buf(dev, g), buf(dev, gi), buf(dev, gt), n);
      return [gi, gt];
    },
  });
}

/**
 * Cross entropy over (N, C) logits; `classes` are the targets, already checked to be in range on the
 * host (the error must be PyTorch's IndexError), uploaded once as int64.
 */
export function crossEntropyOnDevice(dev: DeviceOps, input: Tensor, classes: BigInt64Array): Tensor {
  const dt = input.dtype as FloatDType;
  const [N, C] = input.shape as [number, number];
  const target = dev.alloc(classes.byteLength);
  if (classes.length > 0) dev.upload(target, classes);
  const probs = dev.alloc(N * C * 8);
  const out = Tensor.onDevice(dev, [], dt);
  dev.crossEntropyForward(dt, buf(dev, input), target, probs, buf(dev, out), N, C);
  return attachGrad(out, {
    name: 'NllLossBackward0',
    inputs: [input],
    backward: (g) => {
      const gi = Tensor.onDevice(dev, input.shape, dt);
      dev.crossEntropyBackward(dt, probs, target, buf(dev, g), buf(dev, gi), N, C);
      return [gi];
    },
  });
}
