/**
 * conv: ONNX Conv / PyTorch's convolution for 1-D (NCL) and 2-D (NCHW) input, with strides, dilations,
 * asymmetric pads (ONNX order: all begins, then all ends) and groups (depthwise included):
 *   y[n, o, i, j] = b[o] + Σ_{c ∈ group(o), p, q} x[n, c, i·sh + p·dh − pt, j·sw + q·dw − pl] · w[o, c, p, q]
 *
 * Host paths (accumulating in double, storing in the input's dtype):
 * - depthwise (one input channel per group): direct loops per plane (convDepthwise.ts);
 * - otherwise per image and group: im2col (one row of C/g·kh·kw taps per output pixel) and gemmABt
 *   (convIm2col.ts), in chunks of pixels that bound the scratch memory.
 * 1-D input runs as 2-D with height 1. On a device backend, groups 1 with unit dilations and
 * symmetric pads run the device kernels (layersDevice.ts).
 */
import { attachGrad, Tensor } from '../../tensor/tensor.js';
import { allocateUninit, type FloatArray } from '../../tensor/dtype.js';
import { RuntimeError } from '../../errors.js';
import { assertInitialized } from '../parameter.js';
import { deviceFor } from '../../tensor/device.js';
import { conv2dOnDevice } from './layersDevice.js';
import { axisList, padList } from './spatial.js';
import { depthwiseBackward, depthwiseForward } from './convDepthwise.js';
import { im2colBackward, im2colForward } from './convIm2col.js';

export interface ConvOptions {
  strides?: readonly number[];
  /** ONNX order: begins of every spatial axis, then ends. */
  pads?: readonly number[];
  dilations?: readonly number[];
  group?: number;
}

/** Every size of a 2-D convolution (1-D runs with h = kh = 1). */
export interface ConvGeometry {
  N: number;
  C: number;
  H: number;
  W: number;
  O: number;
  G: number;
  KH: number;
  KW: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  pt: number;
  pl: number;
  pb: number;
  pr: number;
  OH: number;
  OW: number;
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
  const symmetric = g.pt === g.pb && g.pl === g.pr;
  const dev = g.G === 1 && g.dh === 1 && g.dw === 1 && symmetric ? deviceFor(x, w, b) : null;
  if (dev) {
    const { N, C, H, W, O, KH, KW, sh, sw, pt, pl, OH, OW } = g;
    return conv2dOnDevice(dev, x, w, b, [N, C, H, W, O, KH, KW, sh, sw, pt, pl, OH, OW]);
  }
  const depthwise = g.G === g.C && w.shape[1] === 1;
  const xd = x.floatData();
  const wd = w.floatData();
  const bd = b ? b.floatData() : null;
  const out = new Tensor(allocateUninit(x.dtype, g.N * g.O * g.OH * g.OW), [g.N, g.O, g.OH, g.OW], x.dtype);
  const yd = out.data as FloatArray;
  if (depthwise) depthwiseForward(g, xd, wd, bd, yd);
  else im2colForward(g, xd, wd, bd, yd);
  return attachGrad(out, {
    name: 'ConvolutionBackward0',
    inputs: [x, w, b],
    backward: (gy) => {
      const gd = gy.floatData();
      const dx = x.requiresGrad ? new Tensor(allocateUninit(x.dtype, x.numel()), x.shape, x.dtype) : null;
      const dw = w.requiresGrad ? new Tensor(allocateUninit(w.dtype, w.numel()), w.shape, w.dtype) : null;
      const dxd = dx ? (dx.data as FloatArray) : null;
      const dwd = dw ? (dw.data as FloatArray) : null;
      if (depthwise) depthwiseBackward(g, xd, wd, gd, dxd, dwd);
      else im2colBackward(g, xd, wd, gd, dxd, dwd);
      let db: Tensor | null = null;
      if (b && b.requiresGrad) {
        db = new Tensor(allocateUninit(b.dtype, g.O), b.shape, b.dtype);
        const d = db.data as FloatArray;
        const plane = g.OH * g.OW;
        for (let o = 0; o < g.O; o++) {
          let s = 0;
          for (let n = 0; n < g.N; n++) for (let k = (n * g.O + o) * plane, e = k + plane; k < e; k++) s += gd[k]!;
          d[o] = s;
        }
      }
      return [dx, dw, db];
    },
  });
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
