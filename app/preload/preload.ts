/**
 * The sandboxed preload: exposes exactly the contract as `window.normscope` through contextBridge.
 * It also forwards dropped files' paths to main (drops.ts), internally.
 * Bundled to CommonJS (dist/app/preload/preload.cjs) because sandboxed preloads cannot be ES modules.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { createBridge } from './bridge.js';
import { installDropForwarder, type DropTarget } from './drops.js';

contextBridge.exposeInMainWorld('normscope', createBridge(ipcRenderer as never));
// File drops: handled here, inside the preload, so the page never sees paths or the drop channel.
installDropForwarder(
  globalThis as unknown as DropTarget,
  (file) => webUtils.getPathForFile(file as never),
  ipcRenderer as never,
);
