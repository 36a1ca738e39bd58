/**
 * The addon's elementwise ops and losses (cpu.relu … cpu.mseBackward, native/kernels/cpu_elementwise.cc)
 * as the Backend's ElementwiseKernels, bit-identical to hostKernels.ts. Arguments are checked here with
 * kernelArgs.ts's checkFlat (the addon checks again) and addon errors come out as RuntimeError.
 *
 * The compiled kernels take one array type per call. A call mixing Float32Array and Float64Array (the
 * engine accepts e.g. mseLoss of a float32 input and a float64 target) runs hostKernels.ts's loop, so
 * every backend gives the same result for it.
 */
import type { ElementwiseKernels } from './backend.js';
import { guard, type AddonKernels } from './nativeAddonApi.js';
import { checkFlat, mixedFloatTypes as mixed } from './kernelArgs.js';
import * as ref from './hostKernels.js';

/** The kernels, or undefined when the addon predates them (the host device then runs TypeScript). */
export function wrapElementwise(k: AddonKernels): ElementwiseKernels | undefined {
  const { relu, reluBackward, add, sub, mul, scale, sum, mseForward, mseBackward } = k;
  if (!relu || !reluBackward || !add || !sub || !mul || !scale || !sum || !mseForward || !mseBackward) {
    return undefined;
  }
  return {
    relu(x, y, n) {
      if (mixed([x, y])) return ref.relu(x, y, n);
      checkFlat('relu', n, [x, y]);
      guard('relu', () => relu(x, y, n));
    },
    reluBackward(y, dy, dx, n) {
      if (mixed([y, dy, dx])) return ref.reluBackward(y, dy, dx, n);
      checkFlat('reluBackward', n, [y, dy, dx]);
      guard('reluBackward', () => reluBackward(y, dy, dx, n));
    },
    add(a, b, out, n) {
      if (mixed([a, b, out])) return ref.add(a, b, out, n);
      checkFlat('add', n, [a, b, out]);
      guard('add', () => add(a, b, out, n));
    },
    sub(a, b, out, n) {
      if (mixed([a, b, out])) return ref.sub(a, b, out, n);
      checkFlat('sub', n, [a, b, out]);
      guard('sub', () => sub(a, b, out, n));
    },
    mul(a, b, out, n) {
      if (mixed([a, b, out])) return ref.mul(a, b, out, n);
      checkFlat('mul', n, [a, b, out]);
      guard('mul', () => mul(a, b, out, n));
    },
    scale(a, s, out, n) {
      if (mixed([a, out])) return ref.scale(a, s, out, n);
      checkFlat('scale', n, [a, out]);
      guard('scale', () => scale(a, s, out, n));
    },
    sum(a, out, n) {
      if (mixed([a, out])) return ref.sum(a, out, n);
      checkFlat('sum', n, [a], [out]);
      guard('sum', () => sum(a, out, n));
    },
    mseForward(x, t, out, n) {
      if (mixed([x, t, out])) return ref.mseForward(x, t, out, n);
      checkFlat('mseForward', n, [x, t], [out]);
      guard('mseForward', () => mseForward(x, t, out, n));
    },
    mseBackward(x, t, g, gx, gt, n) {
      if (mixed([x, t, g, gx, gt])) return ref.mseBackward(x, t, g, gx, gt, n);
      checkFlat('mseBackward', n, [x, t, gx, gt], [g]);
      guard('mseBackward', () => mseBackward(x, t, g, gx, gt, n));
    },
  };
}
