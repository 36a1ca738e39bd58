/**
 * The desktop app with Electron itself stood in: the built Electron main (dist/app/main/main.js) runs in
 * this process against app/main/testing/standInElectron.ts; the built renderer and the built preload
 * (dist/app/preload/preload.cjs, unchanged) run in a Chromium page. Between them, what Electron would
 * carry: the app:// scheme (served through main's own protocol handler, CSP headers and all), IPC
 * invokes (a Playwright binding into main's ipcMain handlers, with the frame as sender) and
 * webContents.send (back into the page). Everything but Electron's own plumbing is the shipped code.
 */
import { createServer, type Server } from 'node:http';
import { register } from 'node:module';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import type { BrowserContext, Page } from 'playwright-core';
import { decodeMessage, encodeMessage } from '../../app/shared/wire.js';
import { APP_ORIGIN } from '../../app/main/security.js';
import { becomeReady, electron, recorded, StandInWindow } from '../../app/main/testing/standInElectron.js';
import { tempDir } from '../../engine/io/testUtil.js';

export interface Desktop {
  page: Page;
  window: StandInWindow;
  /** Console errors and page errors of the window (CSP violations are console errors). */
  problems: string[];
  close(): Promise<void>;
}

/** The page-side stand-in and the built preload, as one init script that leaves no globals behind. */
function initScript(): string {
  const shim = buildSync({
    entryPoints: [join('e2e', 'standIn', 'pageShim.ts')],
    bundle: true,
    format: 'iife',
    globalName: 'shim',
    write: false,
    target: 'es2022',
  }).outputFiles[0]!.text;
  const preload = readFileSync(join('dist', 'app', 'preload', 'preload.cjs'), 'utf8');
  return `(() => {\n${shim}\nconst module = { exports: {} };\n(function (require, module, exports) {\n${preload}\n})(shim.preloadRequire, module, module.exports);\n})();`;
}

/** Serves app:// requests at http://127.0.0.1:PORT through main's registered protocol handler. */
async function serveAppScheme(): Promise<{ server: Server; origin: string }> {
  const handle = recorded.protocolHandlers.get('app');
  if (!handle) throw new Error('Electron main registered no app:// handler');
  const server = createServer((req, res) => {
    void (async () => {
      const r = await handle(new Request(`${APP_ORIGIN}${req.url ?? '/'}`));
      res.writeHead(r.status, Object.fromEntries(r.headers.entries()));
      res.end(Buffer.from(await r.arrayBuffer()));
    })().catch((e: unknown) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  return { server, origin: `http://127.0.0.1:${port}` };
}

let started: Promise<StandInWindow> | null = null;

/** Starts the built Electron main once per process (it is a module with start-up side effects). */
function startMain(): Promise<StandInWindow> {
  started ??= (async () => {
    register('./electronHooks.mjs', import.meta.url);
    recorded.userData = tempDir('normscope-desktop-');
    await import(pathToFileURL(resolve('dist', 'app', 'main', 'main.js')).href);
    becomeReady();
    const t0 = Date.now();
    while (!StandInWindow.all[0] || recorded.ipcHandlers.size < 2) {
      if (Date.now() - t0 > 60_000) throw new Error('Electron main opened no window within 60 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    return StandInWindow.all[0];
  })();
  return started;
}

export async function openDesktop(context: BrowserContext): Promise<Desktop> {
  const win = await startMain();
  const { server, origin } = await serveAppScheme();
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  // The sender main sees: the page's frame, at the app:// address Electron would report for it.
  await page.exposeBinding('__nsInvoke', async (source, channel: string, args: string) => {
    const handler = recorded.ipcHandlers.get(channel);
    if (!handler) throw new Error(`no ipcMain handler for ${channel}`);
    const url = source.frame.url().replace(origin, APP_ORIGIN);
    const event = { senderFrame: { url, parent: source.frame.parentFrame() ? {} : null } };
    const out = await handler(event, ...(decodeMessage(args) as unknown[]));
    return encodeMessage(out as never);
  });
  win.webContents.onSend = (channel, payload) =>
    void page
      .evaluate(([c, p]) => (globalThis as unknown as { __nsEmit(c: string, p: string): void }).__nsEmit(c, p), [
        channel,
        encodeMessage(payload as never),
      ] as const)
      .catch(() => undefined);
  await page.addInitScript(initScript());
  await page.goto(`${origin}/index.html`);
  win.webContents.finishLoad();
  return {
    page,
    window: win,
    problems,
    async close() {
      win.webContents.onSend = null;
      await page.close();
      await new Promise((ok) => server.close(() => ok(undefined)));
    },
  };
}

/** Ends the stand-in main (its host worker and any ranks), as quitting the app would. */
export function quitDesktop(): void {
  if (started) electron.app.emit('will-quit');
}
