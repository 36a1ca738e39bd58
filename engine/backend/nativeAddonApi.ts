/**
 * The native addon's JavaScript interface (what native/addon/addon.cc exports), the build record
 * tools/build-native.mjs writes beside it, and how the addon's exceptions reach the engine.
 */
import type { ElementwiseKernels, GemmFn } from './backend.js';
import type { FloatArray } from '../tensor/dtype.js';
import type { AddonCudaDevice } from './cudaDevice.js';
import { RuntimeError } from '../errors.js';

type Arr = FloatArray;
type Chan = FloatArray | Float64Array | null;

/**
 * The elementwise ops and losses (native/addon/elementwise_binding.cc): cpu only, absent from addons
 * built before them. Same arguments as engine/backend/backend.ts's ElementwiseKernels.
 */
export type AddonElementwise = ElementwiseKernels;

/** The kernel functions the addon exports per device (see native/addon/addon.cc). */
export interface AddonKernels extends Partial<AddonElementwise> {
  batchStats(x: Arr, n: number, c: number, s: number, mean: Float64Array, varBiased: Float64Array): void;
  forwardTrain(
    x: Arr,
    y: Arr,
    n: number,
    c: number,
    s: number,
    weight: Chan,
    bias: Chan,
    runningMean: Chan,
    runningVar: Chan,
    momentum: number,
    eps: number,
    mean: Float64Array,
    invstd: Float64Array,
  ): void;
  forwardEval(x: Arr, y: Arr, n: number, c: number, s: number, w: Chan, b: Chan, mean: Chan, invstd: Chan): void;
  backwardReduce(
    dy: Arr,
    x: Arr,
    n: number,
    c: number,
    s: number,
    mean: Chan,
    sumDy: Float64Array,
    sumDyXmu: Float64Array,
  ): void;
  backwardElemt(
    dy: Arr,
    x: Arr,
    dx: Arr,
    n: number,
    c: number,
    s: number,
    mean: Chan,
    invstd: Chan,
    weight: Chan,
    sumDy: Float64Array,
    sumDyXmu: Float64Array,
    count: number,
  ): void;
  backwardEvalElemt(dy: Arr, dx: Arr, n: number, c: number, s: number, invstd: Chan, weight: Chan): void;
  /** OpenBLAS's GEMM (native/addon/gemm_binding.cc); cpu only, and only when OpenBLAS loaded. */
  gemm?: GemmFn;
}

export interface AddonInfo {
  cpuThreads: number;
  isa: string;
  /** 'openblas' when cpu.gemm exists, else null with gemmReason (absent from addons built before it). */
  gemm?: string | null;
  gemmThreads?: number;
  gemmReason?: string;
  cudaCompiled: boolean;
  cudaDeviceCount?: number;
  cudaError?: string;
  cudaErrorCode?: number;
  cudaDevice?: string;
  cudaMemoryBytes?: number;
  cudaSmCount?: number;
}

export interface Addon {
  cpu: AddonKernels;
  cuda?: AddonKernels;
  /** Device memory and the device-resident ops (native/addon/cuda_device.cc); CUDA builds only. */
  cudaDevice?: AddonCudaDevice;
  gatherStatsWithCounts(
    g: Float64Array,
    world: number,
    c: number,
    eps: number,
    mean: Float64Array,
    invstd: Float64Array,
    varBiased: Float64Array,
  ): number;
  setThreads(n: number): number;
  /** memcpy over the CPU pool (the benchmarks' bandwidth reference). */
  copy(dst: FloatArray, src: FloatArray): void;
  info(): AddonInfo;
  /**
   * Fills `dst` from the open file `fd` at `offset`, in up to `parts` concurrent positioned reads
   * (native/addon/file_read.cc; POSIX builds only). Returns the bytes read; throws on a short read.
   */
  readFileRange?(fd: number, offset: number, dst: Uint8Array, parts?: number): number;
  /**
   * madvise(MADV_HUGEPAGE) on the whole 2 MiB pages inside `buf` (native/addon/huge_pages.cc): true when
   * the kernel took the advice, false elsewhere or when it refused. Never changes the contents.
   */
  adviseHugePages?(buf: ArrayBuffer): boolean;
}

/** What tools/build-native.mjs recorded about the last build (native/build/build-info.json). */
export interface BuildInfo {
  cpu: boolean;
  cuda: boolean;
  reason: string | null;
  cudaReason?: string | null;
}

/** Re-raises addon errors (TypeError/RangeError/Error) as the engine's RuntimeError. */
export function guard<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new RuntimeError(`${what}: ${(e as Error).message}`);
  }
}
