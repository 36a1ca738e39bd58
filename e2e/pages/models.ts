/** Page object: the Models workspace (an imported .onnx with its checkpoint, steps, inspector, recalibration, training). */
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

  /** Types an input .npy's path and uses it; waits for the input line to name the file. */
  async useInput(path: string): Promise<string> {
    await typeInto(this.page.getByTestId('model-input-path'), path);
    await this.page.getByTestId('model-input-open').click();
    const line = this.page.getByTestId('model-input').filter({ hasText: path });
    await line.waitFor({ timeout: 20_000 });
    return (await line.textContent()) ?? '';
  }

  /** A model with several inputs: the line of input `name` (its declared shape and what feeds it). */
  async inputLine(name: string): Promise<string> {
    return (await this.page.getByTestId(`model-input-${name}`).textContent()) ?? '';
  }

  /** A model with several inputs: types input `name`'s .npy path and clicks Use (a refusal shows as the error). */
  async submitInputFor(name: string, path: string): Promise<void> {
    await typeInto(this.page.getByTestId(`model-input-${name}-path`), path);
    await this.page.getByTestId(`model-input-${name}-open`).click();
  }

  /** A model with several inputs: types input `name`'s .npy path and uses it; waits for its line to name the file. */
  async useInputFor(name: string, path: string): Promise<string> {
    await this.submitInputFor(name, path);
    const line = this.page.getByTestId(`model-input-${name}`).filter({ hasText: path });
    await line.waitFor({ timeout: 20_000 });
    return (await line.textContent()) ?? '';
  }

  /** A model with several inputs: types batch and seed for input `name` and generates it; waits for its line. */
  async generateInputFor(name: string, batch: string, seed: string): Promise<string> {
    await typeInto(this.page.getByTestId(`model-batch-${name}`), batch);
    await typeInto(this.page.getByTestId(`model-seed-${name}`), seed);
    await this.page.getByTestId(`model-generate-${name}`).click();
    const line = this.page
      .getByTestId(`model-input-${name}`)
      .filter({ hasText: `[${batch},` })
      .filter({ hasText: `generated (seed ${seed})` });
    await line.waitFor({ timeout: 20_000 });
    return (await line.textContent()) ?? '';
  }

  /** Waits for the workspace's error line to contain `text`; returns it. */
  async error(text: string): Promise<string> {
    const e = this.page.getByTestId('model-error').filter({ hasText: text });
    await e.waitFor({ timeout: 20_000 });
    return (await e.textContent()) ?? '';
  }

  /** Types a target .npy's path for training and uses it. */
  async useTarget(path: string): Promise<string> {
    await typeInto(this.page.getByTestId('model-target-path'), path);
    await this.page.getByTestId('model-target-open').click();
    const line = this.page.getByTestId('model-train-target').filter({ hasText: path });
    await line.waitFor({ timeout: 20_000 });
    return (await line.textContent()) ?? '';
  }

  /** Types a training setting (steps, lr, momentum, weightDecay, batchSize, seed) on the keyboard. */
  async setTrain(field: string, text: string): Promise<void> {
    await typeInto(this.page.getByTestId(`model-train-${field}`), text);
  }

  /** The error shown at a training field ('' when there is none). */
  async trainFieldError(field: string): Promise<string> {
    const e = this.page.getByTestId(`model-train-${field}-error`);
    return (await e.count()) ? ((await e.textContent()) ?? '') : '';
  }

  /** Clicks Train while a field does not parse: returns the refusal shown in the panel. */
  async trainRefused(): Promise<string> {
    await this.page.getByTestId('model-train').click();
    const error = this.page.getByTestId('model-train-error');
    await error.waitFor({ timeout: 20_000 });
    return (await error.textContent()) ?? '';
  }

  /** Clicks Train and waits for the result line (a refusal from the host fails with its text). */
  async train(): Promise<string> {
    await this.page.getByTestId('model-train').click();
    const result = this.page.getByTestId('model-train-result');
    try {
      await result.waitFor({ timeout: 60_000 });
    } catch (e) {
      const error = this.page.getByTestId('model-train-error');
      throw new Error(`no training result: ${(await error.count()) ? await error.textContent() : String(e)}`);
    }
    return (await result.textContent()) ?? '';
  }

  /** Starts training, waits for the first streamed losses, cancels; returns the live line and the result. */
  async trainAndCancel(): Promise<{ live: string; result: string }> {
    await this.page.getByTestId('model-train').click();
    const live = this.page.getByTestId('model-train-live');
    await live.waitFor({ timeout: 30_000 });
    const liveText = (await live.textContent()) ?? '';
    await this.page.getByTestId('model-train-cancel').click();
    const result = this.page.getByTestId('model-train-result').filter({ hasText: 'cancelled' });
    await result.waitFor({ timeout: 30_000 });
    return { live: liveText, result: (await result.textContent()) ?? '' };
  }

  async trainLive(): Promise<string> {
    return (await this.page.getByTestId('model-train-live').textContent()) ?? '';
  }

  /** The listed latest losses, as shown. */
  async trainLosses(): Promise<string[]> {
    return this.page.getByTestId('model-train-losses').locator('li').allTextContents();
  }

  /** The layers the result's table says training moved. */
  async trainedLayers(): Promise<string[]> {
    return this.page.getByTestId('model-train-changes').locator('tbody tr td:first-child').allTextContents();
  }

  /** The inspector's head line once it shows `num_batches_tracked = n`. */
  async inspectorCount(n: number): Promise<string> {
    const head = this.page
      .getByTestId('model-inspector')
      .getByTestId('inspect-head')
      .filter({ hasText: `num_batches_tracked = ${n} ` });
    await head.waitFor({ timeout: 20_000 });
    return (await head.textContent()) ?? '';
  }

  /** A BatchNorm's num_batches_tracked as the layer tree shows it. */
  async bnCount(layer: string): Promise<string> {
    return (await this.page.getByTestId(`model-bn-count-${layer}`).textContent()) ?? '';
  }

  async exportTo(path: string): Promise<string> {
    await typeInto(this.page.getByTestId('model-export-path'), path);
    await this.page.getByTestId('model-export').click();
    const line = this.page.getByTestId('model-exported');
    await line.waitFor({ timeout: 20_000 });
    return (await line.textContent()) ?? '';
  }
}
