import { describe, expect, it } from 'vitest';
import type { FromRank, ToRankBody } from './protocol.js';
import { initRanks, rankEnvironment } from './rankLaunch.js';
import type { RankProcess } from './rankProcess.js';

/** A rank process that answers init as told (no process is started). */
function fakeRank(rank: number, answer: () => Promise<FromRank>, pid: number | null = null) {
  const sent: ToRankBody[] = [];
  const rp = {
    rank,
    liveness: { rank, pid, alive: true, ended: null, lastMessageAt: 0 },
    request: (msg: ToRankBody) => (sent.push(msg), answer()),
  };
  return { rp: rp as unknown as RankProcess, sent };
}

const ready = (pid: number) => async () => ({ type: 'ready', id: 1, pid }) as unknown as FromRank;
const init = { world: 2, backend: 'ipc' as const, timeoutMs: 1000, gloo: undefined, subgroups: undefined };

describe('rank launch', () => {
  it('passes the store secret in the environment, never empty', () => {
    expect(rankEnvironment('s3cret-s3cret-s3cret')).toMatchObject({ NORMSCOPE_STORE_SECRET: 's3cret-s3cret-s3cret' });
    expect(rankEnvironment(null)).not.toHaveProperty('NORMSCOPE_STORE_SECRET');
  });

  it('init: every rank gets its own message; pids the bridge could not see come from the ranks', async () => {
    const a = fakeRank(0, ready(11), 500);
    const b = fakeRank(1, ready(12));
    expect(await initRanks([a.rp, b.rp], init)).toBeNull();
    expect(a.sent).toEqual([{ type: 'init', rank: 0, ...init }]);
    expect(b.sent[0]).toMatchObject({ type: 'init', rank: 1 });
    expect(a.rp.liveness.pid).toBe(500); // its own process's pid stays
    expect(b.rp.liveness.pid).toBe(12);
  });

  it('init: names the first rank that did not come up and why', async () => {
    const ok = fakeRank(0, ready(1));
    const failed = fakeRank(1, async () => ({ type: 'failed', id: 1, message: 'gloo: connect refused' }) as FromRank);
    const crashed = fakeRank(2, () => Promise.reject(new Error('rank 2 exited with code 1')));
    expect(await initRanks([ok.rp, failed.rp, crashed.rp], init)).toBe('rank 1 failed to start: gloo: connect refused');
    expect(await initRanks([ok.rp, crashed.rp], init)).toBe('rank 1 failed to start: rank 2 exited with code 1');
  });
});
