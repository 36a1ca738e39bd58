/** Specs: Checkpoints, Diff, Ranks, Backends, throughput with charts live, themes/keyboard, console hygiene. */
import { expectTrue, type Spec } from '../harness.js';
import { BackendsPage } from '../pages/others.js';
import { Shell } from '../pages/shell.js';
import { StackPage } from '../pages/stack.js';
import { SteppingPage } from '../pages/stepping.js';
import { typeInto } from '../pages/keys.js';

export const moreSpecs: Spec[] = [
  {
    name: 'ranks: SyncBatchNorm stack on 4 rank processes (one empty shard), kill one, restart',
    async run(w) {
      const shell = new Shell(w.page);
      const stack = new StackPage(w.page);
      await shell.go('stack');
      await stack.preset('MLP (BatchNorm1d)');
      await stack.previewSync();
      await w.page.getByTestId('apply-sync').click();
      await w.page.getByTestId('layer-1').filter({ hasText: 'SyncBatchNorm' }).waitFor();
      await stack.build();
      await shell.go('ranks');
      await typeInto(w.page.getByTestId('ranks-world'), '4');
      await typeInto(w.page.getByTestId('ranks-shards'), '16, 16, 0, 32');
      await w.page.getByTestId('ranks-start').click();
      await w.page.getByTestId('ranks-badge').filter({ hasText: '4 alive' }).waitFor({ timeout: 60_000 });
      await w.page.getByTestId('ranks-step').click();
      await w.page.getByTestId('ranks-badge').filter({ hasText: 'step 1 ' }).waitFor({ timeout: 60_000 });
      const lane2 = (await w.page.getByTestId('lane-2').textContent()) ?? '';
      expectTrue(lane2.includes('shard 0'), `rank 2 has the empty shard: ${lane2}`);
      expectTrue(/pid \d+/.test(lane2), `rank 2 shows its process id: ${lane2}`);
      await w.page.getByTestId('lane-2-empty').waitFor();
      await w.page.getByTestId('lane-0-mean').waitFor();
      await w.page.getByTestId('ranks-combined').waitFor();
      await shell.screenshot('09-ranks');
      await w.page.getByTestId('kill-2').click();
      await w.page.getByTestId('ranks-step').click();
      await w.page.getByTestId('ranks-step-error').filter({ hasText: 'rank 2' }).waitFor({ timeout: 60_000 });
      await shell.screenshot('09b-ranks-killed');
      await w.page.getByTestId('ranks-restart').click();
      await w.page.getByTestId('ranks-badge').filter({ hasText: '4 alive' }).waitFor({ timeout: 60_000 });
      await w.page.getByTestId('ranks-step').click();
      await w.page.getByTestId('ranks-badge').filter({ hasText: 'step 2 ' }).waitFor({ timeout: 60_000 });
      await w.page.getByText('Stop', { exact: true }).click();
    },
  },
  {
    name: 'backends: active backend, reasons, benchmark table with progress',
    async run(w) {
      const shell = new Shell(w.page);
      const be = new BackendsPage(w.page);
      await shell.go('backends');
      const active = await be.active();
      expectTrue(/active: (ts|wasm|cpu|cuda)/.test(active), `active backend shown: ${active}`);
      const rows = await be.rows();
      expectTrue(
        rows.length === 4 && rows[0]!.startsWith('ts') && rows[1]!.startsWith('wasm'),
        `four backends listed (ts, wasm, cpu, cuda): ${rows.join(' / ')}`,
      );
      const memory = await be.hostMemory();
      expectTrue(/in use · .* cached for reuse · peak/.test(memory), `host memory shown: ${memory}`);
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
    name: 'keyboard and themes: Alt+N switches workspaces, light theme readable at 1280×800, ? lists the shortcuts',
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
      await w.page.keyboard.press('?');
      await w.page.getByTestId('shortcuts').waitFor();
      await shell.screenshot('14-shortcuts');
      await w.page.keyboard.press('Escape');
      await w.page.getByTestId('shortcuts').waitFor({ state: 'detached' });
    },
  },
  {
    name: 'no console errors, page errors or CSP violations during the walk',
    async run(w) {
      expectTrue(w.problems.length === 0, `problems:\n${w.problems.join('\n')}`);
    },
  },
];
