/**
 * The Electron project: launches the built app with `_electron.launch` when the Electron binary is
 * installed; otherwise it is skipped with a message (this machine cannot download the binary).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { _electron } from 'playwright-core';
import { ARTIFACTS, expectTrue, skip, type Spec } from './harness.js';

export function electronBinary(): string | null {
  const pathFile = join('node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) return null;
  const bin = join('node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : null;
}

export const electronSpecs: Spec[] = [
  {
    name: 'electron: the secure window opens, the contract answers through the preload',
    async run() {
      const bin = electronBinary();
      if (!bin)
        skip(
          'Electron binary not installed (node_modules/electron/path.txt missing); the browser-mode project covers the window',
        );
      if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY)
        skip('no display (DISPLAY unset); run under xvfb-run to include the Electron project');
      const app = await _electron.launch({
        executablePath: bin,
        args: ['.', '--no-sandbox'],
        env: { ...process.env, NORMSCOPE_E2E: '1' },
      });
      try {
        const page = await app.firstWindow();
        await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
        const isolated = await page.evaluate(
          'typeof require === "undefined" && typeof process === "undefined" && typeof window.normscope?.call === "function"',
        );
        expectTrue(isolated === true, 'no Node globals in the window; the contract is exposed');
        const keys = await page.evaluate('Object.keys(window.normscope).sort().join(",")');
        expectTrue(keys === 'call,on', `the preload exposes exactly the contract (got ${String(keys)})`);
        await page.screenshot({ path: join(ARTIFACTS, 'electron-window.png') });
      } finally {
        await app.close();
      }
    },
  },
];
