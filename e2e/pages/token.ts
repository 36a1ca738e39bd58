/** Page object: browser mode's token (address bar, sessionStorage, the "missing or wrong token" message). */
import type { Page } from 'playwright-core';
import { TOKEN_MESSAGE, TOKEN_STORAGE_KEY } from '../../app/shared/wire.js';

export { TOKEN_MESSAGE };

export class TokenPage {
  constructor(readonly page: Page) {}

  /** Whether the address bar (and so the history entry) still holds a token. */
  urlHasToken(): boolean {
    return new URL(this.page.url()).searchParams.has('token');
  }

  /** The token this tab keeps (sessionStorage is per scheme, host and port). */
  async storedToken(): Promise<string | null> {
    return (await this.page.evaluate(`sessionStorage.getItem(${JSON.stringify(TOKEN_STORAGE_KEY)})`)) as string | null;
  }

  /** Waits for the page to say the token is missing or wrong, and returns what it says. */
  async message(): Promise<string> {
    const el = this.page.locator('#normscope-token-message');
    await el.waitFor({ timeout: 10_000 });
    return (await el.textContent()) ?? '';
  }
}
