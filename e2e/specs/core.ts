/** Specs: startup, token, Stack builder, Stepping, Layer inspector, State dict — as a person walks them. */
import { expectTrue, type Spec } from '../harness.js';
import { InspectorPage } from '../pages/inspector.js';
import { StateDictPage } from '../pages/others.js';
import { Shell } from '../pages/shell.js';
import { StackPage } from '../pages/stack.js';
import { SteppingPage } from '../pages/stepping.js';
import { TOKEN_MESSAGE, TokenPage } from '../pages/token.js';

export const coreSpecs: Spec[] = [
  {
    name: 'startup: normscope serve → interactive window',
    async run(w) {
      const shell = new Shell(w.page);
      await w.page.goto(w.served.url, { waitUntil: 'domcontentloaded' });
      const domAt = performance.now();
      await shell.waitReady();
      const readyAt = performance.now();
      const s = (t: number) => ((t - w.served.startedAt) / 1000).toFixed(2);
      w.metrics['startup (serve start → interactive window)'] =
        `${s(readyAt)} s (goal < 2 s; URL printed at ${s(w.served.urlAt)} s, page parsed at ${s(domAt)} s)`;
      await shell.screenshot('01-startup');
    },
  },
  {
    name: 'the server refuses requests without the token',
    async run(w) {
      const base = w.served.url.replace(/\?token=.*$/, '');
      // A fresh client without the token, and with a wrong one.
      expectTrue((await fetch(base)).status === 403, '403 without a token');
      expectTrue((await fetch(`${base}?token=guess`)).status === 403, '403 with a wrong token');
    },
  },
  {
    name: 'token: out of the address bar, no cookie, reload keeps working, a tab without it is told so',
    async run(w) {
      const token = new URL(w.served.url).searchParams.get('token');
      const tab = new TokenPage(w.page);
      expectTrue(!tab.urlHasToken(), `the address bar holds no token: ${w.page.url()}`);
      expectTrue((await tab.storedToken()) === token, 'the tab keeps the token in sessionStorage');
      const cookies = await w.context.cookies();
      expectTrue(cookies.length === 0, `no cookie at all: ${JSON.stringify(cookies)}`);
      // A reload arrives without ?token=; the token page retries with the stored one.
      await w.page.reload({ waitUntil: 'domcontentloaded' });
      await new Shell(w.page).waitReady();
      expectTrue(!tab.urlHasToken(), `after a reload the address bar holds no token: ${w.page.url()}`);
      const base = w.served.url.replace(/\?token=.*$/, '');
      for (const url of [base, `${base}?token=guess`]) {
        const other = await w.context.newPage();
        try {
          await other.goto(url, { waitUntil: 'domcontentloaded' });
          const said = await new TokenPage(other).message();
          expectTrue(said === TOKEN_MESSAGE, `${url} says exactly the token message: ${said}`);
          expectTrue(!new TokenPage(other).urlHasToken(), `a wrong token leaves the address bar too: ${other.url()}`);
        } finally {
          await other.close();
        }
      }
    },
  },
  {
    name: 'stack builder: preset, inline PyTorch errors, nesting, SyncBatchNorm preview, build',
    async run(w) {
      const shell = new Shell(w.page);
      const stack = new StackPage(w.page);
      await shell.go('stack');
      await stack.preset('MLP (BatchNorm1d)');
      await stack.setField('1', 'numFeatures', '31');
      await stack.waitLayerError('1', 'running_mean should contain 32 elements not 31');
      await stack.setField('1', 'numFeatures', '32');
      await stack.setBatchShape('1, 16');
      await stack.waitLayerError(
        '1',
        'Expected more than 1 value per channel when training, got input size torch.Size([1, 32])',
      );
      await stack.setBatchShape('64, 16');
      await w.page.getByTestId('validation-status').filter({ hasText: '✓' }).waitFor();
      await stack.addLayer('Sequential');
      await w.page.getByTestId('layer-4').getByText('+ inside').click();
      await w.page.getByTestId('layer-4.0').waitFor();
      await stack.remove('4');
      await w.page.getByTestId('layer-4').waitFor({ state: 'detached' });
      const preview = await stack.previewSync();
      expectTrue(
        preview.includes('SyncBatchNorm(32, eps=1e-05, momentum=0.1'),
        `preview shows the converted layer: ${preview.slice(0, 200)}`,
      );
      const summary = await stack.build();
      expectTrue(
        summary.includes('1 BatchNorm layer') && summary.includes('BatchNorm1d(32, eps=1e-05'),
        `summary: ${summary.slice(0, 200)}`,
      );
      await shell.screenshot('02-stack-builder');
    },
  },
  {
    name: 'stepping: train step, forward, keyboard, run with progress, snapshot/rollback, train vs eval',
    async run(w) {
      const shell = new Shell(w.page);
      const st = new SteppingPage(w.page);
      await shell.go('stepping');
      await st.trainStep();
      await st.waitStep(1);
      await st.forward();
      await st.waitStep(2);
      await w.page.keyboard.press('s'); // train step shortcut
      await st.waitStep(3);
      await w.page.getByTestId('snapshot').click();
      await w.page.getByTestId('step-count').filter({ hasText: '1 snapshot' }).waitFor();
      await st.setRunSteps(30);
      const line = await st.runAndWait();
      expectTrue(/ran 30 steps/.test(line), `run summary: ${line}`);
      await st.waitStep(33);
      await w.page.getByTestId('rollback').click();
      await st.waitStep(3);
      await st.newBatch({ mean: 2, shift: 0.5 });
      const first = await st.compare();
      expectTrue(first === '1', `first divergent layer is the BatchNorm at 1 (got ${first})`);
      const err = await st.error();
      expectTrue(err === null, `no stepping error (${err})`);
      await st.trainStep();
      await st.waitStep(4);
      await shell.screenshot('03-stepping');
    },
  },
  {
    name: 'layer inspector: per-channel charts, why panel and truth table follow train/eval',
    async run(w) {
      const shell = new Shell(w.page);
      const st = new SteppingPage(w.page);
      const insp = new InspectorPage(w.page);
      await shell.go('inspect');
      const head = await insp.head();
      expectTrue(
        head.includes('num_batches_tracked = 4'),
        `counter: 3 before the snapshot, rolled back to it, one more train step: ${head}`,
      );
      expectTrue((await insp.whySummary()).includes('bn_training=True'), 'training normalizes with batch stats');
      expectTrue((await insp.truthRows()) === 8, 'truth table has 8 rows');
      await w.page.getByTestId('histogram').waitFor();
      await shell.screenshot('04-inspector-train');
      await shell.go('stepping');
      await st.mode('eval');
      await st.forward();
      await shell.go('inspect');
      await w.page.getByTestId('why-summary').filter({ hasText: 'running statistics' }).waitFor({ timeout: 10_000 });
      const row = await insp.currentTruthRow();
      expectTrue(
        row.join('|') === 'False|True|present|False|running statistics|no',
        `current truth row in eval: ${row.join('|')}`,
      );
      expectTrue((await insp.factorUsed()).includes('no update'), 'no factor used in eval');
      await shell.screenshot('05-inspector-eval');
      await shell.go('stepping');
      await st.mode('train');
    },
  },
  {
    name: 'state dict: keys, dtypes and metadata versions of the built stack',
    async run(w) {
      const shell = new Shell(w.page);
      await shell.go('stateDict');
      const sd = new StateDictPage(w.page);
      const keys = await sd.keys();
      for (const k of ['0.weight', '1.weight', '1.running_mean', '1.running_var', '1.num_batches_tracked'])
        expectTrue(keys.includes(k), `key ${k} in ${keys.join(', ')}`);
      const md = await sd.metadata();
      expectTrue(
        md.some((r) => r.startsWith('1') && r.endsWith('2')),
        `BatchNorm metadata version 2: ${md.join(' / ')}`,
      );
      await shell.screenshot('06-state-dict');
    },
  },
];
