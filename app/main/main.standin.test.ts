/**
 * Electron main (main.ts) run for real against a stand-in `electron` module (./testing/standInElectron):
 * everything main does at start-up and afterwards — the privileged app:// scheme and its CSP headers,
 * permission handlers, the secure window, navigation and new-window policies, the host worker, IPC with
 * sender and payload checks, files from the command line, a second instance, a drop, recent files,
 * ranks forked through utilityProcess, remembered window bounds — with only Electron itself replaced.
 * (The real binary cannot be downloaded on the CI machine; e2e/electron.ts runs it where it can.)
 */
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { corpusFile, tempDir } from '../../engine/testing.js';
import { CALL_CHANNEL, DROP_CHANNEL, eventChannel } from '../preload/bridge.js';
import { APP_ENTRY, ELECTRON_CSP, secureWebPreferences } from './security.js';
import { becomeReady, recorded, StandInWindow } from './testing/standInElectron.js';

vi.mock('electron', async () => (await import('./testing/standInElectron.js')).electron);

const dir = tempDir('normscope-main-');
const fromArgv = join(dir, 'from-argv.pt');
const fromSecond = join(dir, 'second-instance.pth');
const dropped = join(dir, 'dropped.pt');
const trusted = { senderFrame: { url: APP_ENTRY, parent: null } };
const stranger = { senderFrame: { url: 'https://example.com/', parent: null } };

type Outcome = { ok: boolean; value?: unknown; error?: { name: string; message: string } };
const call = (method: string, payload: unknown, event: unknown = trusted) =>
  recorded.ipcHandlers.get(CALL_CHANNEL)!(event, method, payload) as Promise<Outcome>;

async function until<T>(what: string, f: () => T | undefined | null | false, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let win: StandInWindow;

beforeAll(async () => {
  for (const f of [fromArgv, fromSecond, dropped]) copyFileSync(corpusFile('tiny_training_checkpoint.pt'), f);
  recorded.userData = dir;
  process.argv.push(fromArgv, '--some-flag', join(dir, 'missing.pt'));
  try {
    await import('./main.js');
  } finally {
    process.argv.splice(-3);
  }
  becomeReady();
  win = await until('the window', () => StandInWindow.all[0]);
  await until('the IPC handlers', () => recorded.ipcHandlers.size === 2);
}, 120_000);

afterAll(async () => {
  recorded.ipcHandlers.clear();
  (await import('./testing/standInElectron.js')).electron.app.emit('will-quit');
  rmSync(dir, { recursive: true, force: true });
});

describe('Electron main against a stand-in Electron', () => {
  it('registers app:// as a privileged scheme and serves the renderer with the CSP, nothing outside it', async () => {
    expect(recorded.privilegedSchemes).toEqual([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
    const serve = recorded.protocolHandlers.get('app')!;
    const page = await serve(new Request(APP_ENTRY));
    expect(page.status).toBe(200);
    expect(page.headers.get('Content-Security-Policy')).toBe(ELECTRON_CSP);
    expect(page.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(await page.text()).toContain('<div id="root">');
    for (const url of ['app://normscope/%2e%2e/package.json', 'app://normscope/nope.js', 'app://other/index.html'])
      expect((await serve(new Request(url))).status, url).toBe(404);
  });

  it('denies every permission request and check', () => {
    let granted: boolean | null = null;
    recorded.permissionRequest!(null, 'media', (ok) => (granted = ok));
    expect(granted).toBe(false);
    expect(recorded.permissionCheck!(null, 'notifications')).toBe(false);
  });

  it('opens one secure window on the app entry; navigation away and new windows are denied', () => {
    const prefs = win.options.webPreferences as Record<string, unknown>;
    // The running window's options are exactly the spec (security.ts), Auxclick disabled included.
    expect(prefs).toEqual(secureWebPreferences(String(prefs.preload), prefs.devTools as boolean));
    expect(String(prefs.preload)).toMatch(/app[\\/]preload[\\/]preload\.cjs$/);
    expect(win.loadedUrl).toBe(APP_ENTRY);
    expect(win.webContents.navigate('https://example.com/')).toBe(true);
    expect(win.webContents.navigate('file:///etc/passwd')).toBe(true);
    expect(win.webContents.windowOpenHandler!({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(recorded.menus).toBeGreaterThan(0);
  });

  it('answers the contract through IPC for the window only, after checking the payload', async () => {
    const info = await call('app.info', {});
    expect(info.ok).toBe(true);
    expect((info.value as { runtime: string }).runtime).toBe('electron');
    expect((await call('app.info', {}, stranger)).error?.name).toBe('Forbidden');
    expect((await call('step.train', { lr: 'fast' })).error?.name).toBe('PayloadError');
  });

  it('a checkpoint named on the command line opens once the page has loaded, and becomes a recent file', async () => {
    const open = eventChannel('open');
    expect(win.webContents.sent.filter(([c]) => c === open)).toEqual([]);
    win.webContents.finishLoad();
    expect(win.webContents.sent.filter(([c]) => c === open)).toEqual([[open, { path: fromArgv }]]);
    expect(recorded.recentDocuments).toEqual([fromArgv]);
    expect(readFileSync(join(dir, 'recent.json'), 'utf8')).toContain('from-argv.pt');
    // granted by being opened: the window may now read it; any other path is refused
    const opened = await call('checkpoint.open', { path: fromArgv, jobId: 'j1', tensorsOnly: false });
    expect(opened.ok).toBe(true);
    const refused = await call('checkpoint.open', { path: fromSecond, jobId: 'j2', tensorsOnly: false });
    expect(refused.error?.name).toBe('Forbidden');
  });

  it('a second instance hands its checkpoint over; a drop opens a checkpoint file and nothing else', async () => {
    const open = eventChannel('open');
    const { electron } = await import('./testing/standInElectron.js');
    electron.app.emit('second-instance', {}, ['normscope', fromSecond]);
    expect(win.webContents.sent.at(-1)).toEqual([open, { path: fromSecond }]);
    const drop = recorded.ipcHandlers.get(DROP_CHANNEL)!;
    expect(await drop(trusted, dropped)).toEqual({ ok: true, value: { path: dropped } });
    expect(win.webContents.sent.at(-1)).toEqual([open, { path: dropped }]);
    expect(((await drop(trusted, dir)) as Outcome).ok).toBe(false);
    expect(((await drop(trusted, join(dir, 'recent.json'))) as Outcome).ok).toBe(false);
    expect(((await drop(stranger, dropped)) as Outcome).error?.name).toBe('Forbidden');
  });

  it('starts SyncBatchNorm ranks as utility processes forked by main', async () => {
    const spec = { layers: [{ type: 'SyncBatchNorm', numFeatures: 3 }] };
    expect((await call('stack.build', { spec, inputShape: [8, 3], seed: 0 })).ok).toBe(true);
    const started = await call('ranks.start', { worldSize: 2, shards: [5, 3], subgroups: [] });
    expect(started.ok, JSON.stringify(started.error)).toBe(true);
    expect(recorded.forks.sort()).toEqual(['NormScope rank 0', 'NormScope rank 1']);
    const step = await call('ranks.step', {});
    expect((step.value as { lastError: string | null; step: number }).lastError).toBeNull();
    expect((await call('ranks.stop', {})).ok).toBe(true);
  }, 120_000);

  it('remembers the window bounds when it closes', () => {
    win.close();
    const state = JSON.parse(readFileSync(join(dir, 'window-state.json'), 'utf8')) as Record<string, unknown>;
    expect(state).toMatchObject({ x: 40, y: 30, width: 1280, height: 800, maximized: false });
    expect(existsSync(join(dir, 'window-state.json'))).toBe(true);
  });
});
