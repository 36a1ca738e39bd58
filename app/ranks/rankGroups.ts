/**
 * Builds a rank's process groups from the coordinator's init message: the world group (ipc through
 * the coordinator, over the given blocking transport, or gloo through the addon), then every new_group in order.
 */
import { initProcessGroup, destroyProcessGroup } from '../../engine/index.js';
import { IpcProcessGroup, type CollectiveObserver, type SyncTransport } from '../../engine/index.js';
import { GlooProcessGroup } from '../../engine/index.js';
import { glooContextFactory } from './glooAddon.js';
import { FaultyGroup } from './faultyGroup.js';
import type { InitMsg } from './protocol.js';

export interface RankGroups {
  world: FaultyGroup;
  /** One entry per init.subgroups entry: the group when this rank is a member, else null. */
  subgroups: (FaultyGroup | null)[];
  /** The group SyncBatchNorm layers use: the first subgroup containing this rank, else the world. */
  syncGroup: FaultyGroup;
  all: FaultyGroup[];
  resetCallIndices(): void;
  close(): void;
}

export function createRankGroups(init: InitMsg, observer: CollectiveObserver, transport: SyncTransport): RankGroups {
  const worldRanks = Array.from({ length: init.world }, (_, i) => i);
  let world: IpcProcessGroup | GlooProcessGroup;
  if (init.backend === 'ipc') {
    world = new IpcProcessGroup({
      transport,
      globalRank: init.rank,
      ranks: worldRanks,
      name: 'world',
      defaultTimeoutMs: init.timeoutMs,
      observer,
    });
  } else {
    if (!init.gloo) throw new Error('gloo backend needs a rendezvous (storePath or storeHost/storePort)');
    world = new GlooProcessGroup({
      createContext: glooContextFactory(),
      rendezvous: init.gloo,
      globalRank: init.rank,
      ranks: worldRanks,
      name: 'world',
      defaultTimeoutMs: init.timeoutMs,
      observer,
      allReduceAlgorithm: (process.env.NORMSCOPE_GLOO_ALLREDUCE as 'auto' | 'ring' | 'bcube' | undefined) ?? 'auto',
    });
  }
  const inner = [world];
  const subgroups = (init.subgroups ?? []).map((ranks) => {
    const g = world.newGroup(ranks);
    if (g) inner.push(g);
    return g ? new FaultyGroup(g, init.rank) : null;
  });
  const fw = new FaultyGroup(world, init.rank);
  const all = [fw, ...subgroups.filter((g): g is FaultyGroup => g !== null)];
  initProcessGroup(fw);
  return {
    world: fw,
    subgroups,
    syncGroup: subgroups.find((g) => g !== null) ?? fw,
    all,
    resetCallIndices: () => inner.forEach((g) => g.resetCallIndices()),
    close: () => {
      destroyProcessGroup();
      for (const g of inner) if (g instanceof GlooProcessGroup) g.close();
    },
  };
}
