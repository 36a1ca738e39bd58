import { beforeEach, describe, expect, it } from 'vitest';
import { TOKEN_STORAGE_KEY } from '../../../app/shared/wire';
import { dropToken, resetTokenForTests, takeToken, type TokenPage } from './token';

function fakePage(
  url: string,
  stored: Record<string, string> = {},
): TokenPage & { url: string; store: Map<string, string> } {
  const u = new URL(url);
  const store = new Map(Object.entries(stored));
  const page = {
    url,
    store,
    location: { pathname: u.pathname, search: u.search, hash: u.hash },
    history: {
      state: { s: 1 },
      replaceState(_d: unknown, _t: string, next: string) {
        page.url = new URL(next, url).href;
      },
    },
    sessionStorage: {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
      removeItem: (k: string) => void store.delete(k),
    },
  };
  return page;
}

beforeEach(() => resetTokenForTests());

describe('the window keeps the token out of the address bar', () => {
  it('moves ?token= into sessionStorage and strips it, keeping the other parameters and the hash', () => {
    const page = fakePage('http://127.0.0.1:8765/?a=1&token=s3cr%2Bt&b=2#ranks');
    expect(takeToken(page)).toBe('s3cr+t');
    expect(page.store.get(TOKEN_STORAGE_KEY)).toBe('s3cr+t');
    expect(page.url).toBe('http://127.0.0.1:8765/?a=1&b=2#ranks');
  });

  it('after a reload (no ?token=) uses the stored one and leaves the URL alone', () => {
    const page = fakePage('http://127.0.0.1:8765/', { [TOKEN_STORAGE_KEY]: 'kept' });
    expect(takeToken(page)).toBe('kept');
    expect(page.url).toBe('http://127.0.0.1:8765/');
  });

  it('is null without either, and a refused token is dropped', () => {
    expect(takeToken(fakePage('http://127.0.0.1:8765/'))).toBeNull();
    resetTokenForTests();
    const page = fakePage('http://127.0.0.1:8765/', { [TOKEN_STORAGE_KEY]: 'old' });
    expect(takeToken(page)).toBe('old');
    dropToken(page);
    expect(page.store.has(TOKEN_STORAGE_KEY)).toBe(false);
    expect(takeToken(page)).toBeNull();
  });

  it('still strips the token when storage throws (disabled storage)', () => {
    const page = fakePage('http://127.0.0.1:8765/?token=t');
    page.sessionStorage.setItem = () => {
      throw new Error('SecurityError');
    };
    expect(takeToken(page)).toBe('t');
    expect(page.url).toBe('http://127.0.0.1:8765/');
  });
});
