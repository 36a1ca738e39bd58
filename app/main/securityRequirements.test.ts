/**
 * DESIGN.md's security rules, checked against the Electron main process code (release audit, issue 7):
 * "contextIsolation, sandbox, no nodeIntegration, a strict CSP, navigation and new windows denied, the
 * preload exposes the contract and nothing else, every IPC payload validated".
 *
 * The policy functions are tested as values; the IPC handler is the real one from ipc.ts, registered on
 * a recording stand-in for ipcMain (Electron's binary is not needed); that main.ts wires each policy in
 * is checked on its source, since main.ts only runs inside Electron.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { contentSecurityPolicy } from '../shared/csp.js';
import { METHOD_NAMES } from '../shared/contract.js';
import { CALL_CHANNEL, DROP_CHANNEL, createBridge } from '../preload/bridge.js';
import {
  APP_ENTRY,
  ELECTRON_CSP,
  isAllowedNavigation,
  isTrustedSender,
  permissionPolicy,
  secureWebPreferences,
  windowOpenPolicy,
} from './security.js';

type Handler = (event: unknown, method: unknown, payload: unknown) => Promise<unknown>;
const ipcHandlers = new Map<string, Handler>();

vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, fn: Handler) => ipcHandlers.set(channel, fn),
    removeHandler: (channel: string) => ipcHandlers.delete(channel),
  },
}));

const here = dirname(fileURLToPath(import.meta.url));
const appDir = join(here, '..');
const source = (rel: string) => readFileSync(join(appDir, rel), 'utf8');

/** Every non-test TypeScript file under app/. */
function appSources(): { rel: string; text: string }[] {
  const out: { rel: string; text: string }[] = [];
  const walk = (dir: string, rel: string) => {
    for (const ent of readdirSync(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      if (ent.isDirectory()) walk(join(dir, ent.name), r);
      else if (/\.m?ts$/.test(ent.name) && !/\.test\.ts$/.test(ent.name)) out.push({ rel: r, text: source(r) });
    }
  };
  walk(appDir, '');
  return out;
}

/** CSP directives as name → sources. */
function parseCsp(csp: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const part of csp.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) {
      expect(m.has(name), `directive ${name} appears once`).toBe(false);
      m.set(name, values);
    }
  }
  return m;
}

describe('webPreferences (DESIGN.md: contextIsolation, sandbox, no nodeIntegration)', () => {
  // Electron's own declaration of WebPreferences: a misspelt key would be ignored by Electron (and by a
  // test that re-typed the same literal), so every key must be one Electron declares.
  const declaredKeys = (() => {
    const dts = readFileSync(join(appDir, '..', 'node_modules', 'electron', 'electron.d.ts'), 'utf8');
    const start = dts.indexOf('interface WebPreferences {');
    const body = dts.slice(start, dts.indexOf('\n  }\n', start));
    return new Set([...body.matchAll(/^\s{4}(\w+)\??:/gm)].map((m) => m[1]!));
  })();
  // Electron's security checklist: what must be on, what must be off (defaults do not count).
  const MUST_BE_TRUE = ['contextIsolation', 'sandbox', 'webSecurity'];
  const MUST_BE_FALSE = [
    'nodeIntegration',
    'nodeIntegrationInWorker',
    'nodeIntegrationInSubFrames',
    'allowRunningInsecureContent',
    'webviewTag',
    'experimentalFeatures',
    'navigateOnDragDrop',
  ];

  it("set Electron's security checklist explicitly, with keys Electron declares; devtools only when asked", () => {
    expect(declaredKeys.size).toBeGreaterThan(20);
    const prefs = secureWebPreferences('/p/preload.cjs') as unknown as Record<string, unknown>;
    for (const k of Object.keys(prefs))
      expect(declaredKeys.has(k), `${k} is an Electron WebPreferences key`).toBe(true);
    for (const k of MUST_BE_TRUE) expect(prefs[k], k).toBe(true);
    for (const k of MUST_BE_FALSE) expect(prefs[k], k).toBe(false);
    expect(prefs.preload).toBe('/p/preload.cjs');
    expect(prefs.devTools).toBe(false);
    expect((secureWebPreferences('/p/preload.cjs', true) as { devTools?: boolean }).devTools).toBe(true);
    // Auxclick (middle-click opening links) stays disabled.
    expect(String(prefs.disableBlinkFeatures).split(',')).toContain('Auxclick');
  });

  it('every BrowserWindow in app/ is created with them, and no app code weakens them', () => {
    const windows = appSources().flatMap(({ rel, text }) =>
      [...text.matchAll(/new BrowserWindow\(/g)].map((m) => ({ rel, at: m.index, text })),
    );
    expect(windows.length, 'main.ts creates the window').toBeGreaterThan(0);
    for (const w of windows) {
      // The options object of this call, up to its closing `});`.
      const call = w.text.slice(w.at, w.text.indexOf('});', w.at));
      // A literal object (the scanner must see each value), equal to the spec key for key.
      const literal = /webPreferences:\s*\{([^}]*)\}\s*satisfies SecureWebPreferences/.exec(call);
      expect(literal, `${w.rel}: webPreferences is a literal that satisfies SecureWebPreferences`).not.toBeNull();
      const entries = Object.fromEntries(
        literal![1]!
          .split('\n')
          .map((l) =>
            l
              .replace(/\/\/.*$/, '')
              .trim()
              .replace(/,$/, ''),
          )
          .filter(Boolean)
          .map((l) => {
            const [k, v] = l.split(/:\s*/);
            return [k!, v ?? k!]; // shorthand `devTools` is `devTools: devTools`
          }),
      );
      const spec = secureWebPreferences('preloadPath', false);
      const expected = Object.fromEntries(
        Object.entries(spec).map(([k, v]) => [
          k,
          k === 'preload'
            ? 'preloadPath'
            : k === 'devTools'
              ? 'devTools'
              : typeof v === 'string'
                ? `'${v}'`
                : String(v),
        ]),
      );
      expect(entries, `${w.rel}: webPreferences`).toEqual(expected);
    }
    const weakening =
      /nodeIntegration(InWorker|InSubFrames)?:\s*true|contextIsolation:\s*false|sandbox:\s*false|webSecurity:\s*false|allowRunningInsecureContent:\s*true|webviewTag:\s*true|enableBlinkFeatures|experimentalFeatures:\s*true/;
    for (const { rel, text } of appSources()) expect(text, rel).not.toMatch(weakening);
  });

  it('devtools can only be turned on in an unpackaged run', () => {
    expect(source('main/main.ts')).toMatch(/devTools\s*=\s*!app\.isPackaged\s*&&/);
  });
});

describe('Content-Security-Policy (DESIGN.md: a strict CSP)', () => {
  it('allows only the app’s own scripts: no inline, no eval, no remote code', () => {
    const csp = parseCsp(ELECTRON_CSP);
    expect(csp.get('default-src')).toEqual(["'none'"]);
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.get('form-action')).toEqual(["'none'"]);
    expect(csp.get('connect-src')).toEqual(["'self'"]);
    for (const [name, values] of csp) {
      for (const v of values) {
        expect(v, `${name} ${v}`).not.toMatch(
          /unsafe-|^\*$|^https?:$|^http:\/\/(?!127\.0\.0\.1)|^blob:$|^filesystem:$/,
        );
      }
    }
  });

  it('in browser mode adds only the socket back to 127.0.0.1', () => {
    const csp = parseCsp(contentSecurityPolicy(['ws://127.0.0.1:4321']));
    expect(csp.get('connect-src')).toEqual(["'self'", 'ws://127.0.0.1:4321']);
    expect(csp.get('script-src')).toEqual(["'self'"]);
  });

  it('is sent with every app:// response, and the page itself has no inline script', () => {
    const main = source('main/main.ts');
    expect(main).toMatch(/protocol\.handle\(APP_SCHEME/);
    expect(main).toMatch(/'Content-Security-Policy': ELECTRON_CSP/);
    const html = readFileSync(join(appDir, '..', 'renderer', 'index.html'), 'utf8');
    for (const tag of html.match(/<script\b[^>]*>[\s\S]*?<\/script>/g) ?? []) {
      expect(tag, 'a script tag loads a file instead of inlining code').toMatch(/<script\b[^>]*\bsrc=/);
      expect(tag.replace(/<script\b[^>]*>|<\/script>/g, '').trim()).toBe('');
    }
    expect(html).not.toMatch(/\son[a-z]+\s*=/i); // no inline event handlers either
  });
});

describe('navigation, new windows, permissions (DESIGN.md: navigation and new windows denied)', () => {
  it('keeps the window on app://normscope, refusing look-alikes and other schemes', () => {
    expect(isAllowedNavigation(APP_ENTRY)).toBe(true);
    expect(isAllowedNavigation('app://normscope/assets/index.js')).toBe(true);
    for (const url of [
      'app://normscope.evil.example/index.html',
      'app://evil.example/normscope/index.html',
      'app://normscope:8080/index.html',
      'app://user@evil.example/index.html',
      'https://normscope/index.html',
      'http://127.0.0.1:4321/?token=x',
      'file:///home/u/model.pt',
      'data:text/html,<script>alert(1)</script>',
      'blob:app://normscope/1234',
      'about:blank',
      'javascript:alert(1)',
      'devtools://devtools/bundled/inspector.html',
      'chrome://gpu',
      '',
    ]) {
      expect(isAllowedNavigation(url), url).toBe(false);
    }
  });

  it('denies every new window and every permission', () => {
    expect(windowOpenPolicy()).toEqual({ action: 'deny' });
    const permissions = [
      'clipboard-read',
      'clipboard-sanitized-write',
      'display-capture',
      'fullscreen',
      'geolocation',
      'idle-detection',
      'media',
      'mediaKeySystem',
      'midi',
      'midiSysex',
      'notifications',
      'pointerLock',
      'keyboardLock',
      'openExternal',
      'speaker-selection',
      'storage-access',
      'top-level-storage-access',
      'window-management',
      'unknown',
      'fileSystem',
      'hid',
      'serial',
      'usb',
    ];
    for (const p of permissions) expect(permissionPolicy(p), p).toBe(false);
  });

  it('main.ts wires each rule into Electron', () => {
    const main = source('main/main.ts');
    expect(main).toMatch(/setWindowOpenHandler\(\(\) => windowOpenPolicy\(\)\)/);
    expect(main).toMatch(/'web-contents-created'[\s\S]{0,200}setWindowOpenHandler/);
    expect(main).toMatch(/'will-navigate'[\s\S]{0,200}isAllowedNavigation\(url\)[\s\S]{0,80}preventDefault\(\)/);
    expect(main).toMatch(/'will-attach-webview', \(e\) => e\.preventDefault\(\)/);
    expect(main).toMatch(/setPermissionRequestHandler\([\s\S]{0,120}permissionPolicy\(permission\)/);
    expect(main).toMatch(/setPermissionCheckHandler\([\s\S]{0,120}permissionPolicy\(permission\)/);
    expect(main).toMatch(/requestSingleInstanceLock\(\)/);
  });
});

describe('preload (DESIGN.md: exposes the contract and nothing else)', () => {
  it('exposes one object with call and on, and refuses methods outside the contract before IPC', async () => {
    const preload = source('preload/preload.ts');
    expect(preload.match(/exposeInMainWorld\(/g)).toHaveLength(1);
    expect(preload).not.toMatch(/ipcRenderer\.(send|sendSync|invoke)\(|require\(|process\./);
    const invoked: unknown[] = [];
    const bridge = createBridge({
      invoke: async (...args: unknown[]) => {
        invoked.push(args);
        return { ok: true, value: null };
      },
      on: () => {},
      removeListener: () => {},
    });
    expect(Object.keys(bridge).sort()).toEqual(['call', 'on']);
    await expect(bridge.call('fs.readFile' as never, {} as never)).rejects.toThrow(/unknown method/);
    expect(() => bridge.on('shell' as never, () => {})).toThrow(/unknown event/);
    expect(invoked).toEqual([]);
  });
});

describe('the IPC handler (DESIGN.md: every IPC payload validated; unknown senders refused)', () => {
  const requests: [unknown, unknown][] = [];
  let handler: Handler;

  beforeAll(async () => {
    const { wireIpc } = await import('./ipc.js');
    const connection = {
      request: async (method: unknown, payload: unknown) => {
        requests.push([method, payload]);
        return { ok: true, value: { handled: method } };
      },
      onEvent: () => () => {},
    };
    wireIpc(connection as never, () => null);
    handler = ipcHandlers.get(CALL_CHANNEL) as Handler;
  });

  const topFrame = (url: string) => ({ senderFrame: { url, parent: null } });

  // Was "exactly one channel". File drops need a second one: a sandboxed page sees dropped File objects
  // but never their paths, so the preload (not the page) asks webUtils.getPathForFile and sends the path
  // on DROP_CHANNEL. The page cannot reach it (the bridge exposes only call/on), and main checks its
  // sender and payload like contract calls (drops.test.ts). No other channel may appear.
  it('registers exactly the contract channel and the preload-internal drop channel', () => {
    expect([...ipcHandlers.keys()]).toEqual([CALL_CHANNEL, DROP_CHANNEL]);
  });

  it('forwards a valid call from the app window to the host, once', async () => {
    requests.length = 0;
    const out = await handler(topFrame(APP_ENTRY), 'step.setMode', { training: false });
    expect(out).toEqual({ ok: true, value: { handled: 'step.setMode' } });
    expect(requests).toEqual([['step.setMode', { training: false }]]);
  });

  it('refuses unknown senders: other origins, sub-frames, destroyed frames', async () => {
    requests.length = 0;
    const senders = [
      topFrame('https://evil.example/'),
      topFrame('file:///tmp/x.html'),
      topFrame('app://normscope.evil.example/index.html'),
      { senderFrame: { url: APP_ENTRY, parent: { url: APP_ENTRY } } },
      { senderFrame: null },
      {},
    ];
    for (const ev of senders) {
      const out = (await handler(ev, 'app.info', {})) as { ok: boolean; error?: { name: string } };
      expect(out.ok, JSON.stringify(ev)).toBe(false);
      expect(out.error?.name).toBe('Forbidden');
    }
    expect(requests).toEqual([]);
    expect(isTrustedSender(APP_ENTRY, true)).toBe(true);
  });

  it('refuses unknown methods and malformed payloads without reaching the host', async () => {
    requests.length = 0;
    const bad: [unknown, unknown][] = [
      ['fs.readFile', { path: '/etc/passwd' }],
      [42, {}],
      [undefined, undefined],
      ['__proto__', {}],
      ['constructor', {}],
      ['app.info', null],
      ['app.info', []],
      ['app.info', { extra: 1 }],
      ['step.setMode', { training: 'yes' }],
      ['step.setMode', {}],
      ['step.train', { lr: Number.NaN }],
      ['step.train', { lr: 1e9 }],
      ['step.run', { jobId: 'j', steps: 1.5, lr: 0.1, train: true }],
      ['ranks.start', { worldSize: 1000, shards: [] }],
      ['ranks.kill', { rank: -1 }],
      ['checkpoint.open', { path: 'x'.repeat(5000), jobId: 'j', tensorsOnly: false }],
      ['checkpoint.tensors', { id: 'c', offset: 0, limit: 1e6, filter: '' }],
      ['backend.set', { name: 'rm -rf /' }],
      ['stack.validate', { spec: { layers: [{ type: 'Eval' }] }, inputShape: [2, 3] }],
      ['stack.validate', { spec: { layers: [] }, inputShape: [2, -3] }],
      ['diff.run', { a: 'a.pt', b: 'b.pt', stripPrefix: 3, jobId: 'j' }],
    ];
    for (const [method, payload] of bad) {
      const out = (await handler(topFrame(APP_ENTRY), method, payload)) as { ok: boolean; error?: { name: string } };
      expect(out.ok, `${String(method)} ${JSON.stringify(payload)}`).toBe(false);
      expect(out.error?.name).toBe('PayloadError');
    }
    expect(requests).toEqual([]);
  });

  it('refuses nesting deep enough to exhaust the stack', async () => {
    let layer: Record<string, unknown> = { type: 'ReLU' };
    for (let i = 0; i < 50; i++) layer = { type: 'Sequential', layers: [layer] };
    const out = (await handler(topFrame(APP_ENTRY), 'stack.validate', {
      spec: { layers: [layer] },
      inputShape: [2, 3],
    })) as {
      ok: boolean;
    };
    expect(out.ok).toBe(false);
  });

  it('refuses extra fields even when named like Object.prototype members', async () => {
    requests.length = 0;
    for (const extra of ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf']) {
      // JSON.parse makes each one an own property, as a structured clone from the renderer would.
      const payload = JSON.parse(`{"training": true, "${extra}": {"polluted": true}}`) as unknown;
      const out = (await handler(topFrame(APP_ENTRY), 'step.setMode', payload)) as { ok: boolean };
      expect(out.ok, extra).toBe(false);
    }
    expect(requests).toEqual([]);
  });

  it('checks every contract method (no method is forwarded without a schema)', async () => {
    requests.length = 0;
    for (const m of METHOD_NAMES) {
      const out = (await handler(topFrame(APP_ENTRY), m, { notAField: 1 })) as { ok: boolean };
      expect(out.ok, m).toBe(false);
    }
    expect(requests).toEqual([]);
  });
});
