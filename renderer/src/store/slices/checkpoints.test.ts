import { describe, expect, it } from 'vitest';
import type { CheckpointView } from '../../../../app/shared/contract';
import type { Uploader } from '../../client/upload';
import { fakeClient } from '../../testing/fakeClient';
import { createAppStore } from '../store';

const view = (path: string, id: string): CheckpointView => ({
  id,
  path,
  format: 'torch-zip',
  tree: { path: '', label: path, kind: 'dict', detail: '', children: [] },
  tensorCount: 1,
  stateDicts: [],
  batchNorm: [],
  warnings: [],
  refusedGlobals: [],
});

function world() {
  let n = 0;
  const f = fakeClient({
    'checkpoint.open': (p) => {
      const path = p.path;
      if (path.includes('missing'))
        throw Object.assign(new Error(`no such file: ${path}`), { name: 'FileNotFoundError' });
      return view(path, `ck${++n}`);
    },
    'checkpoint.close': () => ({ closed: true }),
    'checkpoint.tensors': () => ({ total: 0, rows: [] }),
  });
  const discarded: string[] = [];
  const progress: number[] = [];
  const uploader: Uploader = {
    async upload(file, onProgress) {
      onProgress(file.size / 2, file.size);
      progress.push(file.size / 2);
      return { path: `/tmp/normscope-upload-x/1-${file.name}`, bytes: file.size };
    },
    async discard(path) {
      discarded.push(path);
    },
  };
  const saved: string[][] = [];
  const store = createAppStore(f.client, {
    uploader,
    recent: { load: () => ['/old/a.pt'], save: (p) => saved.push(p) },
  });
  return { store, calls: f.calls, discarded, progress, saved };
}

describe('checkpoint slice (issue 15 items 5, 6)', () => {
  it('a failed open clears the previous file (no buttons left pointing at it)', async () => {
    const { store, calls } = world();
    await store.getState().openCheckpoint('/m/good.pt', false);
    expect(store.getState().checkpoint?.path).toBe('/m/good.pt');
    await store.getState().openCheckpoint('/m/missing.pt', false);
    expect(store.getState().checkpoint).toBeNull();
    expect(store.getState().checkpointError).toContain('no such file');
    expect(calls.filter(([m]) => m === 'checkpoint.close')).toHaveLength(1);
  });

  it('uploads a file with progress, opens the copy, and discards the copy when another file opens', async () => {
    const { store, discarded, progress, saved } = world();
    await store.getState().uploadAndOpen(new File([new Uint8Array(10)], 'model.pt'));
    expect(progress).toEqual([5]);
    expect(store.getState().upload).toBeNull();
    expect(store.getState().workspace).toBe('checkpoints');
    const copy = '/tmp/normscope-upload-x/1-model.pt';
    expect(store.getState().checkpoint?.path).toBe(copy);
    expect(store.getState().recentFiles).toEqual(['/old/a.pt']); // a temporary copy is not a recent file
    await store.getState().openCheckpoint('/m/b.pt', false);
    expect(discarded).toEqual([copy]);
    expect(store.getState().recentFiles).toEqual(['/m/b.pt', '/old/a.pt']);
    expect(saved.at(-1)).toEqual(['/m/b.pt', '/old/a.pt']);
  });

  it('without an uploader (Electron) says to open by path', async () => {
    const f = fakeClient({});
    const store = createAppStore(f.client, { recent: { load: () => [], save: () => undefined } });
    await store.getState().uploadAndOpen(new File([], 'x.pt'));
    expect(store.getState().checkpointError).toMatch(/open the file by its path/);
  });
});
