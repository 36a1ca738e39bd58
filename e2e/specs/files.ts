/** Specs: open a PyTorch-made checkpoint, refuse a hostile pickle, migrate + load into the stack, diff. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expectTrue, type Spec } from '../harness.js';
import { Shell } from '../pages/shell.js';
import { StackPage } from '../pages/stack.js';
import { typeInto } from '../pages/keys.js';

const corpus = resolve('engine/io/fixtures/corpus');
/** {'a': os.system('true')} as a protocol-2 pickle: must be refused, never run. */
const EVIL = Buffer.from(
  '\x80\x02}q\x00X\x01\x00\x00\x00aq\x01cos\nsystem\nq\x02X\x04\x00\x00\x00trueq\x03\x85q\x04Rq\x05s.',
  'latin1',
);

async function openCheckpoint(w: Parameters<Spec['run']>[0], path: string): Promise<void> {
  await typeInto(w.page.getByTestId('ck-path'), path);
  await w.page.getByTestId('ck-open').click();
}

export const fileSpecs: Spec[] = [
  {
    name: 'checkpoint browser: a PyTorch training checkpoint — tree, BatchNorm health, virtualized tensor table, stack from its BatchNorm layers',
    async run(w) {
      const shell = new Shell(w.page);
      await shell.go('checkpoints');
      await openCheckpoint(w, join(corpus, 'tiny_training_checkpoint.pt'));
      const summary = w.page.getByTestId('ck-summary');
      await summary.filter({ hasText: 'torch-zip' }).waitFor({ timeout: 15_000 });
      const health = await w.page.getByTestId('ck-health').locator('tbody tr').count();
      expectTrue(health >= 3, `BatchNorm layers listed (${health})`);
      await w.page.getByTestId('ck-tree').getByText('state_dict').first().waitFor();
      await w.page.getByTestId('ck-tensors').waitFor();
      await typeInto(w.page.getByTestId('ck-filter'), 'running_var');
      await w.page
        .getByTestId('ck-tensors')
        .locator('.vbody .vrow')
        .first()
        .filter({ hasText: 'running_var' })
        .waitFor();
      await shell.screenshot('07-checkpoints');
      await w.page.getByTestId('ck-build-stack').click();
      await w.page.getByTestId('stack-notes').filter({ hasText: 'adapter' }).waitFor({ timeout: 15_000 });
      const summary2 = (await w.page.getByTestId('stack-summary').textContent()) ?? '';
      expectTrue(
        summary2.includes('4 BatchNorm layer(s)'),
        `stack of the file's 4 BatchNorm layers: ${summary2.slice(0, 120)}`,
      );
      await shell.screenshot('07c-stack-from-checkpoint');
      await shell.go('checkpoints');
    },
  },
  {
    name: 'checkpoint browser: a pickle naming os.system is refused; tensors-only keeps it inert',
    async run(w) {
      const dir = mkdtempSync(join(tmpdir(), 'ns-e2e-evil-'));
      const file = join(dir, 'evil.pt');
      writeFileSync(file, EVIL);
      await openCheckpoint(w, file);
      await w.page
        .getByTestId('ck-error')
        .filter({ hasText: "refused global 'os.system'" })
        .waitFor({ timeout: 10_000 });
      await w.page.getByTestId('ck-tensors-only').click();
      await w.page.getByTestId('ck-refused').filter({ hasText: 'os.system' }).waitFor({ timeout: 10_000 });
      await new Shell(w.page).screenshot('07b-checkpoints-refused-global');
    },
  },
  {
    name: 'state dict: a version-1 checkpoint — migration plan, PyTorch strict message, non-strict load coverage, export',
    async run(w) {
      const shell = new Shell(w.page);
      const stack = new StackPage(w.page);
      await shell.go('stack');
      // The shapes of mlp_bn_v1.pt (Linear(4, 8), BatchNorm1d(8), ReLU, Linear(8, 3), BatchNorm1d(3)) up to its last layer.
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
      await openCheckpoint(w, join(corpus, 'mlp_bn_v1.pt'));
      await w.page.getByTestId('ck-summary').filter({ hasText: 'mlp_bn_v1.pt' }).waitFor({ timeout: 15_000 });
      await w.page.getByTestId('ck-to-load').click();
      await w.page.getByTestId('load-preview').click();
      // Layer 1 consumes its counter, so loading injects it (with the value); layer 4 is not in this stack.
      await w.page
        .getByTestId('migration-plan')
        .filter({ hasText: '1.num_batches_tracked = 0' })
        .waitFor({ timeout: 10_000 });
      const strict = (await w.page.getByTestId('strict-message').textContent()) ?? '';
      expectTrue(
        strict.includes('Error(s) in loading state_dict for Sequential:'),
        `PyTorch's strict text: ${strict.slice(0, 160)}`,
      );
      await w.page.getByTestId('load-strict').uncheck();
      await w.page.getByTestId('load-apply').click();
      await w.page.getByTestId('load-report').filter({ hasText: 'coverage' }).waitFor({ timeout: 10_000 });
      const out = join(mkdtempSync(join(tmpdir(), 'ns-e2e-export-')), 'stack.safetensors');
      await typeInto(w.page.getByTestId('export-path'), out);
      await w.page.getByTestId('export').click();
      await w.page.getByTestId('exported').filter({ hasText: 'bytes' }).waitFor({ timeout: 10_000 });
      await shell.screenshot('06b-state-dict-load');
    },
  },
  {
    name: 'diff: two PyTorch state dicts — changed tensors sorted by max |Δ|, per-channel overlays',
    async run(w) {
      const shell = new Shell(w.page);
      await shell.go('diff');
      await typeInto(w.page.getByTestId('diff-a'), join(corpus, 'tiny_state_dict.pt'));
      await typeInto(w.page.getByTestId('diff-b'), join(corpus, 'tiny_state_dict_next.pt'));
      await w.page.getByTestId('diff-run').click();
      const summary = (await w.page.getByTestId('diff-summary').textContent({ timeout: 15_000 })) ?? '';
      expectTrue(/[1-9]\d* changed/.test(summary), `changes found: ${summary}`);
      expectTrue((await w.page.getByTestId('diff-table').locator('tbody tr').count()) > 0, 'diff rows');
      await w.page.getByTestId('diff-overlays').locator('figure').first().waitFor();
      await shell.screenshot('08-diff');
    },
  },
];
