import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { METHOD_NAMES } from '../shared/contract.js';
import { confineCall, confinePath, FILE_PATH_FIELDS, resolveRoot } from './rootConfine.js';

let root: string;
let outside: string;

beforeAll(async () => {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'ns-root-')));
  mkdirSync(join(base, 'served'), { recursive: true });
  root = await resolveRoot(join(base, 'served'));
  outside = join(base, 'secret');
  mkdirSync(outside);
  writeFileSync(join(outside, 'id_rsa'), 'key');
  mkdirSync(join(root, 'runs'));
  writeFileSync(join(root, 'runs', 'a.pt'), 'x');
  symlinkSync(join(outside, 'id_rsa'), join(root, 'runs', 'link-out'));
  symlinkSync(outside, join(root, 'dir-out'));
  symlinkSync(join(root, 'runs', 'a.pt'), join(root, 'link-in'));
  symlinkSync(join(root, 'runs'), join(outside, 'back-in'));
});

describe('--root confinement', () => {
  it('lists every contract method (a new one must say whether it takes a file path)', () => {
    for (const m of METHOD_NAMES) expect(Object.hasOwn(FILE_PATH_FIELDS, m), m).toBe(true);
  });

  it('accepts files inside the root, relative or absolute, returning the real path', async () => {
    expect(await confinePath(root, 'runs/a.pt', 'open')).toBe(join(root, 'runs', 'a.pt'));
    expect(await confinePath(root, join(root, 'runs', 'a.pt'), 'open')).toBe(join(root, 'runs', 'a.pt'));
    expect(await confinePath(root, 'link-in', 'open')).toBe(join(root, 'runs', 'a.pt'));
    expect(await confinePath(root, join(outside, 'back-in', 'a.pt'), 'open')).toBe(join(root, 'runs', 'a.pt'));
    expect(await confinePath(root, 'runs/new.safetensors', 'save')).toBe(join(root, 'runs', 'new.safetensors'));
  });

  it('refuses .., absolute paths and symlinks that lead out, and saves into a linked-out folder', async () => {
    for (const p of ['../secret/id_rsa', join(outside, 'id_rsa'), 'runs/link-out', 'dir-out/id_rsa', '/etc/passwd'])
      await expect(confinePath(root, p, 'open'), p).rejects.toThrow(/outside the served root/);
    await expect(confinePath(root, 'dir-out/new.pt', 'save')).rejects.toThrow(/outside the served root/);
    await expect(confinePath(root, 'runs/link-out', 'save')).rejects.toThrow(/outside the served root/);
    await expect(confinePath(root, 'nope/new.pt', 'save')).rejects.toThrow(/folder does not exist/);
    await expect(confinePath(root, 'runs/missing.pt', 'open')).rejects.toThrow(/no such file inside the served root/);
    await expect(confinePath(root, 'runs/a\0.pt', 'open')).rejects.toThrow();
  });

  it('rewrites the path fields of a call and answers a PermissionError for one outside', async () => {
    expect(await confineCall(root, 'checkpoint.open', { path: 'runs/a.pt', jobId: 'j', tensorsOnly: false })).toEqual({
      payload: { path: join(root, 'runs', 'a.pt'), jobId: 'j', tensorsOnly: false },
    });
    expect(
      await confineCall(root, 'diff.run', { a: 'runs/a.pt', b: '../secret/id_rsa', stripPrefix: null, jobId: 'j' }),
    ).toMatchObject({
      error: { name: 'PermissionError', message: expect.stringContaining('outside the served root') },
    });
    expect(await confineCall(root, 'stateDict.export', { path: '/tmp/x.pt', format: 'pt' })).toMatchObject({
      error: { name: 'PermissionError' },
    });
    // Methods without file paths, and payloads the host's schema will refuse, pass unchanged.
    const p = { path: 'layers.0' };
    expect(await confineCall(root, 'inspect.layer', p)).toEqual({ payload: p });
    // A method the table does not know is refused (fail closed), prototype names included.
    for (const m of ['constructor', '__proto__', 'fs.readFile'])
      expect(await confineCall(root, m, p)).toMatchObject({ error: { name: 'PermissionError' } });
    expect(await confineCall(root, 'checkpoint.open', null)).toEqual({ payload: null });
  });
});
