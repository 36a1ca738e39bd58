/**
 * Equivalence: SyncBatchNorm over W real rank processes equals plain BatchNorm over the concatenated
 * batch — computed by the engine in this process and by real PyTorch (when /usr/bin/python3 has
 * torch) — for W in {1, 2, 3, 4, 8}, even, uneven and empty shards, momentum 0.1 and None, float32
 * and float64, two steps each (forward and backward): outputs, input grads, summed weight/bias grads,
 * running stats and counters on every rank. Same cases on both backends (ipc and gloo).
 * Plus data-parallel training: gradients averaged over the ranks, every rank's state identical.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RankCoordinator } from './coordinator.js';
import { concatWire, maxAbsDiff, shards, testBackends, values } from './testSupport.js';
import { findTorchPython, runTorchPython } from '../../tools/torchPython.js';
import { BatchNorm1d, BatchNorm2d } from '../../engine/testing.js';
import { Tensor } from '../../engine/testing.js';
import type { WireState, WireTensor } from './protocol.js';
import type { StackSpec } from '../../engine/index.js';

interface Case {
  name: string;
  world: number;
  kind: '1d' | '2d';
  c: number;
  momentum: number | null;
  dtype: 'float32' | 'float64';
  counts: number[];
  weight: number[];
  bias: number[];
  steps: { x: WireTensor[]; g: WireTensor[] }[];
}

interface RefStep {
  y: number[];
  dx: number[];
  dw: number[];
  db: number[];
  rm: number[];
  rv: number[];
  nbt: number;
}

function shardPlans(w: number): [string, number[]][] {
  if (w === 1) return [['even', [6]]];
  const uneven = Array.from({ length: w }, (_, r) => 1 + ((r * 3) % 5));
  const empty = uneven.map((n, r) => (r === 1 || (w >= 4 && r === w - 1) ? 0 : n));
  return [
    ['even', Array(w).fill(3)],
    ['uneven', uneven],
    ['empty', empty],
  ];
}

function makeCases(): Case[] {
  const cases: Case[] = [];
  let seed = 1;
  for (const world of [1, 2, 3, 4, 8]) {
    for (const [plan, counts] of shardPlans(world)) {
      for (const momentum of [0.1, null]) {
        const kind = seed % 2 ? '1d' : '2d';
        const c = kind === '1d' ? 5 : 3;
        const rest = kind === '1d' ? (seed % 4 === 1 ? [c] : [c, 4]) : [c, 2, 3];
        const dtype = momentum === null ? 'float64' : 'float32';
        const steps = [0, 1].map((s) => {
          const cs = s === 0 ? counts : [...counts].reverse(); // the second step shards differently
          return { x: shards(cs, rest, seed * 10 + s, dtype), g: shards(cs, rest, seed * 10 + s + 5, dtype) };
        });
        cases.push({
          name: `W=${world} ${plan} [${counts}] ${kind} momentum=${momentum} ${dtype}`,
          world,
          kind,
          c,
          momentum,
          dtype,
          counts,
          weight: values(c, seed + 77).map((v) => 1 + v / 4),
          bias: values(c, seed + 78).map((v) => v / 3),
          steps,
        });
        seed++;
      }
    }
  }
  return cases;
}

const CASES = makeCases();
const python = findTorchPython();
if (!python)
  console.log(
    '[ranks equivalence] PyTorch oracle skipped: no python3 that can import torch (apt-get install python3-torch)',
  );

/** The engine's plain BatchNorm over the concatenated batch, step by step. */
function engineReference(cs: Case): RefStep[] {
  const bn =
    cs.kind === '1d'
      ? new BatchNorm1d(cs.c, { momentum: cs.momentum, dtype: cs.dtype })
      : new BatchNorm2d(cs.c, { momentum: cs.momentum, dtype: cs.dtype });
  (bn.weight!.data as Float64Array).set(cs.weight);
  (bn.bias!.data as Float64Array).set(cs.bias);
  bn.train();
  return cs.steps.map((st) => {
    const xc = concatWire(st.x);
    const gc = concatWire(st.g);
    const arr = (d: number[]) => (cs.dtype === 'float32' ? Float32Array.from(d) : Float64Array.from(d));
    const x = new Tensor(arr(xc.data), xc.shape, cs.dtype, true);
    bn.zeroGrad();
    const y = bn.forward(x);
    y.backward(new Tensor(arr(gc.data), gc.shape, cs.dtype));
    return {
      y: [...(y.data as Float32Array)],
      dx: [...(x.grad!.data as Float32Array)],
      dw: [...(bn.weight!.grad!.data as Float32Array)],
      db: [...(bn.bias!.grad!.data as Float32Array)],
      rm: [...(bn.runningMean!.data as Float32Array)],
      rv: [...(bn.runningVar!.data as Float32Array)],
      nbt: Number(bn.numBatchesTracked!.data[0]),
    };
  });
}

function withParams(state: WireState, weight: number[], bias: number[]): WireState {
  return {
    metadata: state.metadata,
    entries: state.entries.map(([k, t]) => {
      if (k.endsWith('.weight'))
        return [
          k,
          { ...t, data: t.data instanceof Float32Array ? Float32Array.from(weight) : Float64Array.from(weight) },
        ];
      if (k.endsWith('.bias'))
        return [k, { ...t, data: t.data instanceof Float32Array ? Float32Array.from(bias) : Float64Array.from(bias) }];
      return [k, t];
    }),
  };
}

const tol = (dtype: string, ref: number[]) => (dtype === 'float64' ? 1e-9 : 2e-4) * Math.max(1, ...ref.map(Math.abs));
let compared = 0;
let torchResults: RefStep[][] | null = null;

beforeAll(() => {
  if (!python) return;
  const oracle = readFileSync(fileURLToPath(new URL('./syncOracle.py', import.meta.url)), 'utf8');
  const payload = CASES.map((cs) => ({
    kind: cs.kind,
    c: cs.c,
    momentum: cs.momentum,
    dtype: cs.dtype,
    weight: cs.weight,
    bias: cs.bias,
    steps: cs.steps.map((st) => ({ x: concatWire(st.x), g: concatWire(st.g) })),
  }));
  torchResults = (JSON.parse(runTorchPython(oracle, JSON.stringify({ cases: payload }))) as { results: RefStep[][] })
    .results;
});

afterAll(() => {
  console.log(
    `[ranks equivalence] ${compared} cases compared (SyncBatchNorm over W processes vs BatchNorm on the concatenation; engine${python ? ' + PyTorch' : ''}; ${CASES.length} cases per backend, 2 steps each)`,
  );
});

describe.each(testBackends())('SyncBatchNorm equivalence over %s', (backend) => {
  for (const world of [1, 2, 3, 4, 8]) {
    it(`W=${world}`, async () => {
      const c = new RankCoordinator({ world, backend, timeoutMs: 60_000 });
      await c.start();
      try {
        for (const [i, cs] of CASES.entries()) {
          if (cs.world !== world) continue;
          const spec: StackSpec = {
            dtype: cs.dtype,
            layers: [
              { type: cs.kind === '1d' ? 'BatchNorm1d' : 'BatchNorm2d', numFeatures: cs.c, momentum: cs.momentum } as const,
            ],
          };
          await c.build(spec);
          await c.build(spec, { state: withParams(c.hostState!, cs.weight, cs.bias) });
          const refs: [string, RefStep[]][] = [['engine', engineReference(cs)]];
          if (torchResults) refs.push(['torch', torchResults[i]!]);
          for (const [s, st] of cs.steps.entries()) {
            const rep = await c.step({
              step: s + 1,
              inputs: st.x,
              gradOutputs: st.g,
              noOptimizer: true,
              returnOutputs: true,
            });
            expect(rep.error, cs.name).toBeNull();
            const y = rep.ranks.flatMap((r) => [...(r.outputs!.y.data as Float32Array)]);
            const dx = rep.ranks.flatMap((r) => [...(r.outputs!.inputGrad!.data as Float32Array)]);
            const sumGrad = (suffix: string) => {
              const acc = new Array<number>(cs.c).fill(0);
              for (const r of rep.ranks) {
                const g = r.outputs!.grads.find(([n]) => n.endsWith(suffix))![1].data as Float32Array;
                g.forEach((v, ch) => (acc[ch] += v));
              }
              return acc;
            };
            const dw = sumGrad('weight');
            const db = sumGrad('bias');
            for (const [who, ref] of refs) {
              const r = ref[s]!;
              const at = `${cs.name} step ${s + 1} vs ${who}`;
              expect(maxAbsDiff(y, r.y), `${at}: output`).toBeLessThanOrEqual(tol(cs.dtype, r.y));
              expect(maxAbsDiff(dx, r.dx), `${at}: input grad`).toBeLessThanOrEqual(tol(cs.dtype, r.dx));
              expect(maxAbsDiff(dw, r.dw), `${at}: summed weight grad`).toBeLessThanOrEqual(tol(cs.dtype, r.dw) * 4);
              expect(maxAbsDiff(db, r.db), `${at}: summed bias grad`).toBeLessThanOrEqual(tol(cs.dtype, r.db) * 4);
              for (const rk of rep.ranks) {
                const st2 = new Map(rk.state!.entries);
                const get = (k: string) => [...(st2.get(`0.${k}`)!.data as Float32Array)].map(Number);
                expect(
                  maxAbsDiff(get('running_mean'), r.rm),
                  `${at}: rank ${rk.rank} running_mean`,
                ).toBeLessThanOrEqual(tol(cs.dtype, r.rm));
                expect(maxAbsDiff(get('running_var'), r.rv), `${at}: rank ${rk.rank} running_var`).toBeLessThanOrEqual(
                  tol(cs.dtype, r.rv),
                );
                expect(get('num_batches_tracked')[0], `${at}: rank ${rk.rank} counter`).toBe(r.nbt);
              }
            }
            expect(rep.statesIdentical, cs.name).toBe(true);
          }
          compared++;
        }
      } finally {
        await c.stop();
      }
    }, 240_000);
  }

  it('subgroups: two groups of four sync only within themselves', async () => {
    const groups = [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ];
    const c = new RankCoordinator({ world: 8, backend, timeoutMs: 60_000, subgroups: groups });
    await c.start();
    try {
      await c.build({ dtype: 'float64', layers: [{ type: 'BatchNorm1d', numFeatures: 3, momentum: 0.5 }] });
      const x = shards([2, 3, 0, 1, 4, 2, 2, 3], [3], 55, 'float64');
      const g = shards([2, 3, 0, 1, 4, 2, 2, 3], [3], 56, 'float64');
      const rep = await c.step({ step: 1, inputs: x, gradOutputs: g, noOptimizer: true, returnOutputs: true });
      expect(rep.error).toBeNull();
      expect(rep.statesIdentical).toBe(true); // within each group
      const means: number[][] = [];
      for (const members of groups) {
        const xc = concatWire(members.map((r) => x[r]!));
        const gc = concatWire(members.map((r) => g[r]!));
        const bn = new BatchNorm1d(3, { momentum: 0.5, dtype: 'float64' });
        bn.train();
        const xt = new Tensor(Float64Array.from(xc.data), xc.shape, 'float64', true);
        bn.forward(xt).backward(new Tensor(Float64Array.from(gc.data), gc.shape, 'float64'));
        const dx = members.flatMap((r) => [...(rep.ranks[r]!.outputs!.inputGrad!.data as Float64Array)]);
        expect(maxAbsDiff(dx, xt.grad!.data as Float64Array), `group [${members}] input grad`).toBeLessThan(1e-10);
        for (const r of members) {
          const rm = [...(new Map(rep.ranks[r]!.state!.entries).get('0.running_mean')!.data as Float64Array)];
          expect(maxAbsDiff(rm, bn.runningMean!.data as Float64Array), `rank ${r} running_mean`).toBeLessThan(1e-12);
          if (r === members[0]) means.push(rm);
        }
      }
      expect(maxAbsDiff(means[0]!, means[1]!)).toBeGreaterThan(1e-3); // the two groups did not mix
    } finally {
      await c.stop();
    }
  }, 120_000);

  it('data-parallel training: gradients averaged over the ranks, states identical', async () => {
    const c = new RankCoordinator({ world: 3, backend, timeoutMs: 60_000 });
    await c.start();
    try {
      const spec: StackSpec = {
        dtype: 'float64',
        layers: [
          { type: 'Linear', inFeatures: 4, outFeatures: 3 },
          { type: 'BatchNorm1d', numFeatures: 3 },
          { type: 'ReLU' },
        ],
      };
      await c.build(spec, { seed: 3, lr: 0.5 });
      const before = new Map(c.hostState!.entries);
      const x = shards([2, 0, 5], [4], 91, 'float64');
      const g = shards([2, 0, 5], [3], 92, 'float64');
      const rep = await c.step({ step: 1, inputs: x, gradOutputs: g, returnOutputs: true });
      expect(rep.error).toBeNull();
      expect(rep.statesIdentical).toBe(true);
      expect(new Set(rep.ranks.map((r) => r.stateHash)).size).toBe(1);
      const after = new Map(c.hostState!.entries);
      for (const name of ['0.weight', '0.bias', '1.weight', '1.bias']) {
        const w0 = [...(before.get(name)!.data as Float64Array)];
        const summed = w0.map(() => 0);
        for (const r of rep.ranks)
          (r.outputs!.grads.find(([n]) => n === name)![1].data as Float64Array).forEach((v, i) => (summed[i] += v));
        const expected = w0.map((w, i) => w - (0.5 * summed[i]!) / 3);
        expect(maxAbsDiff([...(after.get(name)!.data as Float64Array)], expected), name).toBeLessThan(1e-12);
      }
    } finally {
      await c.stop();
    }
  }, 120_000);
});
