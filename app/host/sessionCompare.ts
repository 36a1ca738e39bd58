/**
 * Stepping's train-vs-eval comparison: the same batch through the stack in train mode and in eval
 * mode, layer by layer, and the first layer whose outputs differ. Nothing changes: the train pass's
 * running-statistics update is undone before the eval pass and again at the end, and the module's
 * mode is put back.
 */
import { noGrad, StateCopy, type Module, type Tensor } from '../../engine/index.js';
import type { CompareResult } from '../shared/contract.js';
import { summarize } from './summary.js';
import { tracedForward } from './trace.js';

/** Outputs within this of each other count as equal (float32 noise between the two passes). */
const SAME_OUTPUT = 1e-6;

export function compareTrainEval(model: Module, x: Tensor): CompareResult {
  const saved = StateCopy.of(model, 'buffers');
  const wasTraining = model.training;
  try {
    const train = noGrad(() => tracedForward(model.train(true), x, false));
    saved.restoreInto(model, { strict: false });
    const ev = noGrad(() => tracedForward(model.train(false), x, false));
    const rows = train.records.map((r, i) => {
      const e = ev.records[i]!;
      let maxAbsDiff = 0;
      for (let k = 0; k < r.output.numel(); k++)
        maxAbsDiff = Math.max(maxAbsDiff, Math.abs(r.output.getFlat(k) - e.output.getFlat(k)));
      return {
        path: r.path,
        type: r.module.getName(),
        train: summarize(r.output),
        eval: summarize(e.output),
        maxAbsDiff,
      };
    });
    // NaN differences count as divergent (hence not `> SAME_OUTPUT`).
    const first = rows.find((r) => !(r.maxAbsDiff <= SAME_OUTPUT));
    return { rows, firstDivergent: first ? first.path : null };
  } finally {
    saved.restoreInto(model, { strict: false });
    model.train(wasTraining);
  }
}
