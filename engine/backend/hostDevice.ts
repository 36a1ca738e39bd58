/**
 * The host device: engine/tensor/device.ts's Device over host arrays, one per Backend (the registry
 * makes them). A buffer is the typed array itself — a tensor's own array (Storage hands it out without a
 * copy), or a float64 array from `alloc` for per-channel statistics and scratch — so upload, download
 * and copy are plain byte copies, as on a device.
 *
 * Kernels: BatchNorm runs on the backend's kernels (ts, wasm, cpu, or cuda over host arrays); linear and
 * conv on its GEMM (hostGemm.ts, convIm2col.ts, convDepthwise.ts); relu, add/sub/mul/scale, sum and
 * the MSE loss on its elementwise kernels (native cpu, wasm) where it has them, else hostKernels.ts's loops
 * (bit-identical); the rest are hostKernels.ts's loops.
 */
import type { Backend, ElementwiseKernels } from './backend.js';
import type { ConvGeometry, Device, TransferStats } from '../tensor/device.js';
import type { DeviceBuffer } from '../tensor/storage.js';
import type { FloatArray, TypedArray } from '../tensor/dtype.js';
import { gemmABtWith, transpose } from './hostGemm.js';
import { im2colBackward, im2colForward } from './convIm2col.js';
import { depthwiseBackward, depthwiseForward } from './convDepthwise.js';
import * as k from './hostKernels.js';

type B = DeviceBuffer;
type OptB = DeviceBuffer | null;

/** A host buffer as the float array it is. */
function f(b: B): FloatArray {
  return b as unknown as FloatArray;
}

function optF(b: OptB): FloatArray | null {
  return b as unknown as FloatArray | null;
}

/** A float64 buffer (per-channel statistics, probabilities, summaries). */
function f64(b: B): Float64Array {
  return b as unknown as Float64Array;
}

/** The bytes of a host buffer or array, for the byte copies of upload/download/copy. */
function bytes(b: B | TypedArray): Uint8Array {
  const v = b as unknown as ArrayBufferView;
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** An int64 view of a buffer (class targets, histogram counts). */
function i64(b: B, n: number): BigInt64Array {
  const v = b as unknown as ArrayBufferView;
  return new BigInt64Array(v.buffer, v.byteOffset, n);
}

const NO_TRANSFERS: TransferStats = {
  hostToDeviceBytes: 0,
  hostToDeviceCopies: 0,
  deviceToHostBytes: 0,
  deviceToHostCopies: 0,
  deviceBytesInUse: 0,
};

/** Depthwise (one input channel per group) runs as direct loops, the rest as im2col products. */
function isDepthwise(g: ConvGeometry): boolean {
  return g.G === g.C;
}

export function createHostDevice(backend: Backend): Device {
  const gemm = backend.gemm;
  // The one place that picks: the backend's compiled elementwise kernels, or the TypeScript reference.
  const ew: ElementwiseKernels = backend.elementwise ?? k;
  const gemmABt = (a: FloatArray, b: FloatArray, m: number, n: number, kk: number, c: FloatArray): void =>
    gemmABtWith(gemm, a, b, m, n, kk, c);
  return {
    name: `host (${backend.name})`,
    host: true,
    supportsConv: () => true,
    alloc: (byteLength) => new Float64Array(Math.ceil(byteLength / 8)),
    release: () => {},
    upload: (dst, src) => bytes(dst).set(bytes(src)),
    download: (src, dst) => bytes(dst).set(bytes(src).subarray(0, dst.byteLength)),
    copy: (dst, src) => bytes(dst).set(bytes(src)),
    zero: (b) => bytes(b).fill(0),
    sync: () => {},
    transferStats: () => ({ ...NO_TRANSFERS }),

    // BatchNorm: the backend's kernels; per-channel results copied into the caller's float64 buffers.
    bnStats(_dt, x, n, c, s, mean, varBiased) {
      const st = backend.batchStats(f(x), { n, c, s });
      f64(mean).set(st.mean);
      f64(varBiased).set(st.varBiased);
    },
    bnTrain(_dt, x, y, n, c, s, w, b, rm, rv, momentum, eps, mean, invstd) {
      const st = backend.forwardTrain({
        x: f(x),
        y: f(y),
        dims: { n, c, s },
        weight: optF(w),
        bias: optF(b),
        runningMean: optF(rm),
        runningVar: optF(rv),
        momentum,
        eps,
      });
      f64(mean).set(st.mean);
      f64(invstd).set(st.invstd);
    },
    bnEvalStats(_dt, rm, rv, eps, mean, invstd, c) {
      const m = f64(mean);
      const is = f64(invstd);
      const rmv = f(rm);
      const rvv = f(rv);
      for (let i = 0; i < c; i++) {
        m[i] = rmv[i]!;
        is[i] = 1 / Math.sqrt(rvv[i]! + eps);
      }
    },
    bnEval(_dt, x, y, n, c, s, w, b, mean, invstd) {
      backend.forwardEval({
        x: f(x),
        y: f(y),
        dims: { n, c, s },
        weight: optF(w),
        bias: optF(b),
        mean: f64(mean),
        invstd: f64(invstd),
      });
    },
    bnBackwardReduce(_dt, dy, x, n, c, s, mean, sumDy, sumDyXmu) {
      const r = backend.backwardReduce({ dy: f(dy), x: f(x), dims: { n, c, s }, mean: f64(mean) });
      f64(sumDy).set(r.sumDy);
      f64(sumDyXmu).set(r.sumDyXmu);
    },
    bnBackwardElemt(_dt, dy, x, dx, n, c, s, mean, invstd, w, sumDy, sumDyXmu, count) {
      backend.backwardElemt({
        dy: f(dy),
        x: f(x),
        dx: f(dx),
        dims: { n, c, s },
        mean: f64(mean),
        invstd: f64(invstd),
        weight: optF(w),
        sumDy: f64(sumDy),
        sumDyXmu: f64(sumDyXmu),
        count,
      });
    },
    bnBackwardEvalElemt(_dt, dy, dx, n, c, s, invstd, w) {
      backend.backwardEvalElemt({ dy: f(dy), dx: f(dx), dims: { n, c, s }, invstd: f64(invstd), weight: optF(w) });
    },
    /** dw = Σ(x−mean)·dy·invstd, db = Σdy, in the parameters' dtype. */
    bnParamGrads(_dt, sumDy, sumDyXmu, invstd, dw, db, c) {
      const sd = f64(sumDy);
      const sx = f64(sumDyXmu);
      const is = f64(invstd);
      if (dw) for (let i = 0, d = f(dw); i < c; i++) d[i] = sx[i]! * is[i]!;
      if (db) f(db).set(sd.subarray(0, c));
    },

    // Linear: y = x·Wᵀ + b; dx = dy·W; dW = dyᵀ·x; db = Σ_rows dy (every product on gemmABt).
    linearForward(_dt, x, w, b, y, rows, inF, outF) {
      const yv = f(y);
      gemmABt(f(x), f(w), rows, outF, inF, yv);
      const bv = optF(b);
      if (bv) for (let r = 0; r < rows; r++) for (let o = 0; o < outF; o++) yv[r * outF + o]! += bv[o]!;
    },
    linearGradInput(_dt, dy, w, dx, rows, inF, outF) {
      // dx = dy·W = dy·(Wᵀ)ᵀ
      gemmABt(f(dy), transpose(f(w), outF, inF), rows, inF, outF, f(dx));
    },
    linearGradWeight(_dt, dy, x, dw, db, rows, inF, outF) {
      const gd = f(dy);
      // dW = dyᵀ·x = dyᵀ·(xᵀ)ᵀ
      if (dw) gemmABt(transpose(gd, rows, outF), transpose(f(x), rows, inF), outF, inF, rows, f(dw));
      if (db) {
        const d = f(db);
        d.fill(0, 0, outF);
        for (let r = 0; r < rows; r++) for (let o = 0; o < outF; o++) d[o]! += gd[r * outF + o]!;
      }
    },

    // Conv: depthwise as direct loops, the rest as im2col and gemmABt; sums in double.
    conv2dForward(_dt, x, w, b, y, g) {
      if (isDepthwise(g)) depthwiseForward(g, f(x), f(w), optF(b), f(y));
      else im2colForward(g, f(x), f(w), optF(b), f(y), gemm);
    },
    conv2dGradInput(_dt, dy, w, dx, g) {
      if (isDepthwise(g)) depthwiseBackward(g, null, f(w), f(dy), f(dx), null);
      else im2colBackward(g, null, f(w), f(dy), f(dx), null, gemm);
    },
    conv2dGradWeight(_dt, dy, x, dw, db, g) {
      const gd = f(dy);
      // The weight is not needed for dW: the kernels read their `w` argument only for dx.
      if (dw) {
        if (isDepthwise(g)) depthwiseBackward(g, f(x), f(dw), gd, null, f(dw));
        else im2colBackward(g, f(x), f(dw), gd, null, f(dw), gemm);
      }
      if (db) {
        const d = f(db);
        const plane = g.OH * g.OW;
        for (let o = 0; o < g.O; o++) {
          let s = 0;
          for (let n = 0; n < g.N; n++) for (let i = (n * g.O + o) * plane, e = i + plane; i < e; i++) s += gd[i]!;
          d[o] = s;
        }
      }
    },

    relu: (_dt, x, y, n) => ew.relu(f(x), f(y), n),
    reluBackward: (_dt, y, dy, dx, n) => ew.reluBackward(f(y), f(dy), f(dx), n),
    add: (_dt, a, b, out, n) => ew.add(f(a), f(b), f(out), n),
    sub: (_dt, a, b, out, n) => ew.sub(f(a), f(b), f(out), n),
    mul: (_dt, a, b, out, n) => ew.mul(f(a), f(b), f(out), n),
    scale: (_dt, a, s, out, n) => ew.scale(f(a), s, f(out), n),
    fillFrom: (_dt, scalar, s, out, n) => k.fillFrom(f(scalar), s, f(out), n),
    sum: (_dt, a, out, n) => ew.sum(f(a), f(out), n),
    mseForward: (_dt, x, t, out, n) => ew.mseForward(f(x), f(t), f(out), n),
    mseBackward: (_dt, x, t, g, gx, gt, n) => ew.mseBackward(f(x), f(t), f(g), optF(gx), optF(gt), n),
    crossEntropyForward: (_dt, z, target, probs, out, rows, classes) =>
      k.crossEntropyForward(f(z), i64(target, rows), f64(probs), f(out), rows, classes),
    crossEntropyBackward: (_dt, probs, target, g, gz, rows, classes) =>
      k.crossEntropyBackward(f64(probs), i64(target, rows), f(g), f(gz), rows, classes),
    summary: (_dt, x, n, out) => k.summary(f(x), n, f64(out)),
    histogram: (_dt, x, n, lo, hi, width, bins, counts) => k.histogram(f(x), n, lo, hi, width, bins, i64(counts, bins)),
    sgdStep: (_dt, w, g, buf, n, lr, momentum, dampening, weightDecay, nesterov, first) =>
      k.sgdStep(f(w), f(g), buf ? f64(buf) : null, n, lr, momentum, dampening, weightDecay, nesterov, first),
  };
}
