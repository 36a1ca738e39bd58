/**
 * conv: ONNX Conv / PyTorch's convolution for 1-D (NCL) and 2-D (NCHW) input, with strides, dilations,
 * asymmetric pads (ONNX order: all begins, then all ends) and groups (depthwise included):
 *   y[n, o, i, j] = b[o] + Σ_{c ∈ group(o), p, q} x[n, c, i·sh + p·dh − pt, j·sw + q·dw − pl] · w[o, c, p, q]
 *
 * Runs on the tensors' Device (engine/tensor/device.ts). The host device accumulates in double and
 * stores in the input's dtype: depthwise (one input channel per group) as direct loops per plane
 * (engine/backend/convDepthwise.ts), otherwise per image and group im2col and the GEMM
 * (engine/backend/convIm2col.ts). A device whose kernels lack the geometry (CUDA: groups, dilations,
 * asymmetric pads) hands it to the host device. 1-D input runs as 2-D with height 1.
 */
import type { Tensor } from '../../tensor/tensor.js';
import { RuntimeError } from '../../errors.js';
import { assertInitialized } from '../parameter.js';
import { deviceFor, floatDType, hostDevice, type ConvGeometry } from '../../tensor/device.js';
import { axisList, padList } from './spatial.js';
import { weightedLayer } from './weighted.js';

export type { ConvGeometry } from '../../tensor/device.js';

export interface ConvOptions {
  strides?: readonly number[];
  /** ONNX order: begins of every spatial axis, then ends. */
  pads?: readonly number[];
  dilations?: readonly number[];
  group?: number;
}

export function conv(x: Tensor, w: Tensor, b: Tensor | null = null, opts: ConvOptions = {}): Tensor {
  assertInitialized(w, 'conv');
  const rank = x.dim();
  if ((rank !== 3 && rank !== 4) || w.dim() !== rank) {
    throw new RuntimeError(
      `conv: expected a 3-D (N, C, L) or 4-D (N, C, H, W) input with a weight of the same rank, got input of size [${x.shape.join(', ')}] and weight of size [${w.shape.join(', ')}]`,
    );
  }
  if (rank === 3) {
    // 1-D as 2-D with a height of 1 (views: the reshapes carry the gradients back).
    const s = axisList('strides', opts.strides, 1, 1);
    const d = axisList('dilations', opts.dilations, 1, 1);
    const p = padList(opts.pads, 1);
    const y = conv(
      x.reshape([x.shape[0]!, x.shape[1]!, 1, x.shape[2]!]),
      w.reshape([w.shape[0]!, w.shape[1]!, 1, w.shape[2]!]),
      b,
      {
        strides: [1, s[0]!],
        dilations: [1, d[0]!],
        pads: [0, p[0]!, 0, p[1]!],
        group: opts.group,
      },
    );
    return y.reshape([y.shape[0]!, y.shape[1]!, y.shape[3]!]);
  }
  const g = convGeometry(x, w, b, opts);
  if (x.dtype !== w.dtype || (b && b.dtype !== x.dtype)) {
    throw new RuntimeError(
      `Input type (${x.dtype}) and weight type (${w.dtype}${b && b.dtype !== w.dtype ? `, bias ${b.dtype}` : ''}) should be the same`,
    );
  }
  const dt = floatDType(x);
  floatDType(w);
  const active = deviceFor(x, w, b);
  const dev = active.supportsConv(g) ? active : hostDevice();
  return weightedLayer(
    dev,
    {
      name: 'ConvolutionBackward0',
      forward: (xb, wb, bb, yb) => dev.conv2dForward(dt, xb, wb, bb, yb, g),
      gradInput: (dy, wb, dx) => dev.conv2dGradInput(dt, dy, wb, dx, g),
      gradWeight: (dy, xb, dw, db) => dev.conv2dGradWeight(dt, dy, xb, dw, db, g),
    },
    x,
    w,
    b,
    [g.N, g.O, g.OH, g.OW],
  );
}

/** Checks the shapes (PyTorch's texts) and resolves every size of the convolution. */
export function convGeometry(x: Tensor, w: Tensor, b: Tensor | null, opts: ConvOptions): ConvGeometry {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [O, Cg, KH, KW] = w.shape as [number, number, number, number];
  const G = opts.group ?? 1;
  const [sh, sw] = axisList('strides', opts.strides, 2, 1) as [number, number];
  const [dh, dw] = axisList('dilations', opts.dilations, 2, 1) as [number, number];
  const [pt, pl, pb, pr] = padList(opts.pads, 2) as [number, number, number, number];
  if (!Number.isInteger(G) || G < 1) throw new RuntimeError('non-positive groups is not supported');
  if (O % G !== 0) {
    throw new RuntimeError(
      `Given groups=${G}, expected weight to be divisible by ${G} at dimension 0, but got weight of size [[${w.shape.join(', ')}]] instead`,
    );
  }
  if (C !== Cg * G) {
    throw new RuntimeError(
      `Given groups=${G}, weight of size [${w.shape.join(', ')}], expected input[${x.shape.join(', ')}] to have ${Cg * G} channels, but got ${C} channels instead`,
    );
  }
  if (b && (b.dim() !== 1 || b.shape[0] !== O)) {
    throw new RuntimeError(
      `Given weight of size [${w.shape.join(', ')}], expected bias to be 1-dimensional with ${O} elements, but got bias of size [${b.shape.join(', ')}] instead`,
    );
  }
  const ekh = (KH - 1) * dh + 1;
  const ekw = (KW - 1) * dw + 1;
  if (H + pt + pb < ekh || W + pl + pr < ekw) {
    throw new RuntimeError(
      `Calculated padded input size per channel: (${H + pt + pb} x ${W + pl + pr}). Kernel size: (${ekh} x ${ekw}). Kernel size can't be greater than actual input size`,
    );
  }
  const OH = Math.floor((H + pt + pb - ekh) / sh) + 1;
  const OW = Math.floor((W + pl + pr - ekw) / sw) + 1;
  return { N, C, H, W, O, G, KH, KW, sh, sw, dh, dw, pt, pl, pb, pr, OH, OW };
}
