// Writes onto a real full disk and a real read-only file system: a 512 KiB tmpfs mounted for this
// file (root with mount permission, as on the CI machine; skipped, saying why, elsewhere). Checks that
// a failed write is a WriteError that says what happened, that the target and every other file are
// left as they were, and that no temp file or half set of shards is left behind.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tensor } from '../tensor/tensor.js';
import { loadCheckpoint } from './checkpoint.js';
import { WriteError } from '../index.js'; // the engine's public API names it
import { saveSafetensors, saveSafetensorsSharded, saveTorch } from './save.js';
import { StateDict } from '../nn/stateDict.js';
import { corpusFile, tempDir } from './testUtil.js';

const mountPoint = tempDir('normscope-full-');
const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mountPoint]).status === 0;
const why = 'cannot mount a tmpfs here (needs root and mount permission)';

/** A state dict of `n` float32 values. */
const big = (n: number, v = 1) => new StateDict([['w', new Tensor(new Float32Array(n).fill(v), [n])]]);

afterAll(() => {
  if (mounted) spawnSync('umount', [mountPoint]);
  fs.rmSync(mountPoint, { recursive: true, force: true });
});

describe.skipIf(!mounted)(`writes on a full disk (${mounted ? 'tmpfs 512 KiB' : why})`, () => {
  beforeAll(() => {
    // Fill the file system to its last bytes with a file that must survive every test.
    const filler = path.join(mountPoint, 'filler.bin');
    fs.writeFileSync(filler, new Uint8Array(400 * 1024));
  });

  it('a checkpoint that does not fit: WriteError ENOSPC, nothing left behind', () => {
    const before = fs.readdirSync(mountPoint).sort();
    const target = path.join(mountPoint, 'model.pt');
    let err: unknown;
    try {
      saveTorch(target, big(64 * 1024));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WriteError);
    expect((err as WriteError).code).toBe('ENOSPC');
    expect((err as Error).message).toBe(
      `cannot write ${target}: no space left on the device (ENOSPC); nothing was written or replaced`,
    );
    expect((err as Error).name).toBe('WriteError');
    expect(fs.readdirSync(mountPoint).sort()).toEqual(before);
  });

  it('replacing a file that exists: the old file still loads with its values', () => {
    const target = path.join(mountPoint, 'keep.safetensors');
    saveSafetensors(target, big(16, 3));
    const bytes = fs.readFileSync(target);
    expect(() => saveSafetensors(target, big(64 * 1024, 5), { overwrite: true })).toThrow(WriteError);
    expect(fs.readFileSync(target).equals(bytes)).toBe(true);
    const ck = loadCheckpoint(target);
    expect(Array.from(ck.stateDict().get('w')!.toArray() as number[])).toEqual(new Array(16).fill(3));
    ck.close();
    fs.rmSync(target);
  });

  it('sharded safetensors: a shard that does not fit removes the shards this call wrote', () => {
    const before = fs.readdirSync(mountPoint).sort();
    const sd = new StateDict([
      ['a', new Tensor(new Float32Array(10 * 1024), [10 * 1024])],
      ['b', new Tensor(new Float32Array(10 * 1024), [10 * 1024])],
      ['c', new Tensor(new Float32Array(64 * 1024), [64 * 1024])],
    ]);
    const index = path.join(mountPoint, 'model.safetensors.index.json');
    expect(() => saveSafetensorsSharded(index, sd, { maxShardBytes: 48 * 1024 })).toThrow(WriteError);
    expect(fs.readdirSync(mountPoint).sort()).toEqual(before);
  });

  it('the CLI says so and exits 2', () => {
    const out = path.join(mountPoint, 'converted.pt');
    const r = spawnSync(
      process.execPath,
      [path.resolve('bin/normscope.mjs'), 'convert', corpusFile('shufflenet_v2_x0_5.pt'), out],
      { encoding: 'utf8', env: { ...process.env, NORMSCOPE_FROM_SOURCE: '1' }, timeout: 120_000 },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`normscope convert: WriteError: cannot write ${out}: no space left on the device`);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a read-only file system: WriteError EROFS', () => {
    expect(spawnSync('mount', ['-o', 'remount,ro', mountPoint]).status).toBe(0);
    try {
      const target = path.join(mountPoint, 'ro.pt');
      let err: unknown;
      try {
        saveTorch(target, big(4));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(WriteError);
      expect((err as WriteError).code).toBe('EROFS');
      expect((err as Error).message).toContain('the file system is read-only');
    } finally {
      spawnSync('mount', ['-o', 'remount,rw', mountPoint]);
    }
  });
});
