/**
 * Runs in the page, before the app's scripts (an init script): what Electron gives a sandboxed preload
 * — contextBridge, ipcRenderer, webUtils — for the built preload (dist/app/preload/preload.cjs), which
 * then runs unchanged. ipcRenderer.invoke goes to Electron main in the test process through a Playwright
 * binding; main's webContents.send comes back through window.__nsEmit. Values cross in the browser-mode
 * wire format (typed arrays and NaN survive, as they do over Electron's structured clone).
 */
import { decodeMessage, encodeMessage } from '../../app/shared/wire.js';

type Listener = (event: unknown, payload: unknown) => void;
const page = globalThis as unknown as Record<string, unknown>;
const invokeMain = page.__nsInvoke as (channel: string, args: string) => Promise<string>;
const listeners = new Map<string, Set<Listener>>();
const encode = (v: unknown): string => encodeMessage(v as never);
const decode = (s: string): unknown => decodeMessage(s);

const electron = {
  contextBridge: {
    exposeInMainWorld(key: string, api: unknown): void {
      Object.defineProperty(globalThis, key, { value: Object.freeze(api), enumerable: true });
    },
  },
  ipcRenderer: {
    invoke: async (channel: string, ...args: unknown[]) => decode(await invokeMain(channel, encode(args))),
    on(channel: string, l: Listener): void {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(l);
    },
    removeListener(channel: string, l: Listener): void {
      listeners.get(channel)?.delete(l);
    },
  },
  webUtils: {
    // Electron knows where a dropped File came from; here the test says so (__nsFilePaths: name → path).
    getPathForFile: (file: { name: string }) =>
      (page.__nsFilePaths as Record<string, string> | undefined)?.[file.name] ?? '',
  },
};

Object.defineProperty(globalThis, '__nsEmit', {
  value: (channel: string, payload: string) => {
    for (const l of listeners.get(channel) ?? []) l({}, decode(payload));
  },
});
/** The `require` the preload bundle runs with (kept out of the page's globals by the init script). */
export function preloadRequire(name: string): unknown {
  if (name === 'electron') return electron;
  throw new Error(`a sandboxed preload cannot require ${name}`);
}
