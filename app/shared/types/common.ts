/**
 * Shapes shared by every workspace: tensor summaries, histograms, module trees, app features.
 * Part of the contract: ../contract.ts re-exports every type of this file.
 */

/** Summary numbers of one tensor (computed in float64 on the host). */
export interface TensorSummary {
  shape: number[];
  dtype: string;
  numel: number;
  min: number;
  max: number;
  mean: number;
  std: number;
  /** Count of NaN and of ±inf elements. */
  nan: number;
  inf: number;
}

/** A histogram: `counts[i]` values fell in [edges[i], edges[i+1]). */
export interface Histogram {
  edges: Float64Array;
  counts: Uint32Array;
}

/** A module tree node, as PyTorch's repr shows it. */
export interface ModuleNode {
  /** Dotted path from the root ('' for the root). */
  path: string;
  name: string;
  type: string;
  /** PyTorch's extra_repr, e.g. `32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True`. */
  extra: string;
  children: ModuleNode[];
}

export type FeatureName =
  'stack' | 'stepping' | 'inspect' | 'stateDict' | 'checkpoints' | 'diff' | 'ranks' | 'backends';

export interface FeatureStatus {
  available: boolean;
  /** Why not, in words a person understands; null when available. */
  reason: string | null;
}

export interface AppInfo {
  version: string;
  runtime: 'electron' | 'browser';
  platform: string;
  features: Record<FeatureName, FeatureStatus>;
}
