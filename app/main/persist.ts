/**
 * Small JSON files in the user-data folder: the window's bounds and the recent-files list. Writes are
 * atomic (temp file + rename) and reads tolerate missing or corrupt files (defaults instead).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WindowState {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export const DEFAULT_WINDOW: WindowState = { width: 1280, height: 800, maximized: false };

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

function writeJson(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2));
  renameSync(tmp, file);
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export function loadWindowState(dir: string): WindowState {
  const v = readJson(join(dir, 'window-state.json')) as Partial<WindowState> | null;
  if (!v || !finite(v.width) || !finite(v.height)) return { ...DEFAULT_WINDOW };
  return {
    width: Math.min(Math.max(v.width, 800), 10000),
    height: Math.min(Math.max(v.height, 560), 10000),
    ...(finite(v.x) && finite(v.y) ? { x: v.x, y: v.y } : {}),
    maximized: v.maximized === true,
  };
}

export function saveWindowState(dir: string, s: WindowState): void {
  writeJson(join(dir, 'window-state.json'), s);
}

const MAX_RECENT = 10;

export function loadRecent(dir: string): string[] {
  const v = readJson(join(dir, 'recent.json'));
  return Array.isArray(v) ? v.filter((p): p is string => typeof p === 'string').slice(0, MAX_RECENT) : [];
}

/** Puts `path` first (once) and keeps the newest ten. */
export function addRecent(dir: string, path: string): string[] {
  const list = [path, ...loadRecent(dir).filter((p) => p !== path)].slice(0, MAX_RECENT);
  writeJson(join(dir, 'recent.json'), list);
  return list;
}
