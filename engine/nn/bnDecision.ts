/**
 * The BatchNorm decision — what a forward does with its flags and buffers — as one function that
 * `_BatchNorm.forward` calls and the "why" panel reports (explain.ts). PyTorch 1.13's logic:
 *
 *   counter += 1          when training and tracking and num_batches_tracked is set
 *   bn_training           training, or (running_mean is None and running_var is None)
 *   buffers passed        not training, or tracking
 *   normalize with        batch stats when bn_training, else the running stats
 *   running stats update  when buffers are passed and bn_training
 *
 * Dependency-free, so app/shared can re-export these types for the window.
 */

export interface BatchNormDecision {
  training: boolean;
  trackRunningStats: boolean;
  /** running_mean or running_var is set (PyTorch's bn_training asks whether both are None). */
  buffersPresent: boolean;
  counterIncrements: boolean;
  bnTraining: boolean;
  buffersPassed: boolean;
  normalizesWith: 'batch statistics' | 'running statistics';
  updatesRunningStats: boolean;
}

/** What the last forward of a module did: its decision and the factor its update used (null: none). */
export interface ForwardRecord {
  decision: BatchNormDecision;
  factorUsed: number | null;
}

export interface BatchNormExplanation extends BatchNormDecision {
  momentum: number | null;
  eps: number;
  /** The factor the next forward uses (momentum, or 1/(counter+1) for momentum None; 0 when not updating). */
  nextFactor: number;
  /** The factor the last forward in this mode used (null when it updated nothing or ran in the other mode). */
  factorUsed: number | null;
  /** The configured decay in Keras/TensorFlow terms (their `momentum` = 1 − PyTorch's), in eval too. */
  kerasMomentum: number;
  momentumIsCumulative: boolean;
  /** Channels whose running variance is within 10× of eps, where eps dominates the normalization. */
  epsDominatedChannels: number[];
  /** Every combination of (training, tracking, buffers present), the current one flagged. */
  truthTable: (BatchNormDecision & { current: boolean })[];
}

/** `counterPresent`: num_batches_tracked is set (true for every module built with tracking on). */
export function decide(
  training: boolean,
  trackRunningStats: boolean,
  buffersPresent: boolean,
  counterPresent = buffersPresent,
): BatchNormDecision {
  const bnTraining = training || !buffersPresent;
  const buffersPassed = buffersPresent && (!training || trackRunningStats);
  return {
    training,
    trackRunningStats,
    buffersPresent,
    counterIncrements: training && trackRunningStats && counterPresent,
    bnTraining,
    buffersPassed,
    normalizesWith: bnTraining ? 'batch statistics' : 'running statistics',
    updatesRunningStats: buffersPassed && bnTraining,
  };
}

/** The update factor once the counter reads `counter` (after this forward's increment, if any). */
export function updateFactor(d: BatchNormDecision, momentum: number | null, counter: number): number {
  if (!d.counterIncrements) return momentum ?? 0;
  return momentum === null ? 1 / counter : momentum;
}
