/**
 * Specs for issue 15 (workbench correctness): typed values arrive as typed, files open from the
 * browser, no panel shows stale state. Each spec starts from a fresh page load, so one can run alone
 * (`node e2e/run.mjs --only 'workbench:'`). Every field is typed on the keyboard.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildStack, StateDict } from '../../engine/index.js';
import { saveTorch } from '../../engine/io/index.js';
import { expectTrue, type Spec, type World } from '../harness.js';
import { typeInto } from '../pages/keys.js';
import { Shell } from '../pages/shell.js';
import { StackPage } from '../pages/stack.js';
import { SteppingPage } from '../pages/stepping.js';

export const corpus = resolve('engine/io/fixtures/corpus');

export async function fresh(w: World): Promise<Shell> {
  const shell = new Shell(w.page);
  await w.page.goto(w.served.url, { waitUntil: 'domcontentloaded' });
  await shell.waitReady();
  return shell;
}

const valueOf = async (w: World, testId: string): Promise<string> => w.page.getByTestId(testId).inputValue();

export const workbenchSpecs: Spec[] = [
  {
    name: 'workbench: numeric fields keep what is typed (momentum 0.05, signs, exponents, None, Escape, Enter)',
    async run(w) {
      const shell = await fresh(w);
      const stack = new StackPage(w.page);
      await shell.go('stack');
      await stack.preset('MLP (BatchNorm1d)');
      // Item 1: 0.05 stayed 0.05 (was 5), and the built module says so.
      for (const typed of ['0.01', '0.9', '-0.5', '0.05']) {
        await stack.setField('1', 'momentum', typed);
        const shown = await valueOf(w, 'field-1-momentum');
        expectTrue(shown === typed, `momentum field shows ${typed} (shows ${shown})`);
      }
      await w.page.getByTestId('field-1-momentum').press('Enter');
      const built = await stack.build();
      expectTrue(built.includes('BatchNorm1d(32, eps=1e-05, momentum=0.05,'), `built momentum=0.05: ${built}`);
      // Item 2: an exponent, a sign, a cleared field.
      await stack.setField('1', 'eps', '1e-3');
      expectTrue((await valueOf(w, 'field-1-eps')) === '1e-3', 'eps keeps 1e-3 while typing');
      await stack.setField('1', 'numFeatures', '-8');
      expectTrue((await valueOf(w, 'field-1-numFeatures')) === '-8', 'num_features shows -8');
      await w.page.getByTestId('field-1-numFeatures-error').filter({ hasText: 'num_features must be ≥ 1' }).waitFor();
      await w.page.getByTestId('validation-status').filter({ hasText: '✗ fix the marked field' }).waitFor();
      expectTrue(await w.page.getByTestId('build').isDisabled(), 'Build is disabled while a field does not parse');
      // Escape restores the value the edit started from (32).
      await w.page.getByTestId('field-1-numFeatures').press('Escape');
      expectTrue((await valueOf(w, 'field-1-numFeatures')) === '32', 'Escape restores 32');
      await w.page.getByTestId('validation-status').filter({ hasText: '✓' }).waitFor();
      await stack.setField('1', 'numFeatures', '');
      await w.page.getByTestId('field-1-numFeatures-error').filter({ hasText: 'type a number' }).waitFor();
      await w.page.getByTestId('field-1-numFeatures').press('Escape');
      await stack.setField('1', 'momentum', 'None');
      await stack.setField('0', 'outFeatures', '32');
      await stack.setBatchShape('8, 16');
      await w.page.getByTestId('validation-status').filter({ hasText: '✓' }).waitFor();
      const built2 = await stack.build();
      expectTrue(built2.includes('eps=0.001, momentum=None,'), `built eps=0.001, momentum=None: ${built2}`);
      // Stepping: mean -1, lr 1e-3, N typed whole.
      await shell.go('stepping');
      await typeInto(w.page.getByTestId('input-mean'), '-1');
      expectTrue((await valueOf(w, 'input-mean')) === '-1', 'mean shows -1');
      await typeInto(w.page.getByTestId('lr'), '1e-3');
      expectTrue((await valueOf(w, 'lr')) === '1e-3', 'lr shows 1e-3');
      await typeInto(w.page.getByTestId('run-steps'), '-5');
      await w.page.getByTestId('run-steps-error').filter({ hasText: 'N must be ≥ 1' }).waitFor();
      await typeInto(w.page.getByTestId('run-steps'), '12', { enter: true });
      expectTrue((await valueOf(w, 'run-steps')) === '12', 'N shows 12');
      await shell.screenshot('15-numeric-fields');
    },
  },
  {
    name: 'workbench: Apply conversion converts the built stack; tree, inspector and stepping say SyncBatchNorm, statistics kept',
    async run(w) {
      const shell = await fresh(w);
      const stack = new StackPage(w.page);
      await shell.go('stack');
      await stack.preset('CNN (BatchNorm2d)');
      await stack.build();
      await shell.go('stepping');
      const stepping = new SteppingPage(w.page);
      await stepping.trainStepTo(1);
      await stepping.trainStepTo(2);
      await shell.go('inspect');
      await w.page.getByTestId('inspect-head').filter({ hasText: 'BatchNorm2d(8)' }).waitFor();
      await shell.go('stack');
      await stack.previewSync();
      await w.page.getByTestId('apply-sync').click();
      await w.page.getByTestId('stack-summary').filter({ hasText: 'SyncBatchNorm(8, eps=1e-05' }).waitFor();
      await w.page.getByTestId('layer-1').filter({ hasText: 'SyncBatchNorm' }).waitFor();
      await shell.go('inspect');
      const head = w.page.getByTestId('inspect-head');
      await head.filter({ hasText: 'SyncBatchNorm(8)' }).waitFor();
      const text = (await head.textContent()) ?? '';
      expectTrue(text.includes('num_batches_tracked = 2'), `the counter survives the conversion: ${text}`);
      await shell.go('stepping');
      await w.page.getByTestId('forward').click();
      await w.page.getByTestId('step-table').filter({ hasText: 'SyncBatchNorm' }).waitFor();
    },
  },
  {
    name: 'workbench: no stale panels (train-vs-eval after steps, steps/s after rebuild and backend switch, roll back, rank pids after restart)',
    async run(w) {
      const shell = await fresh(w);
      const stack = new StackPage(w.page);
      await shell.go('stack');
      await stack.preset('MLP (BatchNorm1d)');
      await stack.build();
      await shell.go('stepping');
      // Train vs eval is of one state: the next step drops it.
      await w.page.getByTestId('compare').click();
      await w.page.getByTestId('compare-table').waitFor();
      await new SteppingPage(w.page).trainStepTo(1);
      await w.page.getByTestId('compare-table').waitFor({ state: 'detached' });
      // steps/s belongs to the stack and backend it was measured on.
      await typeInto(w.page.getByTestId('run-steps'), '5');
      await w.page.getByTestId('run').click();
      await w.page.getByTestId('run-result').waitFor({ timeout: 60_000 });
      await w.page.keyboard.press('Control+B');
      await w.page.getByTestId('step-count').filter({ hasText: 'step 0 ' }).waitFor();
      expectTrue((await w.page.getByTestId('run-result').count()) === 0, 'steps/s gone after a rebuild');
      await w.page.getByTestId('run').click();
      await w.page.getByTestId('run-result').waitFor({ timeout: 60_000 });
      await shell.go('backends');
      const other = (await w.page.getByTestId('active-backend').textContent())?.includes('active: ts') ? 'cpu' : 'ts';
      if (await w.page.getByTestId(`use-${other}`).isEnabled()) {
        await w.page.getByTestId(`use-${other}`).click();
        await w.page
          .getByTestId('active-backend')
          .filter({ hasText: `active: ${other}` })
          .waitFor();
        await shell.go('stepping');
        expectTrue((await w.page.getByTestId('run-result').count()) === 0, 'steps/s gone after a backend switch');
      } else w.skipped.push(`backend switch: ${other} not available here`);
      // Roll back: the header and the table agree.
      await shell.go('stepping');
      await w.page.getByTestId('snapshot').click();
      await w.page.getByTestId('step-count').filter({ hasText: '1 snapshot' }).waitFor();
      await new SteppingPage(w.page).trainStepTo(6);
      await w.page.getByTestId('rollback').click();
      await w.page.getByTestId('step-count').filter({ hasText: 'step 5 ' }).waitFor();
      await w.page.getByTestId('ws-stepping').getByText('At step 5 (restored or reset)').waitFor();
      // Rank lanes after Restart group name the new processes.
      await shell.go('stack');
      await stack.previewSync();
      await w.page.getByTestId('apply-sync').click();
      await w.page.getByTestId('stack-summary').filter({ hasText: 'SyncBatchNorm' }).waitFor();
      await shell.go('ranks');
      await typeInto(w.page.getByTestId('ranks-world'), '2');
      await typeInto(w.page.getByTestId('ranks-shards'), '');
      await w.page.getByTestId('ranks-start').click();
      await w.page.getByTestId('ranks-badge').filter({ hasText: '2 alive' }).waitFor({ timeout: 60_000 });
      const pidOf = async (r: number) =>
        /pid (\d+)/.exec((await w.page.getByTestId(`lane-${r}`).textContent()) ?? '')?.[1];
      const before = [await pidOf(0), await pidOf(1)];
      expectTrue(before.every(Boolean), `lanes show pids: ${before.join(', ')}`);
      await w.page.getByTestId('ranks-restart').click();
      await w.page
        .getByTestId('lane-0')
        .filter({ hasNotText: `pid ${before[0]} ` })
        .filter({ hasText: 'alive' })
        .waitFor({ timeout: 60_000 });
      const after = [await pidOf(0), await pidOf(1)];
      expectTrue(
        after.every((p) => p && !before.includes(p)),
        `after Restart group the lanes show the new pids: ${before.join(', ')} → ${after.join(', ')}`,
      );
      await w.page.getByText('Stop', { exact: true }).click();
    },
  },
  {
    name: 'workbench: a failed open clears the previous file and its buttons',
    async run(w) {
      const shell = await fresh(w);
      await shell.go('checkpoints');
      await typeInto(w.page.getByTestId('ck-path'), join(corpus, 'tiny_state_dict.pt'), { enter: true });
      await w.page.getByTestId('ck-summary').filter({ hasText: 'tiny_state_dict.pt' }).waitFor({ timeout: 15_000 });
      await w.page.getByTestId('ck-to-load').waitFor();
      await typeInto(w.page.getByTestId('ck-path'), join(corpus, 'no_such_file.pt'), { enter: true });
      await w.page.getByTestId('ck-error').waitFor({ timeout: 15_000 });
      await w.page.getByTestId('ck-summary').waitFor({ state: 'detached' });
      expectTrue(
        (await w.page.getByTestId('ck-to-load').count()) === 0,
        'no "load from this file" button for the old file',
      );
      expectTrue(
        (await w.page.getByTestId('ck-build-stack').count()) === 0,
        'no "build a stack" button for the old file',
      );
      await shell.go('stateDict');
      expectTrue(
        (await w.page.getByTestId('load-preview').count()) === 0,
        'the State dict workspace offers no old file',
      );
    },
  },
  {
    name: "workbench: a stack built from a file's BatchNorm layers loads that file (keys map, eps shown)",
    async run(w) {
      const shell = await fresh(w);
      await shell.go('checkpoints');
      await typeInto(w.page.getByTestId('ck-path'), join(corpus, 'tiny_dataparallel.pt'), { enter: true });
      await w.page.getByTestId('ck-summary').filter({ hasText: 'tiny_dataparallel.pt' }).waitFor({ timeout: 15_000 });
      await w.page.getByTestId('ck-build-stack').click();
      await w.page
        .getByTestId('stack-summary')
        .filter({ hasText: '4 BatchNorm layer(s)' })
        .waitFor({ timeout: 15_000 });
      expectTrue((await valueOf(w, 'field-0-eps')) === '0.00001', 'the built rows show eps');
      await shell.go('checkpoints');
      await w.page.getByTestId('ck-to-load').click();
      await w.page.getByTestId('load-preview').click();
      await w.page
        .getByTestId('load-renaming')
        .filter({ hasText: "built from this file's BatchNorm layers" })
        .waitFor();
      const renamed = (await w.page.getByTestId('strict-renamed-message').textContent()) ?? '';
      expectTrue(
        renamed.includes('Missing key(s) in state_dict: "2.weight", "2.bias"') && !renamed.includes('module.'),
        `after the layer map only the adapter is missing: ${renamed}`,
      );
      await w.page.getByTestId('load-strict').uncheck();
      await w.page.getByTestId('load-apply').click();
      await w.page
        .getByTestId('load-report')
        .filter({ hasText: 'missing 2 · unexpected 0' })
        .waitFor({ timeout: 10_000 });
    },
  },
  {
    name: 'workbench: the load preview says it strips module. and that PyTorch strict load would raise',
    async run(w) {
      const shell = await fresh(w);
      const stack = new StackPage(w.page);
      await shell.go('stack');
      // Stack matching mlp_bn_v1.pt's first three layers; the file keeps a fifth (a BatchNorm the stack lacks).
      await stack.preset('MLP (BatchNorm1d)');
      await stack.setField('0', 'inFeatures', '4');
      await stack.setField('0', 'outFeatures', '8');
      await stack.setField('1', 'numFeatures', '8');
      await stack.setField('3', 'inFeatures', '8');
      await stack.setField('3', 'outFeatures', '3');
      await stack.setBatchShape('64, 4');
      await w.page.getByTestId('validation-status').filter({ hasText: '✓' }).waitFor();
      await stack.build();
      await shell.go('checkpoints');
      await typeInto(w.page.getByTestId('ck-path'), join(corpus, 'mlp_bn_v1.pt'), { enter: true });
      await w.page.getByTestId('ck-summary').filter({ hasText: 'mlp_bn_v1.pt' }).waitFor({ timeout: 15_000 });
      await w.page.getByTestId('ck-to-load').click();
      await w.page.getByTestId('load-preview').click();
      await w.page.getByTestId('migration-plan').filter({ hasText: '1.num_batches_tracked = 0' }).waitFor();
      const plan = (await w.page.getByTestId('migration-plan').textContent()) ?? '';
      expectTrue(
        !plan.includes('4.num_batches_tracked'),
        `no counter injected for layer 4 (no module consumes it): ${plan}`,
      );
      const alignment = (await w.page.getByTestId('alignment').textContent()) ?? '';
      expectTrue(!alignment.includes('4.num_batches_tracked'), `4.num_batches_tracked is not listed: ${alignment}`);
      // A DataParallel save of this very stack (keys `module.0.weight`, …), written by the engine's
      // PyTorch-format writer: the prefix is stripped, and the preview says PyTorch would raise.
      const dir = mkdtempSync(join(tmpdir(), 'ns-e2e-dp-'));
      const dp = join(dir, 'dataparallel_mlp.pt');
      const sd = new StateDict();
      const model = buildStack({
        layers: [
          { type: 'Linear', inFeatures: 4, outFeatures: 8 },
          { type: 'BatchNorm1d', numFeatures: 8 },
          { type: 'ReLU' },
          { type: 'Linear', inFeatures: 8, outFeatures: 3 },
        ],
      });
      const live = model.stateDict();
      for (const [k, t] of live) sd.set(`module.${k}`, t);
      for (const [p, md] of live.metadata) sd.metadata.set(p ? `module.${p}` : 'module', md);
      saveTorch(dp, sd);
      await shell.go('checkpoints');
      await typeInto(w.page.getByTestId('ck-path'), dp, { enter: true });
      await w.page.getByTestId('ck-summary').filter({ hasText: 'dataparallel_mlp.pt' }).waitFor({ timeout: 15_000 });
      await w.page.getByTestId('ck-to-load').click();
      await w.page.getByTestId('load-preview').click();
      await w.page.getByTestId('load-renaming').filter({ hasText: "stripped 'module.'" }).waitFor();
      const strict = (await w.page.getByTestId('strict-message').textContent()) ?? '';
      expectTrue(
        strict.includes('would raise') && strict.includes('Unexpected key(s) in state_dict: "module.'),
        `PyTorch's strict text for the file as saved: ${strict.slice(0, 200)}`,
      );
      await w.page.getByTestId('strict-renamed-message').filter({ hasText: 'loads cleanly' }).waitFor();
      await shell.screenshot('15-load-preview');
    },
  },
  {
    name: 'workbench: browser mode opens files — Ctrl+O upload, drop onto the window, ~ and relative paths, recent files',
    async run(w) {
      const shell = await fresh(w);
      await shell.go('stack');
      // Ctrl+O from any workspace: the file picker; the upload opens in the Checkpoint browser.
      await w.page.locator('body').click({ position: { x: 600, y: 700 } });
      const chooser = w.page.waitForEvent('filechooser', { timeout: 10_000 });
      await w.page.keyboard.press('Control+O');
      await (await chooser).setFiles(join(corpus, 'tiny_state_dict.pt'));
      const summary = w.page.getByTestId('ck-summary');
      await summary.filter({ hasText: '-tiny_state_dict.pt · torch-zip' }).waitFor({ timeout: 15_000 });
      const copy = /^(\S+-tiny_state_dict\.pt) ·/.exec((await summary.textContent()) ?? '')?.[1] ?? '';
      expectTrue(copy.includes('normscope-upload-') && existsSync(copy), `the upload's private copy exists: ${copy}`);
      // A file dropped onto the window.
      const bytes = readFileSync(join(corpus, 'tiny_v1.pt')).toString('base64');
      // (A string: the e2e code compiles without DOM typings.)
      await w.page.evaluate(`(() => {
        const raw = Uint8Array.from(atob(${JSON.stringify(bytes)}), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([raw], 'tiny_v1.pt'));
        for (const type of ['dragover', 'drop'])
          document.body.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
      })()`);
      await summary.filter({ hasText: '-tiny_v1.pt · torch-zip' }).waitFor({ timeout: 15_000 });
      // The first copy went away with its checkpoint.
      for (let i = 0; i < 50 && existsSync(copy); i++) await w.page.waitForTimeout(100);
      expectTrue(!existsSync(copy), `the first upload was removed when its checkpoint closed: ${copy}`);
      // Typed paths: ~ is the host's home; a relative path says which folder it resolved against.
      await typeInto(w.page.getByTestId('ck-path'), '~/no-such-normscope-file.pt', { enter: true });
      await w.page
        .getByTestId('ck-error')
        .filter({ hasText: `~ is ${homedir()}` })
        .waitFor({ timeout: 10_000 });
      await typeInto(w.page.getByTestId('ck-path'), 'engine/io/fixtures/corpus/mlp_bn_v1.pt', { enter: true });
      await summary
        .filter({ hasText: join(process.cwd(), 'engine/io/fixtures/corpus/mlp_bn_v1.pt') })
        .waitFor({ timeout: 15_000 });
      await w.page.getByText(`relative paths resolve against the host's folder ${process.cwd()}`).waitFor();
      // Recent files: the typed one is listed (uploads are not), and opens again from the list.
      const recent = w.page.getByTestId('ck-recent');
      await recent.getByText('mlp_bn_v1.pt').waitFor();
      expectTrue(!((await recent.textContent()) ?? '').includes('tiny_v1.pt'), 'an upload is not a recent file');
      await typeInto(w.page.getByTestId('ck-path'), join(corpus, 'tiny_state_dict_next.pt'), { enter: true });
      await summary.filter({ hasText: 'tiny_state_dict_next.pt' }).waitFor({ timeout: 15_000 });
      await recent.getByText('mlp_bn_v1.pt').click();
      await summary.filter({ hasText: 'mlp_bn_v1.pt' }).waitFor({ timeout: 15_000 });
      await shell.screenshot('15-browser-open');
    },
  },
  {
    name: 'workbench: exact values — chart hover read-outs and per-channel tables with CSV (inspector, diff)',
    async run(w) {
      const shell = await fresh(w);
      const stack = new StackPage(w.page);
      await shell.go('stack');
      await stack.preset('MLP (BatchNorm1d)');
      await stack.build();
      await shell.go('stepping');
      await new SteppingPage(w.page).trainStepTo(1);
      await shell.go('inspect');
      const chart = w.page.getByTestId('weight-chart').locator('svg');
      const box = (await chart.boundingBox())!;
      await w.page.mouse.move(box.x + 3, box.y + box.height / 2);
      const tip = (await w.page.getByTestId('chart-tip').textContent()) ?? '';
      expectTrue(/^channel 0: -?\d/.test(tip), `hover says the channel and its value: ${tip}`);
      await w.page
        .getByTestId('mean-chart')
        .locator('svg')
        .hover({ position: { x: 3, y: 10 } });
      const tip2 = (await w.page.getByTestId('chart-tip').textContent()) ?? '';
      expectTrue(tip2.startsWith('channel 0: batch mean ') && tip2.includes('running_mean '), `line read-out: ${tip2}`);
      const table = w.page.getByTestId('inspect-channels');
      await table.locator('.vbody .vrow').first().waitFor();
      const header = (await table.locator('.vhead').textContent()) ?? '';
      expectTrue(header.includes('running_var'), `table columns: ${header}`);
      await w.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(w.served.url).origin });
      await w.page.getByTestId('inspect-channels-copy').click();
      await table.getByText('copied 32 rows as CSV').waitFor();
      const csv = (await w.page.evaluate('navigator.clipboard.readText()')) as string;
      expectTrue(
        csv.startsWith('channel,weight,bias,batch mean,running_mean,') && csv.split('\n').length === 34,
        `CSV: ${csv.slice(0, 120)}`,
      );
      // The diff's per-channel table.
      await shell.go('diff');
      await typeInto(w.page.getByTestId('diff-a'), join(corpus, 'tiny_state_dict.pt'));
      await typeInto(w.page.getByTestId('diff-b'), join(corpus, 'tiny_state_dict_next.pt'));
      await w.page.getByTestId('diff-run').click();
      await w.page.getByTestId('diff-channels').locator('.vbody .vrow').first().waitFor({ timeout: 15_000 });
      const dh = (await w.page.getByTestId('diff-channels').locator('.vhead').textContent()) ?? '';
      expectTrue(dh.includes('B − A'), `diff table columns: ${dh}`);
      await w.page
        .getByTestId('diff-overlays')
        .locator('svg')
        .first()
        .hover({ position: { x: 3, y: 10 } });
      const tip3 = (await w.page.getByTestId('chart-tip').textContent()) ?? '';
      expectTrue(tip3.startsWith('channel 0: A '), `diff overlay read-out: ${tip3}`);
    },
  },
  {
    name: 'workbench: a torch.save(model) file opens tensors-only with its tensors listed',
    async run(w) {
      const shell = await fresh(w);
      await shell.go('checkpoints');
      await typeInto(w.page.getByTestId('ck-path'), resolve('app/host/fixtures/whole_module_sequential.pt'), {
        enter: true,
      });
      await w.page.getByTestId('ck-error').filter({ hasText: 'refused global' }).waitFor({ timeout: 10_000 });
      await w.page.getByTestId('ck-tensors-only').click();
      await w.page.getByTestId('ck-summary').filter({ hasText: '7 tensors' }).waitFor({ timeout: 10_000 });
      await w.page.getByTestId('ck-tensors').getByText('1.running_var').waitFor();
    },
  },
];
