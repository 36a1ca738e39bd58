/** Specs: Checkpoints, Diff, Ranks, Backends, throughput with charts live, themes/keyboard, console hygiene. */
import { expectTrue, skip, type Spec } from '../harness.js';
import { BackendsPage } from '../pages/others.js';
import { Shell } from '../pages/shell.js';
import { StackPage } from '../pages/stack.js';
import { SteppingPage } from '../pages/stepping.js';

/** A workspace whose engine part is not wired: it must say so plainly (and the spec is reported skipped). */
function honestOrSkip(id: 'ranks', shot: string): Spec['run'] {
  return async (w) => {
    const shell = new Shell(w.page);
    if (!(await shell.featureAvailable(id))) {
      const text = await shell.notAvailableText();
      expectTrue(text.includes('Not available yet.') && text.length > 30, `an honest reason is shown: ${text}`);
      await shell.screenshot(shot);
      skip(`workspace not wired yet — the window says: ${text.replace('Not available yet. ', '')}`);
    }
    await shell.screenshot(shot);
    skip('no end-to-end walk written for this workspace yet');
  };
}

export const moreSpecs: Spec[] = [
  { name: 'ranks: 4 ranks, kill one', run: honestOrSkip('ranks', '09-ranks') },
  {
    name: 'backends: active backend, reasons, benchmark table with progress',
    async run(w) {
      const shell = new Shell(w.page);
      const be = new BackendsPage(w.page);
      await shell.go('backends');
      const active = await be.active();
      expectTrue(/active: (ts|cpu|cuda)/.test(active), `active backend shown: ${active}`);
      const rows = await be.rows();
      expectTrue(rows.length === 3 && rows[0]!.startsWith('ts'), `three backends listed: ${rows.join(' / ')}`);
      const bench = await be.runBench();
      expectTrue(
        bench.length >= 3 && bench.some((r) => r.includes('train forward')),
        `bench rows: ${bench.join(' / ')}`,
      );
      await shell.screenshot('10-backends');
    },
  },
  {
    name: 'throughput: 10-layer stack at batch 256 with the charts live',
    async run(w) {
      const shell = new Shell(w.page);
      const stack = new StackPage(w.page);
      const st = new SteppingPage(w.page);
      await shell.go('stack');
      await stack.preset('10-layer benchmark (batch 256)');
      await stack.build();
      await shell.go('stepping');
      await w.page.getByTestId('live-charts').waitFor();
      const steps = 150;
      await st.setRunSteps(steps);
      const t0 = performance.now();
      const line = await st.runAndWait();
      const secs = (performance.now() - t0) / 1000;
      expectTrue(line.includes(`ran ${steps} steps`), `run summary: ${line}`);
      const hostRate = /([\d.]+) steps\/s/.exec(line)?.[1];
      w.metrics['steps/s, 10 layers, batch 256, train steps, charts live (window wall clock)'] =
        `${(steps / secs).toFixed(1)} (goal ≥ 30)`;
      w.metrics['steps/s, same run as measured in the host worker'] = hostRate ?? '?';
      await w.page.getByTestId('rm-chart-1').waitFor();
      await shell.screenshot('11-throughput-live-charts');
    },
  },
  {
    name: 'keyboard and themes: Alt+N switches workspaces, light theme readable at 1280×800',
    async run(w) {
      const shell = new Shell(w.page);
      await shell.goByKey(1, 'stack');
      await shell.goByKey(2, 'stepping');
      const theme = await shell.toggleTheme();
      expectTrue(theme === 'light', `theme switched to light (got ${theme})`);
      await shell.screenshot('12-stepping-light');
      await shell.goByKey(3, 'inspect');
      await shell.screenshot('13-inspector-light');
      expectTrue((await shell.toggleTheme()) === 'dark', 'back to dark');
    },
  },
  {
    name: 'no console errors, page errors or CSP violations during the walk',
    async run(w) {
      expectTrue(w.problems.length === 0, `problems:\n${w.problems.join('\n')}`);
    },
  },
];
