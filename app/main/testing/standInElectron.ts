/**
 * For tests only: a recording stand-in for the parts of the `electron` module that app/main uses, so
 * that main.ts itself (not just its policy functions) runs under vitest where Electron's binary is not
 * installed. Windows, web contents, the app object and IPC are event emitters that record what main
 * does with them; utilityProcess.fork starts ranks with child_process (../../ranks/fakeUtilityFork).
 * Nothing here renders: the renderer itself is covered by the browser-mode e2e suite.
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { childProcessUtilityFork } from '../../ranks/fakeUtilityFork.js';

type Listener = (event: unknown, ...args: unknown[]) => unknown;

export class StandInWebContents extends EventEmitter {
  readonly sent: Array<[string, unknown]> = [];
  loading = true;
  windowOpenHandler: ((details: unknown) => unknown) | null = null;
  /** Where sent messages go besides `sent` (the e2e stand-in forwards them to a real page). */
  onSend: ((channel: string, payload: unknown) => void) | null = null;
  send(channel: string, payload: unknown): void {
    this.sent.push([channel, payload]);
    this.onSend?.(channel, payload);
  }
  setWindowOpenHandler(h: (details: unknown) => unknown): void {
    this.windowOpenHandler = h;
  }
  isLoading(): boolean {
    return this.loading;
  }
  /** Test helper: the page finished loading. */
  finishLoad(): void {
    this.loading = false;
    this.emit('did-finish-load');
  }
  /** Test helper: the page tries to navigate; true when main prevented it. */
  navigate(url: string): boolean {
    let prevented = false;
    this.emit('will-navigate', { preventDefault: () => (prevented = true) }, url);
    return prevented;
  }
}

export class StandInWindow extends EventEmitter {
  static readonly all: StandInWindow[] = [];
  static getAllWindows(): StandInWindow[] {
    return StandInWindow.all.filter((w) => !w.destroyed);
  }
  readonly webContents = new StandInWebContents();
  readonly options: Record<string, unknown>;
  loadedUrl: string | null = null;
  destroyed = false;
  maximized = false;
  constructor(options: Record<string, unknown>) {
    super();
    this.options = options;
    StandInWindow.all.push(this);
  }
  async loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
  }
  maximize(): void {
    this.maximized = true;
  }
  isMaximized(): boolean {
    return this.maximized;
  }
  isMinimized(): boolean {
    return false;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  restore(): void {}
  focus(): void {}
  show(): void {}
  getNormalBounds(): { x: number; y: number; width: number; height: number } {
    return { x: 40, y: 30, width: Number(this.options.width ?? 1280), height: Number(this.options.height ?? 800) };
  }
  /** Test helper: the user closes the window. */
  close(): void {
    this.emit('close');
    this.destroyed = true;
    this.emit('closed');
  }
}

/** What main did with the stand-in, for the test to check. */
export const recorded = {
  userData: '',
  privilegedSchemes: [] as Array<{ scheme: string; privileges: Record<string, boolean> }>,
  protocolHandlers: new Map<string, (request: Request) => Promise<Response>>(),
  ipcHandlers: new Map<string, Listener>(),
  permissionRequest: null as ((wc: unknown, permission: string, cb: (ok: boolean) => void) => void) | null,
  permissionCheck: null as ((wc: unknown, permission: string) => boolean) | null,
  recentDocuments: [] as string[],
  menus: 0,
  forks: [] as string[],
  quit: false,
  /** What the next open/save dialogs answer (null: the user cancels). */
  dialogAnswers: { open: null as string | null, save: null as string | null },
};

let markReady: () => void = () => undefined;
const ready = new Promise<void>((resolve) => (markReady = resolve));
/** Test helper: Electron finished starting (app.whenReady resolves). */
export const becomeReady = (): void => markReady();

const app = Object.assign(new EventEmitter(), {
  isPackaged: false,
  whenReady: () => ready,
  requestSingleInstanceLock: () => true,
  getPath: () => recorded.userData,
  addRecentDocument: (p: string) => void recorded.recentDocuments.push(p),
  quit: () => void (recorded.quit = true),
});

const contentTypes: Record<string, string> = { html: 'text/html', js: 'text/javascript', css: 'text/css' };

export const electron = {
  app,
  BrowserWindow: StandInWindow,
  ipcMain: {
    handle: (channel: string, fn: Listener) => void recorded.ipcHandlers.set(channel, fn),
    removeHandler: (channel: string) => void recorded.ipcHandlers.delete(channel),
  },
  protocol: {
    registerSchemesAsPrivileged: (s: typeof recorded.privilegedSchemes) => void recorded.privilegedSchemes.push(...s),
    handle: (scheme: string, fn: (request: Request) => Promise<Response>) =>
      void recorded.protocolHandlers.set(scheme, fn),
  },
  net: {
    // Electron's net.fetch reads file: URLs; Node's fetch does not.
    fetch: async (url: string) => {
      const file = fileURLToPath(url);
      const ext = file.split('.').pop() ?? '';
      return new Response(readFileSync(file), {
        headers: { 'Content-Type': contentTypes[ext] ?? 'application/octet-stream' },
      });
    },
  },
  session: {
    defaultSession: {
      setPermissionRequestHandler: (h: typeof recorded.permissionRequest) => void (recorded.permissionRequest = h),
      setPermissionCheckHandler: (h: typeof recorded.permissionCheck) => void (recorded.permissionCheck = h),
    },
  },
  Menu: {
    setApplicationMenu: () => void recorded.menus++,
    buildFromTemplate: (template: unknown) => ({ template }),
  },
  dialog: {
    showOpenDialog: async () => {
      const p = recorded.dialogAnswers.open;
      return p ? { canceled: false, filePaths: [p] } : { canceled: true, filePaths: [] };
    },
    showSaveDialog: async () => {
      const p = recorded.dialogAnswers.save;
      return p ? { canceled: false, filePath: p } : { canceled: true };
    },
    showMessageBox: async () => ({ response: 0 }),
  },
  utilityProcess: {
    fork: ((modulePath, args, options) => {
      recorded.forks.push(options.serviceName);
      return childProcessUtilityFork(modulePath, args, options);
    }) satisfies typeof childProcessUtilityFork,
  },
};
