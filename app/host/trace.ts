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
  /** The training flag at this forward and, for norm layers, the factor its update used (null: none). */
  training: boolean;
  factorUsed: number | null;
}

export interface Trace {
  records: LayerRecord[];
  output: Tensor;
}

/** This batch's per-channel statistics of a norm layer's input (computed once, on demand). */
export function batchOf(rec: LayerRecord): ChannelStats | null {
  if (rec.batchCache === undefined) rec.batchCache = rec.input ? channelStats(rec.input) : null;
  return rec.batchCache;
}

/**
 * Runs the stack and records every leaf module's output through forward hooks (the way PyTorch
 * tools observe a model), so the trace is the forward itself, whatever the container.
 */
export function tracedForward(root: Module, x: Tensor, withBatchStats = true): Trace {
  const records: LayerRecord[] = [];
  const leaves = [...root.namedModules()].filter(([, m]) => m.children().length === 0);
  const paths = new Map(leaves.map(([p, m]) => [m, p]));
  const removers = leaves.map(([, leaf]) =>
    leaf.registerForwardHook((m, input, output) => {
      const norm = isNorm(m);
      records.push({
        path: paths.get(m)!,
        module: m,
        output,
        input: norm && withBatchStats ? input : null,
        training: m.training,
        // What this forward's decision used (engine/nn/bnDecision.ts), recorded by the forward itself.
        factorUsed: norm ? (m.lastForward?.factorUsed ?? null) : null,
      });
    }),
  );
  try {
    return { records, output: root.call(x) };
  } finally {
    for (const remove of removers) remove();
  }
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
