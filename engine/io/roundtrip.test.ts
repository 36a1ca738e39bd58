// Round trips through real PyTorch: NormScope writes, torch reads (weights_only=True where the file
// is a state dict) and compares with torch's own load of the original, including _metadata versions
// and load_state_dict(strict=True) into the model that made the file. Skips when torch is absent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findTorchPython, runTorchPython } from '../../tools/torchPython.js';
import { loadCheckpoint } from './checkpoint.js';
import { saveSafetensors, saveTorch, torchBytes } from './save.js';
import { loadCheckpointBytes } from './checkpoint.js';
import { corpusFile, tempDir } from './testUtil.js';
import { Tensor } from '../tensor/tensor.js';
import { StateDict } from '../nn/stateDict.js';

const py = findTorchPython();
if (!py) console.log('roundtrip.test: skipping live PyTorch round trips (no python3 with torch found)');

let dir = '';
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const COMPARE = `
import sys, json, torch
sys.path.insert(0, 'tools')
from make_checkpoints import TinyNet
jobs = json.loads(sys.stdin.read())
out = []
def same(a, b):
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape and a.stride() == b.stride() and bool(torch.equal(a, b) or (a.is_floating_point() and torch.equal(a.isnan(), b.isnan()) and torch.equal(a.nan_to_num(), b.nan_to_num())))
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a.keys()) == list(b.keys()) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) == type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) == type(b) and a == b
for j in jobs:
    r = {'name': j['name']}
    try:
        ours = torch.load(j['ours'], weights_only=j['weightsOnly'])
        ref = torch.load(j['ref']) if j['ref'].endswith(('.pt', '.ckpt')) else None
        if ref is not None and j.get('refPath'):
            ref = ref[j['refPath']]
        r['same'] = same(ours, ref) if ref is not None else None
        md = getattr(ours, '_metadata', None)
        r['metadata'] = None if md is None else {k: dict(v) for k, v in md.items()}
        r['refMetadata'] = None if ref is None or getattr(ref, '_metadata', None) is None else {k: dict(v) for k, v in ref._metadata.items()}
        if j.get('tinyStrict'):
            m = TinyNet()
            res = m.load_state_dict(ours, strict=True)
            r['strict'] = [list(res.missing_keys), list(res.unexpected_keys)]
    except Exception as e:
        r['error'] = f'{type(e).__name__}: {e}'
    out.append(r)
print(json.dumps(out))
`;

interface Job {
  name: string;
  ours: string;
  ref: string;
  refPath?: string;
  weightsOnly: boolean;
  tinyStrict?: boolean;
  /** The source had no _metadata (a foreign safetensors file), so none is expected. */
  noMetadata?: boolean;
}

describe.skipIf(!py)('live PyTorch round trips', () => {
  it('files NormScope writes load in torch 1.13 with weights_only and strict load_state_dict', () => {
    const jobs: Job[] = [];
    const stateDictFiles = [
      'tiny_state_dict.pt',
      'tiny_v1.pt',
      'tiny_float64.pt',
      'tiny_float16.pt',
      'dtypes.pt',
      'shufflenet_v2_x0_5.pt',
      'tiny_legacy.pt',
    ];
    for (const f of stateDictFiles) {
      const ck = loadCheckpoint(corpusFile(f));
      const out = path.join(dir, `sd_${f}`);
      saveTorch(out, ck.stateDict());
      ck.close();
      jobs.push({
        name: `state dict ${f}`,
        ours: out,
        ref: corpusFile(f),
        weightsOnly: true,
        tinyStrict: f === 'tiny_state_dict.pt' || f === 'tiny_legacy.pt',
      });
    }
    // Forced Zip64 records: our writer's Zip64 read back by torch's (miniz) reader.
    const ck = loadCheckpoint(corpusFile('tiny_state_dict.pt'));
    const z64 = path.join(dir, 'zip64.pt');
    saveTorch(z64, ck.stateDict(), { forceZip64: true });
    jobs.push({
      name: 'forced Zip64',
      ours: z64,
      ref: corpusFile('tiny_state_dict.pt'),
      weightsOnly: true,
      tinyStrict: true,
    });
    // Whole tree (epoch, optimizer state, args with floats): shared/viewed storages preserved.
    for (const f of [
      'tiny_training_checkpoint.pt',
      'shared_views.pt',
      'shared_views_legacy.pt',
      'tiny_lightning.ckpt',
    ]) {
      const c = loadCheckpoint(corpusFile(f));
      const out = path.join(dir, `tree_${f}`);
      saveTorch(out, c.root);
      c.close();
      jobs.push({ name: `tree ${f}`, ours: out, ref: corpusFile(f), weightsOnly: false });
    }
    // safetensors → torch keeps the values (the file has no _metadata; keys must still load strictly).
    const st = loadCheckpoint(corpusFile('tiny.safetensors'));
    const fromSt = path.join(dir, 'from_safetensors.pt');
    saveTorch(fromSt, st.stateDict());
    st.close();
    jobs.push({
      name: 'safetensors → torch',
      ours: fromSt,
      ref: corpusFile('tiny_state_dict.pt'),
      weightsOnly: true,
      tinyStrict: true,
      noMetadata: true,
    });

    const results = JSON.parse(runTorchPython(COMPARE, JSON.stringify(jobs))) as {
      name: string;
      same: boolean | null;
      error?: string;
      metadata: unknown;
      refMetadata: unknown;
      strict?: [string[], string[]];
    }[];
    for (const [i, r] of results.entries()) {
      expect(r.error, r.name).toBeUndefined();
      expect(r.same, r.name).toBe(true);
      if (jobs[i]!.noMetadata) expect(r.metadata, r.name).toBeNull();
      else expect(r.metadata, r.name).toEqual(r.refMetadata);
      if (r.strict) expect(r.strict, r.name).toEqual([[], []]);
    }
    expect(results.length).toBe(jobs.length);
  });

  it('torch reads safetensors NormScope writes (parsed by a Python reader) and _metadata survives torch → safetensors → torch', () => {
    const ck = loadCheckpoint(corpusFile('tiny_state_dict.pt'));
    const sd = ck.stateDict();
    const stPath = path.join(dir, 'ours.safetensors');
    saveSafetensors(stPath, sd);
    ck.close();
    const back = loadCheckpoint(stPath);
    const sd2 = back.stateDict();
    expect([...sd2.keys()]).toEqual([...sd.keys()]);
    expect(Object.fromEntries(sd2.metadata)).toEqual(Object.fromEntries(sd.metadata));
    back.close();
    const script = `
import json, struct, sys, torch
p, ref = sys.argv[1:3] if len(sys.argv) > 2 else json.loads(sys.stdin.read())
raw = open(p, 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
h = json.loads(raw[8:8 + n])
sd = torch.load(ref)
ok = True
for k, v in sd.items():
    e = h[k]
    b0, b1 = e['data_offsets']
    t = torch.frombuffer(bytearray(raw[8 + n + b0: 8 + n + b1]), dtype=v.dtype).reshape(e['shape']) if b1 > b0 else torch.zeros(e['shape'], dtype=v.dtype)
    ok = ok and torch.equal(t, v)
print(json.dumps({'ok': ok, 'keys': [k for k in h if k != '__metadata__'] == list(sd.keys()), 'meta': h.get('__metadata__')}))
`;
    const r = JSON.parse(runTorchPython(script, JSON.stringify([stPath, corpusFile('tiny_state_dict.pt')]))) as {
      ok: boolean;
      keys: boolean;
      meta: Record<string, string>;
    };
    expect(r.ok).toBe(true);
    expect(r.keys).toBe(true);
    expect(JSON.parse(r.meta['normscope.metadata']!)).toEqual(Object.fromEntries(sd.metadata));
  });
});

describe('in-memory round trips (no torch needed)', () => {
  it('engine tensors of every dtype survive torch zip and safetensors writes', () => {
    const sd = new StateDict(
      [
        ['a', new Tensor(new Float32Array([1.5, -2, 3]), [3])],
        ['b', new Tensor(new Uint16Array([0x3c00, 0x7c00]), [2], 'float16')],
        ['c', new Tensor(new Uint16Array([0x3f80]), [1], 'bfloat16')],
        ['d', new Tensor(new BigInt64Array([5n, -(2n ** 40n)]), [2], 'int64')],
        ['e', new Tensor(new Uint8Array([1, 0, 1, 1]), [2, 2], 'bool')],
        ['f', new Tensor(new Float64Array([Math.PI]), [], 'float64')],
      ],
      new Map([
        ['', { version: 1 }],
        ['bn', { version: 2 }],
      ]),
    );
    for (const forceZip64 of [false, true]) {
      const back = loadCheckpointBytes(torchBytes(sd, { forceZip64 })).stateDict();
      expect([...back.keys()]).toEqual([...sd.keys()]);
      for (const [k, t] of sd) {
        expect(back.get(k)!.dtype).toBe(t.dtype);
        expect(back.get(k)!.shape).toEqual(t.shape);
        expect(Array.from(back.get(k)!.data as ArrayLike<unknown>)).toEqual(Array.from(t.data as ArrayLike<unknown>));
      }
      expect(Object.fromEntries(back.metadata)).toEqual({ '': { version: 1 }, bn: { version: 2 } });
    }
  });
});

describe.skipIf(!py)('engine modules → PyTorch', () => {
  it("an engine model's state dict loads strictly into the same PyTorch model, _metadata equal to PyTorch's own", async () => {
    const { buildStack } = await import('../nn/stackSpec.js');
    const m = buildStack({
      layers: [
        { type: 'Linear', inFeatures: 4, outFeatures: 8 },
        { type: 'BatchNorm1d', numFeatures: 8 },
        { type: 'ReLU' },
        { type: 'Linear', inFeatures: 8, outFeatures: 3 },
        { type: 'BatchNorm1d', numFeatures: 3, momentum: null },
      ],
    });
    m.train();
    m.forward(
      new Tensor(
        Float32Array.from({ length: 20 }, (_, i) => Math.sin(i)),
        [5, 4],
      ),
    );
    const sd = m.stateDict();
    const file = path.join(dir, 'engine_mlp.pt');
    saveTorch(file, sd);
    const script = `
import sys, json, torch, torch.nn as nn
p = sys.stdin.read().strip()
sd = torch.load(p, weights_only=True)
mlp = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3), nn.BatchNorm1d(3, momentum=None))
r = mlp.load_state_dict(sd, strict=True)
own = mlp.state_dict()._metadata
print(json.dumps({'missing': r.missing_keys, 'unexpected': r.unexpected_keys,
  'metaEqual': {k: dict(v) for k, v in sd._metadata.items()} == {k: dict(v) for k, v in own.items()},
  'rm': mlp[1].running_mean.tolist(), 'n': int(mlp[4].num_batches_tracked)}))
`;
    const r = JSON.parse(runTorchPython(script, file)) as {
      missing: string[];
      unexpected: string[];
      metaEqual: boolean;
      rm: number[];
      n: number;
    };
    expect(r.missing).toEqual([]);
    expect(r.unexpected).toEqual([]);
    expect(r.metaEqual).toBe(true);
    expect(r.rm).toEqual(Array.from(sd.get('1.running_mean')!.data as Float32Array));
    expect(r.n).toBe(1);
  });
});
