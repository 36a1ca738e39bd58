/**
 * The Device: the one op interface every backend provides, host and device alike (tinygrad's single
 * device abstraction). Ops in engine/tensor, engine/nn/functional, engine/optim and engine/dist validate
 * their arguments once, then call the kernels of `deviceFor(...)`: an op is written once, and each
 * backend writes each kernel once.
 *
 * Two kinds of device:
 * - the host device (engine/backend/hostDevice.ts): its buffers are the tensors' own host arrays (no
 *   copy); its BatchNorm kernels are the backend's (ts, wasm, cpu or cuda over host arrays), its linear
 *   and conv kernels use the backend's GEMM, the rest are the TypeScript reference loops;
 * - a device with its own memory (CUDA, engine/backend/cudaDevice.ts): tensors stay on it between steps.
 *
 * Every method mirrors native/kernels/normscope_device.h (argument order included; buffers are
 * DeviceBuffers, per-channel BatchNorm statistics are float64 buffers, the rest are in `dt`), except the
 * conv kernels, which take the whole geometry (the CUDA device passes its own subset to the ABI).
 * Ops the ABI lacks (pooling, activations other than ReLU, reductions, shape ops, broadcasting) are
 * written once over host arrays; reading a tensor's host values (`Tensor.data`, `floatData()`) is the one
 * place where values leave a device for them (engine/tensor/storage.ts).
 *
 * The registry (engine/backend/registry.ts) gives each backend its devices.
 */
import type { DeviceBuffer, DeviceMemory } from './storage.js';
import type { Tensor } from './tensor.js';
import { activeDevice, activeHostDevice } from '../backend/registry.js';
import { RuntimeError } from '../errors.js';

export type FloatDType = 'float32' | 'float64';
type B = DeviceBuffer;
type OptB = DeviceBuffer | null;

/** Bytes and copies that crossed the host boundary since the process started. */
export interface TransferStats {
  hostToDeviceBytes: number;
  hostToDeviceCopies: number;
  deviceToHostBytes: number;
  deviceToHostCopies: number;
  /** Bytes held now by live device buffers (tensors, saved statistics, momentum buffers). */
  deviceBytesInUse: number;
}

/** The bytes and copies that crossed between two readings of the counters. */
export type TransferCounts = Omit<TransferStats, 'deviceBytesInUse'>;

export function transfersBetween(before: TransferStats, after: TransferStats): TransferCounts {
  return {
    hostToDeviceBytes: after.hostToDeviceBytes - before.hostToDeviceBytes,
    hostToDeviceCopies: after.hostToDeviceCopies - before.hostToDeviceCopies,
    deviceToHostBytes: after.deviceToHostBytes - before.deviceToHostBytes,
    deviceToHostCopies: after.deviceToHostCopies - before.deviceToHostCopies,
  };
}

/**
 * Every size of a 2-D convolution (1-D runs with h = kh = 1): batch N, channels C, input H×W, outputs O,
 * groups G, kernel KH×KW, strides sh/sw, dilations dh/dw, pads top/left/bottom/right, output OH×OW.
 */
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

export interface Device extends DeviceMemory {
  readonly name: string;
  /** True for the host device: buffers are the tensors' own host arrays. */
  readonly host: boolean;
  /** Whether the conv kernels run this geometry (CUDA: groups 1, unit dilations, symmetric pads). */
  supportsConv(g: ConvGeometry): boolean;
  release(b: B): void;
  zero(b: B): void;
  /** Waits for every launched kernel (for timing; a download waits too). */
  sync(): void;
  transferStats(): TransferStats;
  // BatchNorm (per-channel statistics in float64 buffers; weight, bias, running stats in dt)
  bnStats(dt: FloatDType, x: B, n: number, c: number, s: number, mean: B, varBiased: B): void;
  bnTrain(
    dt: FloatDType,
    x: B,
    y: B,
    n: number,
    c: number,
    s: number,
    w: OptB,
    b: OptB,
    rm: OptB,
    rv: OptB,
    momentum: number,
    eps: number,
    mean: B,
    invstd: B,
  ): void;
  bnEvalStats(dt: FloatDType, rm: B, rv: B, eps: number, mean: B, invstd: B, c: number): void;
  bnEval(dt: FloatDType, x: B, y: B, n: number, c: number, s: number, w: OptB, b: OptB, mean: B, invstd: B): void;
  bnBackwardReduce(dt: FloatDType, dy: B, x: B, n: number, c: number, s: number, mean: B, sumDy: B, sumDyXmu: B): void;
  bnBackwardElemt(
    dt: FloatDType,
    dy: B,
    x: B,
    dx: B,
    n: number,
    c: number,
    s: number,
    mean: B,
    invstd: B,
    w: OptB,
    sumDy: B,
    sumDyXmu: B,
    count: number,
  ): void;
  bnBackwardEvalElemt(dt: FloatDType, dy: B, dx: B, n: number, c: number, s: number, invstd: B, w: OptB): void;
  bnParamGrads(dt: FloatDType, sumDy: B, sumDyXmu: B, invstd: B, dw: OptB, db: OptB, c: number): void;
  // Linear and Conv2d
  linearForward(dt: FloatDType, x: B, w: B, b: OptB, y: B, rows: number, inF: number, outF: number): void;
  linearGradInput(dt: FloatDType, dy: B, w: B, dx: B, rows: number, inF: number, outF: number): void;
  linearGradWeight(dt: FloatDType, dy: B, x: B, dw: OptB, db: OptB, rows: number, inF: number, outF: number): void;
  conv2dForward(dt: FloatDType, x: B, w: B, b: OptB, y: B, g: ConvGeometry): void;
  conv2dGradInput(dt: FloatDType, dy: B, w: B, dx: B, g: ConvGeometry): void;
  conv2dGradWeight(dt: FloatDType, dy: B, x: B, dw: OptB, db: OptB, g: ConvGeometry): void;
  // Elementwise and reductions over n values
  relu(dt: FloatDType, x: B, y: B, n: number): void;
  reluBackward(dt: FloatDType, y: B, dy: B, dx: B, n: number): void;
  add(dt: FloatDType, a: B, b: B, out: B, n: number): void;
  sub(dt: FloatDType, a: B, b: B, out: B, n: number): void;
  mul(dt: FloatDType, a: B, b: B, out: B, n: number): void;
  scale(dt: FloatDType, a: B, s: number, out: B, n: number): void;
  fillFrom(dt: FloatDType, scalar: B, s: number, out: B, n: number): void;
  sum(dt: FloatDType, a: B, out: B, n: number): void;
  // Losses (mean reduction) and SGD
  mseForward(dt: FloatDType, x: B, t: B, out: B, n: number): void;
  mseBackward(dt: FloatDType, x: B, t: B, g: B, gx: OptB, gt: OptB, n: number): void;
  crossEntropyForward(dt: FloatDType, z: B, target: B, probs: B, out: B, rows: number, classes: number): void;
  crossEntropyBackward(dt: FloatDType, probs: B, target: B, g: B, gz: B, rows: number, classes: number): void;
  /** out: 7 float64 = [finite, NaN, ±inf counts, min, max, mean, m2] over the finite values. */
  summary(dt: FloatDType, x: B, n: number, out: B): void;
  /** counts: `bins` uint64 (engine/inspect/summary.ts's histogram). */
  histogram(dt: FloatDType, x: B, n: number, lo: number, hi: number, width: number, bins: number, counts: B): void;
  sgdStep(
    dt: FloatDType,
    w: B,
    g: B,
    buf: OptB,
    n: number,
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: boolean,
    first: boolean,
  ): void;
}

/**
 * The device an op on these tensors runs on: the active backend's device when the tensors can live on
 * it (all float32 or all float64), else the host device (mixed or other dtypes compute on host arrays,
 * where each op's checks raise PyTorch's errors).
 */
export function deviceFor(...tensors: (Tensor | null | undefined)[]): Device {
  let dtype: string | null = null;
  for (const t of tensors) {
    if (!t) continue;
    if ((t.dtype !== 'float32' && t.dtype !== 'float64') || (dtype && t.dtype !== dtype)) return activeHostDevice();
    dtype = t.dtype;
  }
  return activeDevice();
}

/** A compute tensor's dtype; other dtypes get Tensor.floatData()'s error. */
export function floatDType(t: Tensor): FloatDType {
  if (t.dtype === 'float32' || t.dtype === 'float64') return t.dtype;
  throw new RuntimeError(`expected a float32 or float64 tensor, got ${t.dtype}`);
}

/** The active backend's host device (for values already on the host, which should stay there). */
export function hostDevice(): Device {
  return activeHostDevice();
}

/** The device buffer holding `t`'s current values (uploaded once when only the host has them). */
export function buf(dev: Device, t: Tensor): DeviceBuffer {
  return t.storage.deviceBuffer(dev);
}

export function optBuf(dev: Device, t: Tensor | null | undefined): DeviceBuffer | null {
  return t ? t.storage.deviceBuffer(dev) : null;
}

/** The device buffer of a tensor a kernel will update in place (its host copy goes stale). */
export function writeBuf(dev: Device, t: Tensor | null): DeviceBuffer | null {
  return t ? t.storage.deviceBufferForWrite(dev) : null;
}

/** A device buffer of c float64 values (per-channel statistics). */
export function channelBuf(dev: Device, c: number): DeviceBuffer {
  return dev.alloc(c * 8);
}
