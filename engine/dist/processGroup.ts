/**
 * ProcessGroup: the engine's mirror of torch.distributed's process groups.
 *
 * Collectives are synchronous calls, like the rest of the engine API (a rank's engine blocks in a
 * collective exactly as a PyTorch rank does). Every collective has a timeout; on timeout or a dead
 * peer it throws a CollectiveError that names the rank it waited for.
 *
 * The default ("world") group is registered with initProcessGroup(); SyncBatchNorm syncs only when a
 * group is initialized and its size is > 1 (the seed's need_sync rule).
 */
import { RuntimeError } from '../errors.js';

export type ProcessGroupBackend = 'gloo' | 'ipc';

export interface ProcessGroup {
  /** This process's rank within the group. */
  readonly rank: number;
  /** Number of ranks in the group. */
  readonly size: number;
  readonly backend: ProcessGroupBackend;
  /** Global ranks that belong to the group, in group-rank order. */
  readonly ranks: readonly number[];
  /** Concatenation of every rank's `data` in rank order (size × data.length). */
  allGather(data: Float64Array, opts?: CollectiveOptions): Float64Array;
  /** Elementwise sum over ranks; every rank receives the result. */
  allReduceSum(data: Float64Array, opts?: CollectiveOptions): Float64Array;
  /** `src`'s data (a group rank) on every rank. */
  broadcast(data: Float64Array, src: number, opts?: CollectiveOptions): Float64Array;
  barrier(opts?: CollectiveOptions): void;
}

export interface CollectiveOptions {
  /** Milliseconds before the collective fails; the group's default otherwise. */
  timeoutMs?: number;
  /** What is calling (e.g. the module path of a SyncBatchNorm layer), for error messages and telemetry. */
  tag?: string;
}

/** A collective that failed: timeout, a dead or exited rank, or ranks that disagree on the call. */
export class CollectiveError extends RuntimeError {
  /** The global rank blamed for the failure, when one is known. */
  readonly blamedRank: number | null;
  constructor(message: string, blamedRank: number | null = null) {
    super(message);
    this.blamedRank = blamedRank;
  }
}

let world: ProcessGroup | null = null;

/** Registers the default (world) group, like torch.distributed.init_process_group. */
export function initProcessGroup(group: ProcessGroup): void {
  world = group;
}

export function destroyProcessGroup(): void {
  world = null;
}

export function isInitialized(): boolean {
  return world !== null;
}

/** The default group; throws like PyTorch when none was initialized. */
export function getWorldGroup(): ProcessGroup {
  if (!world) {
    throw new RuntimeError(
      'Default process group has not been initialized, please make sure to call init_process_group.',
    );
  }
  return world;
}
