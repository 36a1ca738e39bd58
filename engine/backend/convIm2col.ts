/**
 * Grouped convolution as matrix products (every case but depthwise): per image, group and chunk of
 * output pixels, im2col lays the receptive field of each pixel out as one row of K = C/g·kh·kw taps,
 * and the GEMM (the backend's, else gemmABtTs) multiplies those rows with the group's weight rows:
 *   forward   Yᵀ[p, o]  = Σ_k col[p, k] · W[o, k]
 *   weight    dW[o, k] += Σ_p dY[o, p] · col[p, k]
 *   input     dcol[p, k] = Σ_o dY[o, p] · W[o, k], added back into dx by col2im.
 * Pixels go in chunks of at most CHUNK_ELEMENTS / K rows, so the scratch memory is bounded whatever the
 * kernel or input size (a single chunk for the layers of the usual networks). Sums run in double.
 */
import type { FloatArray } from '../tensor/dtype.js';
import type { GemmFn } from './backend.js';
import { gemmABtWith, transpose } from './hostGemm.js';
import type { ConvGeometry } from '../tensor/device.js';

/** Elements of one col chunk (float32: 16 MiB). */
const CHUNK_ELEMENTS = 1 << 22;
let chunkElements = CHUNK_ELEMENTS;
/** Pixels per chunk in the backward (measured on ResNet's 64→64 3×3 layer at 56×56: dW 85 → 60 ms per image). */
const BACKWARD_ROWS = 256;

/** Tests only: a smaller chunk, so that small convolutions take the multi-chunk path (null restores). */
export function setChunkElementsForTest(n: number | null): void {
  chunkElements = n ?? CHUNK_ELEMENTS;
}

function chunkRows(K: number, P: number): number {
  return Math.max(1, Math.min(P, Math.floor(chunkElements / K)));
}

/** A zeroed array of the same kind as `like` (float32 stays float32, halving col's memory). */
function arrayLike(like: FloatArray, n: number): FloatArray {
  return like instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
}

/**
 * col[i, (c·KH + kh)·KW + kw] = x[c0 + c, ih, iw] for output pixels p = p0 + i < p1 of one image and group
 * (0 outside the input). `xo` is the offset of the group's first input channel.
 */
function im2col(g: ConvGeometry, x: FloatArray, xo: number, cg: number, p0: number, p1: number, col: FloatArray): void {
  const { H, W, KH, KW, sh, sw, dh, dw, pt, pl, OW } = g;
  let ci = 0;
  for (let p = p0; p < p1; p++) {
    const ih0 = Math.floor(p / OW) * sh - pt;
    const iw0 = (p % OW) * sw - pl;
    for (let c = 0; c < cg; c++) {
      const plane = xo + c * H * W;
      for (let kh = 0; kh < KH; kh++) {
        const ih = ih0 + kh * dh;
        if (ih < 0 || ih >= H) {
          for (let kw = 0; kw < KW; kw++) col[ci++] = 0;
          continue;
        }
        const rowOff = plane + ih * W;
        for (let kw = 0; kw < KW; kw++) {
          const iw = iw0 + kw * dw;
          col[ci++] = iw >= 0 && iw < W ? x[rowOff + iw]! : 0;
        }
      }
    }
  }
}

/** The adjoint of im2col: adds the rows of pixels p0…p1−1 back into their input positions of `dx`. */
function col2im(g: ConvGeometry, col: FloatArray, dx: Float64Array, cg: number, p0: number, p1: number): void {
  const { H, W, KH, KW, sh, sw, dh, dw, pt, pl, OW } = g;
  let ci = 0;
  for (let p = p0; p < p1; p++) {
    const ih0 = Math.floor(p / OW) * sh - pt;
    const iw0 = (p % OW) * sw - pl;
    for (let c = 0; c < cg; c++) {
      const plane = c * H * W;
      for (let kh = 0; kh < KH; kh++) {
        const ih = ih0 + kh * dh;
        if (ih < 0 || ih >= H) {
          ci += KW;
          continue;
        }
        const rowOff = plane + ih * W;
        for (let kw = 0; kw < KW; kw++, ci++) {
          const iw = iw0 + kw * dw;
          if (iw >= 0 && iw < W) dx[rowOff + iw]! += col[ci]!;
        }
      }
    }
  }
}

export function im2colForward(
  g: ConvGeometry,
  x: FloatArray,
  w: FloatArray,
  b: FloatArray | null,
  y: FloatArray,
  gemm: GemmFn | undefined,
): void {
  const { N, C, H, W, O, G, KH, KW, OH, OW } = g;
  const cg = C / G;
  const og = O / G;
  const K = cg * KH * KW;
  const P = OH * OW;
  const rows = chunkRows(K, P);
  const col = arrayLike(x, rows * K);
  const yT = new Float64Array(rows * og);
  for (let n = 0; n < N; n++) {
    for (let gi = 0; gi < G; gi++) {
      const wg = w.subarray(gi * og * K, (gi + 1) * og * K);
      const yo = (n * O + gi * og) * P;
      for (let p0 = 0; p0 < P; p0 += rows) {
        const len = Math.min(rows, P - p0);
        im2col(g, x, (n * C + gi * cg) * H * W, cg, p0, p0 + len, col);
        gemmABtWith(gemm, col, wg, len, og, K, yT);
        for (let o = 0; o < og; o++) {
          const bv = b ? b[gi * og + o]! : 0;
          for (let i = 0, k = yo + o * P + p0; i < len; i++, k++) y[k] = yT[i * og + o]! + bv;
        }
      }
    }
  }
}

/** dx and/or dW (x is read only for dW). */
export function im2colBackward(
  g: ConvGeometry,
  x: FloatArray | null,
  w: FloatArray,
  gy: FloatArray,
  dx: FloatArray | null,
  dw: FloatArray | null,
  gemm: GemmFn | undefined,
): void {
  const { N, C, H, W, O, G, KH, KW, OH, OW } = g;
  const cg = C / G;
  const og = O / G;
  const K = cg * KH * KW;
  const P = OH * OW;
  // Short chunks here: dW's product sums over the chunk's pixels, and with a few hundred of them both
  // of its operands stay in cache (one chunk of thousands of pixels streams col from memory per 4 rows).
  const rows = Math.min(chunkRows(K, P), BACKWARD_ROWS);
  const col = dw && x ? arrayLike(x, rows * K) : null;
  const dyc = new Float64Array(og * rows); // dY[:, chunk], rows contiguous
  const dyT = new Float64Array(rows * og); // its transpose
  const dwAcc = dw ? new Float64Array(O * K) : null;
  const dwPart = dw ? new Float64Array(og * K) : null;
  const dcol = dx ? new Float64Array(rows * K) : null;
  const dxPlanes = dx ? new Float64Array(cg * H * W) : null;
  // Wᵀ per group ([K, og]): the row operand of dcol = dYᵀ·W.
  const wT = dx
    ? Array.from({ length: G }, (_, gi) => transpose(w.subarray(gi * og * K, (gi + 1) * og * K), og, K))
    : [];
  for (let n = 0; n < N; n++) {
    for (let gi = 0; gi < G; gi++) {
      const yo = (n * O + gi * og) * P;
      if (dxPlanes) dxPlanes.fill(0);
      for (let p0 = 0; p0 < P; p0 += rows) {
        const len = Math.min(rows, P - p0);
        for (let o = 0; o < og; o++) {
          for (let i = 0, k = yo + o * P + p0; i < len; i++, k++) {
            dyc[o * len + i] = gy[k]!;
            dyT[i * og + o] = gy[k]!;
          }
        }
        if (col && dwAcc && dwPart) {
          im2col(g, x!, (n * C + gi * cg) * H * W, cg, p0, p0 + len, col);
          gemmABtWith(gemm, dyc, transpose(col.subarray(0, len * K), len, K), og, K, len, dwPart);
          const base = gi * og * K;
          for (let i = 0; i < og * K; i++) dwAcc[base + i]! += dwPart[i]!;
        }
        if (dcol && dxPlanes) {
          gemmABtWith(gemm, dyT, wT[gi]!, len, K, og, dcol);
          col2im(g, dcol, dxPlanes, cg, p0, p0 + len);
        }
      }
      if (dx && dxPlanes) dx.set(dxPlanes, (n * C + gi * cg) * H * W);
    }
  }
  if (dw && dwAcc) dw.set(dwAcc);
}
