/**
 * Raw collectives through real rank processes on both backends: results, subgroups (the seed's
 * 0–3 / 4–7 example), mismatched calls, and gloo rendezvous through the TCP store.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { RankCoordinator } from './coordinator.js';
import { testBackends, testModes } from './testSupport.js';
import type { FromRank, RawOp } from './protocol.js';

type Raw = Extract<FromRank, { type: 'rawResult' }>;

function ok(res: (FromRank | Error)[]): Raw[] {
  return res.map((r) => {
    if (r instanceof Error) throw r;
    if (r.type !== 'rawResult' || !r.ok) throw new Error(JSON.stringify(r));
    return r;
  });
}

const started: RankCoordinator[] = [];
async function group(o: ConstructorParameters<typeof RankCoordinator>[0]): Promise<RankCoordinator> {
  const c = new RankCoordinator(o);
  started.push(c);
  await c.start();
  return c;
}
afterAll(async () => {
  await Promise.all(started.map((c) => c.stop()));
});

describe.each(testModes())('collectives over $name', ({ backend, spawner }) => {
  it('all_gather, all_reduce, broadcast and barrier across 3 ranks', async () => {
    const c = await group({ world: 3, backend, spawner, timeoutMs: 20_000 });
    const ops = (r: number): RawOp[] => [
      { op: 'all_gather', data: [r, r * 10, -r], tag: 'g' },
      { op: 'all_reduce', data: [r + 1, 0.5, r * r], tag: 'r' },
      { op: 'broadcast', data: [r * 7, r], src: 2, tag: 'b' },
      { op: 'barrier', data: [] },
      { op: 'all_gather', data: [], tag: 'empty' },
    ];
    const res = ok(await c.raw([0, 1, 2].map(ops)));
    for (const r of res) {
      expect([...r.results[0]!]).toEqual([0, 0, -0, 1, 10, -1, 2, 20, -2]);
      expect([...r.results[1]!]).toEqual([6, 1.5, 5]);
      expect([...r.results[2]!]).toEqual([14, 2]);
      expect(r.results[4]!.length).toBe(0);
    }
    await c.stop();
  });

  it('two groups of four sync only within themselves', async () => {
    const c = await group({
      world: 8,
      backend,
      spawner,
      timeoutMs: 20_000,
      subgroups: [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
      ],
    });
    const res = ok(
      await c.raw(
        Array.from(
          { length: 8 },
          (_, r) =>
            [
              { op: 'all_reduce', data: [r, 1], group: r < 4 ? 0 : 1, tag: 'sub' },
              { op: 'all_gather', data: [r], group: r < 4 ? 0 : 1, tag: 'sub' },
              { op: 'all_reduce', data: [r], tag: 'world' },
            ] as RawOp[],
        ),
      ),
    );
    for (const [r, x] of res.entries()) {
      expect([...x.results[0]!]).toEqual(r < 4 ? [0 + 1 + 2 + 3, 4] : [4 + 5 + 6 + 7, 4]);
      expect([...x.results[1]!]).toEqual(r < 4 ? [0, 1, 2, 3] : [4, 5, 6, 7]);
      expect([...x.results[2]!]).toEqual([28]);
    }
    await c.stop();
  });

  it('reports ranks that make different calls as a mismatch naming the odd rank', async () => {
    const c = await group({ world: 3, backend, spawner, timeoutMs: 5_000 });
    const res = await c.raw(
      [0, 1, 2].map(
        (r) => [{ op: 'all_gather', data: [r], tag: r === 2 ? 'layers.4:forward' : 'layers.1:forward' }] as RawOp[],
      ),
    );
    for (const r of res) {
      if (r instanceof Error || r.type !== 'rawResult') throw new Error('expected a raw result');
      expect(r.ok).toBe(false);
      expect(r.error!.message).toMatch(/collective mismatch/);
      expect(r.error!.message).toContain("rank 2 called all_gather for 'layers.4:forward'");
      expect(r.error!.blamedRank).toBe(2);
    }
    await c.stop();
  });
});

describe.skipIf(!testBackends().includes('gloo'))('gloo rendezvous through the TCP store', () => {
  it('connects ranks through a store address and reduces', async () => {
    const c = await group({ world: 2, backend: 'gloo', rendezvous: 'tcp', timeoutMs: 20_000 });
    const res = ok(await c.raw([0, 1].map((r) => [{ op: 'all_reduce', data: [r + 1] }] as RawOp[])));
    expect(res.map((r) => r.results[0]![0])).toEqual([3, 3]);
    await c.stop();
  });
});

describe.skipIf(!testBackends().includes('gloo'))('gloo all_gather on power-of-two groups (bcube path)', () => {
  it('is exact, signed zeros and non-finite values included', async () => {
    const c = await group({ world: 4, backend: 'gloo', timeoutMs: 20_000 });
    const rows = [
      [-0, 1.5, Infinity],
      [0, -0, NaN],
      [1e-310, -1e308, -0],
      [3, 0.1, -Infinity],
    ];
    const res = ok(await c.raw(rows.map((data) => [{ op: 'all_gather', data, tag: 'exact' }] as RawOp[])));
    for (const r of res) {
      const got = [...r.results[0]!];
      rows.flat().forEach((v, i) => expect(Object.is(got[i], v), `value ${i}: ${got[i]} vs ${v}`).toBe(true));
    }
    await c.stop();
  });
});
