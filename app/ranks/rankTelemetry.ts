/**
 * Per-step telemetry of one rank: every collective's timing (from the groups' observer) and, per
 * SyncBatchNorm layer, the local and combined statistics and how often the layer synced (from the
 * engine's SyncBatchNorm observer). The Ranks workspace and `normscope ranks` show it.
 */
import type { SyncEvent } from '../../engine/index.js';
import type { CollectiveObserver } from '../../engine/index.js';
import type { CollectiveTiming, LayerTelemetry, RankTelemetry } from './protocol.js';

export class TelemetryRecorder {
  private collectives: CollectiveTiming[] = [];
  private layers = new Map<string, LayerTelemetry>();
  private t0 = performance.now();

  constructor(private readonly rank: number) {}

  readonly onCollective: CollectiveObserver = (e) => {
    this.collectives.push({
      group: e.group,
      op: e.call.op,
      tag: e.call.tag,
      callIndex: e.call.callIndex,
      values: e.call.length,
      ms: e.ms,
      error: e.error,
    });
  };

  readonly onSync = (e: SyncEvent): void => {
    let l = this.layers.get(e.tag);
    if (!l) {
      l = {
        name: e.tag,
        forwardCalls: 0,
        backwardCalls: 0,
        localCount: 0,
        localMean: [],
        localVar: [],
        combinedMean: [],
        combinedVar: [],
        combinedCount: 0,
        forwardMs: 0,
        backwardMs: 0,
      };
      this.layers.set(e.tag, l);
    }
    if (e.phase === 'forward') {
      l.forwardCalls++;
      l.forwardMs += e.collectiveMs;
      l.localCount = e.localCount;
      l.localMean = e.localMean ? [...e.localMean] : [];
      l.localVar = e.localVar ? [...e.localVar] : [];
      if (e.combined) {
        l.combinedMean = [...e.combined.mean];
        l.combinedVar = [...e.combined.varBiased];
        l.combinedCount = e.combined.count;
      }
    } else {
      l.backwardCalls++;
      l.backwardMs += e.collectiveMs;
    }
  };

  /** Starts a new step's record. */
  reset(): void {
    this.collectives = [];
    this.layers = new Map();
    this.t0 = performance.now();
  }

  snapshot(): RankTelemetry {
    return {
      rank: this.rank,
      pid: process.pid,
      stepMs: performance.now() - this.t0,
      layers: [...this.layers.values()],
      collectives: this.collectives,
    };
  }
}
