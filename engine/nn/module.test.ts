import { describe, expect, it } from 'vitest';
import { BatchNorm1d, BatchNorm2d, Linear, ReLU, Sequential, StateDict, scalar, tensor, RuntimeError } from '../index.js';

describe('Module state dict', () => {
  it('orders keys by registration, children after, with per-prefix versions', () => {
    const m = new Sequential(new Linear(4, 3), new BatchNorm1d(3), new ReLU());
    const sd = m.stateDict();
    expect([...sd.keys()]).toEqual([
      '0.weight',
      '0.bias',
      '1.weight',
      '1.bias',
      '1.running_mean',
      '1.running_var',
      '1.num_batches_tracked',
    ]);
    expect([...sd.metadata]).toEqual([
      ['', { version: 1 }],
      ['0', { version: 1 }],
      ['1', { version: 2 }],
      ['2', { version: 1 }],
    ]);
  });

  it('skips non-persistent buffers in the state dict', () => {
    const bn = new BatchNorm1d(2);
    bn.registerBuffer('scratch', tensor([1, 2]), false);
    expect(bn.stateDict().has('scratch')).toBe(false);
    expect([...bn.namedBuffers()].map(([k]) => k)).toContain('scratch');
  });

  it('raises missing then unexpected keys in one message (strict)', () => {
    const bn = new BatchNorm2d(2);
    const sd = bn.stateDict();
    sd.delete('running_var');
    sd.delete('bias');
    sd.set('extra', tensor([1]));
    let msg = '';
    try {
      bn.loadStateDict(sd);
    } catch (e) {
      expect(e).toBeInstanceOf(RuntimeError);
      msg = (e as Error).message;
    }
    expect(msg).toBe(
      'Error(s) in loading state_dict for BatchNorm2d:\n\tMissing key(s) in state_dict: "bias", "running_var". \n\tUnexpected key(s) in state_dict: "extra". ',
    );
  });

  it('reports but does not raise missing keys when not strict; size mismatch raises anyway', () => {
    const bn = new BatchNorm2d(2);
    const sd = bn.stateDict();
    sd.delete('weight');
    expect(bn.loadStateDict(sd, { strict: false })).toEqual({ missingKeys: ['weight'], unexpectedKeys: [] });
    sd.set('running_mean', tensor([1, 2, 3]));
    expect(() => bn.loadStateDict(sd, { strict: false })).toThrow(
      'Error(s) in loading state_dict for BatchNorm2d:\n\tsize mismatch for running_mean: copying a param with shape torch.Size([3]) from checkpoint, the shape in current model is torch.Size([2]).',
    );
  });

  it('copies values with casting and takes a 1-element 1-dim counter into the 0-dim buffer', () => {
    const bn = new BatchNorm1d(2);
    const sd = new StateDict(bn.stateDict());
    sd.set('running_mean', tensor(new Float64Array([0.5, -0.5])));
    sd.set('num_batches_tracked', tensor(new BigInt64Array([9n]), { shape: [1] }));
    bn.loadStateDict(sd);
    expect(bn.runningMean!.dtype).toBe('float32');
    expect(bn.runningMean!.toArray()).toEqual([0.5, -0.5]);
    expect(bn.numBatchesTracked!.shape).toEqual([]);
    expect(bn.numBatchesTracked!.item()).toBe(9);
  });

  it('migrates version-1 state: the counter is filled in from the module (seed behaviour)', () => {
    const bn = new BatchNorm1d(2);
    bn.numBatchesTracked!.fill_(5);
    const sd = bn.stateDict();
    sd.delete('num_batches_tracked');
    sd.metadata.set('', { version: 1 });
    const r = bn.loadStateDict(sd);
    expect(r.missingKeys).toEqual([]);
    // PyTorch ≤ 2.1 (and the 1.13 oracle) would reset this to 0; the seed keeps the module's own counter.
    expect(bn.numBatchesTracked!.item()).toBe(5);
    // Version 2 without the counter is a missing key.
    sd.metadata.set('', { version: 2 });
    expect(() => bn.loadStateDict(sd)).toThrow('Missing key(s) in state_dict: "num_batches_tracked". ');
  });

  it('train/eval recurse and the repr matches PyTorch', () => {
    const m = new Sequential(new Linear(16, 32, { bias: false }), new Sequential(new BatchNorm1d(32, { eps: 1e-3, momentum: null })));
    m.eval();
    expect(m.modules().every((x) => !x.training)).toBe(true);
    expect(m.toString()).toBe(
      [
        'Sequential(',
        '  (0): Linear(in_features=16, out_features=32, bias=False)',
        '  (1): Sequential(',
        '    (0): BatchNorm1d(32, eps=0.001, momentum=None, affine=True, track_running_stats=True)',
        '  )',
        ')',
      ].join('\n'),
    );
  });

  it('casts floating parameters and buffers but keeps the counter int64', () => {
    const bn = new BatchNorm1d(3).double();
    expect(bn.weight!.dtype).toBe('float64');
    expect(bn.runningVar!.dtype).toBe('float64');
    expect(bn.numBatchesTracked!.dtype).toBe('int64');
    expect(scalar(0, 'int64').dtype).toBe('int64');
  });
});

describe('forward hooks', () => {
  it('run for every child a container calls, in order, and can be removed', () => {
    const m = new Sequential(new Linear(2, 3), new BatchNorm1d(3), new ReLU());
    const seen: string[] = [];
    const removers = m.modules().map((mod) => mod.registerForwardHook((x, _i, o) => seen.push(`${x.getName()}:${o.shape.join('x')}`)));
    m.call(tensor([[1, 2], [3, 4]]));
    expect(seen).toEqual(['Linear:2x3', 'BatchNorm1d:2x3', 'ReLU:2x3', 'Sequential:2x3']);
    removers.forEach((r) => r());
    seen.length = 0;
    m.call(tensor([[1, 2], [3, 4]]));
    expect(seen).toEqual([]);
  });
});
