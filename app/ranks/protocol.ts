/**
 * Control messages between the coordinator and its rank processes (Node IPC, structured clone so
 * typed arrays travel as they are). The data plane of the `ipc` backend is separate (fd 3, frames.ts).
 */
import type { GlooRendezvous } from '../../engine/index.js';
import type { StackSpec } from '../../engine/index.js';
import type { ProcessGroupBackend } from '../../engine/index.js';
import type { IpcRequest, IpcResponse } from '../../engine/index.js';

export interface WireTensor {
  shape: number[];
  dtype: string;
  data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Int8Array | Int16Array | Uint16Array;
}

/** A state dict on the wire: ordered entries (metadata is per-prefix versions). */
export interface WireState {
  entries: [string, WireTensor][];
  metadata: [string, Record<string, unknown>][];
}

/** A fault injected into one rank, for the fault scenarios (tests, the app's fault buttons). */
export interface FaultPlan {
  rank: number;
  /** crash: SIGKILL itself; exit: process.exit(3); sleep: block `ms`; skip: skip the layer's SyncBatchNorm. */
  kind: 'crash' | 'exit' | 'sleep' | 'skip';
  /** Collective tag prefix (SyncBatchNorm module path) where the fault fires; any collective when absent. */
  layer?: string;
  ms?: number;
}

/** A raw collective for tests and benchmarks (no model involved). */
export interface RawOp {
  op: 'all_gather' | 'all_reduce' | 'broadcast' | 'barrier';
  data: number[] | Float64Array;
  tag?: string;
  src?: number;
  /** Index into the subgroups given at init; the world group when absent. */
  group?: number;
  timeoutMs?: number;
  /** Repeat the op this many times (benchmarks); results of the last run are returned. */
  repeat?: number;
}

export interface InitMsg {
  type: 'init';
  rank: number;
  world: number;
  backend: ProcessGroupBackend;
  timeoutMs: number;
  gloo?: GlooRendezvous;
  /** torch.distributed.new_group calls every rank makes, in order; SyncBatchNorm uses the first containing the rank. */
  subgroups?: number[][];
}

export interface BuildMsg {
  type: 'build';
  /** Checked again on the rank (buildStack validates): a message is outside input. */
  spec: StackSpec;
  /** Start from this state (the host's), so every rank is identical; else seed-initialized. */
  state: WireState | null;
  seed: number;
  lr: number;
}

export interface StepMsg {
  type: 'step';
  step: number;
  input: WireTensor;
  /** dL/dy for this rank's shard; default: L = mean(y²)/2 over the local shard (data-parallel convention). */
  gradOutput: WireTensor | null;
  fault?: FaultPlan;
  /** Skip the optimizer (equivalence checks compare one forward/backward). */
  noOptimizer?: boolean;
  /** Return y, the input gradient and the local parameter gradients. */
  returnOutputs?: boolean;
}

export type ToRank =
  | (InitMsg & { id: number })
  | (BuildMsg & { id: number })
  | (StepMsg & { id: number })
  | { type: 'raw'; id: number; ops: RawOp[]; fault?: FaultPlan }
  | { type: 'getState'; id: number }
  | { type: 'shutdown'; id: number }
  /** The coordinator's answer to a collective (channel data plane). */
  | { type: 'collectiveReply'; id: 0; header: IpcResponse; payload: Float64Array };

/** Why a rank's step or raw op failed; `collective` is false for its own errors (an exception in forward…). */
export interface RankError {
  message: string;
  blamedRank: number | null;
  collective: boolean;
}

export interface CollectiveTiming {
  group: string;
  op: string;
  tag: string;
  callIndex: number;
  values: number;
  ms: number;
  error: string | null;
}

export interface LayerTelemetry {
  /** Module path of the SyncBatchNorm layer. */
  name: string;
  forwardCalls: number;
  backwardCalls: number;
  localCount: number;
  localMean: number[];
  localVar: number[];
  combinedMean: number[];
  combinedVar: number[];
  combinedCount: number;
  forwardMs: number;
  backwardMs: number;
}

export interface RankTelemetry {
  rank: number;
  pid: number;
  stepMs: number;
  layers: LayerTelemetry[];
  collectives: CollectiveTiming[];
}

export interface StepOutputs {
  y: WireTensor;
  inputGrad: WireTensor | null;
  /** Local (pre-averaging) gradients of parameters, by name. */
  grads: [string, WireTensor][];
}

/** A control message before the coordinator numbers it. */
export type ToRankBody = ToRank extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never;

export type FromRank =
  | { type: 'ready'; id: number; rank: number; pid: number }
  | { type: 'built'; id: number; syncLayers: string[] }
  | {
      type: 'stepResult';
      id: number;
      ok: boolean;
      error?: RankError;
      telemetry: RankTelemetry;
      outputs?: StepOutputs;
      /** FNV hash of the state after the step (identical buffers check). */
      stateHash: string;
      state?: WireState;
    }
  | {
      type: 'rawResult';
      id: number;
      ok: boolean;
      results: Float64Array[];
      /** Median and fastest time per op over its repeats (ms). */
      ms: number[];
      minMs: number[];
      error?: RankError;
    }
  | { type: 'state'; id: number; state: WireState }
  /** A collective request (channel data plane). */
  | { type: 'collective'; id: 0; header: IpcRequest; payload: Float64Array }
  | { type: 'failed'; id: number; message: string };
