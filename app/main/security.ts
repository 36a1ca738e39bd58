/**
 * The window's security policy as plain data and pure functions (no Electron import), so it can be
 * unit-tested without Electron: webPreferences, the CSP, which URLs the window may be at, which
 * senders may call the contract, and the answer to every permission request (no).
 */
import { contentSecurityPolicy } from '../shared/csp.js';

/** The custom scheme the renderer is served from (app://normscope/index.html). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'normscope';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;

export interface SecureWebPreferences {
  preload: string;
  contextIsolation: true;
  sandbox: true;
  nodeIntegration: false;
  nodeIntegrationInWorker: false;
  nodeIntegrationInSubFrames: false;
  webSecurity: true;
  allowRunningInsecureContent: false;
  webviewTag: false;
  experimentalFeatures: false;
  navigateOnDragDrop: false;
  spellcheck: false;
  /** Middle-click opens no link (Electronegativity's AUXCLICK check; new windows are denied anyway). */
  disableBlinkFeatures: 'Auxclick';
  devTools: boolean;
}

/**
 * The spec of the window's webPreferences. main.ts writes the same object as a literal at
 * `new BrowserWindow` (so a scanner sees every value; `satisfies SecureWebPreferences` keeps the two
 * equal), and the tests compare both the literal and the running window's options with this.
 */
export function secureWebPreferences(preload: string, devTools = false): SecureWebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    disableBlinkFeatures: 'Auxclick',
    devTools,
  };
}

/** The CSP header sent with every renderer response from the app scheme. */
export const ELECTRON_CSP = contentSecurityPolicy();

/** The window stays on the app's own pages: every navigation elsewhere is denied. */
export function isAllowedNavigation(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}

/** New windows are never opened (window.open, target=_blank, middle-click). */
export function windowOpenPolicy(): { action: 'deny' } {
  return { action: 'deny' };
}

/** Every permission (camera, notifications, clipboard, HID, …) is refused. */
export function permissionPolicy(_permission: string): boolean {
  return false;
}

/** A contract call is accepted only from the app's top frame at its own origin. */
export function isTrustedSender(frameUrl: string | undefined | null, isTopFrame: boolean): boolean {
  return isTopFrame && typeof frameUrl === 'string' && isAllowedNavigation(frameUrl);
}

/** Checkpoint extensions the app opens from the command line, dialogs, drops and file associations. */
export const CHECKPOINT_EXTENSIONS = ['pt', 'pth', 'ckpt', 'bin', 'safetensors'] as const;

export function isCheckpointPath(p: string): boolean {
  const lower = p.toLowerCase();
  return CHECKPOINT_EXTENSIONS.some((e) => lower.endsWith(`.${e}`)) || lower.endsWith('.safetensors.index.json');
}

/** Resolves a request path under the renderer folder, refusing anything that escapes it. */
export function rendererFileFor(
  url: string,
  rendererDir: string,
  join: (...p: string[]) => string,
  normalize: (p: string) => string,
  sep: string,
): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(u.pathname);
  } catch {
    return null; // a malformed escape (e.g. /%E0%A4%A) is a 404, not a throw in the protocol handler
  }
  if (decoded.includes('\0')) return null;
  const rel = decoded.replace(/^\/+/, '') || 'index.html';
  const root = normalize(rendererDir);
  const file = normalize(join(root, rel));
  return file.startsWith(root + sep) ? file : null;
}
