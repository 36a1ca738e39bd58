/** Page object: Layer inspector. */
import type { Page } from 'playwright-core';

export class InspectorPage {
  constructor(readonly page: Page) {}

  async head(): Promise<string> {
    await this.page.getByTestId('inspect-head').waitFor({ timeout: 10_000 });
    return (await this.page.getByTestId('inspect-head').textContent()) ?? '';
  }

  async whySummary(): Promise<string> {
    return (await this.page.getByTestId('why-summary').textContent()) ?? '';
  }

  async currentTruthRow(): Promise<string[]> {
    return this.page.getByTestId('truth-current').locator('td').allTextContents();
  }

  async factorUsed(): Promise<string> {
    return (await this.page.getByTestId('factor-used').textContent()) ?? '';
  }

  async truthRows(): Promise<number> {
    return this.page.getByTestId('truth-table').locator('tbody tr').count();
  }
}
