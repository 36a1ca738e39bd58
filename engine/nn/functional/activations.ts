/**
 * Elementwise activations with PyTorch's forward values and gradients (ONNX Relu, Sigmoid, HardSigmoid,
 * HardSwish, Clip). Values are computed in double and stored in the input's dtype. relu is the one in
 * engine/tensor/ops.ts (it has a device kernel).
 */
import { attachGrad, Tensor } from '../../tensor/tensor.js';
import { allocateUninit, type FloatArray } from '../../tensor/dtype.js';
import { RuntimeError } from '../../errors.js';

export { relu } from '../../tensor/ops.js';

function floatInput(op: string, x: Tensor): FloatArray {
  if (x.dtype !== 'float32' && x.dtype !== 'float64')
    throw new RuntimeError(`${op}: expected a float32 or float64 input, got ${x.dtype}`);
  return x.floatData();
}

function like(x: Tensor): Tensor {
  return new Tensor(allocateUninit(x.dtype, x.numel()), x.shape, x.dtype);
}

/** 1 / (1 + e^−x); gradient g·y·(1 − y). */
export function sigmoid(x: Tensor): Tensor {
  const xd = floatInput('sigmoid', x);
  const out = like(x);
  const yd = out.data as FloatArray;
  for (let i = 0; i < yd.length; i++) yd[i] = 1 / (1 + Math.exp(-xd[i]!));
  return attachGrad(out, {
    name: 'SigmoidBackward0',
    inputs: [x],
    backward: (g) => {
      const gd = g.floatData();
      const dx = like(x);
      const dd = dx.data as FloatArray;
      for (let i = 0; i < dd.length; i++) dd[i] = gd[i]! * yd[i]! * (1 - yd[i]!);
      return [dx];
    },
  });
}

/**
 * max(0, min(1, alpha·x + beta)) (ONNX HardSigmoid; defaults alpha 0.2, beta 0.5). The gradient is
 * alpha strictly inside the linear part and 0 at and beyond its ends (PyTorch's hardsigmoid rule).
 */
export function hardSigmoid(x: Tensor, alpha = 0.2, beta = 0.5): Tensor {
  const xd = floatInput('hardSigmoid', x);
  const out = like(x);
  const yd = out.data as FloatArray;
  for (let i = 0; i < yd.length; i++) {
    const v = alpha * xd[i]! + beta;
    yd[i] = v <= 0 ? 0 : v >= 1 ? 1 : v;
  }
  return attachGrad(out, {
    name: 'HardsigmoidBackward0',
    inputs: [x],
    backward: (g) => {
      const gd = g.floatData();
      const dx = like(x);
      const dd = dx.data as FloatArray;
      for (let i = 0; i < dd.length; i++) {
        const v = alpha * xd[i]! + beta;
        dd[i] = v > 0 && v < 1 ? gd[i]! * alpha : 0;
      }
      return [dx];
    },
  });
}

/**
 * x · min(max(x + 3, 0), 6) / 6 (ONNX HardSwish = x·HardSigmoid(x; 1/6, 1/2)). Gradient as PyTorch's
 * hardswish_backward: 0 below −3, g·(x/3 + 1/2) on [−3, 3], g above.
 */
export function hardSwish(x: Tensor): Tensor {
  const xd = floatInput('hardSwish', x);
  const out = like(x);
  const yd = out.data as FloatArray;
  for (let i = 0; i < yd.length; i++) {
    const v = xd[i]!;
    yd[i] = (v * Math.min(Math.max(v + 3, 0), 6)) / 6;
  }
  return attachGrad(out, {
    name: 'HardswishBackward0',
    inputs: [x],
    backward: (g) => {
      const gd = g.floatData();
      const dx = like(x);
      const dd = dx.data as FloatArray;
      for (let i = 0; i < dd.length; i++) {
        const v = xd[i]!;
        dd[i] = v < -3 ? 0 : v <= 3 ? gd[i]! * (v / 3 + 0.5) : gd[i]!;
      }
      return [dx];
    },
  });
}

/**
 * min(max(x, min), max) with either bound optional (ONNX Clip 13+, PyTorch clamp): when min > max
 * every value becomes max. NaN stays NaN. The gradient passes where min <= x <= max (inclusive).
 */
export function clip(x: Tensor, min?: number, max?: number): Tensor {
  const xd = floatInput('clip', x);
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  const out = like(x);
  const yd = out.data as FloatArray;
  for (let i = 0; i < yd.length; i++) {
    const v = xd[i]!;
    yd[i] = v !== v ? v : Math.min(Math.max(v, lo), hi);
  }
  return attachGrad(out, {
    name: 'ClampBackward1',
    inputs: [x],
    backward: (g) => {
      const gd = g.floatData();
      const dx = like(x);
      const dd = dx.data as FloatArray;
      for (let i = 0; i < dd.length; i++) {
        const v = xd[i]!;
        dd[i] = v >= lo && v <= hi ? gd[i]! : 0;
      }
      return [dx];
    },
  });
}
