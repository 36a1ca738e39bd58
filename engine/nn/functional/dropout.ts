/**
 * Dropout (ONNX Dropout 13+, PyTorch's F.dropout): in training each value is kept with probability
 * 1 − ratio and scaled by 1 / (1 − ratio) (inverted dropout), so eval needs no rescaling. Not training,
 * or ratio 0, is the identity with an all-true mask. ratio 1 drops everything (PyTorch gives zeros).
 * The mask is a bool tensor (ONNX's second output); the gradient is g·mask·scale.
 */
import { attachGrad, Tensor } from '../../tensor/tensor.js';
import { allocateUninit, type FloatArray } from '../../tensor/dtype.js';
import { RuntimeError } from '../../errors.js';
import { defaultGenerator, type Generator } from '../../tensor/random.js';

export interface DropoutResult {
  output: Tensor;
  mask: Tensor;
}

export function dropout(
  x: Tensor,
  ratio = 0.5,
  training = false,
  generator: Generator = defaultGenerator,
): DropoutResult {
  if (!(ratio >= 0 && ratio <= 1)) {
    throw new RuntimeError(`dropout probability has to be between 0 and 1, but got ${ratio}`);
  }
  const n = x.numel();
  const mask = new Tensor(allocateUninit('bool', n), x.shape, 'bool');
  const md = mask.data as Uint8Array;
  if (!training || ratio === 0) {
    md.fill(1);
    return { output: x, mask };
  }
  if (x.dtype !== 'float32' && x.dtype !== 'float64')
    throw new RuntimeError(`dropout: expected a float input, got ${x.dtype}`);
  const scale = ratio === 1 ? 0 : 1 / (1 - ratio);
  for (let i = 0; i < n; i++) md[i] = generator.uniform() >= ratio ? 1 : 0;
  const xd = x.floatData();
  const out = new Tensor(allocateUninit(x.dtype, n), x.shape, x.dtype);
  const od = out.data as FloatArray;
  for (let i = 0; i < n; i++) od[i] = md[i] ? xd[i]! * scale : 0;
  const output = attachGrad(out, {
    name: 'NativeDropoutBackward0',
    inputs: [x],
    backward: (g) => {
      const gd = g.floatData();
      const dx = new Tensor(allocateUninit(x.dtype, n), x.shape, x.dtype);
      const dd = dx.data as FloatArray;
      for (let i = 0; i < n; i++) dd[i] = md[i] ? gd[i]! * scale : 0;
      return [dx];
    },
  });
  return { output, mask };
}
