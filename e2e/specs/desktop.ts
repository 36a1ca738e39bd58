/**
 * Specs: the desktop app with Electron stood in (e2e/standIn/desktop.ts) — the built Electron main,
 * preload and renderer together: the contract through the preload, host events back into the window,
 * files only through dialogs, menus' open path and drops, ranks forked by main.
 */
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recorded } from '../../app/main/testing/standInElectron.js';
import { corpusFile } from '../../engine/io/testUtil.js';
import type { Page } from 'playwright-core';
import { ARTIFACTS, expectTrue, type Spec, type World } from '../harness.js';
import { openDesktop, type Desktop } from '../standIn/desktop.js';
import { Shell } from '../pages/shell.js';
import { StackPage } from '../pages/stack.js';
import { SteppingPage } from '../pages/stepping.js';
import { typeInto } from '../pages/keys.js';

let desktop: Desktop | null = null;
async function open(w: World): Promise<Desktop> {
  desktop ??= await openDesktop(w.context);
  return desktop;
}
export async function closeDesktop(): Promise<void> {
  await desktop?.close();
  desktop = null;
}

/** Builds the MLP preset (converted to SyncBatchNorm when asked) in the desktop window. */
async function buildMlp(page: Page, sync = false): Promise<Shell> {
  const shell = new Shell(page);
  const stack = new StackPage(page);
  await shell.go('stack');
  await stack.preset('MLP (BatchNorm1d)');
  if (sync) {
    await stack.previewSync();
    await page.getByTestId('apply-sync').click();
    await page.getByTestId('layer-1').filter({ hasText: 'SyncBatchNorm' }).waitFor();
  }
  await stack.build();
  return shell;
}

export const desktopSpecs: Spec[] = [
  {
    name: 'desktop (stand-in Electron): the preload exposes exactly the contract; steps and live events reach the window',
    async run(w) {
      const { page } = await open(w);
      const shell = new Shell(page);
      await shell.waitReady();
      const globals = await page.evaluate(
        '[typeof require, typeof process, Object.keys(window.normscope).sort().join(","), Object.isFrozen(window.normscope)]',
      );
      expectTrue(
        JSON.stringify(globals) === '["undefined","undefined","call,on",true]',
        `no Node globals; window.normscope is exactly {call, on}: ${JSON.stringify(globals)}`,
      );
      const runtime = await page.evaluate('window.normscope.call("app.info", {}).then((i) => i.runtime)');
      expectTrue(runtime === 'electron', `the host answers as the desktop app: ${String(runtime)}`);
      const stepping = new SteppingPage(page);
      await buildMlp(page);
      await shell.go('stepping');
      await stepping.trainStep();
      await stepping.waitStep(1);
      // progress and live step events travel main → webContents.send → preload → window
      await page.evaluate('window.__events = 0; window.normscope.on("step", () => window.__events++)');
      await stepping.setRunSteps(40);
      const run = await stepping.runAndWait();
      expectTrue(/ran 40 steps/.test(run), `a 40-step run finished through IPC: ${run}`);
      const events = (await page.evaluate('window.__events')) as number;
      expectTrue(events > 0, `live step events reached the window through the preload (${events})`);
      await page.screenshot({ path: join(ARTIFACTS, 'desktop-standin-stepping.png') });
    },
  },
  {
    name: 'desktop (stand-in Electron): checkpoints open through the dialog, File → Open and drops; a typed path is refused',
    async run(w) {
      const { page } = await open(w);
      const shell = new Shell(page);
      await shell.go('checkpoints');
      const file = corpusFile('tiny_training_checkpoint.pt');
      await page.getByTestId('ck-path').fill(file);
      await page.getByTestId('ck-open').click();
      const refused = page.getByTestId('ck-error').filter({ hasText: 'Forbidden' });
      await refused.waitFor({ timeout: 15_000 });
      expectTrue(
        ((await refused.textContent()) ?? '').includes('chosen in a dialog'),
        'a typed path is refused with the reason',
      );
      recorded.dialogAnswers.open = file;
      await page.getByRole('button', { name: 'Choose…' }).click();
      await page
        .getByTestId('ck-summary')
        .filter({ hasText: 'tiny_training_checkpoint.pt' })
        .waitFor({ timeout: 15_000 });
      await page.getByTestId('ck-tensors').waitFor();
      // a file opened from the menu or the command line arrives as an `open` event
      const other = corpusFile('tiny_state_dict.pt');
      const { electron } = await import('../../app/main/testing/standInElectron.js');
      electron.app.emit('open-file', { preventDefault: () => undefined }, other);
      await page.getByTestId('ck-summary').filter({ hasText: 'tiny_state_dict.pt' }).waitFor({ timeout: 15_000 });
      // a drop: the page's File carries the path (webUtils.getPathForFile stand-in), main checks and opens it
      const dropped = corpusFile('tiny_float64.pt');
      await page.evaluate(`(() => {
        window.__nsFilePaths = { 'tiny_float64.pt': ${JSON.stringify(dropped)} };
        const dt = new DataTransfer();
        dt.items.add(new File(['x'], 'tiny_float64.pt'));
        window.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, cancelable: true }));
        window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, cancelable: true }));
      })()`);
      await page.getByTestId('ck-summary').filter({ hasText: 'tiny_float64.pt' }).waitFor({ timeout: 15_000 });
      expectTrue(recorded.recentDocuments.includes(dropped), 'the dropped file became a recent document');
      const shown = await page.getByTestId('ck-path').inputValue();
      expectTrue(shown === dropped, `the path field shows the opened file: ${shown}`);
      await page.screenshot({ path: join(ARTIFACTS, 'desktop-standin-checkpoint.png') });
    },
  },
  {
    name: 'desktop (stand-in Electron): exporting the state dict writes only where the save dialog pointed',
    async run(w) {
      const { page } = await open(w);
      const shell = await buildMlp(page);
      await shell.go('stateDict');
      const dir = mkdtempSync(join(tmpdir(), 'ns-desktop-export-'));
      const typed = join(dir, 'typed.pt');
      await page.getByTestId('export-path').fill(typed);
      await page.getByTestId('export').click();
      await page.getByTestId('load-error').filter({ hasText: 'Forbidden' }).waitFor({ timeout: 15_000 });
      expectTrue(!existsSync(typed), 'nothing was written to a typed path');
      const chosen = join(dir, 'chosen.safetensors');
      recorded.dialogAnswers.save = chosen;
      await page.getByRole('button', { name: 'Choose…' }).click();
      await page
        .getByTestId('export-path')
        .and(page.locator(`[value="${chosen}"]`))
        .waitFor();
      await page.getByTestId('export').click();
      await page.getByTestId('exported').filter({ hasText: 'bytes' }).waitFor({ timeout: 15_000 });
      expectTrue(statSync(chosen).size > 0, `the stack's state dict was written to ${chosen}`);
    },
  },
  {
    name: 'desktop (stand-in Electron): ranks are utility processes forked by main',
    async run(w) {
      const { page } = await open(w);
      const shell = await buildMlp(page, true);
      await shell.go('ranks');
      await typeInto(page.getByTestId('ranks-world'), '2');
      await typeInto(page.getByTestId('ranks-shards'), '');
      const before = recorded.forks.length;
      await page.getByTestId('ranks-start').click();
      await page.getByTestId('ranks-badge').filter({ hasText: '2 alive' }).waitFor({ timeout: 60_000 });
      await page.getByTestId('ranks-step').click();
      await page.getByTestId('ranks-badge').filter({ hasText: 'step 1 ' }).waitFor({ timeout: 60_000 });
      const forks = recorded.forks.slice(before).sort();
      expectTrue(
        JSON.stringify(forks) === '["NormScope rank 0","NormScope rank 1"]',
        `main forked the ranks: ${JSON.stringify(forks)}`,
      );
      await page.getByText('Stop', { exact: true }).click();
    },
  },
  {
    name: 'desktop (stand-in Electron): no console errors, page errors or CSP violations in the window',
    async run(w) {
      const { problems } = await open(w);
      expectTrue(problems.length === 0, `problems:\n${problems.join('\n')}`);
    },
  },
];
