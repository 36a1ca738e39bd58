import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DROP_CHANNEL } from '../preload/bridge.js';
import { checkDroppedFile } from './drops.js';
import { PathGrants } from './grants.js';
import { APP_ENTRY } from './security.js';

type Handler = (event: unknown, payload: unknown) => Promise<unknown> | unknown;
const handlers = new Map<string, Handler>();
vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, fn: Handler) => handlers.set(channel, fn),
    removeHandler: (channel: string) => handlers.delete(channel),
  },
}));

const app = { url: APP_ENTRY, isTopFrame: true };
let dir = '';
let pt = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'normscope-drop-'));
  pt = join(dir, 'model.pt');
  writeFileSync(pt, 'not parsed here');
  writeFileSync(join(dir, 'notes.txt'), 'x');
  mkdirSync(join(dir, 'folder.pt'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const refusal = (sender: typeof app | null, payload: unknown) => {
  const v = checkDroppedFile(sender, payload);
  return v.ok ? 'accepted' : v.error.name;
};

describe('checkDroppedFile', () => {
  it('accepts an existing checkpoint file dropped on the app window', () => {
    expect(checkDroppedFile(app, pt)).toEqual({ ok: true, path: pt });
    const upper = join(dir, 'W.SAFETENSORS');
    writeFileSync(upper, 'x');
    expect(checkDroppedFile(app, upper)).toEqual({ ok: true, path: upper });
  });

  it('refuses relative paths, directories, missing files, wrong extensions and non-strings', () => {
    expect(refusal(app, relative(process.cwd(), pt))).toBe('PayloadError');
    expect(refusal(app, 'model.pt')).toBe('PayloadError');
    expect(refusal(app, join(dir, 'folder.pt'))).toBe('PayloadError');
    expect(refusal(app, join(dir, 'missing.pt'))).toBe('PayloadError');
    expect(refusal(app, join(dir, 'notes.txt'))).toBe('PayloadError');
    expect(refusal(app, dir)).toBe('PayloadError');
    expect(refusal(app, `${pt}\0.txt`)).toBe('PayloadError');
    for (const bad of [undefined, null, 42, {}, [pt], { path: pt }, '']) expect(refusal(app, bad)).toBe('PayloadError');
  });

  it('refuses a symlink to a directory but follows one to a checkpoint file', () => {
    const toDir = join(dir, 'link-dir.pt');
    const toFile = join(dir, 'link-file.pth');
    symlinkSync(join(dir, 'folder.pt'), toDir);
    symlinkSync(pt, toFile);
    expect(refusal(app, toDir)).toBe('PayloadError');
    expect(refusal(app, toFile)).toBe('accepted');
  });

  it('refuses senders other than the app’s top frame', () => {
    for (const s of [
      null,
      { url: 'https://evil.example/', isTopFrame: true },
      { url: 'file:///tmp/x.html', isTopFrame: true },
      { url: APP_ENTRY, isTopFrame: false },
      { url: undefined, isTopFrame: true },
    ]) {
      expect(refusal(s as typeof app | null, pt), JSON.stringify(s)).toBe('Forbidden');
    }
  });
});

describe('the drop channel in ipc.ts', () => {
  const opened: string[] = [];
  const grants = new PathGrants();
  beforeAll(async () => {
    const { wireIpc } = await import('./ipc.js');
    const connection = { request: async () => ({ ok: true, value: null }), onEvent: () => () => undefined };
    wireIpc(connection as never, () => null, { grants, openDropped: (p) => opened.push(p) });
  });

  it('grants and opens a valid drop, and only that', async () => {
    const handler = handlers.get(DROP_CHANNEL)!;
    const top = { senderFrame: { url: APP_ENTRY, parent: null } };
    expect(await handler({ senderFrame: { url: APP_ENTRY, parent: {} } }, pt)).toMatchObject({
      ok: false,
      error: { name: 'Forbidden' },
    });
    expect(await handler({}, pt)).toMatchObject({ ok: false, error: { name: 'Forbidden' } });
    expect(await handler(top, join(dir, 'notes.txt'))).toMatchObject({ ok: false, error: { name: 'PayloadError' } });
    expect(opened).toEqual([]);
    expect(grants.isGranted(pt)).toBe(false);
    expect(await handler(top, pt)).toEqual({ ok: true, value: { path: pt } });
    expect(opened).toEqual([pt]);
    expect(grants.isGranted(pt)).toBe(true);
    expect(grants.isGranted(join(dir, 'notes.txt'))).toBe(false);
  });
});
