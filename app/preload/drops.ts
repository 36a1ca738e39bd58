/**
 * The preload's drop listener (internal: nothing here is exposed to the page). A sandboxed page only
 * sees File objects, never paths; the preload asks Electron for each dropped file's path
 * (webUtils.getPathForFile, passed in) and sends it to main on DROP_CHANNEL, where main checks the
 * sender and the file before granting and opening it (app/main/drops.ts). Kept free of Electron and of
 * DOM typings so it can be unit-tested with plain objects.
 */
import { DROP_CHANNEL } from './bridge.js';

export interface DragEventLike {
  dataTransfer: { types: ArrayLike<string>; files: ArrayLike<unknown> } | null;
  preventDefault(): void;
}

export interface DropTarget {
  addEventListener(type: 'dragover' | 'drop', listener: (event: DragEventLike) => void): void;
}

export interface DropIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
}

const carriesFiles = (e: DragEventLike): boolean => Array.from(e.dataTransfer?.types ?? []).includes('Files');

/**
 * Listens for file drops on `target` (the window). dragover must be cancelled for the drop event to
 * fire at all; drops without files (text, links) are left alone.
 */
export function installDropForwarder(target: DropTarget, pathOf: (file: unknown) => string, ipc: DropIpc): void {
  target.addEventListener('dragover', (e) => {
    if (carriesFiles(e)) e.preventDefault();
  });
  target.addEventListener('drop', (e) => {
    if (!carriesFiles(e)) return;
    e.preventDefault();
    for (const file of Array.from(e.dataTransfer?.files ?? [])) {
      let path = '';
      try {
        path = pathOf(file);
      } catch {
        continue; // not a file from disk (e.g. dragged out of another page)
      }
      // Main answers with the verdict; a refused drop has nothing to show in the page.
      if (path) void ipc.invoke(DROP_CHANNEL, path).catch(() => undefined);
    }
  });
}
