/** Page object: the Models workspace (an imported .onnx with its checkpoint, steps, inspector, recalibration). */
import type { Page } from 'playwright-core';
import { typeInto } from './keys.js';

export class ModelsPage {
  constructor(readonly page: Page) {}

  /** Types the model's path on the keyboard and opens it; waits for the layer tree. */
  async open(path: string): Promise<void> {
    await typeInto(this.page.getByTestId('model-model-path'), path);
    await this.page.getByTestId('model-model-open').click();
    await this.page.getByTestId('model-layers').waitFor({ timeout: 20_000 });
  }

  /** Picks a checkpoint through the upload picker (browser mode) and waits for the strict report. */
  async uploadWeights(file: string): Promise<string> {
    await this.page.getByTestId('model-weights-file').setInputFiles(file);
    const line = this.page.getByTestId('model-weights');
    await line.waitFor({ timeout: 20_000 });
    return (await line.textContent()) ?? '';
  }

  async layerNames(): Promise<string[]> {
    return this.page.getByTestId('model-layers').locator('tbody tr td:first-child').allTextContents();
  }

  async step(mode: 'train' | 'eval'): Promise<string> {
    await this.page.getByTestId(`model-step-${mode}`).click();
    const line = this.page.getByTestId('model-step-result').filter({ hasText: `(${mode},` });
    await line.waitFor({ timeout: 20_000 });
    return (await line.textContent()) ?? '';
  }

  async compare(): Promise<string> {
    await this.page.getByTestId('model-compare').click();
    const first = this.page.getByTestId('first-divergent');
    await first.waitFor({ timeout: 20_000 });
    return (await first.locator('td').first().textContent()) ?? '';
  }

  async inspect(layer: string): Promise<string> {
    await this.page.getByTestId(`inspect-${layer}`).click();
    const head = this.page.getByTestId('model-inspector').getByTestId('inspect-head').filter({ hasText: layer });
    await head.waitFor({ timeout: 20_000 });
    return (await head.textContent()) ?? '';
  }

  async recalibrate(batchSize: string): Promise<string> {
    await typeInto(this.page.getByTestId('model-recal-batch'), batchSize);
    await this.page.getByTestId('model-recalibrate').click();
    const line = this.page.getByTestId('model-recal-result');
    await line.waitFor({ timeout: 30_000 });
    return (await line.textContent()) ?? '';
  }

  async exportTo(path: string): Promise<string> {
    await typeInto(this.page.getByTestId('model-export-path'), path);
    await this.page.getByTestId('model-export').click();
    const line = this.page.getByTestId('model-exported');
    await line.waitFor({ timeout: 20_000 });
    return (await line.textContent()) ?? '';
  }
}
