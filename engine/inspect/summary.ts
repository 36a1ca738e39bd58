/**
 * Per-tensor summaries (min, max, mean, std, finite) and histograms, computed in float64 over the
 * finite values; NaN/inf are counted, not folded into the statistics. Float tensors are summarised by
 * the Device kernel where their values are: a tensor whose values are only on the device (CUDA) there
 * (56 bytes come back instead of the tensor), any other on the host device.
 */
import { Tensor } from '../tensor/tensor.js';
import { TensorRef } from '../io/tensorRef.js';
import { halfToFloat, bfloat16ToFloat } from '../tensor/dtype.js';
import { buf, deviceFor, hostDevice, type Device, type FloatDType } from '../tensor/device.js';
import type { TensorSummary } from './summaryTypes.js';

export type { TensorSummary } from './summaryTypes.js';

export type TensorLike = Tensor | TensorRef;

export function asTensor(t: TensorLike, cache = true): Tensor {
  return t instanceof TensorRef ? t.materialize({ cache }) : t;
}

/**
 * The elements a summary needs, each once: a loaded view's footprint in its storage (a stride-0 view
 * of one element is that element), or the tensor itself. Order and repetition do not change min, max,
 * mean or the NaN count, and this never costs more than the storage.
 */
export function distinct(t: TensorLike, cache = true): Tensor {
  return t instanceof TensorRef ? t.footprint({ cache }) : t;
}

/** A fast element reader for any dtype (half types decoded, int64 converted). */
export function reader(t: Tensor): (i: number) => number {
  const d = t.hostView();
  if (t.dtype === 'float16') return (i) => halfToFloat(d[i] as number);
  if (t.dtype === 'bfloat16') return (i) => bfloat16ToFloat(d[i] as number);
  if (d instanceof BigInt64Array) return (i) => Number(d[i]!);
  return (i) => d[i] as number;
}

/** Where `t`'s values are: the device holding its only current copy, else the host device. */
function residentDevice(t: Tensor): Device {
  return t.storage.isDeviceOnly ? deviceFor(t) : hostDevice();
}

export function summarize(t: Tensor): TensorSummary {
  const n = t.numel();
  if (t.dtype === 'float32' || t.dtype === 'float64') {
    const dev = residentDevice(t);
    return summaryOn(dev, t.dtype, buf(dev, t), n);
  }
  // Other dtypes (halves decoded, integers, bool) go through the same kernel as float64 values: one
  // algorithm for every dtype.
  const get = reader(t);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = get(i);
  const host = hostDevice();
  return summaryOn(host, 'float64', buf(host, new Tensor(values, [n], 'float64')), n);
}

function summaryOn(dev: Device, dt: FloatDType, data: ReturnType<typeof buf>, n: number): TensorSummary {
  const out = dev.alloc(7 * 8);
  const r = new Float64Array(7);
  try {
    dev.summary(dt, data, n, out);
    dev.download(out, r);
  } finally {
    dev.release(out);
  }
  const [count, nan, inf, min, max, mean, m2] = r as unknown as number[];
  return {
    numel: n,
    min: count ? min! : null,
    max: count ? max! : null,
    mean: count ? mean! : null,
    std: count! > 1 ? Math.sqrt(Math.max(m2!, 0) / (count! - 1)) : null,
    finite: nan === 0 && inf === 0,
    nanCount: nan!,
    infCount: inf!,
  };
}

export interface Histogram {
  /** bins + 1 edges */
  edges: number[];
  counts: number[];
}

/** Equal-width histogram of the finite values (range: min..max unless given). */
export function histogram(t: Tensor, bins = 32, range?: [number, number]): Histogram {
  const s = range ? null : summarize(t);
  const lo = range ? range[0] : (s!.min ?? 0);
  const hi = range ? range[1] : (s!.max ?? 0);
  const width = hi > lo ? (hi - lo) / bins : 1;
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + i * width);
  const float = t.dtype === 'float32' || t.dtype === 'float64';
  if (float && bins >= 1 && Number.isFinite(width) && width > 0) {
    const dev = residentDevice(t);
    const out = dev.alloc(bins * 8);
    const counts = new BigInt64Array(bins); // uint64 counts, far below 2^63
    try {
      dev.histogram(t.dtype as FloatDType, buf(dev, t), t.numel(), lo, hi, width, bins, out);
      dev.download(out, counts);
    } finally {
      dev.release(out);
    }
    return { edges, counts: Array.from(counts, Number) };
  }
  const counts = new Array<number>(bins).fill(0);
  const get = reader(t);
  for (let i = 0; i < t.numel(); i++) {
    const v = get(i);
    if (!Number.isFinite(v) || v < lo || v > hi) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) / width))]!++;
  }
  return { edges, counts };
}
