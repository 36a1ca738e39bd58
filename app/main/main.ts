/**
 * Electron main: one secure window (see security.ts), the renderer from the app:// scheme with CSP,
 * the host on a worker thread (this thread only does windows and IPC), menus, dialogs, drops, recent
 * files, file associations, a single instance, and remembered window bounds.
 */
import { app, BrowserWindow, dialog, Menu, protocol, session, utilityProcess } from 'electron';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { contentTypeOf } from '../shared/contentTypes.js';
import { fileURLToPath } from 'node:url';
import { startHostWorker, type HostConnection } from '../host/hostWorker.js';
import { eventChannel } from '../preload/bridge.js';
import { wireIpc } from './ipc.js';
import { PathGrants } from './grants.js';
import { buildMenu } from './menu.js';
import { addRecent, loadRecent, loadWindowState, saveWindowState } from './persist.js';
import {
  APP_ENTRY,
  APP_SCHEME,
  ELECTRON_CSP,
  isAllowedNavigation,
  isCheckpointPath,
  permissionPolicy,
  rendererFileFor,
  windowOpenPolicy,
  type SecureWebPreferences,
} from './security.js';

const here = dirname(fileURLToPath(import.meta.url)); // dist/app/main
const distRoot = resolve(here, '..', '..');
const rendererDir = join(distRoot, 'renderer');
const preloadPath = join(distRoot, 'app', 'preload', 'preload.cjs');
const devTools = !app.isPackaged && process.env.NORMSCOPE_DEVTOOLS === '1';

// A packaged build keeps the native addon outside the asar (a .node file cannot load from inside it).
// Electron's layout is this process's knowledge: the engine (here, in the host worker and in rank
// processes, which inherit the environment) reads NORMSCOPE_ADDON, and a person's own value wins.
if (app.isPackaged && !process.env.NORMSCOPE_ADDON) {
  process.env.NORMSCOPE_ADDON = join(
    process.resourcesPath,
    'app.asar.unpacked',
    'native',
    'build',
    'Release',
    'normscope.node',
  );
}

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

let win: BrowserWindow | null = null;
let host: HostConnection | null = null;
const pendingOpens: string[] = [];
const grants = new PathGrants();

function checkpointArgs(argv: readonly string[]): string[] {
  return argv
    .slice(1)
    .filter((a) => !a.startsWith('-') && isCheckpointPath(a) && existsSync(a))
    .map((a) => resolve(a));
}

function openPath(p: string): void {
  grants.grant(p);
  if (!win || win.webContents.isLoading()) {
    pendingOpens.push(p);
    return;
  }
  addRecent(app.getPath('userData'), p);
  app.addRecentDocument(p);
  refreshMenu();
  win.webContents.send(eventChannel('open'), { path: p });
}

async function openDialog(): Promise<void> {
  if (!win) return;
  const r = await dialog.showOpenDialog(win, {
    title: 'Open checkpoint',
    properties: ['openFile'],
    filters: [
      { name: 'Checkpoints', extensions: ['pt', 'pth', 'ckpt', 'bin', 'safetensors', 'json'] },
      { name: 'All files', extensions: ['*'] },
    ],
  });
  if (!r.canceled && r.filePaths[0]) openPath(r.filePaths[0]);
}

async function exportDialog(): Promise<void> {
  if (!win || !host) return;
  const r = await dialog.showSaveDialog(win, {
    title: 'Export state dict',
    filters: [
      { name: 'PyTorch', extensions: ['pt'] },
      { name: 'safetensors', extensions: ['safetensors'] },
    ],
  });
  if (r.canceled || !r.filePath) return;
  grants.grant(r.filePath);
  const format = r.filePath.endsWith('.safetensors') ? 'safetensors' : 'pt';
  const out = await host.request('stateDict.export', { path: r.filePath, format });
  await dialog.showMessageBox(
    win,
    out.ok
      ? { type: 'info', message: `Saved ${r.filePath}` }
      : { type: 'error', message: `${out.error.name}: ${out.error.message}` },
  );
}

/** `files.choose` from the window: a dialog; the chosen path is granted by the IPC layer. */
async function chooseFile(purpose: 'open' | 'save'): Promise<string | null> {
  if (!win) return null;
  if (purpose === 'save') {
    const r = await dialog.showSaveDialog(win, {
      title: 'Save as',
      filters: [
        { name: 'PyTorch', extensions: ['pt'] },
        { name: 'safetensors', extensions: ['safetensors'] },
      ],
    });
    return r.canceled || !r.filePath ? null : r.filePath;
  }
  const r = await dialog.showOpenDialog(win, {
    title: 'Choose a checkpoint',
    properties: ['openFile'],
    filters: [
      { name: 'Checkpoints', extensions: ['pt', 'pth', 'ckpt', 'bin', 'safetensors', 'json'] },
      { name: 'All files', extensions: ['*'] },
    ],
  });
  return r.canceled || !r.filePaths[0] ? null : r.filePaths[0];
}

function refreshMenu(): void {
  if (!win) return;
  Menu.setApplicationMenu(
    buildMenu(win, {
      open: () => void openDialog(),
      openPath,
      exportStateDict: () => void exportDialog(),
      recent: loadRecent(app.getPath('userData')),
      devTools,
    }),
  );
}

function createWindow(): void {
  const userData = app.getPath('userData');
  const state = loadWindowState(userData);
  win = new BrowserWindow({
    ...state,
    minWidth: 1024,
    minHeight: 640,
    show: false,
    title: 'NormScope',
    backgroundColor: '#14161a',
    // A literal, so Electronegativity sees each value; `satisfies` keeps it equal to security.ts's spec.
    webPreferences: {
      preload: preloadPath,
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
    } satisfies SecureWebPreferences,
  });
  if (state.maximized) win.maximize();
  const wc = win.webContents;
  wc.setWindowOpenHandler(() => windowOpenPolicy());
  // Navigation away from the app is denied. File drops do not navigate (navigateOnDragDrop is off):
  // the preload sends a dropped file's path on DROP_CHANNEL and ipc.ts checks it before openPath.
  wc.on('will-navigate', (e, url) => {
    if (!isAllowedNavigation(url)) e.preventDefault();
  });
  wc.on('will-attach-webview', (e) => e.preventDefault());
  wc.on('did-finish-load', () => {
    for (const p of pendingOpens.splice(0)) openPath(p);
  });
  win.once('ready-to-show', () => win?.show());
  win.on('close', () => {
    if (!win) return;
    const b = win.getNormalBounds();
    saveWindowState(userData, { ...b, maximized: win.isMaximized() });
  });
  win.on('closed', () => (win = null));
  refreshMenu();
  void win.loadURL(APP_ENTRY);
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  pendingOpens.push(...checkpointArgs(process.argv));
  app.on('second-instance', (_e, argv) => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
    for (const p of checkpointArgs(argv)) openPath(p);
  });
  app.on('open-file', (e, p) => {
    e.preventDefault();
    openPath(p);
  });
  app.on('web-contents-created', (_e, contents) => {
    contents.setWindowOpenHandler(() => windowOpenPolicy());
  });

  void app.whenReady().then(async () => {
    session.defaultSession.setPermissionRequestHandler((_wc, permission, callback) =>
      callback(permissionPolicy(permission)),
    );
    session.defaultSession.setPermissionCheckHandler((_wc, permission) => permissionPolicy(permission));
    protocol.handle(APP_SCHEME, async (request) => {
      const file = rendererFileFor(request.url, rendererDir, join, normalize, sep);
      if (!file) return new Response('not found', { status: 404 });
      // Read here rather than net.fetch(file://…): nothing depends on file:// privileges, so the
      // GrantFileProtocolExtraPrivileges fuse can stay off (tools/fuses.mjs).
      let body: Buffer;
      try {
        if (!(await stat(file)).isFile()) return new Response('not found', { status: 404 });
        body = await readFile(file);
      } catch {
        return new Response('not found', { status: 404 });
      }
      return new Response(new Uint8Array(body), {
        status: 200,
        headers: {
          'Content-Type': contentTypeOf(extname(file)),
          'Content-Security-Policy': ELECTRON_CSP,
          'X-Content-Type-Options': 'nosniff',
        },
      });
    });
    // Rank processes: utilityProcess (the RunAsNode fuse is off in release builds, so the host's
    // coordinator cannot start Electron as Node); the worker asks this thread to fork them.
    host = await startHostWorker('electron', { rankFork: (m, args, o) => utilityProcess.fork(m, args, o) });
    wireIpc(host, () => win, { grants, choose: chooseFile, openDropped: openPath });
    createWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createWindow();
    });
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => void host?.close());
}
