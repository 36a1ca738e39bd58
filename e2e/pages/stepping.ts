/** Page object: Stepping. */
import type { Page } from 'playwright-core';
import { typeInto } from './keys.js';

export class SteppingPage {
  constructor(readonly page: Page) {}

  async stepCount(): Promise<string> {
    return (await this.page.getByTestId('step-count').textContent()) ?? '';
  }

  async waitStep(n: number): Promise<void> {
    await this.page
      .getByTestId('step-count')
      .filter({ hasText: `step ${n} ` })
      .waitFor({ timeout: 15_000 });
  }

  async mode(m: 'train' | 'eval'): Promise<void> {
    await this.page.getByTestId(`mode-${m}`).click();
    await this.page.getByTestId('step-count').filter({ hasText: m }).waitFor();
  }

  async forward(): Promise<void> {
    await this.page.getByTestId('forward').click();
  }

  async trainStep(): Promise<void> {
    await this.page.getByTestId('train-step').click();
  }

  /** One train step, then waits until the counter reads step n. */
  async trainStepTo(n: number): Promise<void> {
    await this.trainStep();
    await this.waitStep(n);
  }

  async setRunSteps(n: number): Promise<void> {
    await typeInto(this.page.getByTestId('run-steps'), String(n));
  }

  /** Clicks Run and waits for the run's summary line; returns it. */
  async runAndWait(timeout = 120_000): Promise<string> {
    await this.page.getByTestId('run').click();
    await this.page
      .getByTestId('cancel-run')
      .waitFor({ timeout: 5000 })
      .catch(() => undefined);
    await this.page.getByTestId('run').waitFor({ timeout });
    return (await this.page.getByTestId('run-result').textContent()) ?? '';
  }

  async newBatch(opts: { mean?: number; shift?: number }): Promise<void> {
    if (opts.mean !== undefined) await typeInto(this.page.getByTestId('input-mean'), String(opts.mean));
    if (opts.shift !== undefined) await typeInto(this.page.getByTestId('input-shift'), String(opts.shift));
    await this.page.getByTestId('apply-input').click();
  }

  async compare(): Promise<string | null> {
    await this.page.getByTestId('compare').click();
    await this.page.getByTestId('compare-table').waitFor();
    const first = this.page.getByTestId('first-divergent');
    return (await first.count()) ? ((await first.locator('td').first().textContent()) ?? null) : null;
  }

  async error(): Promise<string | null> {
    const e = this.page.getByTestId('stepping-error');
    return (await e.count()) ? await e.textContent() : null;
  }
}
