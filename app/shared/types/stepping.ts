/**
 * Stepping: input generation, step and run results, train/eval comparison, session state.
 * Part of the contract: ../contract.ts re-exports every type of this file.
 */
import type { TensorSummary } from './common.js';

export type Distribution = 'normal' | 'uniform';

export interface InputConfig {
  /** Batch shape, e.g. [256, 16]; the first dimension is the batch. */
  shape: number[];
  distribution: Distribution;
  mean: number;
  std: number;
  /** Channel c gets `c * channelShift` added (dim 1 is the channel dim). */
  channelShift: number;
  seed: number;
}

/** A small per-layer record of one forward pass. */
export interface LayerTrace {
  path: string;
  type: string;
  output: TensorSummary;
  /** For BatchNorm layers after this pass: running stats (null when not tracked). */
  runningMean: Float32Array | null;
  runningVar: Float32Array | null;
  numBatchesTracked: number | null;
}

export interface StepResult {
  step: number;
  mode: 'train' | 'eval';
  kind: 'forward' | 'train';
  loss: number | null;
  layers: LayerTrace[];
  elapsedMs: number;
}

export interface RunResult {
  stepsDone: number;
  cancelled: boolean;
  last: StepResult | null;
  /** Loss of every step run (NaN where no loss). */
  losses: Float64Array;
  stepsPerSecond: number;
}

export interface CompareRow {
  path: string;
  type: string;
  train: TensorSummary;
  eval: TensorSummary;
  maxAbsDiff: number;
}

export interface CompareResult {
  rows: CompareRow[];
  /** Path of the first layer whose train and eval outputs differ beyond 1e-6, else null. */
  firstDivergent: string | null;
}

export interface SessionState {
  built: boolean;
  step: number;
  training: boolean;
  input: InputConfig | null;
  snapshots: number;
  lastLoss: number | null;
}
