import { join, normalize, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  APP_ENTRY,
  ELECTRON_CSP,
  isAllowedNavigation,
  isCheckpointPath,
  isTrustedSender,
  permissionPolicy,
  rendererFileFor,
  secureWebPreferences,
  windowOpenPolicy,
} from './security.js';

describe('window security policy', () => {
  it('isolates and sandboxes the renderer', () => {
    const p = secureWebPreferences('/x/preload.cjs');
    expect(p).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      disableBlinkFeatures: 'Auxclick',
      devTools: false,
    });
  });

  it('has a strict CSP', () => {
    expect(ELECTRON_CSP).toContain("default-src 'none'");
    expect(ELECTRON_CSP).toContain("script-src 'self'");
    expect(ELECTRON_CSP).not.toContain('unsafe-eval');
    expect(ELECTRON_CSP).not.toContain('unsafe-inline');
  });

  it('allows only the app origin for navigation and IPC senders', () => {
    expect(isAllowedNavigation(APP_ENTRY)).toBe(true);
    for (const u of [
      'https://example.com',
      'file:///etc/passwd',
      'app://other/index.html',
      'javascript:alert(1)',
      'not a url',
    ])
      expect(isAllowedNavigation(u)).toBe(false);
    expect(isTrustedSender(APP_ENTRY, true)).toBe(true);
    expect(isTrustedSender(APP_ENTRY, false)).toBe(false);
    expect(isTrustedSender('https://evil.example/', true)).toBe(false);
    expect(isTrustedSender(undefined, true)).toBe(false);
  });

  it('denies new windows and permissions', () => {
    expect(windowOpenPolicy()).toEqual({ action: 'deny' });
    expect(['media', 'notifications', 'clipboard-read', 'hid'].map(permissionPolicy)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  it('serves only files inside the renderer folder', () => {
    const root = '/srv/renderer';
    expect(rendererFileFor('app://normscope/assets/a.js', root, join, normalize, sep)).toBe(
      '/srv/renderer/assets/a.js',
    );
    expect(rendererFileFor('app://normscope/', root, join, normalize, sep)).toBe('/srv/renderer/index.html');
    expect(rendererFileFor('app://normscope/..%2F..%2Fetc%2Fpasswd', root, join, normalize, sep)).toBeNull();
    expect(rendererFileFor('app://other/a.js', root, join, normalize, sep)).toBeNull();
    // Malformed escapes and NUL are refused (null, a 404), never thrown into the protocol handler.
    for (const bad of ['app://normscope/%E0%A4%A', 'app://normscope/%', 'app://normscope/a%00.js'])
      expect(() => rendererFileFor(bad, root, join, normalize, sep), bad).not.toThrow();
    expect(rendererFileFor('app://normscope/%E0%A4%A', root, join, normalize, sep)).toBeNull();
    expect(rendererFileFor('app://normscope/a%00.js', root, join, normalize, sep)).toBeNull();
  });

  it('recognises checkpoint files by extension for associations and drops', () => {
    expect(
      ['a.pt', 'b.PTH', 'c.ckpt', 'd.bin', 'e.safetensors', 'f.safetensors.index.json'].every(isCheckpointPath),
    ).toBe(true);
    expect(isCheckpointPath('notes.txt')).toBe(false);
  });
});
