/**
 * The window's Content-Security-Policy, the same in Electron and browser mode: only the app's own
 * scripts and styles, no eval, no inline scripts, no plugins, no framing, no form posts, and
 * connections only back to the host that served it (`connectSrc` adds the browser-mode socket).
 */
export function contentSecurityPolicy(connectSrc: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${connectSrc.map((c) => ` ${c}`).join('')}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
