/**
 * Loads the native addon (native/addon, built by tools/build-native.mjs) and wraps its CPU and CUDA
 * kernels as Backends. A missing or unloadable addon is not an error: the backends report why they
 * are unavailable ("native addon not built", "nvcc not found at build", "no CUDA driver (…)", "no CUDA
 * device (…)") and the engine runs on TypeScript.
 *
 * Where the addon is looked for, in order: $NORMSCOPE_ADDON (a packaged Electron app's main process
 * sets it to its unpacked resources: that layout is app/main's knowledge, not the engine's), then
 * native/build/Release of the package this file belongs to (found by walking up from it, so it works
 * from sources and from dist/).
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  Backend,
  BackendName,
  BackwardElemtArgs,
  BackwardReduceArgs,
  BatchStats,
  EvalBackwardArgs,
  ForwardEvalArgs,
  ForwardTrainArgs,
  GatheredStats,
  GemmFn,
  NCS,
} from './backend.js';
import type { BackendStatus } from './registry.js';
import type { FloatArray } from '../tensor/dtype.js';
import { RuntimeError } from '../errors.js';
import { cudaDeviceOps, type AddonCudaDevice } from './cudaDevice.js';

export interface NativeBackendSlot {
  backend: Backend | null;
  reason: string | null;
  status: BackendStatus;
}

export interface NativeBackends {
  cpu: NativeBackendSlot;
  cuda: NativeBackendSlot;
}

type Arr = FloatArray;
type Chan = FloatArray | Float64Array | null;

/** The kernel functions the addon exports per device (see native/addon/addon.cc). */
export interface AddonKernels {
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
}

/** What tools/build-native.mjs recorded about the last build (native/build/build-info.json). */
export interface BuildInfo {
  cpu: boolean;
  cuda: boolean;
  reason: string | null;
  cudaReason?: string | null;
}

const ADDON_REL = join('native', 'build', 'Release', 'normscope.node');

/** The package root: the nearest ancestor of this file holding native/binding.gyp (or package.json). */
function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'native', 'binding.gyp')) || existsSync(join(dir, ADDON_REL))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

/** Candidate addon paths, most specific first. */
export function addonCandidates(): string[] {
  const out: string[] = [];
  const env = globalThis.process?.env?.NORMSCOPE_ADDON;
  if (env) out.push(env);
  const root = packageRoot();
  if (root) out.push(join(root, ADDON_REL));
  return out;
}

function readBuildInfo(addonPath: string | null): BuildInfo | null {
  const root = packageRoot();
  const candidates = [
    addonPath ? join(dirname(addonPath), '..', 'build-info.json') : null,
    root ? join(root, 'native', 'build', 'build-info.json') : null,
  ];
  for (const p of candidates) {
    if (!p || !existsSync(p)) continue;
    try {
      return JSON.parse(readFileSync(p, 'utf8')) as BuildInfo;
    } catch {
      return null;
    }
  }
  return null;
}

function unavailable(name: BackendName, reason: string): NativeBackendSlot {
  return { backend: null, reason, status: { name, available: false, reason } };
}

/** Re-raises addon errors (TypeError/RangeError/Error) as the engine's RuntimeError. */
function guard<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new RuntimeError(`${what}: ${(e as Error).message}`);
  }
}

function checkLength(what: string, arr: FloatArray, { n, c, s }: NCS): void {
  if (arr.length !== n * c * s) {
    throw new RuntimeError(`${what}: array of ${arr.length} elements does not match (N, C, S) = (${n}, ${c}, ${s})`);
  }
}

/** Wraps one device's addon kernels as a Backend. */
export function wrapKernels(name: BackendName, k: AddonKernels, addon: Addon): Backend {
  const gemm = k.gemm;
  return {
    name,
    ...(gemm
      ? {
          gemm: (
            ta: boolean,
            tb: boolean,
            m: number,
            n: number,
            kk: number,
            a: FloatArray,
            b: FloatArray,
            c: FloatArray,
          ) => guard('gemm', () => gemm(ta, tb, m, n, kk, a, b, c)),
        }
      : {}),
    batchStats(x: FloatArray, dims: NCS): BatchStats {
      checkLength('batchStats', x, dims);
      const mean = new Float64Array(dims.c);
      const varBiased = new Float64Array(dims.c);
      guard('batchStats', () => k.batchStats(x, dims.n, dims.c, dims.s, mean, varBiased));
      return { mean, varBiased, count: dims.n * dims.s };
    },
    forwardTrain(a: ForwardTrainArgs) {
      const { n, c, s } = a.dims;
      checkLength('forwardTrain', a.x, a.dims);
      const mean = new Float64Array(c);
      const invstd = new Float64Array(c);
      guard('forwardTrain', () =>
        k.forwardTrain(
          a.x,
          a.y,
          n,
          c,
          s,
          a.weight,
          a.bias,
          a.runningMean,
          a.runningVar,
          a.momentum,
          a.eps,
          mean,
          invstd,
        ),
      );
      return { mean, invstd };
    },
    forwardEval(a: ForwardEvalArgs): void {
      checkLength('forwardEval', a.x, a.dims);
      guard('forwardEval', () =>
        k.forwardEval(a.x, a.y, a.dims.n, a.dims.c, a.dims.s, a.weight, a.bias, a.mean, a.invstd),
      );
    },
    backwardReduce(a: BackwardReduceArgs) {
      checkLength('backwardReduce', a.x, a.dims);
      const sumDy = new Float64Array(a.dims.c);
      const sumDyXmu = new Float64Array(a.dims.c);
      guard('backwardReduce', () => k.backwardReduce(a.dy, a.x, a.dims.n, a.dims.c, a.dims.s, a.mean, sumDy, sumDyXmu));
      return { sumDy, sumDyXmu };
    },
    backwardElemt(a: BackwardElemtArgs): void {
      checkLength('backwardElemt', a.x, a.dims);
      guard('backwardElemt', () =>
        k.backwardElemt(
          a.dy,
          a.x,
          a.dx,
          a.dims.n,
          a.dims.c,
          a.dims.s,
          a.mean,
          a.invstd,
          a.weight,
          a.sumDy,
          a.sumDyXmu,
          a.count,
        ),
      );
    },
    backwardEvalElemt(a: EvalBackwardArgs): void {
      checkLength('backwardEvalElemt', a.dy, a.dims);
      guard('backwardEvalElemt', () =>
        k.backwardEvalElemt(a.dy, a.dx, a.dims.n, a.dims.c, a.dims.s, a.invstd, a.weight),
      );
    },
    gatherStatsWithCounts(gathered: Float64Array, worldSize: number, c: number, eps: number): GatheredStats {
      const mean = new Float64Array(c);
      const invstd = new Float64Array(c);
      const varBiased = new Float64Array(c);
      const count = guard('gatherStatsWithCounts', () =>
        addon.gatherStatsWithCounts(gathered, worldSize, c, eps, mean, invstd, varBiased),
      );
      return { mean, invstd, varBiased, count };
    },
  };
}

// cudaError_t values that mean "there is no usable driver" (insufficient driver, stub library, init error).
const NO_DRIVER_CODES = new Set([35, 34, 3]);
const NO_DEVICE_CODE = 100;

/** Why CUDA cannot run, from the build record and the addon's probe; null when it can. */
export function cudaReason(info: AddonInfo, build: BuildInfo | null): string | null {
  if (!info.cudaCompiled) return build?.cudaReason ?? 'nvcc not found at build';
  if (info.cudaError !== undefined) {
    const code = info.cudaErrorCode ?? -1;
    const detail = `cudaGetDeviceCount: ${info.cudaError}`;
    if (NO_DRIVER_CODES.has(code)) return `no CUDA driver (${detail})`;
    if (code === NO_DEVICE_CODE) return `no CUDA device (${detail})`;
    return `CUDA unavailable (${detail})`;
  }
  if (!info.cudaDeviceCount) return 'no CUDA device (cudaGetDeviceCount returned 0 devices)';
  return null;
}

let loaded: { addon: Addon | null; path: string | null; error: string | null } | null = null;

/** Loads the addon once; returns it (or null with the reason). */
export function loadAddon(): { addon: Addon | null; path: string | null; error: string | null } {
  if (loaded) return loaded;
  const req = createRequire(import.meta.url);
  const found = addonCandidates().find((p) => existsSync(p)) ?? null;
  if (!found) {
    const build = readBuildInfo(null);
    const why = build && !build.cpu && build.reason ? `: ${build.reason}` : ' (run `npm run build:native`)';
    loaded = { addon: null, path: null, error: `native addon not built${why}` };
    return loaded;
  }
  try {
    loaded = { addon: req(found) as Addon, path: found, error: null };
  } catch (e) {
    loaded = { addon: null, path: found, error: `native addon failed to load: ${(e as Error).message}` };
  }
  return loaded;
}

export function loadNativeBackends(): NativeBackends {
  const { addon, path, error } = loadAddon();
  if (!addon) return { cpu: unavailable('cpu', error!), cuda: unavailable('cuda', error!) };
  let info: AddonInfo;
  try {
    info = addon.info();
  } catch (e) {
    const reason = `native addon failed to report its devices: ${(e as Error).message}`;
    return { cpu: unavailable('cpu', reason), cuda: unavailable('cuda', reason) };
  }
  const cpuModel = cpus()[0]?.model?.trim();
  const cpu: NativeBackendSlot = {
    backend: wrapKernels('cpu', addon.cpu, addon),
    reason: null,
    status: {
      name: 'cpu',
      available: true,
      reason: null,
      threads: info.cpuThreads,
      ...(cpuModel ? { device: `${cpuModel} (${info.isa})` } : {}),
    },
  };
  const why = cudaReason(info, readBuildInfo(path));
  // NORMSCOPE_CUDA_RESIDENT=0 keeps every tensor on the host and copies per kernel call (for comparison).
  const resident = globalThis.process?.env?.NORMSCOPE_CUDA_RESIDENT !== '0';
  const device = resident ? cudaDeviceOps(addon.cudaDevice, 'cuda') : null;
  const residency = device
    ? 'tensors stay on the device between steps'
    : resident
      ? 'copied per call (the addon has no device ops)'
      : 'copied per call (NORMSCOPE_CUDA_RESIDENT=0)';
  const cuda: NativeBackendSlot =
    why || !addon.cuda
      ? unavailable('cuda', why ?? 'CUDA kernels missing from the addon')
      : {
          backend: { ...wrapKernels('cuda', addon.cuda, addon), device },
          reason: null,
          status: {
            name: 'cuda',
            available: true,
            reason: null,
            ...(info.cudaDevice ? { device: info.cudaDevice } : {}),
            ...(info.cudaMemoryBytes !== undefined ? { memoryBytes: info.cudaMemoryBytes } : {}),
            residency,
          },
        };
  return { cpu, cuda };
}

/** Sets the native CPU pool size (0 = default); returns the new size, or null without the addon. */
export function setNativeThreads(threads: number): number | null {
  const { addon } = loadAddon();
  return addon ? addon.setThreads(threads) : null;
}
