/**
 * BatchNorm layers found in a state dict by their key pattern (`<prefix>.running_mean` and
 * `<prefix>.running_var`, optionally weight/bias/num_batches_tracked), with num_features, the
 * `_metadata` version, the counter, and a health scan of the running statistics.
 */
import type { LocalMetadata } from '../nn/stateDict.js';
import { asTensor, reader, summarize, type TensorLike } from './summary.js';

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
}

export function findBatchNormLayers(
  tensors: TensorMapLike,
  metadata: Map<string, LocalMetadata> | null,
  opts: HealthOptions = {},
): BatchNormLayer[] {
  return batchNormPrefixes(tensors).map((prefix) => describeLayer(tensors, metadata, prefix, opts));
}

function describeLayer(
  tensors: TensorMapLike,
  metadata: Map<string, LocalMetadata> | null,
  prefix: string,
  opts: HealthOptions,
): BatchNormLayer {
  const eps = opts.eps ?? 1e-5;
  const collapsedAt = opts.collapsed ?? 1e-8;
  const mean = asTensor(tensors.get(join(prefix, 'running_mean'))!);
  const vr = asTensor(tensors.get(join(prefix, 'running_var'))!);
  const counterRef = tensors.get(join(prefix, 'num_batches_tracked'));
  const counter = counterRef ? asTensor(counterRef) : null;
  const version = metadata?.get(prefix)?.version;
  const health: string[] = [];
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

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
  const gm = reader(mean);
  let initial = mean.numel() > 0;
  for (let i = 0; initial && i < mean.numel(); i++) if (gm(i) !== 0 || gv(i) !== 1) initial = false;
  if (initial) health.push('running stats still at their initial values (mean 0, var 1): never updated in training');
  const n = counter && counter.numel() === 1 ? counter.getFlat(0) : null;
  if (n === 0) health.push('num_batches_tracked is 0');
  for (const [name, s] of [
    ['running_mean', ms],
    ['running_var', vs],
  ] as const) {
    const big = Math.max(Math.abs(s.min ?? 0), Math.abs(s.max ?? 0));
    if (big > FLOAT16_MAX)
      health.push(`${name} has values past the float16 range (|x| up to ${big.toPrecision(3)} > ${FLOAT16_MAX})`);
  }
  for (const name of ['weight', 'bias']) {
    const p = tensors.get(join(prefix, name));
    if (p && !summarize(asTensor(p)).finite) health.push(`${name} has NaN/inf values`);
  }
  if (!counter && (version === undefined || version < 2)) {
    health.push(`no num_batches_tracked (version ${version ?? 'missing'} state): migrate adds the counter`);
  }
  return {
    prefix,
    numFeatures: mean.numel(),
    version: version ?? null,
    affine: tensors.has(join(prefix, 'weight')),
    hasNumBatchesTracked: counter !== null,
    numBatchesTracked: n,
    health,
  };
}
