/**
 * The device ops: what a backend with its own memory (CUDA) provides so that tensors stay on it
 * between steps. Ops in engine/tensor, engine/nn/functional and engine/optim take their device path
 * when `deviceFor(...)` returns one (the active backend has a device and the tensors are float32 or
 * float64); otherwise they run on the host as before.
 *
 * Every method mirrors native/kernels/normscope_device.h (argument order included; buffers are
 * DeviceBuffers, per-channel BatchNorm statistics are float64 buffers, the rest are in `dt`). The
 * registry (engine/backend/registry.ts) tells this module which backend is active.
 */
import type { DeviceBuffer, DeviceMemory } from './storage.js';
import type { Tensor } from './tensor.js';

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

export interface DeviceOps extends DeviceMemory {
  readonly name: string;
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
  // Linear and Conv2d (conv dims: n, c, h, w, o, kh, kw, sh, sw, ph, pw, oh, ow)
  linearForward(dt: FloatDType, x: B, w: B, b: OptB, y: B, rows: number, inF: number, outF: number): void;
  linearGradInput(dt: FloatDType, dy: B, w: B, dx: B, rows: number, inF: number, outF: number): void;
  linearGradWeight(dt: FloatDType, dy: B, x: B, dw: OptB, db: OptB, rows: number, inF: number, outF: number): void;
  conv2dForward(dt: FloatDType, x: B, w: B, b: OptB, y: B, dims: number[]): void;
  conv2dGradInput(dt: FloatDType, dy: B, w: B, dx: B, dims: number[]): void;
  conv2dGradWeight(dt: FloatDType, dy: B, x: B, dw: OptB, db: OptB, dims: number[]): void;
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

let source: () => DeviceOps | null = () => null;

/** Called by the backend registry: where to find the active backend's device (null when none). */
export function setDeviceSource(fn: () => DeviceOps | null): void {
  source = fn;
}

/**
 * The active backend's device ops, when it has a device and the given tensors can live on it: all
 * float32 or all float64 (mixed dtypes take the host path, which raises PyTorch's errors).
 */
export function deviceFor(...tensors: (Tensor | null | undefined)[]): DeviceOps | null {
  let dtype: string | null = null;
  for (const t of tensors) {
    if (!t) continue;
    if ((t.dtype !== 'float32' && t.dtype !== 'float64') || (dtype && t.dtype !== dtype)) return null;
    dtype = t.dtype;
  }
  return source();
}

/** The device buffer holding `t`'s current values (uploaded once when only the host has them). */
export function buf(dev: DeviceOps, t: Tensor): DeviceBuffer {
  return t.storage.deviceBuffer(dev);
}

export function optBuf(dev: DeviceOps, t: Tensor | null | undefined): DeviceBuffer | null {
  return t ? t.storage.deviceBuffer(dev) : null;
}

/** The device buffer of a tensor a kernel will update in place (its host copy goes stale). */
export function writeBuf(dev: DeviceOps, t: Tensor | null): DeviceBuffer | null {
  return t ? t.storage.deviceBufferForWrite(dev) : null;
}

/** A device buffer of c float64 values (per-channel statistics). */
export function channelBuf(dev: DeviceOps, c: number): DeviceBuffer {
  return dev.alloc(c * 8);
}
