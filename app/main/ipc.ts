/**
 * The IPC side of the contract in Electron: one invoke channel. Each call is checked twice before the
 * host sees it: the sender must be the app's own top frame, and the payload must fit the method's
 * schema (the host worker validates again). Host events are forwarded to the window.
 * A second channel carries the paths of files dropped on the window from the preload (drops.ts); it
 * is not reachable through the page's contract and is checked the same way before anything is granted.
 */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { CALL_CHANNEL, DROP_CHANNEL, eventChannel } from '../preload/bridge.js';
import type { HostConnection } from '../host/hostWorker.js';
import { validatePayload } from '../host/validate.js';
import { toWireError } from '../host/errors.js';
import { isTrustedSender } from './security.js';
import { PathGrants, pathsOf } from './grants.js';
import { checkDroppedFile } from './drops.js';

export interface IpcOptions {
  /** Files the window may use (deny-all when not given). */
  grants?: PathGrants;
  /** Shows a file dialog for `files.choose`; the chosen path is granted. */
  choose?: (purpose: 'open' | 'save') => Promise<string | null>;
  /** Opens a dropped checkpoint (after it passed checkDroppedFile and was granted) like File → Open. */
  openDropped?: (path: string) => void;
}

export function wireIpc(
  connection: HostConnection,
  windowOf: () => BrowserWindow | null,
  opts: IpcOptions = {},
): () => void {
  const grants = opts.grants ?? new PathGrants();
  ipcMain.handle(CALL_CHANNEL, async (event: IpcMainInvokeEvent, method: unknown, payload: unknown) => {
    const frame = event.senderFrame;
    if (!frame || !isTrustedSender(frame.url, frame.parent === null)) {
      return {
        ok: false,
        error: { name: 'Forbidden', message: 'contract calls are accepted only from the NormScope window' },
      };
    }
    try {
      validatePayload(method, payload);
    } catch (e) {
      return { ok: false, error: toWireError(e) };
    }
    if (method === 'files.choose') {
      if (!opts.choose) return { ok: false, error: { name: 'NotAvailable', message: 'no file dialog here' } };
      const path = await opts.choose((payload as { purpose: 'open' | 'save' }).purpose);
      if (path) grants.grant(path);
      return { ok: true, value: { path } };
    }
    const refused = pathsOf(method, payload).find((p) => !grants.isGranted(p));
    if (refused !== undefined) {
      return {
        ok: false,
        error: {
          name: 'Forbidden',
          message: `the desktop app opens files chosen in a dialog (Choose…, File → Open), from Open Recent or the command line; ${JSON.stringify(refused)} was not chosen there`,
        },
      };
    }
    return connection.request(method, payload);
  });
  ipcMain.handle(DROP_CHANNEL, (event: IpcMainInvokeEvent, payload: unknown) => {
    const frame = event.senderFrame;
    const verdict = checkDroppedFile(frame ? { url: frame.url, isTopFrame: frame.parent === null } : null, payload);
    if (!verdict.ok) return verdict;
    if (!opts.openDropped) return { ok: false, error: { name: 'NotAvailable', message: 'drops are not wired here' } };
    grants.grant(verdict.path);
    opts.openDropped(verdict.path);
    return { ok: true, value: { path: verdict.path } };
  });
  const off = connection.onEvent((name, payload) => {
    const win = windowOf();
    if (win && !win.isDestroyed()) win.webContents.send(eventChannel(name), payload);
  });
  return () => {
    ipcMain.removeHandler(CALL_CHANNEL);
    ipcMain.removeHandler(DROP_CHANNEL);
    off();
  };
}
