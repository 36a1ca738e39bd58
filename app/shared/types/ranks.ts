/**
 * Ranks and backends: rank lanes and collectives, backend status, benchmark rows.
 * Part of the contract: ../contract.ts re-exports every type of this file.
 */

export interface RankLane {
  rank: number;
  /** The rank's process id (null until it has started). */
  pid: number | null;
  alive: boolean;
  count: number;
  localMean: Float32Array | null;
  localVar: Float32Array | null;
  /** What this rank's SyncBatchNorm combined (its group's statistics). */
  combinedMean: Float32Array | null;
  collectiveCalls: number;
  collectiveMs: number;
  error: string | null;
}

export interface RanksState {
  running: boolean;
  worldSize: number;
  step: number;
  lanes: RankLane[];
  combinedMean: Float32Array | null;
  combinedVar: Float32Array | null;
  lastError: string | null;
  /** The SyncBatchNorm layer the lanes show (the first one), and the shard sizes. */
  layer: string | null;
  shards: number[];
  /** new_group()s: SyncBatchNorm syncs within each rank's first group (empty: the whole world). */
  subgroups: number[][];
}

export interface BackendStatusView {
  name: string;
  available: boolean;
  reason: string | null;
  device?: string;
  memoryBytes?: number;
  threads?: number;
  residency?: string;
  transfers?: { hostToDeviceBytes: number; deviceToHostBytes: number; deviceBytesInUse: number };
}

export interface BackendsView {
  active: string;
  requested: string;
  backends: BackendStatusView[];
  /** The engine's host allocator (engine/tensor/allocator.ts): bytes held by tensors, cached for reuse, peak. */
  memory?: { bytesInUse: number; bytesCached: number; peakBytesInUse: number };
}

export interface BenchRow {
  backend: string;
  case: string;
  msPerIter: number;
  gbPerS: number;
}
