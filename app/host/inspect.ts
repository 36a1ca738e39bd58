/**
 * The Layer inspector's data: per-channel parameters and buffers, this batch's statistics, the
 * output histogram, gradient norms, the running-stat timeline, and the "why" panel — the seed's
 * bn_training logic evaluated for this layer, plus the full truth table it comes from.
 */
import { explainBatchNorm } from '../../engine/index.js';
import type { LayerInspection, WhyPanel } from '../shared/contract.js';
import { displayValues, histogram, l2 } from './summary.js';
import { batchOf, type LayerRecord, type NormLike } from './trace.js';

export interface Timeline {
  steps: number[];
  mean: number[];
  var: number[];
}

/**
 * The why panel: the engine's explanation of the decision this layer's forward takes
 * (engine/nn/bnDecision.ts, the function forward calls), passed through as it is, with the factor the
 * traced step used and where NaN/inf first appeared.
 */
export function whyPanel(m: NormLike, rec: LayerRecord | null, firstNonFinite: string | null): WhyPanel {
  const ex = explainBatchNorm(m);
  // The trace's record is the step the window shows (a compare since then ran other forwards).
  const factorUsed = rec && rec.training === m.training ? rec.factorUsed : null;
  return { ...ex, factorUsed, firstNonFinite };
}

export function inspectLayer(
  path: string,
  m: NormLike,
  rec: LayerRecord | null,
  tl: Timeline | null,
  firstNonFinite: string | null,
): LayerInspection {
  const weight = m.weight;
  const batch = rec ? batchOf(rec) : null;
  const bias = m.bias;
  return {
    path,
    type: m.getName(),
    numFeatures: m.numFeatures,
    weight: displayValues(weight),
    bias: displayValues(bias),
    runningMean: displayValues(m.runningMean),
    runningVar: displayValues(m.runningVar),
    numBatchesTracked: m.numBatchesTracked ? m.numBatchesTracked.item() : null,
    batchMean: batch?.mean.slice(0, 1024) ?? null,
    batchVarBiased: batch?.varBiased.slice(0, 1024) ?? null,
    batchVarUnbiased: batch?.varUnbiased.slice(0, 1024) ?? null,
    outputHistogram: rec ? histogram(rec.output) : null,
    gradNorms: { weight: l2(weight?.grad ?? null), bias: l2(bias?.grad ?? null), input: null },
    timeline: {
      steps: Int32Array.from(tl?.steps ?? []),
      meanOfRunningMean: Float64Array.from(tl?.mean ?? []),
      meanOfRunningVar: Float64Array.from(tl?.var ?? []),
    },
    why: whyPanel(m, rec, firstNonFinite),
  };
}
