/** The ranks slice: SyncBatchNorm ranks as worker processes (start, step, kill, restart, stop). */
import type { RanksState } from '../../../../app/shared/contract';
import type { SliceKit } from '../kit';

export interface RanksSlice {
  ranks: RanksState | null;
  ranksError: string | null;
  ranksBusy: boolean;
  startRanks(worldSize: number, shards: number[], subgroups: number[][]): Promise<void>;
  stepRanks(): Promise<void>;
  killRank(rank: number): Promise<void>;
  restartRanks(): Promise<void>;
  stopRanks(): Promise<void>;
}

export function ranksSlice({ set, get, attempt, client }: SliceKit): RanksSlice {
  /** Long rank calls mark the slice busy; a failed one keeps the last state and shows the error. */
  const busy = async (call: () => Promise<RanksState>) => {
    set({ ranksBusy: true });
    const r = await attempt('ranksError', call);
    set({ ranksBusy: false, ranks: r ?? get().ranks });
  };
  const quick = async (call: () => Promise<RanksState>) => {
    const r = await attempt('ranksError', call);
    if (r) set({ ranks: r });
  };
  return {
    ranks: null,
    ranksError: null,
    ranksBusy: false,
    startRanks: (worldSize, shards, subgroups) =>
      busy(() => client.call('ranks.start', { worldSize, shards, subgroups })),
    stepRanks: () => busy(() => client.call('ranks.step', {})),
    killRank: (rank) => quick(() => client.call('ranks.kill', { rank })),
    restartRanks: () => busy(() => client.call('ranks.restart', {})),
    stopRanks: () => quick(() => client.call('ranks.stop', {})),
  };
}
