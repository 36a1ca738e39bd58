/** Page objects: State dict, Checkpoints, Diff, Ranks, Backends. */
import type { Page } from 'playwright-core';
import { typeInto } from './keys.js';

export class StateDictPage {
  constructor(readonly page: Page) {}
  async keys(): Promise<string[]> {
    await this.page.getByTestId('sd-table').waitFor({ timeout: 10_000 });
    return this.page.getByTestId('sd-table').locator('tbody tr td:first-child').allTextContents();
  }
  async metadata(): Promise<string[]> {
    return this.page.getByTestId('sd-metadata').locator('tbody tr').allTextContents();
  }
}

export class CheckpointsPage {
  constructor(readonly page: Page) {}
  async open(path: string): Promise<void> {
    await typeInto(this.page.getByTestId('ck-path'), path);
    await this.page.getByTestId('ck-open').click();
  }
}

export class BackendsPage {
  constructor(readonly page: Page) {}
  async active(): Promise<string> {
    await this.page.getByTestId('active-backend').waitFor();
    return (await this.page.getByTestId('active-backend').textContent()) ?? '';
  }
  async rows(): Promise<string[]> {
    return this.page.getByTestId('backends-table').locator('tbody tr').allTextContents();
  }
  /** The "tensors" cell of one backend's row: where its tensors live, and the bytes moved so far. */
  async residency(name: string): Promise<string> {
    const cell = this.page.getByTestId(`residency-${name}`);
    await cell.waitFor();
    return (await cell.textContent()) ?? '';
  }
  /** The host allocator's line under the table: bytes in use, cached for reuse, peak. */
  async hostMemory(): Promise<string> {
    const line = this.page.getByTestId('host-memory');
    await line.waitFor();
    return (await line.textContent()) ?? '';
  }
  async runBench(): Promise<string[]> {
    await this.page.getByTestId('run-bench').click();
    await this.page.getByTestId('bench-table').waitFor({ timeout: 60_000 });
    return this.page.getByTestId('bench-table').locator('tbody tr').allTextContents();
  }
}
