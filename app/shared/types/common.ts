/**
 * Shapes shared by every workspace: tensor summaries, histograms, module trees, app features.
 * Part of the contract: ../contract.ts re-exports every type of this file.
 */

/** Summary numbers of one tensor with its shape and dtype: the engine's (engine/inspect/summaryTypes.ts). */
export type { ShapedSummary as TensorSummary } from '../../../engine/inspect/summaryTypes.js';

/** A histogram: `counts[i]` values fell in [edges[i], edges[i+1]). */
export interface Histogram {
  edges: Float64Array;
  counts: Uint32Array;
}

/** A module tree as PyTorch's repr reads (the engine's definition, engine/nn/layerSpec.ts). */
export type { ModuleNode } from '../../../engine/nn/layerSpec.js';

export type FeatureName =
  'stack' | 'stepping' | 'inspect' | 'stateDict' | 'checkpoints' | 'diff' | 'ranks' | 'backends' | 'models';

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
