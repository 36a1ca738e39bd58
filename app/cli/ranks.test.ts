/**
 * `normscope ranks` end to end (in process, real rank processes): JSON lines per step whose running
 * statistics equal the engine's plain BatchNorm over the whole .npy batch, and exit code 2 with a
 * message for malformed input.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { glooAvailability } from '../ranks/glooAddon.js';
import { parseRanksArgs, runRanks } from './ranks.js';
import { evenShards } from '../ranks/shards.js';
import { writeNpy } from '../ranks/npy.js';
import { values } from '../ranks/testSupport.js';
import { BatchNorm1d, BatchNorm2d } from '../../engine/testing.js';
import { Tensor } from '../../engine/testing.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'normscope-cli-ranks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  let text = '';
  return {
    write: (s: string) => (text += s),
    get text() {
      return text;
    },
  };
}

describe('normscope ranks', () => {
  it('parses arguments and refuses bad ones', () => {
    expect(evenShards(10, 4)).toEqual([3, 3, 2, 2]);
    expect(parseRanksArgs(['--world', '2', '--stack', 's', '--input', 'x', '--steps', '1'])).toMatchObject({
      world: 2,
      backend: 'ipc',
      shards: null,
    });
    expect(parseRanksArgs(['--world', '2', '--stack', 's', '--input', 'x'])).toEqual({
      error: expect.stringMatching(/--steps is required/),
    });
    expect(
      parseRanksArgs(['--world', '2', '--stack', 's', '--input', 'x', '--steps', '1', '--shards', '1,2,3']),
    ).toEqual({ error: '--shards has 3 counts but --world is 2' });
    expect(parseRanksArgs(['--world=0'])).toEqual({ error: '--world must be an integer >= 1 (got "0")' });
    expect(parseRanksArgs(['--backend', 'nccl'])).toEqual({ error: '--backend must be gloo or ipc (got "nccl")' });
  });

  it('takes the model budget flags (issue 13), defaulting to the engine budget', () => {
    const base = ['--world', '2', '--stack', 's', '--input', 'x', '--steps', '1'];
    expect(parseRanksArgs(base)).toMatchObject({
      stackBudget: { maxParameters: 50_000_000, maxActivationBytes: 2 ** 30 },
    });
    expect(parseRanksArgs([...base, '--max-parameters', '7', '--max-activation-mib=3'])).toMatchObject({
      stackBudget: { maxParameters: 7, maxActivationBytes: 3 * 2 ** 20 },
    });
    expect(parseRanksArgs([...base, '--max-parameters', '0'])).toEqual({
      error: '--max-parameters must be an integer >= 1 (got "0")',
    });
  });

  it('refuses a stack over the budget before the ranks build it, naming the flag (exit 2)', async () => {
    const stack = path.join(dir, 'bn-budget.json');
    writeFileSync(stack, JSON.stringify({ layers: [{ type: 'BatchNorm1d', numFeatures: 2 }] }));
    const x = path.join(dir, 'budget.npy');
    writeFileSync(x, writeNpy({ shape: [4, 2], dtype: 'float32', data: new Float32Array(8) }));
    const err = capture();
    const code = await runRanks(
      ['--world', '2', '--stack', stack, '--input', x, '--steps', '1', '--max-parameters', '5'],
      capture(),
      err,
    );
    expect(code).toBe(2);
    expect(err.text).toContain(
      'the stack has 4 parameters × 2 ranks, over the budget of 5 parameters (raise it with --max-parameters N or --max-activation-mib N)',
    );
  }, 60_000);

  it('exits 2 with a message when the shards do not add up or the input is not .npy', async () => {
    const stack = path.join(dir, 'bn.json');
    writeFileSync(stack, JSON.stringify({ layers: [{ type: 'BatchNorm2d', numFeatures: 2 }] }));
    const x = path.join(dir, 'small.npy');
    writeFileSync(x, writeNpy({ shape: [4, 2, 1, 1], dtype: 'float32', data: new Float32Array(8) }));
    const err = capture();
    expect(
      await runRanks(
        ['--world', '2', '--stack', stack, '--input', x, '--steps', '1', '--shards', '1,1'],
        capture(),
        err,
      ),
    ).toBe(2);
    expect(err.text).toContain('--shards add up to 2 but the input batch has 4 samples');
    const bad = path.join(dir, 'bad.npy');
    writeFileSync(bad, 'not numpy');
    const err2 = capture();
    expect(await runRanks(['--world', '2', '--stack', stack, '--input', bad, '--steps', '1'], capture(), err2)).toBe(2);
    expect(err2.text).toContain('is not a NumPy .npy file');
  });

  it('prints one JSON line per step with running stats equal to BatchNorm over the whole batch', async () => {
    const stack = path.join(dir, 'stack.json');
    writeFileSync(stack, JSON.stringify({ layers: [{ type: 'BatchNorm2d', numFeatures: 3, momentum: 0.3 }] }));
    const data = Float32Array.from(values(7 * 3 * 2 * 2, 42));
    const input = path.join(dir, 'x.npy');
    writeFileSync(input, writeNpy({ shape: [7, 3, 2, 2], dtype: 'float32', data }));
    const out = capture();
    const err = capture();
    const code = await runRanks(
      ['--world', '3', '--stack', stack, '--input', input, '--shards', '4,0,3', '--steps', '2', '--json'],
      out,
      err,
    );
    expect(err.text).toBe('');
    expect(code).toBe(0);
    const lines = out.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.step)).toEqual([1, 2]);
    expect(lines[0].ranks).toEqual([
      { rank: 0, count: 4 },
      { rank: 1, count: 0 },
      { rank: 2, count: 3 },
    ]);
    const bn = new BatchNorm2d(3, { momentum: 0.3 });
    bn.train();
    for (const line of lines) {
      bn.forward(new Tensor(data, [7, 3, 2, 2]));
      const [layer] = line.layers;
      expect(layer.name).toBe('0');
      expect(layer.numBatchesTracked).toBe(Number(bn.numBatchesTracked!.data[0]));
      layer.runningMean.forEach((v: number, i: number) => expect(v).toBeCloseTo(Number(bn.runningMean!.data[i]), 5));
      layer.runningVar.forEach((v: number, i: number) => expect(v).toBeCloseTo(Number(bn.runningVar!.data[i]), 5));
    }
  }, 60_000);
});

describe('normscope ranks with an injected fault', () => {
  it('exits 3 with an error naming the rank and the layer', async () => {
    const stack = path.join(dir, 'fault.json');
    writeFileSync(
      stack,
      JSON.stringify({
        layers: [
          { type: 'Linear', inFeatures: 2, outFeatures: 2 },
          { type: 'BatchNorm1d', numFeatures: 2 },
        ],
      }),
    );
    const input = path.join(dir, 'xf.npy');
    writeFileSync(input, writeNpy({ shape: [6, 2], dtype: 'float32', data: Float32Array.from(values(12, 3)) }));
    const err = capture();
    const code = await runRanks(
      ['--world', '3', '--stack', stack, '--input', input, '--steps', '2', '--fault', '1:exit:1', '--timeout', '5000'],
      capture(),
      err,
    );
    expect(code).toBe(3);
    expect(err.text).toMatch(
      /^normscope ranks: step 1 failed: rank 1 exited with code 3 before joining all_gather for '1:forward'/,
    );
  }, 60_000);
});

describe.skipIf(!glooAvailability().available)('normscope ranks on two nodes (gloo, TCP store)', () => {
  it('both nodes print the same statistics, equal to BatchNorm over the whole batch', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const stack = path.join(dir, 'stack2.json');
    writeFileSync(stack, JSON.stringify({ layers: [{ type: 'BatchNorm1d', numFeatures: 2, momentum: null }] }));
    const data = Float32Array.from(values(9 * 2, 7));
    const input = path.join(dir, 'x2.npy');
    writeFileSync(input, writeNpy({ shape: [9, 2], dtype: 'float32', data }));
    const common = [
      '--world',
      '4',
      '--stack',
      stack,
      '--input',
      input,
      '--shards',
      '2,3,0,4',
      '--backend',
      'gloo',
      '--steps',
      '1',
      '--json',
      '--nodes',
      '2',
      '--master',
      `127.0.0.1:${port}`,
    ];
    const outs = [capture(), capture()];
    const errs = [capture(), capture()];
    // Every node is given the same store secret in its environment (docs/ranks-across-machines.md).
    const saved = process.env.NORMSCOPE_STORE_SECRET;
    process.env.NORMSCOPE_STORE_SECRET = 'e2e-secret-' + 'f'.repeat(24);
    let codes: number[];
    try {
      codes = await Promise.all([0, 1].map((k) => runRanks([...common, '--node-rank', String(k)], outs[k], errs[k])));
    } finally {
      if (saved === undefined) delete process.env.NORMSCOPE_STORE_SECRET;
      else process.env.NORMSCOPE_STORE_SECRET = saved;
    }
    expect(errs.map((e) => e.text)).toEqual(['', '']);
    expect(codes).toEqual([0, 0]);
    const lines = outs.map((o) => JSON.parse(o.text.trim()));
    expect(lines[0].ranks).toEqual([
      { rank: 0, count: 2 },
      { rank: 1, count: 3 },
    ]);
    expect(lines[1].ranks).toEqual([
      { rank: 2, count: 0 },
      { rank: 3, count: 4 },
    ]);
    expect(lines[0].layers).toEqual(lines[1].layers);
    const bn = new BatchNorm1d(2, { momentum: null });
    bn.train();
    bn.forward(new Tensor(data, [9, 2]));
    lines[0].layers[0].runningMean.forEach((v: number, i: number) =>
      expect(v).toBeCloseTo(Number(bn.runningMean!.data[i]), 5),
    );
    lines[0].layers[0].runningVar.forEach((v: number, i: number) =>
      expect(v).toBeCloseTo(Number(bn.runningVar!.data[i]), 5),
    );
  }, 90_000);
});
