/** Page object: the window shell (navigation, theme, connection) and screenshots. */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ARTIFACTS } from '../harness.js';

export type WorkspaceId =
  'stack' | 'stepping' | 'inspect' | 'stateDict' | 'checkpoints' | 'diff' | 'ranks' | 'backends' | 'models';

export class Shell {
  constructor(readonly page: Page) {}

  async waitReady(): Promise<void> {
    await this.page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
    await this.page.getByTestId('connection').filter({ hasText: 'connected' }).waitFor({ timeout: 20_000 });
  }

  async go(id: WorkspaceId): Promise<void> {
    await this.page.getByTestId(`nav-${id}`).click();
    await this.page.getByTestId(`ws-${id}`).waitFor();
  }

  /** Alt+N switches workspaces from the keyboard. */
  async goByKey(n: number, id: WorkspaceId): Promise<void> {
    await this.page.keyboard.press(`Alt+${n}`);
    await this.page.getByTestId(`ws-${id}`).waitFor();
  }

  async toggleTheme(): Promise<string> {
    await this.page.getByTestId('theme-toggle').click();
    return (await this.page.evaluate('document.documentElement.dataset.theme')) as string;
  }

  async featureAvailable(id: WorkspaceId): Promise<boolean> {
    await this.go(id);
    return (await this.page.getByTestId('not-available').count()) === 0;
  }

  async notAvailableText(): Promise<string> {
    return (await this.page.getByTestId('not-available').first().textContent()) ?? '';
  }

  async screenshot(name: string): Promise<string> {
    const path = join(ARTIFACTS, `${name}.png`);
    await this.page.screenshot({ path, fullPage: false });
    return path;
  }
}
