/**
 * BatchNorm layers found in a state dict by their key pattern (`<prefix>.running_mean` and
 * `<prefix>.running_var`, optionally weight/bias/num_batches_tracked), with num_features, the
 * `_metadata` version, the counter, and a health scan of the running statistics.
 */
import type { LocalMetadata } from '../nn/stateDict.js';
import { asTensor, distinct, reader, summarize, type TensorLike } from './summary.js';

export interface BatchNormLayer {
  prefix: string;
  numFeatures: number;
  version: number | null;
  affine: boolean;
  hasNumBatchesTracked: boolean;
  numBatchesTracked: number | null;
  health: string[];
}

export interface TensorMapLike {
  get(key: string): TensorLike | undefined;
  has(key: string): boolean;
  keys(): Iterable<string>;
}

export const FLOAT16_MAX = 65504;

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

export function splitKey(key: string): [string, string] {
  const i = key.lastIndexOf('.');
  return i < 0 ? ['', key] : [key.slice(0, i), key.slice(i + 1)];
}

/** BatchNorm prefixes in key order. */
export function batchNormPrefixes(tensors: TensorMapLike): string[] {
  const out: string[] = [];
  for (const k of tensors.keys()) {
    const [prefix, name] = splitKey(k);
    if (name === 'running_mean' && tensors.has(join(prefix, 'running_var'))) out.push(prefix);
  }
  return out;
}

export interface HealthOptions {
  eps?: number;
  /** running_var at or below this counts as collapsed. */
  collapsed?: number;
  /** Shapes and dtypes only (no tensor data read): the header-level checks, no value scan. */
  headerOnly?: boolean;
}

export function findBatchNormLayers(
  tensors: TensorMapLike,
  metadata: Map<string, LocalMetadata> | null,
  opts: HealthOptions = {},
): BatchNormLayer[] {
  return batchNormPrefixes(tensors).map((prefix) => describeLayer(tensors, metadata, prefix, opts));
}

const shapeText = (s: readonly number[]) => `[${s.join(', ')}]`;
const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);
const numelOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** What the shapes and dtypes alone say is wrong (PyTorch's load_state_dict would refuse or misread it). */
function headerHealth(
  mean: TensorLike,
  vr: TensorLike,
  counter: TensorLike | undefined,
  params: [string, TensorLike | undefined][],
): string[] {
  const health: string[] = [];
  if (mean.shape.length !== 1)
    health.push(`running_mean has shape ${shapeText(mean.shape)}, not one value per channel`);
  if (!sameShape(vr.shape, mean.shape))
    health.push(`running_var has shape ${shapeText(vr.shape)} but running_mean ${shapeText(mean.shape)}`);
  for (const [name, p] of params) {
    if (p && !sameShape(p.shape, mean.shape))
      health.push(`${name} has shape ${shapeText(p.shape)} but running_mean ${shapeText(mean.shape)}`);
  }
  if (counter) {
    if (counter.dtype !== 'int64')
      health.push(`num_batches_tracked is ${counter.dtype}; PyTorch keeps an int64 counter`);
    if (counter.shape.length !== 0 && numelOf(counter.shape) !== 1)
      health.push(`num_batches_tracked has shape ${shapeText(counter.shape)}; PyTorch keeps a scalar`);
  }
  return health;
}

function describeLayer(
  tensors: TensorMapLike,
  metadata: Map<string, LocalMetadata> | null,
  prefix: string,
  opts: HealthOptions,
): BatchNormLayer {
  const eps = opts.eps ?? 1e-5;
  const collapsedAt = opts.collapsed ?? 1e-8;
  const meanRef = tensors.get(join(prefix, 'running_mean'))!;
  const varRef = tensors.get(join(prefix, 'running_var'))!;
  const counterRef = tensors.get(join(prefix, 'num_batches_tracked'));
  const params = (['weight', 'bias'] as const).map((n) => [n, tensors.get(join(prefix, n))] as [string, TensorLike]);
  const version = metadata?.get(prefix)?.version;
  const health = headerHealth(meanRef, varRef, counterRef, params);
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  let n: number | null = null;

  if (!opts.headerOnly) {
    // Scans read each storage element once (an expanded view is not materialised).
    const mean = distinct(meanRef);
    const vr = distinct(varRef);
    const ms = summarize(mean);
    const vs = summarize(vr);
    if (!ms.finite) health.push(`running_mean has ${plural(ms.nanCount + ms.infCount, 'NaN/inf value')}`);
    if (!vs.finite) health.push(`running_var has ${plural(vs.nanCount + vs.infCount, 'NaN/inf value')}`);
    const gv = reader(vr);
    let negative = 0;
    let collapsed = 0;
    let belowEps = 0;
    for (let i = 0; i < vr.numel(); i++) {
      const v = gv(i);
      if (v < 0) negative++;
      else if (v <= collapsedAt) collapsed++;
      else if (v < eps) belowEps++;
    }
    if (negative) health.push(`running_var has ${plural(negative, 'negative value')} (a variance cannot be negative)`);
    if (collapsed)
      health.push(`running_var has ${plural(collapsed, 'value')} near zero (≤ ${collapsedAt}): collapsed channels`);
    if (belowEps)
      health.push(`running_var has ${plural(belowEps, 'value')} below eps (${eps}): eps dominates the normalization`);
    const initial =
      ms.finite &&
      vs.finite &&
      mean.numel() > 0 &&
      vr.numel() > 0 &&
      ms.min === 0 &&
      ms.max === 0 &&
      vs.min === 1 &&
      vs.max === 1;
    if (initial) health.push('running stats still at their initial values (mean 0, var 1): never updated in training');
    const counter = counterRef && numelOf(counterRef.shape) === 1 ? asTensor(counterRef) : null;
    n = counter ? counter.getFlat(0) : null;
    if (n === 0) health.push('num_batches_tracked is 0');
    for (const [name, st] of [
      ['running_mean', ms],
      ['running_var', vs],
    ] as const) {
      const big = Math.max(Math.abs(st.min ?? 0), Math.abs(st.max ?? 0));
      if (big > FLOAT16_MAX)
        health.push(`${name} has values past the float16 range (|x| up to ${big.toPrecision(3)} > ${FLOAT16_MAX})`);
    }
    for (const [name, p] of params) {
      if (p && !summarize(distinct(p)).finite) health.push(`${name} has NaN/inf values`);
    }
  }
  if (!counterRef && (version === undefined || version < 2)) {
    health.push(`no num_batches_tracked (version ${version ?? 'missing'} state): migrate adds the counter`);
  }
  return {
    prefix,
    numFeatures: numelOf(meanRef.shape),
    version: version ?? null,
    affine: tensors.has(join(prefix, 'weight')),
    hasNumBatchesTracked: counterRef !== undefined,
    numBatchesTracked: n,
    health,
  };
}
