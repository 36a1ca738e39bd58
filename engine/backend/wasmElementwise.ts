/**
 * The wasm backend's elementwise ops and losses as the Backend's ElementwiseKernels, bit-identical to
 * hostKernels.ts (the TypeScript reference). The maps (relu, reluBackward, add, sub, mul, scale) are
 * native/kernels/cpu_elementwise.cc compiled into the module (its thread pool is the module's one-thread
 * pool); they stream through the module's memory piece by piece like the BatchNorm kernels
 * (WasmKernels.stream over a flat (1, 1, n) shape), each piece a call of the kernel on its own elements.
 *
 * The sums cannot be split freely: sum and mseForward keep the reference's one double chain in index
 * order by carrying the running sum from piece to piece (native/wasm/elementwise_stream.cc's *_from
 * kernels take the sum so far and return it continued), and the result is stored (divided by n for the
 * mean) here, as the reference does. mseBackward's factor 2·g/n needs the whole n, so it is computed here
 * exactly as the reference computes it and passed to a kernel that takes it.
 *
 * Which kernels run here was measured (copy in + kernel + copy out against one TypeScript pass, on
 * (8,64,56,56) float32 and float64; see wasmElementwise): a kernel that was not faster stays on the
 * reference. Calls mixing float32 and float64 arrays, and short ones (under SMALL_N elements, where the
 * call's set-up costs more than the loop), run the reference too.
 */
import type { ElementwiseKernels } from './backend.js';
import type { WasmKernels } from './wasmLoader.js';
import { checkFlat, mixedFloatTypes as mixed } from './kernelArgs.js';
import type { FloatArray } from '../tensor/dtype.js';
import * as ref from './hostKernels.js';

type Ptr = number;
type KernelFn = (...args: (number | bigint)[]) => number;

/**
 * Below this many elements a call runs the reference: a streamed call costs about 1.3 µs before its
 * first element, and the JavaScript loop won up to about 1024 elements (relu, add, mseForward; both
 * types), the streamed kernel from 2048 on.
 */
export const SMALL_N = 2048;

const suffix = (x: FloatArray) => (x instanceof Float64Array ? 'f64' : 'f32');

/**
 * Runs `kernel(fn, data pointers, piece length)` on consecutive pieces of the flat arrays: `ins` copied
 * in, `outs` copied out. `fn` is the module's export `name` + the arrays' type suffix.
 */
function flat(
  w: Pick<WasmKernels, 'stream'>,
  what: string,
  name: string,
  n: number,
  ins: FloatArray[],
  outs: FloatArray[],
  kernel: (fn: KernelFn, p: Ptr[], len: number) => number,
): void {
  const full = `${name}_${suffix(ins[0]!)}`;
  w.stream(what, { n: 1, c: 1, s: n }, { ins, outs }, [], [], (k, p, q) => kernel(k[full] as KernelFn, p.data, q.s));
}

/** The streamed kernels, for every call (wasmElementwise picks when the backend uses them). */
export function streamedElementwise(w: Pick<WasmKernels, 'stream'>): ElementwiseKernels {
  const map1 = (what: string, name: string) => (x: FloatArray, y: FloatArray, n: number) => {
    checkFlat(what, n, [x, y]);
    flat(w, what, name, n, [x], [y], (fn, p, len) => fn(p[0]!, p[1]!, BigInt(len)));
  };
  const map2 = (what: string, name: string) => (a: FloatArray, b: FloatArray, out: FloatArray, n: number) => {
    checkFlat(what, n, [a, b, out]);
    flat(w, what, name, n, [a, b], [out], (fn, p, len) => fn(p[0]!, p[1]!, p[2]!, BigInt(len)));
  };
  return {
    relu: map1('relu', 'ns_cpu_relu'),
    reluBackward: map2('reluBackward', 'ns_cpu_relu_backward'),
    add: map2('add', 'ns_cpu_add'),
    sub: map2('sub', 'ns_cpu_sub'),
    mul: map2('mul', 'ns_cpu_mul'),
    scale(a, s, out, n) {
      checkFlat('scale', n, [a, out]);
      flat(w, 'scale', 'ns_cpu_scale', n, [a], [out], (fn, p, len) => fn(p[0]!, s, p[1]!, BigInt(len)));
    },
    sum(a, out, n) {
      checkFlat('sum', n, [a], [out]);
      let s = 0;
      flat(w, 'sum', 'ns_wasm_sum_from', n, [a], [], (fn, p, len) => ((s = fn(p[0]!, BigInt(len), s)), 0));
      out[0] = s;
    },
    mseForward(x, t, out, n) {
      checkFlat('mseForward', n, [x, t], [out]);
      let s = 0;
      flat(w, 'mseForward', 'ns_wasm_sq_diff_sum_from', n, [x, t], [], (fn, p, len) => {
        s = fn(p[0]!, p[1]!, BigInt(len), s);
        return 0;
      });
      out[0] = s / n;
    },
    mseBackward(x, t, g, gx, gt, n) {
      checkFlat('mseBackward', n, [x, t, gx, gt], [g]);
      if (!gx && !gt) return;
      const k = (2 * g[0]!) / n; // the reference's factor, in the same double arithmetic
      const outs = [gx, gt].filter((a): a is FloatArray => a !== null);
      flat(w, 'mseBackward', 'ns_wasm_mse_backward_k', n, [x, t], outs, (fn, p, len) =>
        fn(p[0]!, p[1]!, k, gx ? p[2]! : 0, gt ? p[gx ? 3 : 2]! : 0, BigInt(len)),
      );
    },
  };
}

/**
 * The backend's ElementwiseKernels: the streamed kernel where the call is large and of one array type,
 * else the reference. A float32 sum stays on the reference: one JavaScript pass (1.15 ms on 1.6M
 * elements) beat copy in + kernel (1.31 ms); every other kernel and type ran 1.3–4.8× faster streamed.
 */
export function wasmElementwise(w: Pick<WasmKernels, 'stream'>): ElementwiseKernels {
  const { relu, reluBackward, add, sub, mul, scale, sum, mseForward, mseBackward } = streamedElementwise(w);
  const small = (n: number) => Number.isSafeInteger(n) && n >= 0 && n < SMALL_N;
  return {
    relu: (x, y, n) => (small(n) || mixed([x, y]) ? ref.relu : relu)(x, y, n),
    reluBackward: (y, dy, dx, n) => (small(n) || mixed([y, dy, dx]) ? ref.reluBackward : reluBackward)(y, dy, dx, n),
    add: (a, b, out, n) => (small(n) || mixed([a, b, out]) ? ref.add : add)(a, b, out, n),
    sub: (a, b, out, n) => (small(n) || mixed([a, b, out]) ? ref.sub : sub)(a, b, out, n),
    mul: (a, b, out, n) => (small(n) || mixed([a, b, out]) ? ref.mul : mul)(a, b, out, n),
    scale: (a, f, out, n) => (small(n) || mixed([a, out]) ? ref.scale : scale)(a, f, out, n),
    sum: (a, out, n) => (small(n) || mixed([a, out]) || a instanceof Float32Array ? ref.sum : sum)(a, out, n),
    mseForward: (x, t, out, n) => (small(n) || mixed([x, t, out]) ? ref.mseForward : mseForward)(x, t, out, n),
    mseBackward: (x, t, g, gx, gt, n) =>
      (small(n) || mixed([x, t, g, gx, gt]) ? ref.mseBackward : mseBackward)(x, t, g, gx, gt, n),
  };
}
