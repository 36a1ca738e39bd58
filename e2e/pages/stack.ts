/** Page object: Stack builder. */
import type { Page } from 'playwright-core';
import { typeInto } from './keys.js';

export class StackPage {
  constructor(readonly page: Page) {}

  async preset(name: string): Promise<void> {
    await this.page.getByTestId('preset').selectOption(name);
    await this.page.getByTestId('validation-status').filter({ hasText: '✓' }).waitFor();
  }

  async setBatchShape(shape: string): Promise<void> {
    await typeInto(this.page.getByTestId('input-shape'), shape);
  }

  async addLayer(type: string): Promise<void> {
    await this.page.getByTestId('new-layer-type').selectOption(type);
    await this.page.getByTestId('add-layer').click();
  }

  async setField(path: string, field: string, value: string): Promise<void> {
    await typeInto(this.page.getByTestId(`field-${path}-${field}`), value);
  }

  async layerError(path: string): Promise<string | null> {
    const el = this.page.getByTestId(`layer-error-${path}`);
    return (await el.count()) ? await el.textContent() : null;
  }

  async waitLayerError(path: string, text: string): Promise<void> {
    await this.page.getByTestId(`layer-error-${path}`).filter({ hasText: text }).waitFor({ timeout: 5000 });
  }

  async status(): Promise<string> {
    return (await this.page.getByTestId('validation-status').textContent()) ?? '';
  }

  async remove(path: string): Promise<void> {
    await this.page.getByTestId(`remove-${path}`).click();
  }

  async build(): Promise<string> {
    await this.page.getByTestId('build').click();
    await this.page.getByTestId('stack-summary').waitFor({ timeout: 15_000 });
    return (await this.page.getByTestId('stack-summary').textContent()) ?? '';
  }

  async previewSync(): Promise<string> {
    await this.page.getByTestId('preview-sync').click();
    await this.page.getByTestId('sync-preview').waitFor();
    return (await this.page.getByTestId('sync-preview').textContent()) ?? '';
  }
}
