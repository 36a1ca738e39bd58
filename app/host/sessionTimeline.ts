/**
 * Stepping's running-statistics timelines: per BatchNorm path, the mean over channels of running_mean
 * and running_var after each step (the Layer inspector's chart). The first MAX_TIMELINE steps are
 * kept; a rollback drops the points recorded after the snapshot it goes back to.
 */
import type { Timeline } from './inspect.js';
import { summarize } from './summary.js';
import { isNorm, type Trace } from './trace.js';

export const MAX_TIMELINE = 5000;

export class StepTimelines {
  private readonly byPath = new Map<string, Timeline>();

  /** One point per norm layer of the trace that tracks running statistics. */
  record(trace: Trace, step: number): void {
    for (const r of trace.records) {
      if (!isNorm(r.module) || !r.module.runningMean || !r.module.runningVar) continue;
      let tl = this.byPath.get(r.path);
      if (!tl) this.byPath.set(r.path, (tl = { steps: [], mean: [], var: [] }));
      if (tl.steps.length >= MAX_TIMELINE) continue;
      tl.steps.push(step);
      tl.mean.push(summarize(r.module.runningMean).mean ?? NaN);
      tl.var.push(summarize(r.module.runningVar).mean ?? NaN);
    }
  }

  get(path: string): Timeline | null {
    return this.byPath.get(path) ?? null;
  }

  /** Drops the points of steps after `step` (the buffers went back to that step). */
  dropAfter(step: number): void {
    for (const tl of this.byPath.values()) {
      let k = tl.steps.length;
      while (k > 0 && tl.steps[k - 1]! > step) k--;
      tl.steps.length = tl.mean.length = tl.var.length = k;
    }
  }

  clear(): void {
    this.byPath.clear();
  }
}
