import { describe, expect, it } from 'vitest';
import { createHandlers } from './handlers.js';
import { testHostContext } from './testing/testHost.js';

const ctx = testHostContext;

describe('ranks workspace in the host', () => {
  it('runs 4 rank processes with an empty shard, fails the step when one is killed, recovers after restart', async () => {
    const h = await createHandlers(ctx());
    await h['stack.build']({
      spec: {
        layers: [
          { type: 'Linear', inFeatures: 4, outFeatures: 3 },
          { type: 'SyncBatchNorm', numFeatures: 3 },
        ],
      },
      inputShape: [8, 4],
      seed: 0,
    });
    try {
      const s = await h['ranks.start']({ worldSize: 4, shards: [3, 3, 0, 2], subgroups: [] });
      expect(s.layer).toBe('1');
      const a = await h['ranks.step']({});
      expect(a.lastError).toBeNull();
      expect(a.step).toBe(1);
      expect(a.lanes.map((l) => l.count)).toEqual([3, 3, 0, 2]);
      expect(a.combinedMean).toHaveLength(3);
      await h['ranks.kill']({ rank: 2 });
      const b = await h['ranks.step']({});
      expect(b.step).toBe(1);
      expect(b.lastError).toMatch(/rank 2/);
      const r = await h['ranks.restart']({});
      // Issue 15 item 7: the lanes name the respawned processes, not the old pids.
      const oldPids = s.lanes.map((l) => l.pid);
      expect(oldPids.every((p) => typeof p === 'number')).toBe(true);
      const newPids = r.lanes.map((l) => l.pid);
      expect(newPids.every((p) => typeof p === 'number' && !oldPids.includes(p))).toBe(true);
      const c = await h['ranks.step']({});
      expect(c.lastError).toBeNull();
      expect(c.step).toBe(2);
      expect(c.lanes.map((l) => l.pid)).toEqual(newPids);
    } finally {
      await h['ranks.stop']({});
    }
  }, 120_000);

  it('syncs within subgroups [0,1] and [2,3]', async () => {
    const h = await createHandlers(ctx());
    await h['stack.build']({
      spec: { layers: [{ type: 'SyncBatchNorm', numFeatures: 2 }] },
      inputShape: [8, 2],
      seed: 0,
    });
    try {
      await h['ranks.start']({
        worldSize: 4,
        shards: [2, 2, 2, 2],
        subgroups: [
          [0, 1],
          [2, 3],
        ],
      });
      const s = await h['ranks.step']({});
      expect(s.lastError).toBeNull();
      expect(s.subgroups).toEqual([
        [0, 1],
        [2, 3],
      ]);
    } finally {
      await h['ranks.stop']({});
    }
  }, 120_000);
});
