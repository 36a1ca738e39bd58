/**
 * What every slice of the store is built with: zustand's set/get, the contract client, and the
 * helpers that make each action record its error in its own slice.
 */
import type { StoreApi } from 'zustand/vanilla';
import type { ContractClient } from '../../../app/shared/contract';
import type { StackSpec } from '../../../app/shared/stackSpec';
import type { Uploader } from '../client/upload';
import type { AppState } from './store';

export interface SliceKit {
  set: StoreApi<AppState>['setState'];
  get: StoreApi<AppState>['getState'];
  client: ContractClient;
  /** Browser mode: sends a file's bytes to the host (null in Electron, which opens files by path). */
  uploader: Uploader | null;
  /** Where the recent files list is kept (localStorage in the window). */
  recentStore: RecentStore;
  /** Runs a host call, storing its error under `errorKey` (cleared on success). */
  attempt<T>(errorKey: keyof AppState, fn: () => Promise<T>): Promise<T | undefined>;
  /** Replaces the stack's spec (dropping a stale conversion preview) and validates it. */
  setSpec(spec: StackSpec): Promise<void>;
  /**
   * The built model changed (a build, a conversion, a load, a reset, a roll back): every view that
   * described it is dropped, and `modelVersion` moves on so the open workspace fetches its view again.
   */
  modelChanged(extra?: Partial<AppState>): void;
}

/** An error as a person should read it: PyTorch's type and text where the engine raised one. */
export function errorMessage(e: unknown): string {
  const err = e as { name?: string; message?: string };
  return err?.name && err.name !== 'Error' ? `${err.name}: ${err.message}` : (err?.message ?? String(e));
}

let jobCounter = 0;
/** A fresh id for a long job (the host reports its progress and can cancel it by this id). */
export const newJobId = (kind: string): string => `${kind}-${Date.now().toString(36)}-${++jobCounter}`;

export interface RecentStore {
  load(): string[];
  save(paths: string[]): void;
}

const RECENT_KEY = 'normscope.recentFiles';
/** A recent-files list kept in localStorage under `key` where the page has it (nothing is kept otherwise). */
export function localRecentAt(key: string): RecentStore {
  return {
    load() {
      try {
        const v: unknown = JSON.parse(globalThis.localStorage?.getItem(key) ?? '[]');
        return Array.isArray(v) ? v.filter((p): p is string => typeof p === 'string').slice(0, 10) : [];
      } catch {
        return [];
      }
    },
    save(paths) {
      try {
        globalThis.localStorage?.setItem(key, JSON.stringify(paths));
      } catch {
        // storage off: the list lasts for this page only
      }
    },
  };
}
/** The Checkpoints workspace's list. */
export const localRecent: RecentStore = localRecentAt(RECENT_KEY);

export function makeKit(
  set: SliceKit['set'],
  get: SliceKit['get'],
  client: ContractClient,
  uploader: Uploader | null = null,
  recentStore: RecentStore = localRecent,
): SliceKit {
  const attempt = async <T>(errorKey: keyof AppState, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      const v = await fn();
      set({ [errorKey]: null } as Partial<AppState>);
      return v;
    } catch (e) {
      set({ [errorKey]: errorMessage(e) } as Partial<AppState>);
      return undefined;
    }
  };
  const setSpec = async (spec: StackSpec) => {
    set({ spec, syncPreview: null });
    await get().validate();
  };
  const modelChanged = (extra: Partial<AppState> = {}) =>
    set((s) => ({
      lastStep: null,
      compare: null,
      inspection: null,
      stateDict: null,
      lastRun: null,
      modelVersion: s.modelVersion + 1,
      ...extra,
    }));
  return { set, get, client, uploader, recentStore, attempt, setSpec, modelChanged };
}
