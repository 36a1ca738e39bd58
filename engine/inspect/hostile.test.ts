// Issue 17, inspect side: summaries of expanded views, shared state dicts, exact int64 diffs, the
// header-level BatchNorm checks, and corrupt records refusing the file. Each failed at 141d4ce.
import { describe, expect, it } from 'vitest';
import { loadCheckpointBytes } from '../io/checkpoint.js';
import { OP } from '../io/pickleOps.js';
import { torchBytes } from '../io/save.js';
import { Tensor } from '../tensor/tensor.js';
import { inspectCheckpoint } from './report.js';
import { diffStateDicts, hasDifferences } from './diff.js';
import { treeView, type TreeNode } from './treeView.js';
import { P, bombCorpus, f32, start, stateDict, torchZip } from '../../tools/bombCorpus.js';

const bomb = (name: string) => bombCorpus(false).find((b) => b.name === name)!.bytes;
const f = (...v: number[]) => new Tensor(Float32Array.from(v), [v.length], 'float32');

describe('inspect on hostile and odd files', () => {
  it('a stride-0 view of one element reports min = max = that element, without materialising it', () => {
    const r = inspectCheckpoint(loadCheckpointBytes(bomb('expand_f32.pt')));
    expect(r.tensors[0]).toMatchObject({ key: 'w', shape: [46340, 46340], min: 1.5, max: 1.5, mean: 1.5 });
    const bn = inspectCheckpoint(loadCheckpointBytes(bomb('expand_bn_2e8.pt')));
    expect(bn.batchNorm[0]).toMatchObject({ prefix: 'bn', numFeatures: 200_000_000 });
  });

  it("{'model': sd, 'ema': sd} as torch.save writes it (one dict, memo-shared): both key paths are listed", () => {
    const p = start().op(OP.EMPTY_DICT, OP.MARK).str('model').orderedDict();
    const sd = p.put();
    p.op(OP.MARK);
    for (let i = 0; i < 314; i++) p.str(`layer${i}.weight`).tensor(String(i), 'FloatStorage', 1, 0, [1], [1]);
    p.op(OP.SETITEMS).str('ema').get(sd).op(OP.SETITEMS, OP.STOP);
    const storages = Object.fromEntries(Array.from({ length: 314 }, (_, i) => [String(i), f32(i)]));
    const r = inspectCheckpoint(loadCheckpointBytes(torchZip(p.bytes(), storages)));
    expect(r.tensors).toHaveLength(628);
    expect(r.tensors.filter((t) => t.key.startsWith('ema.'))).toHaveLength(314);
    expect(r.tensors.find((t) => t.key === 'ema.layer7.weight')).toMatchObject({ min: 7, max: 7 });
    expect(r.stateDicts.map((s) => s.path)).toEqual(['model', 'ema']);
  });

  it('health: running_mean/weight shape mismatch, float or vector num_batches_tracked', () => {
    const sd = new Map<string, Tensor>([
      ['bn.weight', f(1, 1, 1)],
      ['bn.bias', f(0, 0)],
      ['bn.running_mean', f(0.1, 0.2)],
      ['bn.running_var', f(1, 2)],
      ['bn.num_batches_tracked', new Tensor(Float32Array.of(3, 4), [2], 'float32')],
    ]);
    const r = inspectCheckpoint(loadCheckpointBytes(torchBytes(sd)));
    const h = r.batchNorm[0]!.health.join('\n');
    expect(h).toMatch(/weight has shape \[3\] but running_mean \[2\]/);
    expect(h).toMatch(/num_batches_tracked is float32; PyTorch keeps an int64 counter/);
    expect(h).toMatch(/num_batches_tracked has shape \[2\]; PyTorch keeps a scalar/);
  });

  it('--header-only lists the BatchNorm layers (with the shape checks), reading no tensor data', () => {
    const sd = new Map<string, Tensor>([
      ['bn.weight', f(1, 1)],
      ['bn.running_mean', f(0, 0)],
      ['bn.running_var', f(1, 1, 1)],
      ['bn.num_batches_tracked', new Tensor(BigInt64Array.of(5n), [], 'int64')],
    ]);
    const r = inspectCheckpoint(loadCheckpointBytes(torchBytes(sd)), { headerOnly: true });
    expect(r.batchNorm).toHaveLength(1);
    expect(r.batchNorm[0]).toMatchObject({ prefix: 'bn', numFeatures: 2, hasNumBatchesTracked: true });
    expect(r.batchNorm[0]!.health).toEqual(['running_var has shape [3] but running_mean [2]']);
    expect(r.tensors.every((t) => t.min === null)).toBe(true);
  });

  it('a corrupt storage record refuses the file (not a warning)', () => {
    const ck = loadCheckpointBytes(bomb('corrupt_record.pt'));
    expect(() => inspectCheckpoint(ck)).toThrow(/bad local header/);
    expect(
      inspectCheckpoint(loadCheckpointBytes(bomb('corrupt_record.pt')), { headerOnly: true }).tensors,
    ).toHaveLength(2);
  });

  it('an unsupported dtype is still only a warning', () => {
    const p = start().orderedDict().op(OP.MARK).str('c');
    p.tensor('0', 'ComplexFloatStorage', 1, 0, [1], [1]);
    p.str('w');
    (p as P).tensor('1', 'FloatStorage', 1, 0, [1], [1]);
    const zip = torchZip(p.op(OP.SETITEMS, OP.STOP).bytes(), { '0': new Uint8Array(8), '1': f32(2) });
    const r = inspectCheckpoint(loadCheckpointBytes(zip));
    expect(r.tensors.map((t) => t.min)).toEqual([null, 2]);
    expect(r.warnings.join('\n')).toMatch(/c: tensor dtype complex64 is not supported/);
  });
});

describe('diff', () => {
  it('int64 values past 2^53 compare exactly (2^60 vs 2^60 + 1 differ)', () => {
    const a = new Map([['n', new Tensor(BigInt64Array.of(2n ** 60n), [1], 'int64')]]);
    const b = new Map([['n', new Tensor(BigInt64Array.of(2n ** 60n + 1n), [1], 'int64')]]);
    const d = diffStateDicts(a, b);
    expect(hasDifferences(d)).toBe(true);
    expect(d.changed[0]).toMatchObject({ key: 'n', maxAbsDiff: 1 });
    expect(hasDifferences(diffStateDicts(a, a))).toBe(false);
  });

  it('a file diffed with itself through loaded views stays exact', () => {
    const zip = torchZip(stateDict([['n', (p: P) => p.tensor('0', 'LongStorage', 1, 0, [], [])]]), {
      '0': new Uint8Array(BigInt64Array.of(2n ** 60n + 1n).buffer),
    });
    const ref = loadCheckpointBytes(zip).tensors()[0]!.ref;
    const other = new Map([['n', new Tensor(BigInt64Array.of(2n ** 60n), [], 'int64')]]);
    expect(hasDifferences(diffStateDicts(new Map([['n', ref]]), other))).toBe(true);
  });
});

describe('tree view', () => {
  it('a DAG of shared levels gives a bounded tree', { timeout: 60_000 }, () => {
    // 6 levels of 200 keys, each key the previous level: 200^6 paths from 40 KB.
    const p = start();
    p.tensor('0', 'FloatStorage', 1, 0, [1], [1]);
    let prev = p.put();
    for (let level = 0; level < 6; level++) {
      p.op(OP.EMPTY_DICT, OP.MARK);
      for (let i = 0; i < 200; i++) p.str(`k${i}`).get(prev);
      p.op(OP.SETITEMS);
      prev = p.put();
    }
    const ck = loadCheckpointBytes(torchZip(p.op(OP.STOP).bytes(), { '0': f32(1) }));
    let count = 0;
    const walk = (n: TreeNode): void => {
      count++;
      n.children.forEach(walk);
    };
    walk(treeView(ck.root, { stateDictPaths: new Set() }));
    expect(count).toBeLessThanOrEqual(20_001 + 1);
    expect(count).toBeGreaterThan(100);
  });
});
