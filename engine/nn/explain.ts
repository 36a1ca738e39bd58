/**
 * Why a BatchNorm layer did what it did: the decision its forward takes (bnDecision.ts, the function
 * forward itself calls), evaluated for a module's current flags and buffers, plus what its last
 * forward recorded, as data the window shows (the "why" panel).
 */
import type { NormBase } from './batchnorm.js';
import { decide, updateFactor, type BatchNormDecision, type BatchNormExplanation } from './bnDecision.js';

export { decide, updateFactor, type BatchNormDecision, type BatchNormExplanation } from './bnDecision.js';

export function explainBatchNorm(m: NormBase): BatchNormExplanation {
  const now = m.decision();
  const counter = m.numBatchesTracked && !m.numBatchesTracked.isUninitialized() ? m.numBatchesTracked.item() : 0;
  const nextFactor = now.updatesRunningStats
    ? updateFactor(now, m.momentum, now.counterIncrements ? counter + 1 : counter)
    : 0;
  const last = m.lastForward;
  const factorUsed = last && last.decision.training === m.training ? last.factorUsed : null;
  const eps: number[] = [];
  const rv = m.runningVar;
  if (rv && !rv.isUninitialized()) rv.toArray().forEach((v, c) => v <= 10 * m.eps && eps.push(c));
  const truthTable: (BatchNormDecision & { current: boolean })[] = [];
  for (const training of [true, false]) {
    for (const track of [true, false]) {
      for (const present of [true, false]) {
        const d = decide(training, track, present);
        const current = training === m.training && track === m.trackRunningStats && present === now.buffersPresent;
        truthTable.push({ ...d, current });
      }
    }
  }
  return {
    ...now,
    momentum: m.momentum,
    eps: m.eps,
    nextFactor,
    factorUsed,
    // The module's setting in Keras terms, whatever the mode: in eval nothing updates (nextFactor 0), but the
    // decay the layer is configured with is still 1 − momentum (for None: what the next train step would use).
    kerasMomentum: 1 - (m.momentum ?? 1 / (counter + 1)),
    momentumIsCumulative: m.momentum === null,
    epsDominatedChannels: eps,
    truthTable,
  };
}
