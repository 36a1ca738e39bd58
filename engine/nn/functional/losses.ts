/**
 * Losses with mean reduction, as PyTorch's defaults:
 *   mseLoss(ŷ, y)      = Σ(ŷ − y)² / numel
 *   crossEntropy(z, t) = −Σ_n log softmax(z_n)[t_n] / N   (z: (N, C) logits, t: N class indices)
 */
import { attachGrad, Tensor } from '../../tensor/tensor.js';
import { allocate, type FloatArray } from '../../tensor/dtype.js';
import { IndexError, RuntimeError } from '../../errors.js';
import { deviceFor } from '../../tensor/device.js';
import { crossEntropyOnDevice, mseLossOnDevice } from './lossesDevice.js';

export function mseLoss(input: Tensor, target: Tensor): Tensor {
  if (input.numel() !== target.numel()) {
    throw new RuntimeError(
      `The size of tensor a (${input.numel()}) must match the size of tensor b (${target.numel()}) at non-singleton dimension 0`,
    );
  }
  const dev = deviceFor(input, target);
  if (dev) return mseLossOnDevice(dev, input, target);
  const x = input.floatData();
  const t = target.floatData();
  const n = x.length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - t[i]!;
    s += d * d;
  }
  const out = new Tensor(allocate(input.dtype, 1), [], input.dtype);
  (out.data as FloatArray)[0] = s / n;
  return attachGrad(out, {
    name: 'MseLossBackward0',
    inputs: [input, target],
    backward: (g) => {
      const k = (2 * g.item()) / n;
      const gi = new Tensor(allocate(input.dtype, n), input.shape, input.dtype);
      const gt = new Tensor(allocate(target.dtype, n), target.shape, target.dtype);
      const a = gi.data as FloatArray;
      const b = gt.data as FloatArray;
      for (let i = 0; i < n; i++) {
        a[i] = k * (x[i]! - t[i]!);
        b[i] = -a[i]!;
      }
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
  const dev = deviceFor(input);
  if (dev) return crossEntropyOnDevice(dev, input, classes);
  const z = input.floatData();
  const probs = new Float64Array(N * C);
  let loss = 0;
  for (let r = 0; r < N; r++) {
    const cls = Number(classes[r]);
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, z[r * C + c]!);
    let se = 0;
    for (let c = 0; c < C; c++) se += Math.exp(z[r * C + c]! - m);
    const lse = m + Math.log(se);
    for (let c = 0; c < C; c++) probs[r * C + c] = Math.exp(z[r * C + c]! - lse);
    loss += lse - z[r * C + cls]!;
  }
  const out = new Tensor(allocate(input.dtype, 1), [], input.dtype);
  (out.data as FloatArray)[0] = N > 0 ? loss / N : NaN;
  return attachGrad(out, {
    name: 'NllLossBackward0',
    inputs: [input],
    backward: (g) => {
      const k = g.item() / N;
      const gi = new Tensor(allocate(input.dtype, N * C), input.shape, input.dtype);
      const d = gi.data as FloatArray;
      for (let r = 0; r < N; r++) {
        const cls = Number(classes[r]);
        for (let c = 0; c < C; c++) d[r * C + c] = k * (probs[r * C + c]! - (c === cls ? 1 : 0));
      }
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
