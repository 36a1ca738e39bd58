/**
 * functional.conv2d: direct 2-D cross-correlation with stride and zero padding, NCHW, groups = 1.
 *   y[n, o, i, j] = b[o] + Σ_{c, p, q} x[n, c, i·sh + p − ph, j·sw + q − pw] · w[o, c, p, q]
 * The backward scatters dy through the same index map (dx) and correlates dy with x (dW).
 */
import { attachGrad, Tensor } from '../../tensor/tensor.js';
import { allocate, type FloatArray } from '../../tensor/dtype.js';
import { RuntimeError } from '../../errors.js';
import { assertInitialized } from '../parameter.js';
import { deviceFor } from '../../tensor/device.js';
import { conv2dOnDevice } from './layersDevice.js';

export interface Conv2dOptions {
  stride?: [number, number];
  padding?: [number, number];
}

export function conv2dOutputSize(h: number, w: number, k: [number, number], o: Required<Conv2dOptions>): [number, number] {
  return [
    Math.floor((h + 2 * o.padding[0] - k[0]) / o.stride[0]) + 1,
    Math.floor((w + 2 * o.padding[1] - k[1]) / o.stride[1]) + 1,
  ];
}

export function conv2d(input: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  assertInitialized(weight, 'conv2d');
  const o = { stride: opts.stride ?? [1, 1], padding: opts.padding ?? [0, 0] } as Required<Conv2dOptions>;
  if (input.dim() !== 4) {
    throw new RuntimeError(
      `Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [${input.shape.join(', ')}]`,
    );
  }
  const [N, C, H, W] = input.shape as [number, number, number, number];
  const [O, Cw, KH, KW] = weight.shape as [number, number, number, number];
  if (C !== Cw) {
    throw new RuntimeError(
      `Given groups=1, weight of size [${weight.shape.join(', ')}], expected input[${input.shape.join(', ')}] to have ${Cw} channels, but got ${C} channels instead`,
    );
  }
  const [OH, OW] = conv2dOutputSize(H, W, [KH, KW], o);
  if (OH <= 0 || OW <= 0) {
    throw new RuntimeError(
      `Calculated padded input size per channel: (${H + 2 * o.padding[0]} x ${W + 2 * o.padding[1]}). Kernel size: (${KH} x ${KW}). Kernel size can't be greater than actual input size`,
    );
  }
  const [sh, sw] = o.stride;
  const [ph, pw] = o.padding;
  const dev = deviceFor(input, weight, bias);
  if (dev) return conv2dOnDevice(dev, input, weight, bias, [N, C, H, W, O, KH, KW, sh, sw, ph, pw, OH, OW]);
  const x = input.floatData();
  const w = weight.floatData();
  const b = bias ? bias.floatData() : null;
  const out = new Tensor(allocate(input.dtype, N * O * OH * OW), [N, O, OH, OW], input.dtype);
  const y = out.data as FloatArray;
  // Visits every (output, input, kernel) triple once; `f` receives flat indices into y, x, w.
  const forEachTap = (f: (yi: number, xi: number, wi: number) => void): void => {
    for (let n = 0; n < N; n++) {
      for (let oc = 0; oc < O; oc++) {
        for (let c = 0; c < C; c++) {
          const xBase = (n * C + c) * H * W;
          const wBase = (oc * C + c) * KH * KW;
          for (let p = 0; p < KH; p++) {
            for (let i = 0; i < OH; i++) {
              const hi = i * sh + p - ph;
              if (hi < 0 || hi >= H) continue;
              const yRow = ((n * O + oc) * OH + i) * OW;
              for (let q = 0; q < KW; q++) {
                const wi = wBase + p * KW + q;
                for (let j = 0; j < OW; j++) {
                  const wj = j * sw + q - pw;
                  if (wj < 0 || wj >= W) continue;
                  f(yRow + j, xBase + hi * W + wj, wi);
                }
              }
            }
          }
        }
      }
    }
  };
  if (b) for (let n = 0; n < N; n++) for (let oc = 0; oc < O; oc++) y.fill(b[oc]!, (n * O + oc) * OH * OW, (n * O + oc + 1) * OH * OW);
  forEachTap((yi, xi, wi) => {
    y[yi]! += x[xi]! * w[wi]!;
  });
  return attachGrad(out, {
    name: 'ConvolutionBackward0',
    inputs: [input, weight, bias],
    backward: (g) => {
      const gd = g.floatData();
      const dx = input.requiresGrad ? new Tensor(allocate(input.dtype, input.numel()), input.shape, input.dtype) : null;
      const dw = weight.requiresGrad ? new Tensor(allocate(weight.dtype, weight.numel()), weight.shape, weight.dtype) : null;
      const dxd = dx ? (dx.data as FloatArray) : null;
      const dwd = dw ? (dw.data as FloatArray) : null;
      if (dxd || dwd) {
        forEachTap((yi, xi, wi) => {
          const gv = gd[yi]!;
          if (dxd) dxd[xi]! += gv * w[wi]!;
          if (dwd) dwd[wi]! += gv * x[xi]!;
        });
      }
      let db: Tensor | null = null;
      if (bias && bias.requiresGrad) {
        db = new Tensor(allocate(bias.dtype, O), bias.shape, bias.dtype);
        const d = db.data as FloatArray;
        for (let n = 0; n < N; n++) {
          for (let oc = 0; oc < O; oc++) {
            let s = 0;
            for (let k = (n * O + oc) * OH * OW, e = k + OH * OW; k < e; k++) s += gd[k]!;
            d[oc]! += s;
          }
        }
      }
      return [dx, dw, db];
    },
  });
}
