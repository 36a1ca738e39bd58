/**
 * functional.conv2d: PyTorch's F.conv2d spelling (stride, symmetric padding, dilation, groups) of the
 * one convolution in conv.ts. NCHW input only (PyTorch's unbatched 3-D input is refused, as before).
 */
import type { Tensor } from '../../tensor/tensor.js';
import { RuntimeError } from '../../errors.js';
import { assertInitialized } from '../parameter.js';
import { conv } from './conv.js';

export interface Conv2dOptions {
  stride?: [number, number];
  padding?: [number, number];
  dilation?: [number, number];
  groups?: number;
}

export function conv2d(input: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  assertInitialized(weight, 'conv2d');
  if (input.dim() !== 4) {
    throw new RuntimeError(
      `Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [${input.shape.join(', ')}]`,
    );
  }
  const [ph, pw] = opts.padding ?? [0, 0];
  return conv(input, weight, bias, {
    strides: opts.stride ?? [1, 1],
    pads: [ph, pw, ph, pw],
    dilations: opts.dilation ?? [1, 1],
    group: opts.groups ?? 1,
  });
}
