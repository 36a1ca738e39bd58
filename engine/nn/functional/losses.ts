/**
 * Losses with mean reduction, as PyTorch's defaults:
 *   mseLoss(ŷ, y)      = Σ(ŷ − y)² / numel
 *   crossEntropy(z, t) = −Σ_n log softmax(z_n)[t_n] / N   (z: (N, C) logits, t: N class indices)
 * on the tensors' Device (sums in double). The loss is a one-element tensor: on CUDA, reading it
 * (`item()`) is the one value a training step downloads.
 */
import { attachGrad, Tensor } from '../../tensor/tensor.js';
import { IndexError, RuntimeError } from '../../errors.js';
import { buf, deviceFor, floatDType } from '../../tensor/device.js';

export function mseLoss(input: Tensor, target: Tensor): Tensor {
  if (input.numel() !== target.numel()) {
    throw new RuntimeError(
      `The size of tensor a (${input.numel()}) must match the size of tensor b (${target.numel()}) at non-singleton dimension 0`,
    );
  }
  const dt = floatDType(input);
  floatDType(target);
  const n = input.numel();
  const dev = deviceFor(input, target);
  const x = buf(dev, input);
  const t = buf(dev, target);
  const out = Tensor.onDevice(dev, [], dt);
  dev.mseForward(dt, x, t, buf(dev, out), n);
  return attachGrad(out, {
    name: 'MseLossBackward0',
    inputs: [input, target],
    backward: (g) => {
      // Only the gradients that are needed (the target usually does not require one).
      const gi = input.requiresGrad ? Tensor.onDevice(dev, input.shape, dt) : null;
      const gt = target.requiresGrad ? Tensor.onDevice(dev, target.shape, target.dtype) : null;
      if (gi || gt) dev.mseBackward(dt, x, t, buf(dev, g), gi && buf(dev, gi), gt && buf(dev, gt), n);
      return [gi, gt];
    },
  });
}

export function crossEntropy(input: Tensor, target: Tensor): Tensor {
  if (input.dim() !== 2) throw new RuntimeError(`crossEntropy expects (N, C) logits, got ${input.dim()}D input`);
  const [N, C] = input.shape as [number, number];
  if (target.numel() !== N) {
    throw new RuntimeError(`Expected input batch_size (${N}) to match target batch_size (${target.numel()}).`);
  }
  const classes = checkedClasses(target, N, C);
  const dt = floatDType(input);
  const dev = deviceFor(input);
  // The classes were checked on the host (the error must be PyTorch's IndexError); uploaded once as int64.
  const targetBuf = dev.alloc(classes.byteLength);
  if (classes.length > 0) dev.upload(targetBuf, classes);
  const probs = dev.alloc(N * C * 8);
  const out = Tensor.onDevice(dev, [], dt);
  dev.crossEntropyForward(dt, buf(dev, input), targetBuf, probs, buf(dev, out), N, C);
  return attachGrad(out, {
    name: 'NllLossBackward0',
    inputs: [input],
    backward: (g) => {
      const gi = Tensor.onDevice(dev, input.shape, dt);
      dev.crossEntropyBackward(dt, probs, targetBuf, buf(dev, g), buf(dev, gi), N, C);
      return [gi];
    },
  });
}

/** The target classes as int64, each checked to lie in [0, C) (PyTorch's IndexError otherwise). */
function checkedClasses(target: Tensor, N: number, C: number): BigInt64Array {
  const out = new BigInt64Array(N);
  for (let r = 0; r < N; r++) {
    const cls = target.getFlat(r);
    if (!Number.isInteger(cls) || cls < 0 || cls >= C) throw new IndexError(`Target ${cls} is out of bounds.`);
    out[r] = BigInt(cls);
  }
  return out;
}
