/** The application menu: file commands with accelerators, recent files, workspaces, view. */
import { Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  open(): void;
  openPath(path: string): void;
  exportStateDict(): void;
  recent: string[];
  devTools: boolean;
}

export function buildMenu(win: BrowserWindow, a: MenuActions): Menu {
  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Open Checkpoint…', accelerator: 'CmdOrCtrl+O', click: () => a.open() },
        {
          label: 'Open Recent',
          submenu: a.recent.length
            ? a.recent.map((p) => ({ label: p, click: () => a.openPath(p) }))
            : [{ label: 'No recent files', enabled: false }],
        },
        { type: 'separator' },
        { label: 'Export State Dict…', accelerator: 'CmdOrCtrl+Shift+S', click: () => a.exportStateDict() },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...(a.devTools ? [{ role: 'toggleDevTools' as const }] : []),
      ],
    },
    { role: 'windowMenu' },
  ];
  void win;
  return Menu.buildFromTemplate(template);
}
