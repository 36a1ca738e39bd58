/**
 * A forward pass through a built stack that records each layer's output and, for BatchNorm layers,
 * the batch statistics of their input: exactly what Sequential.forward computes, layer by layer.
 */
import { NormBase, type Module, type Tensor } from '../../engine/index.js';
import type { LayerTrace } from '../shared/contract.js';
import { channelStats, summarize, type ChannelStats } from './summary.js';

/** The BatchNorm family (BatchNorm1d/2d/3d, Lazy variants, SyncBatchNorm) share NormBase. */
export type NormLike = NormBase;

export function isNorm(m: Module): m is NormBase {
  return m instanceof NormBase;
}

export interface LayerRecord {
  path: string;
  module: Module;
  output: Tensor;
  /** For norm layers: the layer's input (its batch statistics are computed when someone looks). */
  input: Tensor | null;
  batchCache?: ChannelStats | null;
  /** For norm layers: the training flag at this forward and the factor used (null if no update). */
  training: boolean;
  factorUsed: number | null;
}

export interface Trace {
  records: LayerRecord[];
  output: Tensor;
}

function factorFor(m: NormLike): number | null {
  // The seed's logic, evaluated after the forward (the counter has been bumped already).
  if (!(m.training && m.trackRunningStats) || !m.runningMean) return null;
  if (m.momentum !== null) return m.momentum;
  const n = m.numBatchesTracked?.item() ?? 0;
  return n > 0 ? 1 / n : null;
}

function walk(m: Module, path: string, x: Tensor, records: LayerRecord[], withBatchStats: boolean): Tensor {
  if (m.getName() === 'Sequential') {
    let y = x;
    for (const [name, child] of m.namedChildren())
      y = walk(child, path ? `${path}.${name}` : name, y, records, withBatchStats);
    return y;
  }
  const norm = isNorm(m);
  const y = m.forward(x);
  records.push({
    path,
    module: m,
    output: y,
    input: norm && withBatchStats ? x : null,
    training: m.training,
    factorUsed: norm ? factorFor(m) : null,
  });
  return y;
}

/** This batch's per-channel statistics of a norm layer's input (computed once, on demand). */
export function batchOf(rec: LayerRecord): ChannelStats | null {
  if (rec.batchCache === undefined) rec.batchCache = rec.input ? channelStats(rec.input) : null;
  return rec.batchCache;
}

export function tracedForward(root: Module, x: Tensor, withBatchStats = true): Trace {
  const records: LayerRecord[] = [];
  const output = walk(root, '', x, records, withBatchStats);
  return { records, output };
}

function floats(t: Tensor | null): Float32Array | null {
  if (!t) return null;
  const out = new Float32Array(t.numel());
  for (let i = 0; i < out.length; i++) out[i] = t.getFlat(i);
  return out;
}

/** The small per-layer view of a trace that crosses the contract on every step. */
export function layerTraces(trace: Trace, maxChannels = 256): LayerTrace[] {
  return trace.records.map((r) => {
    const m = r.module;
    const norm = isNorm(m);
    const cap = (a: Float32Array | null): Float32Array | null =>
      a && a.length > maxChannels ? a.slice(0, maxChannels) : a;
    return {
      path: r.path,
      type: m.getName(),
      output: summarize(r.output),
      runningMean: norm ? cap(floats(m.runningMean)) : null,
      runningVar: norm ? cap(floats(m.runningVar)) : null,
      numBatchesTracked: norm && m.numBatchesTracked ? m.numBatchesTracked.item() : null,
    };
  });
}
