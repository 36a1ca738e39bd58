/**
 * The Ranks workspace in the host: the built stack (with SyncBatchNorm layers) runs as W real rank
 * processes through app/ranks' coordinator (the `ipc` process group), each rank fed its shard of the
 * session's batch (shards may be empty). Lanes show each rank's local statistics, the combined ones,
 * collective call counts and timings, and liveness; a rank can be killed and the group restarted.
 */
import { RankCoordinator, type StepReport } from '../ranks/coordinator.js';
import type { RankSpawner } from '../ranks/rankProcess.js';
import type { WireTensor } from '../ranks/protocol.js';
import { evenShards, splitRows } from '../ranks/shards.js';
import type { RankLane, RanksState } from '../shared/contract.js';
import type { StackSpec } from '../shared/stackSpec.js';

export interface RankInputs {
  spec: StackSpec;
  shape: number[];
  data: Float32Array;
  seed: number;
  lr: number;
}

const EMPTY: RanksState = {
  running: false,
  worldSize: 0,
  step: 0,
  lanes: [],
  combinedMean: null,
  combinedVar: null,
  lastError: null,
  layer: null,
  shards: [],
  subgroups: [],
};

export class RanksService {
  private c: RankCoordinator | null = null;
  private state: RanksState = EMPTY;
  private inputs: WireTensor[] = [];

  constructor(
    private readonly onChange: (s: RanksState) => void,
    private readonly spawner?: RankSpawner,
  ) {}

  private set(s: RanksState): RanksState {
    this.state = s;
    this.onChange(s);
    return s;
  }

  snapshot(): RanksState {
    if (!this.c) return this.state;
    const live = this.c.liveness();
    return {
      ...this.state,
      lanes: this.state.lanes.map((l) => ({
        ...l,
        pid: live[l.rank]?.pid ?? l.pid,
        alive: live[l.rank]?.alive ?? false,
        error: l.error ?? (live[l.rank]?.alive ? null : (live[l.rank]?.ended ?? 'not running')),
      })),
    };
  }

  async start(worldSize: number, shards: number[], subgroups: number[][], inp: RankInputs): Promise<RanksState> {
    await this.stop();
    const N = inp.shape[0]!;
    const counts = shards.length ? shards : evenShards(N, worldSize);
    if (counts.length !== worldSize)
      throw new RangeError(`give one shard size per rank: ${counts.length} sizes for a world of ${worldSize}`);
    const total = counts.reduce((a, b) => a + b, 0);
    if (total !== N)
      throw new RangeError(`shard sizes add up to ${total} but the batch has ${N} samples (set the batch in Stepping)`);
    this.inputs = splitRows(inp.data, inp.shape, counts, 'float32');
    const c = new RankCoordinator({
      world: worldSize,
      backend: 'ipc',
      timeoutMs: 5000,
      ...(this.spawner ? { spawner: this.spawner } : {}),
      ...(subgroups.length ? { subgroups } : {}),
    });
    this.c = c;
    try {
      await c.start();
      const layers = await c.build(inp.spec, { seed: inp.seed, lr: inp.lr });
      if (layers.length === 0)
        throw new RangeError(
          'the stack has no SyncBatchNorm layer: convert it in the Stack builder (Convert to SyncBatchNorm…) and build again',
        );
      const lanes: RankLane[] = counts.map((count, rank) => ({
        rank,
        pid: c.liveness()[rank]?.pid ?? null,
        alive: true,
        count,
        localMean: null,
        localVar: null,
        combinedMean: null,
        collectiveCalls: 0,
        collectiveMs: 0,
        error: null,
      }));
      return this.set({
        running: true,
        worldSize,
        step: 0,
        lanes,
        combinedMean: null,
        combinedVar: null,
        lastError: null,
        layer: layers[0]!,
        shards: counts,
        subgroups,
      });
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  private need(): RankCoordinator {
    if (!this.c) throw new RangeError('no ranks are running: start them first');
    return this.c;
  }

  async step(): Promise<RanksState> {
    const c = this.need();
    const step = this.state.step + 1;
    let rep: StepReport;
    try {
      rep = await c.step({ step, inputs: this.inputs });
    } catch (e) {
      return this.set({ ...this.snapshot(), lastError: (e as Error).message });
    }
    const layer = this.state.layer;
    const lanes = rep.ranks.map((r) => {
      const lt = r.telemetry?.layers.find((l) => l.name === layer) ?? r.telemetry?.layers[0];
      const prev = this.state.lanes[r.rank];
      return {
        rank: r.rank,
        pid: c.liveness()[r.rank]?.pid ?? prev?.pid ?? null,
        alive: r.alive,
        count: r.count,
        localMean: lt ? Float32Array.from(lt.localMean) : (prev?.localMean ?? null),
        localVar: lt ? Float32Array.from(lt.localVar) : (prev?.localVar ?? null),
        combinedMean: lt ? Float32Array.from(lt.combinedMean) : (prev?.combinedMean ?? null),
        collectiveCalls: (prev?.collectiveCalls ?? 0) + (r.telemetry?.collectives.length ?? 0),
        collectiveMs: (prev?.collectiveMs ?? 0) + (r.telemetry?.collectives.reduce((a, t) => a + t.ms, 0) ?? 0),
        error: r.error,
      };
    });
    const any = rep.ranks.find((r) => r.telemetry)?.telemetry?.layers.find((l) => l.name === layer);
    return this.set({
      ...this.state,
      step: rep.ok ? step : this.state.step,
      lanes,
      combinedMean: any ? Float32Array.from(any.combinedMean) : this.state.combinedMean,
      combinedVar: any ? Float32Array.from(any.combinedVar) : this.state.combinedVar,
      // The coordinator's error already starts with `step N failed: …`; say only what the host adds.
      lastError: rep.ok ? null : `${rep.error} (rolled back on every rank)`,
    });
  }

  kill(rank: number): RanksState {
    const c = this.need();
    if (rank >= c.world) throw new RangeError(`no rank ${rank} in a world of ${c.world}`);
    c.killRank(rank);
    const lanes = this.state.lanes.map((l) =>
      l.rank === rank ? { ...l, alive: false, error: 'killed from the window' } : l,
    );
    return this.set({ ...this.state, lanes });
  }

  async restart(): Promise<RanksState> {
    const c = this.need();
    await c.restart();
    // Restarting respawns every rank: new processes, new pids.
    const live = c.liveness();
    const lanes = this.state.lanes.map((l) => ({
      ...l,
      pid: live[l.rank]?.pid ?? null,
      alive: live[l.rank]?.alive ?? true,
      error: null,
    }));
    return this.set({ ...this.state, lanes, lastError: null });
  }

  async stop(): Promise<RanksState> {
    const c = this.c;
    this.c = null;
    if (c) await c.stop();
    return this.set({ ...this.state, running: false, lanes: this.state.lanes.map((l) => ({ ...l, alive: false })) });
  }
}
