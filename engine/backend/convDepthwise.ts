/**
 * Depthwise convolution (groups = input channels, one input channel per group; output channel o reads
 * input channel ⌊o / M⌋ with M = O / C) as direct loops: each kernel tap adds a shifted, strided copy
 * of the input plane to the output plane. im2col would build a KH·KW-wide matrix to multiply by a single
 * row, which costs more than the taps themselves. Sums run in double planes, stored in the output dtype.
 */
import type { FloatArray } from '../tensor/dtype.js';
import type { ConvGeometry } from '../tensor/device.js';

/** The output columns [lo, hi) whose input column ow·sw + off lies inside [0, W). */
function colRange(off: number, sw: number, W: number, OW: number): [number, number] {
  const lo = Math.max(0, Math.ceil(-off / sw));
  const hi = Math.min(OW, Math.floor((W - 1 - off) / sw) + 1);
  return [lo, Math.max(lo, hi)];
}

export function depthwiseForward(
  g: ConvGeometry,
  x: FloatArray,
  w: FloatArray,
  b: FloatArray | null,
  y: FloatArray,
): void {
  const { N, C, H, W, O, KH, KW, sh, sw, dh, dw, pt, pl, OH, OW } = g;
  const M = O / C;
  const P = OH * OW;
  const acc = new Float64Array(P);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      acc.fill(b ? b[o]! : 0);
      const xp = (n * C + Math.floor(o / M)) * H * W;
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          const wv = w[(o * KH + kh) * KW + kw]!;
          const off = kw * dw - pl;
          const [lo, hi] = colRange(off, sw, W, OW);
          for (let oh = 0; oh < OH; oh++) {
            const ih = oh * sh - pt + kh * dh;
            if (ih < 0 || ih >= H) continue;
            const xr = xp + ih * W + off;
            const ar = oh * OW;
            for (let ow = lo; ow < hi; ow++) acc[ar + ow]! += wv * x[xr + ow * sw]!;
          }
        }
      }
      y.set(acc, (n * O + o) * P);
    }
  }
}

/** dx and/or dW (x is read only for dW). */
export function depthwiseBackward(
  g: ConvGeometry,
  x: FloatArray | null,
  w: FloatArray,
  gy: FloatArray,
  dx: FloatArray | null,
  dwt: FloatArray | null,
): void {
  const { N, C, H, W, O, KH, KW, sh, sw, dh, dw, pt, pl, OH, OW } = g;
  const M = O / C;
  const P = OH * OW;
  const dxPlane = dx ? new Float64Array(H * W) : null;
  const dwAcc = dwt ? new Float64Array(O * KH * KW) : null;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const xp = (n * C + c) * H * W;
      if (dxPlane) dxPlane.fill(0);
      for (let o = c * M; o < (c + 1) * M; o++) {
        const yp = (n * O + o) * P;
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = 0; kw < KW; kw++) {
            const wi = (o * KH + kh) * KW + kw;
            const wv = w[wi]!;
            const off = kw * dw - pl;
            const [lo, hi] = colRange(off, sw, W, OW);
            let s = 0;
            for (let oh = 0; oh < OH; oh++) {
              const ih = oh * sh - pt + kh * dh;
              if (ih < 0 || ih >= H) continue;
              const xr = ih * W + off;
              const yr = yp + oh * OW;
              if (dxPlane) for (let ow = lo; ow < hi; ow++) dxPlane[xr + ow * sw]! += wv * gy[yr + ow]!;
              if (dwAcc) for (let ow = lo; ow < hi; ow++) s += gy[yr + ow]! * x![xp + xr + ow * sw]!;
            }
            if (dwAcc) dwAcc[wi]! += s;
          }
        }
      }
      if (dx && dxPlane) dx.set(dxPlane, xp);
    }
  }
  if (dwt && dwAcc) dwt.set(dwAcc);
}
