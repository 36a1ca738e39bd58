/**
 * Why a BatchNorm layer did what it did: the seed's decision logic, evaluated for a module's
 * current flags and buffers, as data the window shows (the "why" panel).
 *
 *   counter += 1          when training and tracking (before anything can fail)
 *   factor                momentum, or 1/counter when momentum is None (0.0 when not counting)
 *   bn_training           training, or (running_mean is None and running_var is None)
 *   buffers passed        not training, or tracking
 *   normalize with        batch stats when bn_training, else the running stats
 *   running stats update  when buffers are passed and bn_training
 */
import type { NormBase } from './batchnorm.js';

export interface BatchNormDecision {
  training: boolean;
  trackRunningStats: boolean;
  buffersPresent: boolean;
  counterIncrements: boolean;
  bnTraining: boolean;
  buffersPassed: boolean;
  normalizesWith: 'batch statistics' | 'running statistics';
  updatesRunningStats: boolean;
}

export interface BatchNormExplanation extends BatchNormDecision {
  /** The factor the next forward uses (momentum, or 1/(counter+1) for momentum None; 0 when not updating). */
  nextFactor: number;
  /** The same decay in Keras/TensorFlow terms: their `momentum` = 1 − PyTorch's factor. */
  kerasMomentum: number;
  momentumIsCumulative: boolean;
  /** Channels whose running variance is within 10× of eps, where eps dominates the normalization. */
  epsDominatedChannels: number[];
  /** Every combination of the three inputs, the current one flagged. */
  truthTable: (BatchNormDecision & { current: boolean })[];
}

export function decide(training: boolean, trackRunningStats: boolean, buffersPresent: boolean): BatchNormDecision {
  const bnTraining = training || !buffersPresent;
  const buffersPassed = buffersPresent && (!training || trackRunningStats);
  return {
    training,
    trackRunningStats,
    buffersPresent,
    counterIncrements: training && trackRunningStats && buffersPresent,
    bnTraining,
    buffersPassed,
    normalizesWith: bnTraining ? 'batch statistics' : 'running statistics',
    updatesRunningStats: buffersPassed && bnTraining,
  };
}

export function explainBatchNorm(m: NormBase): BatchNormExplanation {
  const buffersPresent = m.runningMean !== null && m.runningVar !== null;
  const now = decide(m.training, m.trackRunningStats, buffersPresent);
  const counter = m.numBatchesTracked && !m.numBatchesTracked.isUninitialized() ? m.numBatchesTracked.item() : 0;
  let nextFactor = m.momentum ?? 0;
  if (now.counterIncrements && m.momentum === null) nextFactor = 1 / (counter + 1);
  if (!now.updatesRunningStats) nextFactor = 0;
  const eps: number[] = [];
  const rv = m.runningVar;
  if (rv && !rv.isUninitialized()) rv.toArray().forEach((v, c) => v <= 10 * m.eps && eps.push(c));
  const truthTable: (BatchNormDecision & { current: boolean })[] = [];
  for (const training of [true, false]) {
    for (const track of [true, false]) {
      for (const present of [true, false]) {
        const d = decide(training, track, present);
        truthTable.push({ ...d, current: training === m.training && track === m.trackRunningStats && present === buffersPresent });
      }
    }
  }
  return {
    ...now,
    nextFactor,
    kerasMomentum: 1 - nextFactor,
    momentumIsCumulative: m.momentum === null,
    epsDominatedChannels: eps,
    truthTable,
  };
}
