/**
 * The Models workspace's running-statistics timelines: per BatchNorm, the mean over channels of
 * running_mean and running_var after each pass or training step (the Layer inspector's chart), the
 * newest MAX_TIMELINE points kept.
 */
import type { GraphModule, Tensor } from '../../engine/index.js';
import type { Timeline } from './inspect.js';

export const MAX_TIMELINE = 5000;

export interface TimelinePoint {
  layer: string;
  step: number;
  mean: number;
  var: number;
}

const mean = (t: Tensor | null): number => {
  if (!t || t.numel() === 0) return NaN;
  let s = 0;
  for (let i = 0; i < t.numel(); i++) s += t.getFlat(i);
  return s / t.numel();
};

/** Each BatchNorm's mean running_mean and running_var now, as the timelines' point for `step`. */
export function timelinePoints(model: GraphModule, step: number): TimelinePoint[] {
  return model.batchNormLayers().map(({ name, module: m }) => ({
    layer: name,
    step,
    mean: mean(m.runningMean),
    var: mean(m.runningVar),
  }));
}

/** Appends points, then drops each timeline's oldest beyond MAX_TIMELINE (once, not per point). */
export function recordTimelines(timelines: Map<string, Timeline>, points: readonly TimelinePoint[]): void {
  for (const p of points) {
    const tl = timelines.get(p.layer) ?? { steps: [], mean: [], var: [] };
    tl.steps.push(p.step);
    tl.mean.push(p.mean);
    tl.var.push(p.var);
    timelines.set(p.layer, tl);
  }
  for (const tl of timelines.values()) {
    const extra = tl.steps.length - MAX_TIMELINE;
    if (extra > 0) for (const a of [tl.steps, tl.mean, tl.var]) a.splice(0, extra);
  }
}

/**
 * Points of a run that may still be cancelled (kept aside, recorded only when it finishes). Bounded:
 * past twice what a timeline keeps, the oldest are dropped in one go, so each step costs O(1) amortized.
 */
export class PendingTimelines {
  private list: TimelinePoint[] = [];

  add(points: readonly TimelinePoint[]): void {
    this.list.push(...points);
    const keep = MAX_TIMELINE * Math.max(1, points.length);
    if (this.list.length > 2 * keep) this.list = this.list.slice(this.list.length - keep);
  }

  points(): readonly TimelinePoint[] {
    return this.list;
  }
}
