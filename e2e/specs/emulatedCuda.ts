/**
 * Spec: the app on the CUDA backend. Without a GPU, two more servers load the addon whose CUDA kernels
 * run on the CPU emulator (tools/build-cuda-emu.mjs), one forced to `cuda` and one to `cpu`; the same
 * CNN stack takes the same train steps in both windows and must show the same losses.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { expectTrue, skip, startServe, type Served, type Spec, type World } from '../harness.js';
import { BackendsPage } from '../pages/others.js';
import { Shell } from '../pages/shell.js';
import { StackPage } from '../pages/stack.js';
import { SteppingPage } from '../pages/stepping.js';

const EMU_ADDON = resolve('native', 'build', 'cuda-emu', 'Release', 'normscope.node');

async function openWindow(w: World, backend: 'cuda' | 'cpu'): Promise<{ page: Page; served: Served }> {
  const served = await startServe({ NORMSCOPE_ADDON: EMU_ADDON, NORMSCOPE_BACKEND: backend });
  const page = await w.context.newPage();
  page.on('pageerror', (e) => w.problems.push(`pageerror (${backend} window): ${e.message}`));
  await page.goto(served.url, { waitUntil: 'domcontentloaded' });
  await new Shell(page).waitReady();
  return { page, served };
}

interface StepView {
  loss: number;
  /** Every layer's output mean, std, min and max as shown (display precision). */
  stats: number[];
}

/** Builds the CNN preset, takes `steps` train steps and reads the last step's loss and layer table. */
async function trainSteps(page: Page, steps: number): Promise<StepView> {
  const shell = new Shell(page);
  await shell.go('stack');
  const stack = new StackPage(page);
  await stack.preset('CNN (BatchNorm2d)');
  await stack.build();
  await shell.go('stepping');
  const st = new SteppingPage(page);
  for (let i = 1; i <= steps; i++) {
    await st.trainStep();
    await st.waitStep(i);
  }
  const table = page.getByTestId('step-table');
  const caption = (await table.locator('caption').textContent()) ?? '';
  const m = /loss (\S+)/.exec(caption);
  expectTrue(m, `a loss in the step caption: ${caption}`);
  const stats: number[] = [];
  for (const row of await table.locator('tbody tr').all()) {
    const cells = await row.locator('td').allTextContents();
    stats.push(...cells.slice(3, 7).map(Number));
  }
  return { loss: Number(m[1]), stats };
}

/** Equal at the table's display precision (a last-digit flip allowed). */
const sameShown = (a: number, b: number): boolean => Math.abs(a - b) <= 0.02 * Math.abs(b) + 1e-6;

export const emulatedCudaSpecs: Spec[] = [
  {
    name: 'CUDA backend (emulated): backends lists the device; a CNN trains to the same losses as on CPU',
    async run(w) {
      if (!existsSync(EMU_ADDON)) skip(`the emulator's addon was not built (${EMU_ADDON})`);
      const gpu = await openWindow(w, 'cuda');
      const cpu = await openWindow(w, 'cpu');
      try {
        const be = new BackendsPage(gpu.page);
        await new Shell(gpu.page).go('backends');
        const active = await be.active();
        expectTrue(/active: cuda/.test(active), `cuda is active: ${active}`);
        const rows = await be.rows();
        expectTrue(
          rows.some((r) => r.startsWith('cuda') && r.includes('NormScope CUDA emulator (CPU) · 4.0 GiB')),
          `the cuda row names the device and its memory: ${rows.join(' / ')}`,
        );
        await new Shell(gpu.page).screenshot('15-backends-emulated-cuda');
        const onGpu = await trainSteps(gpu.page, 3);
        const onCpu = await trainSteps(cpu.page, 3);
        expectTrue(Number.isFinite(onGpu.loss) && onGpu.loss > 0, `a positive loss on cuda: ${onGpu.loss}`);
        expectTrue(sameShown(onGpu.loss, onCpu.loss), `same loss on cuda (${onGpu.loss}) and cpu (${onCpu.loss})`);
        expectTrue(
          onGpu.stats.length >= 20 && onGpu.stats.length === onCpu.stats.length,
          `layer tables of the same size: ${onGpu.stats.length} / ${onCpu.stats.length}`,
        );
        const differ = onGpu.stats.findIndex((v, i) => !Number.isFinite(v) || !sameShown(v, onCpu.stats[i]!));
        expectTrue(
          differ < 0,
          `layer stats agree (first difference at ${differ}: ${onGpu.stats[differ]} vs ${onCpu.stats[differ]})`,
        );
        await new Shell(gpu.page).screenshot('16-stepping-emulated-cuda');
        // The steps ran with the tensors on the device: the Backends view says so and counts the bytes.
        await new Shell(gpu.page).go('backends');
        const residency = await be.residency('cuda');
        expectTrue(
          /^tensors stay on the device between steps · \d+(\.\d)? (B|KiB|MiB) up, \d+(\.\d)? (B|KiB|MiB) down so far · \d+(\.\d)? (B|KiB|MiB|GiB) in use$/.test(residency),
          `the cuda row says where tensors live and what crossed: ${residency}`,
        );
        await new Shell(gpu.page).screenshot('17-backends-after-steps-emulated-cuda');
        w.metrics['CNN after 3 train steps, emulated cuda vs cpu'] =
          `loss ${onGpu.loss} vs ${onCpu.loss}; ${onGpu.stats.length} layer stats agree at display precision`;
      } finally {
        await gpu.page.close();
        await cpu.page.close();
        await gpu.served.stop();
        await cpu.served.stop();
      }
    },
  },
];
