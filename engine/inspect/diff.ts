/**
 * Diff of two checkpoints' state dicts, after key alignment: added/removed/changed keys, shape and
 * dtype changes, max abs diff, relative diff, cosine, per-channel differences for BatchNorm buffers,
 * and unchanged (frozen) detection. Streams tensor by tensor without caching storages, so memory stays
 * bounded by the largest pair of tensors, not the files.
 */
import { TensorRef } from '../io/tensorRef.js';
import { alignKeys, mapKey, detectPrefix, type KeyMapping } from './align.js';
import { batchNormPrefixes, splitKey } from './batchnorm.js';
import { asTensor, reader, type TensorLike } from './summary.js';

export interface ChangedTensor {
  key: string;
  shapeA: number[];
  shapeB: number[];
  dtypeA: string;
  dtypeB: string;
  /** null when shapes differ or values are not comparable (NaN in one side only counts as a change). */
  maxAbsDiff: number | null;
  relDiff: number | null;
  cosine: number | null;
}

export interface ChannelDiff {
  key: string;
  /** |a − b| per channel. */
  absDiff: number[];
  a: number[];
  b: number[];
}

export interface DiffResult {
  added: string[];
  removed: string[];
  changed: ChangedTensor[];
  unchanged: number;
  unchangedKeys: string[];
  prefixes: { a: string; b: string };
  /** BatchNorm prefixes whose running stats are identical in A and B. */
  frozen: string[];
  channels: ChannelDiff[];
}

export interface DiffOptions {
  /** Prefix to strip on both sides, or 'auto' (default) to align keys. */
  stripPrefix?: string | 'auto';
  /** Channels kept per BatchNorm buffer in `channels` (default 256). */
  maxChannels?: number;
  /** Called after each compared key with (done, total): the CLI's progress bar. */
  onProgress?: (done: number, total: number) => void;
}

type Side = Map<string, TensorLike>;

function mappingFor(a: Side, b: Side, opts: DiffOptions): { ma: KeyMapping; mb: KeyMapping } {
  const strip = opts.stripPrefix ?? 'auto';
  if (strip !== 'auto') return { ma: { strip, add: '' }, mb: { strip, add: '' } };
  // Bring both sides to their unwrapped names, then check a direct alignment does not do better.
  const pa = detectPrefix(a.keys());
  const pb = detectPrefix(b.keys());
  const canonical = { ma: { strip: pa, add: '' }, mb: { strip: pb, add: '' } };
  const direct = alignKeys(a.keys(), b.keys());
  const bNames = new Set([...b.keys()].map((x) => mapKey(x, canonical.mb)));
  const canonMatched = [...a.keys()].filter((k) => bNames.has(mapKey(k, canonical.ma))).length;
  if (direct.matched > canonMatched) return { ma: direct.mapping, mb: { strip: '', add: '' } };
  return canonical;
}

export function diffStateDicts(a: Side, b: Side, opts: DiffOptions = {}): DiffResult {
  const { ma, mb } = mappingFor(a, b, opts);
  const aKeys = new Map([...a.keys()].map((k) => [mapKey(k, ma), k]));
  const bKeys = new Map([...b.keys()].map((k) => [mapKey(k, mb), k]));
  const result: DiffResult = {
    added: [...bKeys.keys()].filter((k) => !aKeys.has(k)),
    removed: [...aKeys.keys()].filter((k) => !bKeys.has(k)),
    changed: [],
    unchanged: 0,
    unchangedKeys: [],
    prefixes: { a: ma.add ? `${ma.strip} → ${ma.add}` : ma.strip, b: mb.strip },
    frozen: [],
    channels: [],
  };
  const bnSet = new Set(
    batchNormPrefixes({ keys: () => aKeys.keys(), has: (k: string) => aKeys.has(k), get: () => undefined }),
  );
  const maxCh = opts.maxChannels ?? 256;
  const unchangedSet = new Set<string>();
  let done = 0;
  for (const [key, ak] of aKeys) {
    opts.onProgress?.(done++, aKeys.size);
    const bk = bKeys.get(key);
    if (bk === undefined) continue;
    // Each side's storage is charged for the elements compared (budgets: views that repeat a storage
    // many times cost the byte budget, not hours).
    for (const t of [a.get(ak), b.get(bk)])
      if (t instanceof TensorRef) t.storage.chargeRead(t.numel(), `diff of ${key}`);
    const ta = asTensor(a.get(ak)!, false);
    const tb = asTensor(b.get(bk)!, false);
    const sameShape = ta.shape.length === tb.shape.length && ta.shape.every((d, i) => d === tb.shape[i]);
    const row: ChangedTensor = {
      key,
      shapeA: [...ta.shape],
      shapeB: [...tb.shape],
      dtypeA: ta.dtype,
      dtypeB: tb.dtype,
      maxAbsDiff: null,
      relDiff: null,
      cosine: null,
    };
    if (!sameShape) {
      result.changed.push(row);
      continue;
    }
    const ga = reader(ta);
    const gb = reader(tb);
    let maxAbs = 0;
    let dot = 0;
    let na = 0;
    let nb = 0;
    let nd = 0;
    let nanMismatch = false;
    for (let i = 0; i < ta.numel(); i++) {
      const x = ga(i);
      const y = gb(i);
      if (Number.isNaN(x) || Number.isNaN(y)) {
        if (Number.isNaN(x) !== Number.isNaN(y)) nanMismatch = true;
        continue;
      }
      const d = x === y ? 0 : Math.abs(x - y);
      if (d > maxAbs || Number.isNaN(d)) maxAbs = Number.isNaN(d) ? Infinity : d;
      if (Number.isFinite(x) && Number.isFinite(y)) {
        dot += x * y;
        na += x * x;
        nb += y * y;
        nd += d * d;
      }
    }
    // int64 values past 2^53 are not exact as doubles (2^60 and 2^60 + 1 are the same double):
    // compare them as integers, and report the exact largest difference.
    const exact = ta.dtype === 'int64' && tb.dtype === 'int64' ? maxAbsInt64(ta.hostView(), tb.hostView()) : null;
    if (exact !== null) maxAbs = Number(exact);
    if ((exact === null ? maxAbs === 0 : exact === 0n) && !nanMismatch && ta.dtype === tb.dtype) {
      result.unchanged++;
      result.unchangedKeys.push(key);
      unchangedSet.add(key);
    } else {
      row.maxAbsDiff = nanMismatch ? null : maxAbs;
      const denom = Math.sqrt(Math.max(na, nb));
      row.relDiff = denom > 0 ? Math.sqrt(nd) / denom : nd > 0 ? Infinity : 0;
      row.cosine = na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : null;
      result.changed.push(row);
    }
    const [prefix, name] = splitKey(key);
    if (bnSet.has(prefix) && ['running_mean', 'running_var', 'weight', 'bias'].includes(name) && ta.dim() === 1) {
      const n = Math.min(maxCh, ta.numel());
      const av: number[] = [];
      const bv: number[] = [];
      for (let i = 0; i < n; i++) {
        av.push(ga(i));
        bv.push(gb(i));
      }
      result.channels.push({ key, a: av, b: bv, absDiff: av.map((x, i) => Math.abs(x - bv[i]!)) });
    }
    for (const t of [a.get(ak), b.get(bk)]) if (t instanceof TensorRef) t.storage.release();
  }
  opts.onProgress?.(aKeys.size, aKeys.size);
  for (const p of bnSet) {
    const j = (n: string) => (p ? `${p}.${n}` : n);
    if (unchangedSet.has(j('running_mean')) && unchangedSet.has(j('running_var'))) result.frozen.push(p);
  }
  return result;
}

/** Largest |a − b| of two int64 arrays, exactly. */
function maxAbsInt64(a: unknown, b: unknown): bigint {
  const x = a as BigInt64Array;
  const y = b as BigInt64Array;
  let max = 0n;
  for (let i = 0; i < x.length; i++) {
    const d = x[i]! - y[i]!;
    const ad = d < 0n ? -d : d;
    if (ad > max) max = ad;
  }
  return max;
}

/** True when the diff found any difference (the CLI's exit code 1). */
export function hasDifferences(d: DiffResult): boolean {
  return d.added.length > 0 || d.removed.length > 0 || d.changed.length > 0;
}
