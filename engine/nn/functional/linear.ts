/**
 * functional.linear: y = x·Wᵀ + b over the last dimension (any leading dims), with its backward:
 * dx = dy·W, dW = dyᵀ·x, db = Σ_rows dy. All three products run on gemmABt (register-blocked dot
 * products accumulated in double).
 */
import { attachGrad, Tensor } from '../../tensor/tensor.js';
import { allocate, type FloatArray } from '../../tensor/dtype.js';
import { linearShape } from '../shapeRules.js';
import { assertInitialized } from '../parameter.js';
import { gemmABt, transpose } from './gemm.js';
import { deviceFor } from '../../tensor/device.js';
import { linearOnDevice } from './layersDevice.js';

export function linear(input: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  assertInitialized(weight, 'linear');
  const [outF, inF] = weight.shape as [number, number];
  const outShape = linearShape(input.shape, inF, outF);
  const dev = deviceFor(input, weight, bias);
  if (dev) return linearOnDevice(dev, input, weight, bias);
  const rows = input.numel() / inF;
  const x = input.floatData();
  const w = weight.floatData();
  const b = bias ? bias.floatData() : null;
  const out = new Tensor(allocate(input.dtype, rows * outF), outShape, input.dtype);
  const y = out.data as FloatArray;
  gemmABt(x, w, rows, outF, inF, y);
  if (b) for (let r = 0; r < rows; r++) for (let o = 0; o < outF; o++) y[r * outF + o]! += b[o]!;
  return attachGrad(out, {
    name: 'AddmmBackward0',
    inputs: [input, weight, bias],
    backward: (g) => {
      const gd = g.floatData();
      let dx: Tensor | null = null;
      if (input.requiresGrad) {
        // dx = dy·W = dy·(Wᵀ)ᵀ
        dx = new Tensor(allocate(input.dtype, input.numel()), input.shape, input.dtype);
        gemmABt(gd, transpose(w, outF, inF), rows, inF, outF, dx.data as FloatArray);
      }
      let dw: Tensor | null = null;
      if (weight.requiresGrad) {
        // dW = dyᵀ·x = dyᵀ·(xᵀ)ᵀ
        dw = new Tensor(allocate(weight.dtype, weight.numel()), weight.shape, weight.dtype);
        gemmABt(transpose(gd, rows, outF), transpose(x, rows, inF), outF, inF, rows, dw.data as FloatArray);
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
