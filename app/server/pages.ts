/**
 * What browser mode answers without the token: the page that says the token is missing or wrong,
 * and the small script it loads. The window strips ?token= from the address bar and keeps it in
 * sessionStorage (per scheme, host and port); a reload then lands here without it, and the script
 * retries once with the stored token. A stored token that is refused too (an older run) is dropped.
 */
import { contentSecurityPolicy } from '../shared/csp.js';
import { TOKEN_MESSAGE, TOKEN_STORAGE_KEY } from '../shared/wire.js';

export const RETRY_SCRIPT_PATH = '/normscope-token-retry.js';

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export const TOKEN_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>NormScope: token needed</title></head>
<body><p id="normscope-token-message">${escapeHtml(TOKEN_MESSAGE)}</p>
<script src="${RETRY_SCRIPT_PATH}"></script></body></html>
`;

export const RETRY_SCRIPT = `(() => {
  const key = ${JSON.stringify(TOKEN_STORAGE_KEY)};
  const params = new URLSearchParams(location.search);
  let stored = null;
  try { stored = sessionStorage.getItem(key); } catch (e) {}
  if (stored && !params.has('token')) {
    location.replace(location.pathname + '?token=' + encodeURIComponent(stored));
    return;
  }
  if (params.has('token')) {
    try { sessionStorage.removeItem(key); } catch (e) {}
    history.replaceState(null, '', location.pathname);
  }
})();
`;

/** The token page's policy: its own script only. */
export const TOKEN_PAGE_CSP =
  "default-src 'none'; script-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Headers of the window's page (index.html) served to `host` (a Host value the server accepted):
 * the shared CSP with this server's socket added, and no framing.
 */
export function pageHeaders(host: string): Record<string, string> {
  const headers: Record<string, string> = { 'X-Frame-Options': 'DENY' };
  headers['Content-Security-Policy'] = contentSecurityPolicy([`ws://${host.toLowerCase()}`]);
  return headers;
}
