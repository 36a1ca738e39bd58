/**
 * The window's one store (zustand 5, vanilla + a React hook): one slice per workspace (./slices),
 * actions in the store, components read with atomic selectors. Every action that calls the host
 * records its error in the slice it belongs to, so the workspace shows it where it happened.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ContractClient } from '../../../app/shared/contract';
import type { Uploader } from '../client/upload';
import { makeKit, type RecentStore } from './kit';
import { appSlice, type AppSlice, type Theme } from './slices/app';
import { backendsSlice, type BackendsSlice } from './slices/backends';
import { checkpointSlice, loadSlice, type CheckpointSlice, type LoadSlice } from './slices/checkpoints';
import { diffSlice, type DiffSlice } from './slices/diff';
import { inspectorSlice, stateDictSlice, type InspectorSlice, type StateDictSlice } from './slices/inspect';
import { modelsSlice, type ModelsSlice } from './slices/models';
import { ranksSlice, type RanksSlice } from './slices/ranks';
import { stackSlice, type StackSlice } from './slices/stack';
import { steppingSlice, withLoss, type SteppingSlice } from './slices/stepping';

export type { Job, Theme, WorkspaceId } from './slices/app';

export type AppState = AppSlice &
  StackSlice &
  SteppingSlice &
  InspectorSlice &
  StateDictSlice &
  CheckpointSlice &
  LoadSlice &
  DiffSlice &
  RanksSlice &
  BackendsSlice &
  ModelsSlice;

export type AppStore = StoreApi<AppState>;

export function createAppStore(
  client: ContractClient,
  opts: { theme?: Theme; uploader?: Uploader | null; recent?: RecentStore } = {},
): AppStore {
  return createStore<AppState>()((set, get) => {
    const kit = makeKit(set, get, client, opts.uploader ?? null, opts.recent);

    // Events the host pushes land in the slices they belong to.
    client.on('progress', (p) =>
      set((s) => ({ jobs: { ...s.jobs, [p.jobId]: { done: p.done, total: p.total, label: p.label } } })),
    );
    client.on('step', (r) =>
      set((s) => ({ lastStep: r, compare: null, losses: r.loss === null ? s.losses : withLoss(s.losses, r.loss) })),
    );
    client.on('ranks', (r) => set({ ranks: r }));
    client.on('open', ({ path }) => {
      set({ workspace: 'checkpoints' });
      void get().openCheckpoint(path, false);
    });

    return {
      ...appSlice(kit, opts.theme ?? 'dark'),
      ...stackSlice(kit),
      ...steppingSlice(kit),
      ...inspectorSlice(kit),
      ...stateDictSlice(kit),
      ...checkpointSlice(kit),
      ...loadSlice(kit),
      ...diffSlice(kit),
      ...ranksSlice(kit),
      ...backendsSlice(kit),
      ...modelsSlice(kit),
    };
  });
}
