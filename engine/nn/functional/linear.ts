/**
 * functional.linear: y = x·Wᵀ + b over the last dimension (any leading dims), with its backward:
 * dx = dy·W, dW = dyᵀ·x, db = Σ_rows dy. Accumulates in the storage dtype, row by row.
 */
import { attachGrad, Tensor } from '../../tensor/tensor.js';
import { allocate, type FloatArray } from '../../tensor/dtype.js';
import { RuntimeError } from '../../errors.js';
import { assertInitialized } from '../parameter.js';

export function linear(input: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  assertInitialized(weight, 'linear');
  const [outF, inF] = weight.shape as [number, number];
  const k = input.shape[input.shape.length - 1];
  if (input.dim() < 1 || k !== inF) {
    const rows = input.dim() <= 1 ? 1 : input.numel() / (k ?? 1);
    throw new RuntimeError(
      `mat1 and mat2 shapes cannot be multiplied (${rows}x${k ?? 0} and ${inF}x${outF})`,
    );
  }
  const rows = input.numel() / inF;
  const x = input.floatData();
  const w = weight.floatData();
  const b = bias ? bias.floatData() : null;
  const outShape = [...input.shape.slice(0, -1), outF];
  const out = new Tensor(allocate(input.dtype, rows * outF), outShape, input.dtype);
  const y = out.data as FloatArray;
  for (let r = 0; r < rows; r++) {
    const xo = r * inF;
    for (let o = 0; o < outF; o++) {
      const wo = o * inF;
      let acc = b ? b[o]! : 0;
      for (let i = 0; i < inF; i++) acc += x[xo + i]! * w[wo + i]!;
      y[r * outF + o] = acc;
    }
  }
  return attachGrad(out, {
    name: 'AddmmBackward0',
    inputs: [input, weight, bias],
    backward: (g) => {
      const gd = g.floatData();
      let dx: Tensor | null = null;
      if (input.requiresGrad) {
        dx = new Tensor(allocate(input.dtype, input.numel()), input.shape, input.dtype);
        const d = dx.data as FloatArray;
        for (let r = 0; r < rows; r++) {
          for (let o = 0; o < outF; o++) {
            const go = gd[r * outF + o]!;
            if (go === 0) continue;
            const wo = o * inF;
            const xo = r * inF;
            for (let i = 0; i < inF; i++) d[xo + i]! += go * w[wo + i]!;
          }
        }
      }
      let dw: Tensor | null = null;
      if (weight.requiresGrad) {
        dw = new Tensor(allocate(weight.dtype, weight.numel()), weight.shape, weight.dtype);
        const d = dw.data as FloatArray;
        for (let r = 0; r < rows; r++) {
          const xo = r * inF;
          for (let o = 0; o < outF; o++) {
            const go = gd[r * outF + o]!;
            if (go === 0) continue;
            const wo = o * inF;
            for (let i = 0; i < inF; i++) d[wo + i]! += go * x[xo + i]!;
          }
        }
      }
      let db: Tensor | null = null;
      if (bias && bias.requiresGrad) {
        db = new Tensor(allocate(bias.dtype, outF), bias.shape, bias.dtype);
        const d = db.data as FloatArray;
        for (let r = 0; r < rows; r++) for (let o = 0; o < outF; o++) d[o]! += gd[r * outF + o]!;
      }
      return [dx, dw, db];
    },
  });
}
