/**
 * Files dropped on the window (Electron). The sandboxed preload reads the dropped file's path with
 * webUtils.getPathForFile and sends it on DROP_CHANNEL; this module decides, without Electron, whether
 * main may grant and open it: the sender must be the app's own top frame (as for contract calls), and
 * the payload must be an absolute path to an existing regular file with a checkpoint extension — the
 * same set the command line and file associations open. A compromised renderer can therefore only
 * "drop" checkpoint files that exist, never directories, devices or arbitrary files.
 */
import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { isCheckpointPath, isTrustedSender } from './security.js';

/** The sender as ipc.ts sees it: the frame's URL and whether it is the top frame (null: destroyed). */
export interface DropSender {
  url: string | undefined | null;
  isTopFrame: boolean;
}

export type DropVerdict = { ok: true; path: string } | { ok: false; error: { name: string; message: string } };

/** Longest path accepted (the contract caps paths the same way). */
const MAX_PATH = 4096;

export function checkDroppedFile(sender: DropSender | null, payload: unknown): DropVerdict {
  const refuse = (name: string, message: string): DropVerdict => ({ ok: false, error: { name, message } });
  if (!sender || !isTrustedSender(sender.url, sender.isTopFrame)) {
    return refuse('Forbidden', 'drops are accepted only from the NormScope window');
  }
  if (typeof payload !== 'string' || payload.length === 0 || payload.length > MAX_PATH || payload.includes('\0')) {
    return refuse('PayloadError', 'a drop carries one file path (a non-empty string)');
  }
  if (!isAbsolute(payload)) return refuse('PayloadError', `dropped path ${JSON.stringify(payload)} is not absolute`);
  if (!isCheckpointPath(payload)) {
    return refuse(
      'PayloadError',
      `NormScope opens checkpoints (.pt .pth .ckpt .bin .safetensors); ${JSON.stringify(payload)} is not one`,
    );
  }
  let isFile = false;
  try {
    isFile = statSync(payload).isFile();
  } catch {
    return refuse('PayloadError', `dropped file ${JSON.stringify(payload)} does not exist`);
  }
  if (!isFile) return refuse('PayloadError', `dropped path ${JSON.stringify(payload)} is not a regular file`);
  return { ok: true, path: resolve(payload) };
}
