/**
 * Layer inspector: per-channel buffers and statistics, and the "why" panel.
 * Part of the contract: ../contract.ts re-exports every type of this file.
 */
import type { Histogram } from './common.js';
import type { BatchNormExplanation } from '../../../engine/nn/bnDecision.js';

/** The engine's explanation of a BatchNorm layer's decision (engine/nn/bnDecision.ts), as it is. */
export type WhyPanel = BatchNormExplanation & {
  /** Where NaN/inf first appeared in the stack during the last forward (module path), else null. */
  firstNonFinite: string | null;
};

export interface LayerInspection {
  path: string;
  type: string;
  numFeatures: number;
  weight: Float32Array | null;
  bias: Float32Array | null;
  runningMean: Float32Array | null;
  runningVar: Float32Array | null;
  numBatchesTracked: number | null;
  /** This batch's statistics from the last forward (null before any forward). */
  batchMean: Float32Array | null;
  batchVarBiased: Float32Array | null;
  batchVarUnbiased: Float32Array | null;
  outputHistogram: Histogram | null;
  gradNorms: { weight: number | null; bias: number | null; input: number | null };
  /** Running-stat history, one row per step: the mean over channels of running_mean and running_var. */
  timeline: { steps: Int32Array; meanOfRunningMean: Float64Array; meanOfRunningVar: Float64Array };
  why: WhyPanel;
}
