/**
 * Ranks on several machines, simulated on one: two coordinators (as if on two hosts) each run two of
 * the four gloo ranks and meet through one TCP store; every collective crosses between them over
 * gloo's TCP transport. The result must equal plain BatchNorm over the whole batch, and both halves
 * must end with identical states.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { RankCoordinator } from './coordinator.js';
import { TcpStoreServer } from './tcpStore.js';
import { concatWire, maxAbsDiff, shards, testBackends } from './testSupport.js';
import { stateHash } from './wire.js';
import { BatchNorm1d } from '../../engine/testing.js';
import { Tensor } from '../../engine/testing.js';
import type { StackSpec } from '../../engine/index.js';

const nodes: RankCoordinator[] = [];
let store: TcpStoreServer | null = null;
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await store?.close();
});

describe.skipIf(!testBackends().includes('gloo'))('gloo ranks split over two coordinators (several machines)', () => {
  it('syncs across both halves through a TCP store and matches BatchNorm on the whole batch', async () => {
    // The secret every node is given (normscope ranks reads it from NORMSCOPE_STORE_SECRET).
    const storeSecret = randomBytes(16).toString('hex');
    store = await TcpStoreServer.listen('127.0.0.1', 0, storeSecret);
    const { host, port } = store.address;
    const mk = (firstRank: number) =>
      new RankCoordinator({
        world: 4,
        backend: 'gloo',
        rendezvous: 'tcp',
        storeHost: host,
        storePort: port,
        serveStore: false,
        storeSecret,
        firstRank,
        localRanks: 2,
        timeoutMs: 30_000,
      });
    const a = mk(0);
    const b = mk(2);
    nodes.push(a, b);
    await Promise.all([a.start(), b.start()]);
    const spec: StackSpec = { dtype: 'float64', layers: [{ type: 'BatchNorm1d', numFeatures: 4, momentum: 0.2 }] };
    await Promise.all([a.build(spec, { seed: 1 }), b.build(spec, { seed: 1 })]);
    const x = shards([3, 0, 2, 5], [4], 17, 'float64');
    const g = shards([3, 0, 2, 5], [4], 18, 'float64');
    const [ra, rb] = await Promise.all([
      a.step({ step: 1, inputs: x.slice(0, 2), gradOutputs: g.slice(0, 2), returnOutputs: true, noOptimizer: true }),
      b.step({ step: 1, inputs: x.slice(2), gradOutputs: g.slice(2), returnOutputs: true, noOptimizer: true }),
    ]);
    expect(ra.error).toBeNull();
    expect(rb.error).toBeNull();
    expect(rb.ranks.map((r) => r.rank)).toEqual([2, 3]);
    expect(stateHash(a.hostState!)).toBe(stateHash(b.hostState!));

    const xc = concatWire(x);
    const gc = concatWire(g);
    const bn = new BatchNorm1d(4, { momentum: 0.2, dtype: 'float64' });
    bn.train();
    const xt = new Tensor(Float64Array.from(xc.data), xc.shape, 'float64', true);
    const y = bn.forward(xt);
    y.backward(new Tensor(Float64Array.from(gc.data), gc.shape, 'float64'));
    const ys = [...ra.ranks, ...rb.ranks].flatMap((r) => [...(r.outputs!.y.data as Float64Array)]);
    const dxs = [...ra.ranks, ...rb.ranks].flatMap((r) => [...(r.outputs!.inputGrad!.data as Float64Array)]);
    expect(maxAbsDiff(ys, y.data as Float64Array)).toBeLessThan(1e-10);
    expect(maxAbsDiff(dxs, xt.grad!.data as Float64Array)).toBeLessThan(1e-10);
    const rm = new Map(a.hostState!.entries).get('0.running_mean')!.data as Float64Array;
    expect(maxAbsDiff(rm, bn.runningMean!.data as Float64Array)).toBeLessThan(1e-12);
  }, 120_000);
});
