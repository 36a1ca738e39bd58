/**
 * The sandboxed preload: exposes exactly the contract as `window.normscope` through contextBridge.
 * Bundled to CommonJS (dist/app/preload/preload.cjs) because sandboxed preloads cannot be ES modules.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createBridge } from './bridge.js';

contextBridge.exposeInMainWorld('normscope', createBridge(ipcRenderer as never));
