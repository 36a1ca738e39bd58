/**
 * Browser mode's token in the window: taken from ?token= on the first load, kept in sessionStorage
 * (scoped to scheme, host and port, and to this tab; cookies ignore ports, so no cookie carries it)
 * and removed from the address bar and history with history.replaceState. A reload arrives without
 * it; the server's token page then retries with the stored one (app/server/pages.ts).
 */
import { TOKEN_HEADER, TOKEN_MESSAGE, TOKEN_STORAGE_KEY } from '../../../app/shared/wire';

export { TOKEN_HEADER, TOKEN_MESSAGE };

/** What the token needs from the page (the real window, or a fake in tests). */
export interface TokenPage {
  location: { pathname: string; search: string; hash: string };
  history: { state: unknown; replaceState(data: unknown, unused: string, url: string): void };
  sessionStorage: {
    getItem(k: string): string | null;
    setItem(k: string, v: string): void;
    removeItem(k: string): void;
  };
}

let cached: string | null | undefined;

/** The session's token (null when the page was opened without one); strips it from the address bar. */
export function takeToken(page: TokenPage = window): string | null {
  if (cached !== undefined) return cached;
  const params = new URLSearchParams(page.location.search);
  const fromUrl = params.get('token');
  if (fromUrl) {
    try {
      page.sessionStorage.setItem(TOKEN_STORAGE_KEY, fromUrl);
    } catch {
      // Storage disabled: the token still works for this page; a reload will need the URL again.
    }
    params.delete('token');
    const q = params.toString();
    page.history.replaceState(
      page.history.state,
      '',
      `${page.location.pathname}${q ? `?${q}` : ''}${page.location.hash}`,
    );
    return (cached = fromUrl);
  }
  try {
    return (cached = page.sessionStorage.getItem(TOKEN_STORAGE_KEY));
  } catch {
    return (cached = null);
  }
}

/** Forgets a token the server refused (an older run's), so the next load asks for the URL again. */
export function dropToken(page: TokenPage = window): void {
  cached = null;
  try {
    page.sessionStorage.removeItem(TOKEN_STORAGE_KEY);
  } catch {
    // nothing stored
  }
}

/** For tests: forget the memoized token. */
export function resetTokenForTests(): void {
  cached = undefined;
}

/** Headers for the window's own fetches to the server (e.g. a browser-mode upload). */
export function tokenHeaders(): Record<string, string> {
  const t = takeToken();
  return t ? { [TOKEN_HEADER]: t } : {};
}
