/**
 * Specs for issue 15 (workbench correctness): typed values arrive as typed, files open from the
 * browser, no panel shows stale state. Each spec starts from a fresh page load, so one can run alone
 * (`node e2e/run.mjs --only 'workbench:'`). Every field is typed on the keyboard.
 */
import { resolve } from 'node:path';
import { expectTrue, type Spec, type World } from '../harness.js';
import { typeInto } from '../pages/keys.js';
import { Shell } from '../pages/shell.js';
import { StackPage } from '../pages/stack.js';

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
];
