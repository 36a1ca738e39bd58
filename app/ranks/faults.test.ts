/**
 * Fault scenarios on both backends, W = 4, two SyncBatchNorm layers ('1' and '4'):
 * a rank killed in the middle of a collective, a rank that exits, a rank that sleeps past the
 * collective timeout, and a rank that skips a SyncBatchNorm layer (the classic hang). Each must fail
 * the step on every rank with an error naming the rank and the layer, leave the host state and every
 * surviving rank's state exactly as before the step, and leave a group that restarts and steps again.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { RankCoordinator } from './coordinator.js';
import { shards, testModes } from './testSupport.js';
import { stateHash } from './wire.js';
import type { FaultPlan } from './protocol.js';
import type { StackSpec } from '../../engine/index.js';

// Long enough that a healthy collective never times out on a loaded 2-core CI machine.
const TIMEOUT_MS = 4000;
const SPEC: StackSpec = {
  layers: [
    { type: 'Linear', inFeatures: 4, outFeatures: 6 },
    { type: 'BatchNorm1d', numFeatures: 6 },
    { type: 'ReLU' },
    { type: 'Linear', inFeatures: 6, outFeatures: 3 },
    { type: 'BatchNorm1d', numFeatures: 3, momentum: null },
  ],
};
const COUNTS = [3, 2, 0, 4];

interface Scenario {
  name: string;
  fault: FaultPlan;
  rank: number;
  expect: RegExp[];
  /** Give this rank a shard of the wrong width, so its forward raises before any collective. */
  badShard?: number;
  /** Kill this rank from outside this many ms into the step (it is then blocked in a collective). */
  killAfterMs?: [number, number];
}

const SCENARIOS: Scenario[] = [
  {
    name: 'a rank killed as it enters a collective',
    fault: { rank: 2, kind: 'crash', layer: '4' },
    rank: 2,
    expect: [/rank 2/, /'4:forward'/],
  },
  {
    // Rank 1 stalls, so rank 2 is blocked inside the all_gather when it is killed.
    name: 'a rank killed while blocked in a collective',
    fault: { rank: 1, kind: 'sleep', layer: '1', ms: TIMEOUT_MS * 2 },
    killAfterMs: [2, 800],
    rank: 2,
    expect: [/rank 2 was killed by signal SIGKILL/, /'1:forward'/],
  },
  {
    name: 'a rank that exits',
    fault: { rank: 0, kind: 'exit', layer: '1' },
    rank: 0,
    expect: [/rank 0/, /exited with code 3/],
  },
  {
    name: 'a rank sleeping past the timeout',
    fault: { rank: 1, kind: 'sleep', layer: '1', ms: TIMEOUT_MS * 2 },
    rank: 1,
    expect: [/rank 1/, /'1:forward'/],
  },
  {
    name: 'a rank raising an exception before a collective',
    fault: { rank: 2, kind: 'sleep', ms: 0 },
    badShard: 2,
    rank: 2,
    expect: [/rank 2/, /mat1 and mat2|shape/],
  },
  {
    name: 'a rank skipping a SyncBatchNorm layer',
    fault: { rank: 3, kind: 'skip', layer: '4' },
    rank: 3,
    expect: [/rank 3/, /different number of times/],
  },
];

const groups: RankCoordinator[] = [];
afterAll(async () => {
  await Promise.all(groups.map((g) => g.stop()));
});

describe.each(testModes())('faults over $name', ({ name: mode, backend, spawner }) => {
  // The channel data plane shares everything but the transport with ipc: its two riskiest faults suffice.
  const scenarios = spawner
    ? SCENARIOS.filter((s) => s.name.includes('blocked') || s.name.includes('exits'))
    : SCENARIOS;
  it.each(scenarios)(
    '$name',
    async (sc) => {
      const c = new RankCoordinator({ world: 4, backend, spawner, timeoutMs: TIMEOUT_MS });
      groups.push(c);
      await c.start();
      await c.build(SPEC, { seed: 5, lr: 0.1 });
      const first = await c.step({ step: 1, inputs: shards(COUNTS, [4], 1) });
      expect(first.error).toBeNull();
      const before = stateHash(c.hostState!);
      expect(first.ranks.every((r) => r.stateHash === before)).toBe(true);

      const t0 = Date.now();
      const killer = sc.killAfterMs ? setTimeout(() => c.killRank(sc.killAfterMs![0]), sc.killAfterMs[1]) : null;
      const inputs = shards(COUNTS, [4], 2);
      if (sc.badShard !== undefined) inputs[sc.badShard] = shards([1], [5], 9)[0]!;
      const rep = await c.step({ step: 2, inputs, fault: sc.fault });
      if (killer) clearTimeout(killer);
      const took = Date.now() - t0;
      console.log(`[faults ${mode}] ${sc.name}: failed in ${took} ms: ${rep.error}`);
      expect(rep.ok).toBe(false);
      for (const re of rep.ranks) expect(re.ok, `rank ${re.rank} must fail too`).toBe(false);
      for (const re of sc.expect) expect(rep.error).toMatch(re);
      expect(rep.blamedRank).toBe(sc.rank);
      // Rolled back: the host never took the failed step, and every surviving rank restored its snapshot.
      expect(stateHash(c.hostState!)).toBe(before);
      const states = await c.states();
      for (const [r, st] of states.entries()) {
        if (st) expect(stateHash(st), `rank ${r} state after rollback`).toBe(before);
      }
      if (!rep.usable) await c.restart();
      const again = await c.step({ step: 3, inputs: shards(COUNTS, [4], 3) });
      expect(again.error).toBeNull();
      expect(again.statesIdentical).toBe(true);
      await c.stop();
    },
    90_000,
  );
});
