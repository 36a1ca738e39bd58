/**
 * What the Ranks workspace shows, per rank and step: local mean/var/count of each SyncBatchNorm
 * layer, the combined statistics, how often each layer synced, every collective's timing, the
 * process id and liveness — checked against statistics computed here from the shards.
 */
import { describe, expect, it } from 'vitest';
import { RankCoordinator } from './coordinator.js';
import { shards } from './testSupport.js';

function stats(rows: number[][], c: number): { mean: number[]; varBiased: number[] } {
  const mean = Array.from({ length: c }, (_, ch) => rows.reduce((a, r) => a + r[ch]!, 0) / rows.length);
  const varBiased = Array.from(
    { length: c },
    (_, ch) => rows.reduce((a, r) => a + (r[ch]! - mean[ch]!) ** 2, 0) / rows.length,
  );
  return { mean, varBiased };
}

describe('rank telemetry', () => {
  it('reports local and combined statistics, call counts, collective timings, pids and liveness', async () => {
    const c = new RankCoordinator({ world: 3, backend: 'ipc', timeoutMs: 30_000 });
    await c.start();
    try {
      await c.build({ dtype: 'float64', layers: [{ type: 'BatchNorm1d', numFeatures: 2 }] });
      const counts = [2, 0, 3];
      const x = shards(counts, [2], 7, 'float64');
      const rep = await c.step({ step: 1, inputs: x });
      expect(rep.error).toBeNull();
      const rows = (r: number) =>
        Array.from({ length: counts[r]! }, (_, i) => [x[r]!.data[2 * i] as number, x[r]!.data[2 * i + 1] as number]);
      const all = stats([0, 1, 2].flatMap(rows), 2);
      const live = c.liveness();
      for (const rk of rep.ranks) {
        const t = rk.telemetry!;
        expect(t.rank).toBe(rk.rank);
        expect(t.pid).toBe(live[rk.rank]!.pid);
        expect(live[rk.rank]!.alive).toBe(true);
        expect(t.layers).toHaveLength(1);
        const l = t.layers[0]!;
        expect(l).toMatchObject({
          name: '0',
          forwardCalls: 1,
          backwardCalls: 1,
          localCount: counts[rk.rank],
          combinedCount: 5,
        });
        const local = counts[rk.rank]! > 0 ? stats(rows(rk.rank), 2) : { mean: [0, 0], varBiased: [0, 0] };
        l.localMean.forEach((v, ch) => expect(v).toBeCloseTo(local.mean[ch]!, 12));
        l.localVar.forEach((v, ch) => expect(v).toBeCloseTo(local.varBiased[ch]!, 12));
        l.combinedMean.forEach((v, ch) => expect(v).toBeCloseTo(all.mean[ch]!, 12));
        l.combinedVar.forEach((v, ch) => expect(v).toBeCloseTo(all.varBiased[ch]!, 12));
        expect(t.collectives.map((k) => `${k.op} ${k.tag}`)).toEqual([
          'all_gather 0:forward',
          'all_reduce 0:backward',
          'all_reduce DataParallel:gradients',
        ]);
        for (const k of t.collectives) {
          expect(k.error).toBeNull();
          expect(k.ms).toBeGreaterThanOrEqual(0);
        }
        expect(t.collectives[0]!.values).toBe(2 * 2 + 1);
      }
    } finally {
      await c.stop();
    }
    expect(c.liveness().every((l) => !l.alive)).toBe(true);
  }, 60_000);
});
