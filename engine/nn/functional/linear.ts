/**
 * functional.linear: y = x·Wᵀ + b over the last dimension (any leading dims), with its backward:
 * dx = dy·W, dW = dyᵀ·x, db = Σ_rows dy, on the tensors' Device (the host device multiplies on the
 * backend's GEMM or gemmABtTs, accumulating in double).
 */
import type { Tensor } from '../../tensor/tensor.js';
import { linearShape } from '../shapeRules.js';
import { assertInitialized } from '../parameter.js';
import { deviceFor, floatDType } from '../../tensor/device.js';
import { weightedLayer } from './weighted.js';

export function linear(input: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  assertInitialized(weight, 'linear');
  const [outF, inF] = weight.shape as [number, number];
  const outShape = linearShape(input.shape, inF, outF);
  const dt = floatDType(input);
  floatDType(weight);
  if (bias) floatDType(bias);
  const rows = input.numel() / inF;
  const dev = deviceFor(input, weight, bias);
  return weightedLayer(
    dev,
    {
      name: 'AddmmBackward0',
      forward: (x, w, b, y) => dev.linearForward(dt, x, w, b, y, rows, inF, outF),
      gradInput: (dy, w, dx) => dev.linearGradInput(dt, dy, w, dx, rows, inF, outF),
      gradWeight: (dy, x, dw, db) => dev.linearGradWeight(dt, dy, x, dw, db, rows, inF, outF),
    },
    input,
    weight,
    bias,
    outShape,
  );
}
