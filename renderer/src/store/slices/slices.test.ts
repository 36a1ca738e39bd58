import { describe, expect, it } from 'vitest';
import type { CheckpointView, RanksState } from '../../../../app/shared/contract';
import { fakeClient } from '../../testing/fakeClient';
import { createAppStore } from '../store';
import { withLoss } from './stepping';

const ranksState = (alive: boolean[]): RanksState =>
  ({ worldSize: alive.length, lanes: alive.map((a, rank) => ({ rank, alive: a })) }) as unknown as RanksState;

const checkpointView = (id: string): CheckpointView => ({
  id,
  path: `/${id}.pt`,
  format: 'torch-zip',
  tree: { path: '', label: id, kind: 'dict', detail: '', children: [] },
  tensorCount: 1,
  stateDicts: [],
  batchNorm: [],
  warnings: [],
  refusedGlobals: [],
});

describe('store slices', () => {
  it('keeps the last 500 losses and marks steps without a loss as NaN', () => {
    const many = Array.from({ length: 500 }, (_, i) => i);
    const next = withLoss(many, 7);
    expect(next).toHaveLength(500);
    expect(next[0]).toBe(1);
    expect(next.at(-1)).toBe(7);
    expect(withLoss([], null)[0]).toBeNaN();
  });

  it('ranks: long calls set and clear the busy flag; a failure keeps the last state and shows the error', async () => {
    let fail = false;
    const f = fakeClient({
      'ranks.start': () => ranksState([true, true, true, true]),
      'ranks.step': () => {
        if (fail) throw Object.assign(new Error('rank 2 died in SyncBatchNorm layer 1'), { name: 'RankFailure' });
        return ranksState([true, true, true, true]);
      },
      'ranks.kill': () => ranksState([true, true, false, true]),
    });
    const store = createAppStore(f.client);
    const started = store.getState().startRanks(4, [8, 8, 8, 8], []);
    expect(store.getState().ranksBusy).toBe(true);
    await started;
    expect(store.getState().ranksBusy).toBe(false);
    expect(store.getState().ranks?.worldSize).toBe(4);
    await store.getState().killRank(2);
    const afterKill = store.getState().ranks;
    fail = true;
    await store.getState().stepRanks();
    expect(store.getState().ranksBusy).toBe(false);
    expect(store.getState().ranks).toBe(afterKill);
    expect(store.getState().ranksError).toBe('RankFailure: rank 2 died in SyncBatchNorm layer 1');
    fail = false;
    await store.getState().stepRanks();
    expect(store.getState().ranksError).toBeNull();
  });

  it('checkpoints: opening a second file closes the first and reloads the tensor table', async () => {
    let n = 0;
    const f = fakeClient({
      'checkpoint.open': () => checkpointView(`ck${++n}`),
      'checkpoint.close': () => ({ closed: true }),
      'checkpoint.tensors': () => ({
        total: 1,
        rows: [{ key: 'bn.weight', dtype: 'float32', shape: [3], min: 0, max: 1, mean: 0.5, std: 0.5, finite: true }],
      }),
    });
    const store = createAppStore(f.client);
    await store.getState().openCheckpoint('/a.pt', false);
    await store.getState().openCheckpoint('/b.pt', true);
    expect(f.calls.filter(([m]) => m === 'checkpoint.close').map(([, p]) => p)).toEqual([{ id: 'ck1' }]);
    expect(store.getState().checkpoint).toEqual(checkpointView('ck2'));
    expect(store.getState().checkpointRows?.rows).toHaveLength(1);
    const open = f.calls.find(([m]) => m === 'checkpoint.open')![1] as { jobId: string; tensorsOnly: boolean };
    expect(open.jobId).toMatch(/^open-/);
    expect(store.getState().checkpointJob).toBeNull();
  });

  it('loading a state dict without an open checkpoint says where to go, without calling the host', async () => {
    const f = fakeClient({});
    const store = createAppStore(f.client);
    await store.getState().previewLoad('model');
    expect(store.getState().loadError).toBe('open a checkpoint in the Checkpoint browser first');
    expect(f.calls).toHaveLength(0);
  });

  it('a failed diff keeps the previous result and clears the job', async () => {
    let fail = false;
    const f = fakeClient({
      'diff.run': () => {
        if (fail) throw Object.assign(new Error('not a checkpoint: /b.txt'), { name: 'FormatError' });
        return { rows: [], prefixes: { a: '', b: '' }, frozen: [], overlays: [] };
      },
    });
    const store = createAppStore(f.client);
    await store.getState().runDiff('/a.pt', '/b.pt', null);
    const first = store.getState().diff;
    fail = true;
    await store.getState().runDiff('/a.pt', '/b.txt', null);
    expect(store.getState().diff).toBe(first);
    expect(store.getState().diffError).toBe('FormatError: not a checkpoint: /b.txt');
    expect(store.getState().diffJob).toBeNull();
  });
});
