/**
 * Starting a group's local ranks: one process each (its collectives routed to the broker under the
 * rank it really is), the environment they are given, and the init handshake that joins them into the
 * process group, which names the first rank that did not come up.
 */
import type { CollectiveBroker } from './collectiveBroker.js';
import { glooAvailability } from './glooAddon.js';
import type { InitMsg } from './protocol.js';
import { RankProcess, type rankEntryCommand, type RankSpawner } from './rankProcess.js';
import { STORE_SECRET_ENV } from './tcpStore.js';

/** How long a rank may take to start and rendezvous: process start-up plus gloo's collective timeout. */
const INIT_GRACE_MS = 60_000;

/**
 * What the ranks get in their environment beyond this process's: the store secret (never argv, which
 * `ps` shows to every user), and where the gloo addon is (a bundled rank entry cannot find it itself).
 */
export function rankEnvironment(storeSecret: string | null): Record<string, string> {
  const env: Record<string, string> = {};
  if (storeSecret) env[STORE_SECRET_ENV] = storeSecret;
  const addon = glooAvailability();
  if (addon.available && addon.path) env.NORMSCOPE_GLOO_ADDON = addon.path;
  return env;
}

export interface SpawnPlan {
  firstRank: number;
  count: number;
  entry: Awaited<ReturnType<typeof rankEntryCommand>>;
  env: Record<string, string>;
  spawner?: RankSpawner;
}

/** One process per local rank; an exit is told to the broker, marked when the coordinator stopped it. */
export function spawnRanks(plan: SpawnPlan, broker: CollectiveBroker): RankProcess[] {
  return Array.from({ length: plan.count }, (_, i) => {
    const r = plan.firstRank + i;
    const rp = new RankProcess(
      r,
      plan.entry,
      plan.env,
      (rank, how) => {
        if (!rp.killedByCoordinator) broker.rankExited(rank, how);
        else broker.rankExited(rank, `${how} (stopped by the coordinator)`);
      },
      plan.spawner,
    );
    // The sender's rank is the process's, whatever the header claims.
    rp.onCollective = (header, payload) => broker.submit({ ...header, rank: r }, payload);
    return rp;
  });
}

/**
 * Sends every rank its init message and waits for all: null when each is ready, else why the first
 * that is not failed ("rank i failed to start: …"). A rank forked through main (Electron's
 * utilityProcess bridge) has no pid on this side: it takes the one the rank reports about itself.
 */
export async function initRanks(ranks: RankProcess[], init: Omit<InitMsg, 'type' | 'rank'>): Promise<string | null> {
  const replies = await Promise.allSettled(
    ranks.map((rp) => rp.request({ type: 'init', rank: rp.rank, ...init }, INIT_GRACE_MS + init.timeoutMs)),
  );
  const bad = replies.map((r, i) => [r, i] as const).find(([r]) => r.status === 'rejected' || r.value.type !== 'ready');
  if (bad) {
    const [r, i] = bad;
    const why =
      r.status === 'rejected'
        ? (r.reason as Error).message
        : r.value.type === 'failed'
          ? r.value.message
          : r.value.type;
    return `rank ${i} failed to start: ${why}`;
  }
  replies.forEach((r, i) => {
    const rp = ranks[i]!;
    if (r.status === 'fulfilled' && r.value.type === 'ready' && rp.liveness.pid === null) rp.liveness.pid = r.value.pid;
  });
  return null;
}
