/**
 * Layer inspector: per-channel buffers and statistics, and the "why" panel.
 * Part of the contract: ../contract.ts re-exports every type of this file.
 */
import type { Histogram } from './common.js';

export interface WhyPanel {
  training: boolean;
  trackRunningStats: boolean;
  buffersPresent: boolean;
  /** The seed's `bn_training`: batch statistics normalize when true, running statistics when false. */
  bnTraining: boolean;
  normalizedWith: 'batch statistics' | 'running statistics';
  /** Whether running_mean/var were updated by the last forward. */
  buffersUpdated: boolean;
  momentum: number | null;
  /** The factor actually used by the last update (1/n for momentum None), null when none happened. */
  factorUsed: number | null;
  /** The factor the next forward will use (0 when it will not update). */
  nextFactor: number;
  /** Keras/TF momentum of the next update (weight of the old value): 1 − factor. */
  kerasMomentum: number | null;
  eps: number;
  /** Channels whose running variance is within 10× of eps (eps dominates the normalization). */
  epsDominated: number[];
  /** Where NaN/inf first appeared in the stack during the last forward (module path), else null. */
  firstNonFinite: string | null;
  /** All 8 rows of the truth table over (training, tracking, buffers present). */
  truthTable: Array<{
    training: boolean;
    tracking: boolean;
    buffers: boolean;
    bnTraining: boolean;
    normalizedWith: 'batch statistics' | 'running statistics';
    updatesBuffers: boolean;
    current: boolean;
  }>;
}

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
