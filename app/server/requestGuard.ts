/**
 * Parsing of what a client sends before anything trusts it: the request target, the Host and
 * Origin headers and the token. Pure functions that return null (or false) for anything malformed;
 * none of them throws, so a hostile request line becomes a 4xx, never an exception.
 */
import { timingSafeEqual } from 'node:crypto';
import { TOKEN_HEADER } from '../shared/wire.js';

/** Longest request target accepted (Node's header limit bounds it too). */
const MAX_TARGET = 8192;

export interface Target {
  /** The decoded path, always starting with "/". */
  path: string;
  query: URLSearchParams;
}

/** Decodes percent-escapes; null for a malformed escape or a NUL (never throws). */
export function safeDecode(s: string): string | null {
  try {
    const out = decodeURIComponent(s);
    return out.includes('\0') ? null : out;
  } catch {
    return null;
  }
}

/**
 * The origin-form target of a request line (`/path?query`); null for the absolute form
 * (`http://…`), authority or asterisk forms, over-long targets and malformed escapes.
 */
export function parseTarget(raw: string | undefined): Target | null {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_TARGET || raw[0] !== '/') return null;
  if (raw.startsWith('//')) return null; // a scheme-relative target would name another host
  const q = raw.indexOf('?');
  const rawPath = q < 0 ? raw : raw.slice(0, q);
  const hash = rawPath.indexOf('#');
  const path = safeDecode(hash < 0 ? rawPath : rawPath.slice(0, hash));
  if (path === null || path.includes('\\')) return null;
  // URLSearchParams never throws; malformed escapes in the query become U+FFFD.
  return { path, query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

/** The Host values this server answers to (DNS rebinding defence): loopback names with its port. */
export function hostAllowed(host: string | undefined, port: number): boolean {
  if (typeof host !== 'string') return false;
  const h = host.toLowerCase();
  return h === `127.0.0.1:${port}` || h === `localhost:${port}` || h === `[::1]:${port}`;
}

/** A browser's Origin for a page of this server (absent: a non-browser client, which still needs the token). */
export function originAllowed(origin: string | undefined, port: number): boolean {
  if (origin === undefined) return true;
  const o = origin.toLowerCase();
  return o === `http://127.0.0.1:${port}` || o === `http://localhost:${port}` || o === `http://[::1]:${port}`;
}

export function tokensEqual(a: string | null | undefined, b: string): boolean {
  if (typeof a !== 'string') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The token a request carries: `?token=` or the X-NormScope-Token header. */
export function requestToken(target: Target, headers: Record<string, string | string[] | undefined>): string | null {
  const h = headers[TOKEN_HEADER.toLowerCase()];
  if (typeof h === 'string') return h;
  return target.query.get('token');
}
