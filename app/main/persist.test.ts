import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addRecent, DEFAULT_WINDOW, loadRecent, loadWindowState, saveWindowState } from './persist.js';

describe('window state and recent files', () => {
  it('round-trips window bounds and falls back on corrupt files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-state-'));
    expect(loadWindowState(dir)).toEqual(DEFAULT_WINDOW);
    saveWindowState(dir, { x: 10, y: 20, width: 1400, height: 900, maximized: true });
    expect(loadWindowState(dir)).toEqual({ x: 10, y: 20, width: 1400, height: 900, maximized: true });
    writeFileSync(join(dir, 'window-state.json'), '{oops');
    expect(loadWindowState(dir)).toEqual(DEFAULT_WINDOW);
  });

  it('keeps the ten newest recent files, newest first, without duplicates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-recent-'));
    for (let i = 0; i < 12; i++) addRecent(dir, `/f${i}.pt`);
    addRecent(dir, '/f5.pt');
    const r = loadRecent(dir);
    expect(r).toHaveLength(10);
    expect(r[0]).toBe('/f5.pt');
    expect(new Set(r).size).toBe(10);
  });
});
