/**
 * The CUDA backend's Device (engine/tensor/device.ts) over the addon's `cudaDevice` bindings
 * (native/addon/cuda_device.cc). The addon hands out device buffers as opaque handles; CudaBuffer
 * pairs one with its size. A buffer is freed when it is garbage-collected (the addon reports its size to
 * V8 as external memory), at the next turn of the event loop, where Node runs Node-API finalizers;
 * or at once by `release`. Addon errors (bad arguments, CUDA failures such as running
 * out of device memory) become the engine's RuntimeError.
 */
import type { ConvGeometry, Device, TransferStats } from '../tensor/device.js';
import type { DeviceBuffer } from '../tensor/storage.js';
import type { TypedArray } from '../tensor/dtype.js';
import { RuntimeError } from '../errors.js';

/** The addon's `cudaDevice` object: the Device kernels on raw handles, plus memory management. */
export interface AddonCudaDevice {
  alloc(bytes: number): unknown;
  release(handle: unknown): void;
  upload(handle: unknown, src: TypedArray): void;
  download(handle: unknown, dst: TypedArray): void;
  copy(dst: unknown, src: unknown): void;
  zero(handle: unknown): void;
  transferStats(): [number, number, number, number, number];
  sync(): void;
  [kernel: string]: (...args: never[]) => unknown;
}

class CudaBuffer implements DeviceBuffer {
  constructor(
    readonly handle: unknown,
    readonly byteLength: number,
  ) {}
}

/** The kernel methods of Device: each passes its arguments through, buffers as their handles. */
const KERNELS = [
  'bnStats',
  'bnTrain',
  'bnEvalStats',
  'bnEval',
  'bnBackwardReduce',
  'bnBackwardElemt',
  'bnBackwardEvalElemt',
  'bnParamGrads',
  'linearForward',
  'linearGradInput',
  'linearGradWeight',
  'relu',
  'reluBackward',
  'add',
  'sub',
  'mul',
  'scale',
  'fillFrom',
  'sum',
  'mseForward',
  'mseBackward',
  'crossEntropyForward',
  'crossEntropyBackward',
  'sgdStep',
  'summary',
  'histogram',
] as const satisfies readonly (keyof Device)[];

/** The conv kernels: the ABI takes [n, c, h, w, o, kh, kw, sh, sw, ph, pw, oh, ow] (symmetric pads). */
const CONV_KERNELS = [
  'conv2dForward',
  'conv2dGradInput',
  'conv2dGradWeight',
] as const satisfies readonly (keyof Device)[];

/** The ABI's conv kernels: groups 1, unit dilations, symmetric pads. */
function supportsConv(g: ConvGeometry): boolean {
  return g.G === 1 && g.dh === 1 && g.dw === 1 && g.pt === g.pb && g.pl === g.pr;
}

function convDims(g: ConvGeometry): number[] {
  return [g.N, g.C, g.H, g.W, g.O, g.KH, g.KW, g.sh, g.sw, g.pt, g.pl, g.OH, g.OW];
}

// Node runs Node-API finalizers (which free device buffers) only when the event loop turns.
const OOM_HINT =
  '; device memory of tensors no longer referenced is returned when the event loop turns, so a long synchronous loop should await setImmediate now and then';

function guard<T>(what: string, fn: () => T, oomHint = ''): T {
  try {
    return fn();
  } catch (e) {
    const msg = (e as Error).message;
    throw new RuntimeError(`CUDA ${what}: ${msg}${/out of memory/.test(msg) ? oomHint : ''}`);
  }
}

function handle(b: DeviceBuffer): unknown {
  if (!(b instanceof CudaBuffer)) throw new RuntimeError('CUDA: a device buffer from another device');
  return b.handle;
}

/** The Device of the addon's CUDA device; null when the addon was built without the device bindings. */
export function openCudaDevice(raw: AddonCudaDevice | undefined, name: string): Device | null {
  if (!raw || [...KERNELS, ...CONV_KERNELS].some((k) => typeof raw[k] !== 'function')) return null;
  const ops: Record<string, unknown> = {
    name,
    host: false,
    supportsConv,
    alloc: (bytes: number) =>
      new CudaBuffer(
        guard('alloc', () => raw.alloc(bytes), OOM_HINT),
        bytes,
      ),
    release: (b: DeviceBuffer) => guard('release', () => raw.release(handle(b))),
    upload: (dst: DeviceBuffer, src: TypedArray) => guard('upload', () => raw.upload(handle(dst), src)),
    download: (src: DeviceBuffer, dst: TypedArray) => guard('download', () => raw.download(handle(src), dst)),
    copy: (dst: DeviceBuffer, src: DeviceBuffer) => guard('copy', () => raw.copy(handle(dst), handle(src))),
    zero: (b: DeviceBuffer) => guard('zero', () => raw.zero(handle(b))),
    sync: () => guard('sync', () => raw.sync()),
    transferStats: (): TransferStats => {
      const [a, b, c, d, live] = guard('transferStats', () => raw.transferStats());
      return {
        hostToDeviceBytes: a,
        hostToDeviceCopies: b,
        deviceToHostBytes: c,
        deviceToHostCopies: d,
        deviceBytesInUse: live,
      };
    },
  };
  for (const k of KERNELS) {
    const fn = raw[k] as (...args: unknown[]) => void;
    ops[k] = (...args: unknown[]) => guard(k, () => fn(...args.map((a) => (a instanceof CudaBuffer ? a.handle : a))));
  }
  for (const k of CONV_KERNELS) {
    const fn = raw[k] as (...args: unknown[]) => void;
    ops[k] = (...args: unknown[]) => {
      const g = args[args.length - 1] as ConvGeometry;
      if (!supportsConv(g)) throw new RuntimeError(`CUDA ${k}: groups, dilations and asymmetric pads run on the host`);
      const rest = args.slice(0, -1).map((a) => (a instanceof CudaBuffer ? a.handle : a));
      return guard(k, () => fn(...rest, convDims(g)));
    };
  }
  return ops as unknown as Device;
}
