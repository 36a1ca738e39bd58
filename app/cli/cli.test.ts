// The CLI as a user runs it: `node bin/normscope.mjs …` spawned on corpus files made by PyTorch,
// checking DESIGN.md's JSON shapes, exit codes (0 ok, 1 differences, 2 refused/malformed), the
// progress bar, and that what migrate writes loads in real PyTorch with strict=True.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { corpusFile, tempDir } from '../../engine/testing.js';
import { findTorchPython, runTorchPython } from '../../tools/torchPython.js';
import { PickleAsm } from '../../engine/testing.js';
import { OP } from '../../engine/testing.js';

const BIN = path.resolve('bin/normscope.mjs');
let dir = '';
beforeAll(() => {
  dir = tempDir('normscope-cli-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    // Test the sources on disk, not a dist/ build that may be older.
    env: { ...process.env, NORMSCOPE_FROM_SOURCE: '1', ...env },
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('normscope CLI', () => {
  it('inspect --json prints the DESIGN.md object; the progress bar goes to stderr for big files', () => {
    const r = cli(['inspect', corpusFile('tiny_training_checkpoint.pt'), '--json'], {
      NORMSCOPE_PROGRESS_BYTES: '1000',
    });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(j)).toEqual(['format', 'tensors', 'stateDicts', 'batchNorm', 'warnings']);
    expect(j.format).toBe('torch-zip');
    const t = (j.tensors as Record<string, unknown>[]).find((x) => x.key === 'state_dict.bn.running_var')!;
    expect(Object.keys(t)).toEqual(['key', 'dtype', 'shape', 'min', 'max', 'mean', 'std', 'finite']);
    expect(t.shape).toEqual([8]);
    expect((j.tensors as { key: string }[]).some((x) => x.key.startsWith('optimizer.state.'))).toBe(true);
    const sd = (j.stateDicts as Record<string, unknown>[])[0]!;
    expect(sd.path).toBe('state_dict');
    expect((sd.metadata as Record<string, { version: number }>).bn).toEqual({ version: 2 });
    const bn = (j.batchNorm as Record<string, unknown>[])[0]!;
    expect(Object.keys(bn)).toEqual([
      'prefix',
      'numFeatures',
      'version',
      'hasNumBatchesTracked',
      'numBatchesTracked',
      'health',
    ]);
    expect(bn).toMatchObject({
      prefix: 'bn',
      numFeatures: 8,
      version: 2,
      hasNumBatchesTracked: true,
      numBatchesTracked: 3,
    });
    expect(r.stderr).toMatch(/inspect .*: 100% \(\d+\/\d+ tensors\)/);
    // Small files get no bar.
    expect(cli(['inspect', corpusFile('tiny_v1.pt')]).stderr).toBe('');
  });

  it('inspect refuses a malicious file with exit 2, naming the global; --scan lists it; nothing runs', () => {
    const marker = path.join(dir, 'pwned');
    const evil = path.join(dir, 'evil.pt');
    fs.writeFileSync(
      evil,
      new PickleAsm()
        .proto()
        .global('posix', 'system')
        .str(`touch ${marker}`)
        .op(OP.TUPLE1)
        .op(OP.REDUCE)
        .op(OP.STOP)
        .build(),
    );
    const r = cli(['inspect', evil]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("refused global 'posix.system'");
    expect(r.stderr).toMatch(/at byte 2\b/);
    const s = cli(['inspect', evil, '--scan']);
    expect(s.code).toBe(2);
    expect(s.stdout).toMatch(/posix\.system\s+REFUSED/);
    expect(fs.existsSync(marker)).toBe(false);
    // A real training checkpoint with argparse args: refused by default, browsable with --placeholders.
    const ns = corpusFile('tiny_with_namespace.pt');
    expect(cli(['inspect', ns]).stderr).toContain("refused global 'argparse.Namespace'");
    const p = cli(['inspect', ns, '--placeholders', '--json']);
    expect(p.code).toBe(0);
    expect((JSON.parse(p.stdout) as { warnings: string[] }).warnings).toContain(
      'inert placeholders for: argparse.Namespace',
    );
  });

  it('malformed input and usage errors exit 2', () => {
    const junk = path.join(dir, 'junk.bin');
    fs.writeFileSync(junk, 'definitely not a checkpoint');
    const r = cli(['inspect', junk]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unrecognized format');
    expect(cli(['inspect']).code).toBe(2);
    expect(cli(['nosuchcommand']).code).toBe(2);
  });

  it('diff: exit 1 with differences, 0 after prefix alignment of identical weights', () => {
    const d1 = cli(['diff', corpusFile('tiny_state_dict.pt'), corpusFile('tiny_state_dict_next.pt'), '--json']);
    expect(d1.code).toBe(1);
    const j = JSON.parse(d1.stdout) as Record<string, unknown>;
    expect(Object.keys(j)).toEqual(['added', 'removed', 'changed', 'unchanged', 'prefixes']);
    const c = (j.changed as Record<string, unknown>[])[0]!;
    expect(Object.keys(c)).toEqual(['key', 'shapeA', 'shapeB', 'dtypeA', 'dtypeB', 'maxAbsDiff', 'relDiff', 'cosine']);
    const d0 = cli(['diff', corpusFile('tiny_dp_compiled.pt'), corpusFile('tiny_state_dict.pt'), '--json']);
    expect(d0.code).toBe(0);
    expect(JSON.parse(d0.stdout)).toEqual({
      added: [],
      removed: [],
      changed: [],
      unchanged: 24,
      prefixes: { a: 'module._orig_mod.', b: '' },
    });
    const human = cli(['diff', corpusFile('tiny_state_dict.pt'), corpusFile('tiny_state_dict_next.pt')]);
    expect(human.stdout).toContain('3 unchanged');
  });

  it('migrate writes atomically, never over the source, and the result loads strictly in PyTorch', () => {
    const out = path.join(dir, 'migrated.pt');
    const m = cli(['migrate', corpusFile('tiny_dp_compiled.pt'), out, '--strip-prefix', 'auto']);
    expect(m.code).toBe(0);
    expect(m.stdout).toContain("stripped prefix 'module._orig_mod.'");
    const v1 = path.join(dir, 'v2.pt');
    const m2 = cli(['migrate', corpusFile('tiny_v1.pt'), v1]);
    expect(m2.code).toBe(0);
    expect(m2.stdout).toContain('+ bn.num_batches_tracked = 0 (int64), version 1 → 2');
    expect(cli(['migrate', corpusFile('tiny_v1.pt'), v1]).code).toBe(2); // exists: refused without --overwrite
    expect(cli(['migrate', corpusFile('tiny_v1.pt'), corpusFile('tiny_v1.pt')]).code).toBe(2);
    if (!findTorchPython()) {
      console.log('cli.test: skipping the PyTorch load of migrated files (no torch)');
      return;
    }
    const res = runTorchPython(
      `
import sys, json, torch
sys.path.insert(0, 'tools')
from make_checkpoints import TinyNet
out = []
for p in json.loads(sys.stdin.read()):
    sd = torch.load(p, weights_only=True)
    m = TinyNet()
    r = m.load_state_dict(sd, strict=True)
    out.append({'missing': r.missing_keys, 'unexpected': r.unexpected_keys, 'versions': sorted({v.get('version') for v in sd._metadata.values()}), 'n': int(sd['bn.num_batches_tracked'])})
print(json.dumps(out))
`,
      JSON.stringify([out, v1]),
    );
    expect(JSON.parse(res)).toEqual([
      { missing: [], unexpected: [], versions: [1, 2], n: 3 },
      { missing: [], unexpected: [], versions: [1, 2], n: 0 },
    ]);
  });

  it('convert: legacy → zip keeps the tree; torch → safetensors → torch keeps _metadata', () => {
    const zip = path.join(dir, 'fromlegacy.pt');
    expect(cli(['convert', corpusFile('tiny_legacy_checkpoint.pt'), zip]).code).toBe(0);
    const st = path.join(dir, 'm.safetensors');
    expect(cli(['convert', zip, st, '--state-dict', 'state_dict']).code).toBe(0);
    const back = path.join(dir, 'back.pt');
    expect(cli(['convert', st, back]).code).toBe(0);
    const j = JSON.parse(cli(['inspect', back, '--json']).stdout) as {
      stateDicts: { metadata: Record<string, unknown> }[];
      format: string;
    };
    expect(j.format).toBe('torch-zip');
    expect(j.stateDicts[0]!.metadata['bn']).toEqual({ version: 2 });
    expect(cli(['convert', zip, path.join(dir, 'x.weird')]).code).toBe(2);
    // Shards: OUT ending in .index.json writes shards + index; diff sees no difference.
    const index = path.join(dir, 'sharded', 'model.safetensors.index.json');
    fs.mkdirSync(path.dirname(index));
    expect(cli(['convert', corpusFile('shufflenet_v2_x0_5.pt'), index], { NORMSCOPE_SHARD_MB: '2' }).code).toBe(0);
    expect(fs.readdirSync(path.dirname(index)).filter((f) => f.endsWith('.safetensors')).length).toBe(3);
    expect(cli(['diff', corpusFile('shufflenet_v2_x0_5.pt'), index]).code).toBe(0);
  });
});
